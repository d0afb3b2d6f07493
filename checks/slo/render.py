"""The weekly SLO report as a document: front matter for machines, a body for people.

Pure: figures in, text out. The Notes section belongs to people: it is taken from
the existing report and kept as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from checks.dates import Week
from checks.slo import compute
from checks.slo.budget import Budget
from checks.slo.compute import FAIL, NO_DATA, PASS, Figures
from checks.slo.model import Slo

DEFAULT_NOTES = "<!-- Add context: incidents, releases, known gaps in the data. -->\n"
_ICON = {PASS: "✅ PASS", FAIL: "❌ FAIL", NO_DATA: "⚪ NO_DATA"}
SHOWN_GROUPS = 10  # groups named in the Summary per SLO; the rest are counted


class GroupWeek(NamedTuple):
    """One group of an SLO with group_by: its labels' values, in group_by's order."""

    labels: tuple[str, ...]
    week: Figures
    days: list[Figures]
    budget: Budget | None = None  # over the SLO's time window, when it has one


class SloWeek(NamedTuple):
    slo: Slo
    week: Figures  # with group_by: the groups' counts added up, and the groups' status
    days: list[Figures]  # Monday to Sunday, UTC
    groups: tuple[GroupWeek, ...] = ()  # with group_by, in order of their labels
    budget: Budget | None = None  # over the SLO's time window, when it has one


class Report(NamedTuple):
    project: str
    week: Week
    source: str
    status: str
    slos: list[SloWeek]


def render(report: Report, generated_at: dt.datetime, notes: str = DEFAULT_NOTES) -> str:
    return _front_matter(report, generated_at) + _body(report, notes)


# --- front matter ----------------------------------------------------------------------------


def _front_matter(report: Report, generated_at: dt.datetime) -> str:
    lines = [
        "---",
        "kind: slo-report",
        f"project: {report.project}",
        f"week: {report.week.label}",
        f"start: {_instant(report.week.start)}",
        f"end: {_instant(report.week.end)}",
        f"source: {report.source}",
        f"status: {report.status}",
    ]
    if not report.slos:
        lines.append("slos: []")
    else:
        lines.append("slos:")
    for entry in report.slos:
        figures = entry.week
        lines += [
            f"  - name: {_text(entry.slo.name)}",
            f"    objective: {decimal_text(entry.slo.objective)}",
            *_figures_front_matter(figures, "    "),
        ]
        lines += _budget_front_matter(entry.budget, "    ")
        if entry.slo.group_by:
            lines += _groups_front_matter(entry)
    lines += [f"generated_at: {_instant(generated_at)}", "---", ""]
    return "\n".join(lines)


def _groups_front_matter(entry: SloWeek) -> list[str]:
    names = entry.slo.group_by
    lines = ["    group_by:", *(f"      - {_text(name)}" for name in names)]
    lines.append("    groups:" if entry.groups else "    groups: []")
    for group in entry.groups:
        figures = group.week
        lines.append("      - labels:")
        lines += [
            f"          {_text(name)}: {_text(value)}"
            for name, value in zip(names, group.labels, strict=True)
        ]
        lines += _figures_front_matter(figures, "        ")
        lines += _budget_front_matter(group.budget, "        ")
    return lines


def _figures_front_matter(figures: Figures, indent: str) -> list[str]:
    """A week's figures, as an SLO's and a group's front matter hold them."""
    return [
        f"{indent}sli: {_yaml_number(figures.sli)}",
        f"{indent}good: {_yaml_number(figures.good)}",
        f"{indent}total: {_yaml_number(figures.total)}",
        *_slices_front_matter(figures, indent),
        f"{indent}error_budget_remaining: {_yaml_number(figures.error_budget_remaining)}",
        f"{indent}burn_rate: {_yaml_number(figures.burn_rate)}",
        f"{indent}status: {figures.status}",
    ]


def _slices_front_matter(figures: Figures, indent: str) -> list[str]:
    """Time slices: the window's slices and those with data, from which ops validate checks
    that a window covered too thinly is NO_DATA."""
    if figures.slices is None:
        return []
    return [f"{indent}slices: {figures.slices}", f"{indent}covered: {figures.covered or 0}"]


def _budget_front_matter(budget: Budget | None, indent: str) -> list[str]:
    if budget is None:
        return []
    window, figures = budget.window, budget.figures
    kind = f"rolling: {window.rolling}" if window.rolling else f"calendar: {window.calendar}"
    inner = indent + "  "
    return [
        f"{indent}budget_window:",
        f"{inner}{kind}",
        f"{inner}start: {_instant(budget.start)}",
        f"{inner}end: {_instant(budget.end)}",
        f"{inner}good: {_yaml_number(figures.good)}",
        f"{inner}total: {_yaml_number(figures.total)}",
        *_slices_front_matter(figures, inner),
        f"{inner}sli: {_yaml_number(figures.sli)}",
        f"{inner}error_budget_remaining: {_yaml_number(figures.error_budget_remaining)}",
        f"{inner}week_bad: {_yaml_number(budget.week_bad)}",
        f"{inner}week_burned: {_yaml_number(budget.week_burned)}",
    ]


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: str) -> str:
    """Plain when YAML reads it back as this very text, else double-quoted."""
    from checks import yamlload

    try:
        if yamlload.load(f"v: {value}\n")[0] == {"v": value}:
            return value
    except yamlload.YamlProblem:
        pass
    return json.dumps(value, ensure_ascii=False)


def decimal_text(value: Decimal) -> str:
    """``99.9``, ``90.0``: never ``9E+1``."""
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def _yaml_number(value: float | int | None) -> str:
    return "null" if value is None else repr(value)


# --- body ------------------------------------------------------------------------------------


_METHODS = {  # checks.slo.promql's methods, as the report says them (docs/slo.md)
    "range substitution": "counts from rate() queries by range substitution",
    "counter increase": "counts from counter selectors by increase over the window",
    "range substitution, counter increase": "counts from rate() queries by range substitution "
    "and from counter selectors by increase over the window",
}


def method_text(slo: Slo) -> str | None:
    """How the SLO was counted, when not as events of ``{{window}}`` queries: its time slices
    (checks.slo.timeslices) and how spec-style queries were rewritten (checks.slo.promql)."""
    from checks.slo import timeslices

    parts = [timeslices.describe(slo)] if slo.timeslices is not None else []
    if slo.method:
        rewrite = _METHODS[slo.method]
        parts.append(f"each slice's {rewrite}" if parts else rewrite)
    return "; ".join(parts) or None


def _body(report: Report, notes: str) -> str:
    week = report.week
    out = [
        "",
        f"# SLO report {week.label}",
        "",
        f"<!-- Generated by `ops slo --project {report.project} --week {week.label}` (source: "
        f"{report.source}). Everything above Notes is rewritten on each run; Notes are kept. -->",
        "",
        "## Summary",
        "",
        _summary(report),
        "",
        "## SLOs",
        "",
        "| Name | Objective | SLI | Good | Total | Budget left | Burn rate | Status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in report.slos:
        f = entry.week
        out.append(
            f"| {entry.slo.name} | {decimal_text(entry.slo.objective)} % | {_percent(f.sli)} | "
            f"{_count(f.good)} | {_count(f.total)} | {_share(f.error_budget_remaining)} | "
            f"{_plain(f.burn_rate)} | {_ICON[f.status]} |"
        )
    if not report.slos:
        out.append("| (no SLOs in project.yaml) | | | | | | | |")
    for entry in report.slos:
        method = method_text(entry.slo)
        if method:
            out += ["", f"{entry.slo.name}: {method}"]
    for entry in report.slos:
        out += _coverage(entry)
    for entry in report.slos:
        if entry.slo.group_by:
            out += _group_table(entry)
    if any(entry.budget is not None for entry in report.slos):
        out += ["", "## Budget windows", "", *_budgets(report)]
    out += ["", "## Daily SLI", ""]
    out += _daily(report)
    out += ["## Notes", "", notes.rstrip("\n"), ""]
    return "\n".join(out)


def _coverage(entry: SloWeek) -> list[str]:
    """A time-slice SLO (or each of its groups) with slices without data this week: how many,
    and whether too many for a verdict (checks.slo.compute.COVERAGE)."""
    rows = [(entry.slo.name, entry.week)] if not entry.slo.group_by else []
    rows += [(f"{entry.slo.name} {group_text(entry.slo, g.labels)}", g.week) for g in entry.groups]
    lines = [
        f"{name}: {coverage_text(figures)}"
        for name, figures in rows
        if figures.slices is not None and compute.missing(figures)
    ]
    more = len(lines) - SHOWN_GROUPS
    lines = lines[:SHOWN_GROUPS] + (
        [f"and {more} more groups with slices without data."] * (more > 0)
    )
    return [line for shown in lines for line in ("", shown)]


def coverage_text(figures: Figures) -> str:
    """``12 of 2,016 slices had no data.``, and why that is NO_DATA when it is."""
    gone, slices = compute.missing(figures) or 0, figures.slices or 0
    text = f"{gone:,} of {slices:,} slices had no data"
    if compute.covered_enough(figures):
        return text + "."
    return (
        f"{text}, so it is NO_DATA: a verdict needs data in at least "
        f"{compute.COVERAGE * 100:.0f} % of them."
    )


def _group_table(entry: SloWeek) -> list[str]:
    """An SLO with group_by: a table of its groups, under the SLOs table."""
    names = entry.slo.group_by
    out = ["", f"### {entry.slo.name} by {', '.join(names)}", ""]
    if not entry.groups:
        return [*out, "No group had data."]
    out += [
        "| " + " | ".join(names) + " | SLI | Good | Total | Budget left | Burn rate | Status |",
        "|" + "---|" * (len(names) + 6),
    ]
    for group in entry.groups:
        f = group.week
        values = " | ".join(group_cells(group.labels))
        out.append(
            f"| {values} | {_percent(f.sli)} | {_count(f.good)} | {_count(f.total)} | "
            f"{_share(f.error_budget_remaining)} | {_plain(f.burn_rate)} | {_ICON[f.status]} |"
        )
    return out


def _budgets(report: Report) -> list[str]:
    """Per SLO with a time window: a sentence, then a table of it and of its groups."""
    out = [budget_sentence(e.slo.name, e.budget) for e in report.slos if e.budget is not None]
    out += [
        "",
        "| Name | Window | From | To | Good | Total | SLI | Budget left | Burned this week |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in report.slos:
        rows = [(entry.slo.name, entry.budget)]
        rows += [
            (f"{entry.slo.name} {group_text(entry.slo, g.labels)}", g.budget) for g in entry.groups
        ]
        for name, budget in rows:
            if budget is None:
                continue
            f, last = budget.figures, budget.end - dt.timedelta(days=1)
            out.append(
                f"| {name} | {_window_name(budget)} | {budget.start:%Y-%m-%d} | {last:%Y-%m-%d} | "
                f"{_count(f.good)} | {_count(f.total)} | {_percent(f.sli)} | "
                f"{_share(f.error_budget_remaining)} | {_share(budget.week_burned)} |"
            )
    return out


def budget_sentence(name: str, budget: Budget) -> str:
    """``- availability: error budget over the last 28 days (...): 41.20 % left; this week
    burned 22.10 % of it.``"""
    last = budget.end - dt.timedelta(days=1)
    head = (
        f"- {name}: error budget over {budget.window.text} ({budget.start:%Y-%m-%d} to "
        f"{last:%Y-%m-%d}): "
    )
    left = budget.figures.error_budget_remaining
    if left is None and not compute.covered_enough(budget.figures):
        return head + f"no data ({coverage_text(budget.figures).removesuffix('.')})."
    if left is None:
        return head + "no data (the source does not cover the window's first day)."
    burned = budget.week_burned
    week = "no data for this week" if burned is None else f"this week burned {_share(burned)} of it"
    over = " (overspent)" if left < 0 else ""
    return head + f"{_share(left)} left{over}; {week}."


def _window_name(budget: Budget) -> str:
    days = budget.window.days
    return f"{days} days rolling" if days is not None else "calendar month"


def _summary(report: Report) -> str:
    week = report.week
    sunday = week.end - dt.timedelta(days=1)
    span = f"{week.label} (Mon {week.start:%Y-%m-%d} to Sun {sunday:%Y-%m-%d})"
    failed = [e for e in report.slos if e.week.status == FAIL]
    missing = [e for e in report.slos if e.week.status == NO_DATA]
    if not report.slos:
        return f"**NO_DATA**: the project defines no SLOs, so {span} has no verdict."
    if failed:
        worst_name, worst = max(_units(failed, FAIL), key=lambda u: u[1].burn_rate or 0)
        over = (worst.burn_rate or 0) - 1
        text = (
            f"**FAIL**: {_names(failed, FAIL)} missed {'its' if len(failed) == 1 else 'their'} "
            f"objective{'' if len(failed) == 1 else 's'} in {span}. Worst: {worst_name} at a "
            f"burn rate of {worst.burn_rate:.2f} ({over * 100:.0f} % over the week's budget)."
        )
    elif missing:
        text = (
            f"**NO_DATA**: no data for {_names(missing, NO_DATA)} in {span}; a week without data "
            "is never a PASS."
        )
    else:
        lowest_name, lowest = min(
            _units(report.slos), key=lambda u: u[1].error_budget_remaining or 0
        )
        text = (
            f"**PASS**: every SLO met its objective in {span}. Least budget left: "
            f"{lowest_name}, {_share(lowest.error_budget_remaining)} of the week's budget."
        )
    if failed and missing:
        text += f" No data for {_names(missing, NO_DATA)}."
    return text


def _units(entries: Sequence[SloWeek], status: str | None = None) -> list[tuple[str, Figures]]:
    """What a verdict is about: each SLO, or each group of an SLO with group_by (those with
    ``status`` when given), named as people read them."""
    out = []
    for e in entries:
        if not e.slo.group_by:
            out.append((e.slo.name, e.week))
            continue
        out += [
            (f"{e.slo.name} {group_text(e.slo, g.labels)}", g.week)
            for g in e.groups
            if status is None or g.week.status == status
        ]
    return out


def group_text(slo: Slo, labels: tuple[str, ...]) -> str:
    """A group as the report's body shows it: ``service=checkout``, Markdown-safe."""
    from checks.slo.groups import label_text

    return _markdown(label_text(slo.group_by, labels))


def group_cells(values: Sequence[str]) -> list[str]:
    """A group's label values as the cells of its row in the table of groups."""
    from checks.slo.groups import label_value

    return [_markdown(label_value(v)) for v in values]


def _markdown(text: str) -> str:
    """``text`` shown as it is: Markdown's punctuation escaped (a label value is anyone's),
    ``@`` too, so that a value like ``@acme/security`` mentions nobody where it is posted."""
    return re.sub(r"([\\`*_\[\]<>|#!~&@])", r"\\\1", text)


def _daily(report: Report) -> list[str]:
    if not report.slos:
        return ["No SLOs, no chart.", ""]
    days = [report.week.start + dt.timedelta(days=i) for i in range(7)]
    labels = [f"{d:%a} {d.day}" for d in days]
    out: list[str] = []
    for entry in report.slos:
        values = _chart_values(entry)
        known = [v for v in values if v is not None]
        objective = float(entry.slo.objective)
        if not known:
            out += [f"{entry.slo.name}: no daily data.", ""]
            continue
        low = min([*known, objective])
        floor = max(0.0, _nice_floor(low))
        lowest = ", the lowest of its groups each day" if entry.slo.group_by else ""
        out += [
            f"{entry.slo.name} per UTC day against its objective "
            f"({decimal_text(entry.slo.objective)} %){lowest}:",
            "",
            "```mermaid",
            "xychart-beta",
            f'    title "{entry.slo.name} SLI per day, {report.week.label} (%)"',
            "    x-axis [" + ", ".join(f'"{label}"' for label in labels) + "]",
            f'    y-axis "SLI (%)" {_plain(floor)} --> 100',
            "    line [" + ", ".join(_plain(v if v is not None else floor) for v in values) + "]",
            "    line [" + ", ".join(_plain(objective) for _ in values) + "]",
            "```",
            "",
        ]
    out += [
        "| Day | " + " | ".join(labels) + " |",
        "|---|" + "---|" * 7,
    ]
    for entry in report.slos:
        rows = [(entry.slo.name, entry.days)] if not entry.slo.group_by else []
        rows += [
            (f"{entry.slo.name} {group_text(entry.slo, g.labels)}", g.days) for g in entry.groups
        ]
        for name, figures in rows:
            cells = [_plain(f.sli) if f.sli is not None else "n/a" for f in figures]
            out.append(f"| {name} % | " + " | ".join(cells) + " |")
    out.append("")
    return out


def _chart_values(entry: SloWeek) -> list[float | None]:
    """The SLI per day; with group_by the lowest group's each day (the one to look at)."""
    if not entry.slo.group_by:
        return [f.sli for f in entry.days]
    out: list[float | None] = []
    for day in range(len(entry.days)):
        known = [sli for g in entry.groups if (sli := g.days[day].sli) is not None]
        out.append(min(known) if known else None)
    return out


def _nice_floor(value: float) -> float:
    """A round axis minimum a little below ``value``."""
    for step in (0.1, 0.5, 1.0, 5.0, 10.0):
        floor = (value // step) * step
        if value - floor >= step / 4 or step == 10.0:
            return round(floor - (step if value - floor < step / 4 else 0), 4)
    return 0.0  # pragma: no cover


def _names(entries: Sequence[SloWeek], status: str) -> str:
    """The SLOs' names; an SLO with group_by is followed by its groups with ``status``."""
    names = [named(e, status) for e in entries]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def named(entry: SloWeek, status: str) -> str:
    """The SLO's name; with group_by followed by its groups with ``status`` (Markdown)."""
    if not entry.slo.group_by:
        return entry.slo.name
    named = [group_text(entry.slo, g.labels) for g in entry.groups if g.week.status == status]
    if not named:
        return f"{entry.slo.name} (no groups)" if not entry.groups else entry.slo.name
    more = f" and {len(named) - SHOWN_GROUPS} more" if len(named) > SHOWN_GROUPS else ""
    return f"{entry.slo.name} ({'; '.join(named[:SHOWN_GROUPS])}{more})"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{_plain(value)} %"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def _count(value: float | int | None) -> str:
    """A count as the body shows it: a sum of slices' ratios to 3 places (the front matter
    keeps them all)."""
    if value is None:
        return "n/a"
    return f"{round(value, 3):,}" if isinstance(value, float) else f"{value:,}"


def _plain(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
