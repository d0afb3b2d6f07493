"""Prometheus recording and alerting rules from a project's SLOs (``ops slo rules``).

Per SLO: one recording rule per window, ``slo:sli_error:ratio_rate<window>`` (the error ratio,
bad over total events, each query summed into one series, or one per group of the SLO's
``group_by`` labels, with the labels ``slo`` and ``project`` added), and per burn-rate pair of
``slo_alerts`` one ``ErrorBudgetBurn`` alert that fires while the error ratio is above
``factor`` times the error budget over both its long and its short window (the SRE workbook's
multi-window, multi-burn-rate alerts). Pure: the caller reads the files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import yaml

from checks.errors import OpsError
from checks.slo import promql
from checks.slo.alertpolicy import Condition
from checks.slo.model import Slo

ALERT = "ErrorBudgetBurn"
SEVERITIES = ("page", "ticket")
WEEK_HOURS = 168  # the weekly report's window: "the week's budget lasts ..."
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^([1-9][0-9]{0,5})([smhdw])$")
_PLACEHOLDER = "{{window}}"
# Labels the rules set: an SLO grouped by one of them would make series that differ only in it
# collide once the rules' labels are applied, and every evaluation would fail.
RESERVED_LABELS = ("project", "slo", "severity", "long", "short", "alertname")
Where = tuple[str | None, int | None]  # (file, line) of a setting, for messages


@dataclass(frozen=True)
class Pair:
    """Alert when the error ratio is above ``factor`` times the budget over both windows (for
    ``after``, when given: an AlertCondition's alertAfter). ``condition``: the AlertCondition
    it was made from (``path:line``), None for project.yaml's pairs."""

    severity: str
    long: str
    short: str
    factor: Decimal
    after: str | None = None
    op: str = ">"
    condition: str | None = field(default=None, compare=False)


DEFAULT_PAIRS = (
    Pair("page", "1h", "5m", Decimal("14.4")),
    Pair("page", "6h", "30m", Decimal("6")),
    Pair("ticket", "1d", "2h", Decimal("3")),
    Pair("ticket", "3d", "6h", Decimal("1")),
)


@dataclass(frozen=True)
class Definition:
    """An SLO and where it is defined: ``path`` and ``line`` (repository-relative), its
    runbook's URL when it has one, and its own alerts (an OpenSLO SLO's alert policies, see
    ``policy_pairs``; None: the project's)."""

    slo: Slo
    path: str
    line: int
    runbook: str | None = None
    pairs: tuple[Pair, ...] | None = None


def seconds(duration: str) -> int:
    """A window such as 5m, 1h, 1d or 1w in seconds (ValueError for anything else)."""
    match = _DURATION.match(duration)
    if match is None:
        raise ValueError(duration)
    return int(match[1]) * _UNITS[match[2]]


def pairs(
    settings: dict[str, Any] | None,
    locate: Callable[[list[str | int]], Where] = lambda _: (None, None),
) -> tuple[Pair, ...]:
    """The pairs of project.yaml's ``slo_alerts`` (schema-checked), the workbook's by default;
    a severity left out keeps its defaults. OpsError (at ``locate(key path)``) for a pair whose
    short window is not shorter than its long one, or windows given twice."""
    settings = settings or {}
    out: list[Pair] = []
    for severity in SEVERITIES:
        if severity not in settings:
            out.extend(p for p in DEFAULT_PAIRS if p.severity == severity)
            continue
        for index, entry in enumerate(settings[severity]):
            pair = Pair(
                severity, entry["long"], entry["short"], Decimal(str(entry["factor"])).normalize()
            )
            where = f"$.slo_alerts.{severity}[{index}]"
            path, line = locate(["slo_alerts", severity, index])
            if seconds(pair.short) >= seconds(pair.long):
                raise OpsError(
                    f"{where}: the short window {pair.short} must be shorter than the long "
                    f"window {pair.long} (the workbook's short window is 1/12 of the long one)",
                    path=path,
                    line=line,
                )
            same = (seconds(pair.long), seconds(pair.short))
            twin = next((p for p in out if (seconds(p.long), seconds(p.short)) == same), None)
            if twin is not None:
                written = (twin.long, twin.short) != (pair.long, pair.short)
                raise OpsError(
                    f"{where}: the windows {pair.long}/{pair.short} are used twice"
                    + (f" (as {twin.long}/{twin.short})" if written else "")
                    + "; each pair of windows makes one alert",
                    path=path,
                    line=line,
                )
            out.append(pair)
    return tuple(out)


def windows(alert_pairs: Sequence[Pair]) -> list[str]:
    """Every window the alerts read, shortest first."""
    found = {w for p in alert_pairs for w in (p.long, p.short)}
    return sorted(found, key=lambda w: (seconds(w), w))


def record_name(window: str) -> str:
    return f"slo:sli_error:ratio_rate{window}"


def check(definition: Definition, alert_pairs: Sequence[Pair]) -> None:
    """OpsError (at the SLO's file and line) when the SLO cannot make rules: a query without
    ``{{window}}`` or with another placeholder, a ``group_by`` label the rules set themselves,
    or a pair that could never fire."""
    slo = definition.slo
    for label in slo.group_by:
        if label in RESERVED_LABELS:
            raise OpsError(
                f"SLO {slo.name!r}: group_by {label!r} is a label the rules set themselves "
                f"({', '.join(RESERVED_LABELS)}), so the groups would collide and every "
                "evaluation would fail; group by another label (relabel it in the queries, "
                "such as with label_replace)",
                path=definition.path,
                line=definition.line,
            )
    for part, query in (("total", slo.total), ("good", slo.good), ("bad", slo.bad)):
        if query is None or slo.timeslices is not None:  # a slice's queries: checks.slo.timeslices
            continue
        rest = query.replace(_PLACEHOLDER, "")
        if _PLACEHOLDER not in promql.code(query) or "{{" in rest or "}}" in rest:
            raise OpsError(
                f"SLO {slo.name!r}: its {part} query must hold {_PLACEHOLDER} (exactly so, no "
                f"spaces) where the window goes, and no other {{{{...}}}}: {query!r}",
                path=definition.path,
                line=definition.line,
            )
    for pair in alert_pairs:
        if pair.factor * slo.budget >= 1:
            where = (
                "in slo_alerts of project.yaml"
                if pair.condition is None
                else (f"(the threshold of the AlertCondition at {pair.condition})")
            )
            raise OpsError(
                f"SLO {slo.name!r} (objective {_number(slo.objective)} %): the "
                f"{pair.severity} alert {pair.long}/{pair.short} at {_short(pair.factor)} times "
                f"the budget of {_percent(slo.budget)} would need more than all events to be "
                f"bad, so it could never fire; lower its factor {where} (docs/slo-alerts.md)",
                path=definition.path,
                line=definition.line,
            )


def generate(project: str, definitions: Sequence[Definition], alert_pairs: Sequence[Pair]) -> str:
    """The rule file (YAML): one group per SLO, in the order of the definitions."""
    chosen = [
        slice_pairs(d.slo, d.pairs if d.pairs is not None else tuple(alert_pairs))
        for d in definitions
    ]
    for definition, pairs_of in zip(definitions, chosen, strict=True):
        check(definition, pairs_of)
    groups = [_group(project, d, p) for d, p in zip(definitions, chosen, strict=True)]
    header = (
        f"# Prometheus rules for the SLOs of project {project}, written by "
        f"`ops slo rules --project {project}`.\n"
        "# Do not edit: change the SLOs (or slo_alerts) in the repository and run it again.\n"
    )
    body = yaml.dump(
        {"groups": groups},
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100_000,
    )
    return header + body


def _group(project: str, definition: Definition, alert_pairs: Sequence[Pair]) -> dict[str, Any]:
    slo = definition.slo
    labels = {"project": project, "slo": slo.name}
    if slo.timeslices is not None:
        rules = _slice_records(slo, labels, windows(alert_pairs))
    else:
        rules = [
            {"record": record_name(w), "expr": error_ratio(slo, w), "labels": dict(labels)}
            for w in windows(alert_pairs)
        ]
    rules += [_alert(project, definition, pair, labels) for pair in alert_pairs]
    for rule in rules:  # never a file that promtool (and Prometheus) would refuse to load
        problem = promql.unbalanced(rule["expr"])
        if problem is not None:
            raise OpsError(
                f"SLO {slo.name!r}: the expression of its rule {rule.get('record', ALERT)} "
                f"would not parse ({problem}): check the brackets and quotes of its queries",
                path=definition.path,
                line=definition.line,
            )
    return {"name": f"ops-slo-{project}-{slo.name}", "rules": rules}


def _slice_records(slo: Slo, labels: dict[str, str], needed: list[str]) -> list[dict[str, Any]]:
    """A Timeslices or RatioTimeslices SLO: its slice indicator recorded at each evaluation (1
    or 0, or the slice's ratio, over the trailing slice; nothing without data), and per window
    (at least a slice: ``slice_pairs``) the share of bad slices: 1 - the average of the
    indicators whose trailing slices lie within the window (the last indicator alone for a
    window of one slice), so that no slice older than the window counts."""
    from checks.slo import timeslices

    assert slo.timeslices is not None
    indicator = f"{timeslices.RECORD}{timeslices.duration(slo.timeslices.seconds)}"
    selector = ",".join(f"{k}={_promql_string(v)}" for k, v in labels.items())
    rules: list[dict[str, Any]] = [
        {"record": indicator, "expr": timeslices.slice_good(slo), "labels": dict(labels)}
    ]
    for w in needed:
        inside = seconds(w) - slo.timeslices.seconds
        series = f"{indicator}{{{selector}}}"
        shown = f"avg_over_time({series}[{timeslices.duration(inside)}])" if inside else series
        rules.append({"record": record_name(w), "expr": f"1 - {shown}", "labels": dict(labels)})
    return rules


def slice_pairs(slo: Slo, alert_pairs: Sequence[Pair]) -> tuple[Pair, ...]:
    """A time-slice SLO's pairs with every window shorter than its slice raised to the slice:
    a shorter window would repeat the last slice's verdict for a whole slice after the burn
    stopped, where a window of one slice clears once a slice without it has passed. Pairs that
    become the same windows and severity are one alert, the lowest factor's (it fires whenever
    the others would)."""
    if slo.timeslices is None:
        return tuple(alert_pairs)
    from checks.slo.timeslices import duration

    size = slo.timeslices.seconds
    out: dict[tuple[str, str, str], Pair] = {}
    for pair in alert_pairs:
        long, short = (duration(max(seconds(w), size)) for w in (pair.long, pair.short))
        key = (pair.severity, long, short)
        if key not in out or pair.factor < out[key].factor:
            out[key] = replace(pair, long=long, short=short)
    return tuple(out.values())


def policy_pairs(conditions: Sequence[Condition]) -> tuple[Pair, ...]:
    """An OpenSLO SLO's alert conditions as pairs: the long window is the lookbackWindow, the
    short one 1/12 of it (the SRE workbook's ratio), the factor the threshold (a burn rate),
    ``for:`` the alertAfter and the severity the condition's. OpsError (at the condition) for
    one ops cannot write as such an alert."""
    from checks.slo.timeslices import duration

    out: list[Pair] = []
    for c in conditions:
        where = f"{c.path}:{c.line}"

        def refuse(message: str, c: Condition = c) -> OpsError:
            return OpsError(
                f"AlertCondition {c.name!r} (AlertPolicy {c.policy!r}): {message}",
                path=c.path,
                line=c.line,
            )

        if c.op not in ("gt", "gte"):
            raise refuse(
                f"op {c.op or '(none)'}: ops slo rules writes alerts that fire while the error "
                "budget burns faster than the threshold (op: gt or gte), not slower"
            )
        if c.threshold <= 0 or not c.severity:
            raise refuse("a burn-rate condition needs a threshold above 0 and a severity")
        long = _openslo_seconds(c.lookback)
        if long is None or long % 12 or long < 12 * 60:
            raise refuse(
                f"lookbackWindow {c.lookback!r}: ops writes it as the long window and 1/12 of "
                "it as the short window (the SRE workbook's ratio), so it is 12m or more in "
                "minutes, hours, days or weeks (such as 1h: 1h and 5m), not months or years"
            )
        after = c.alert_after
        if after is not None and re.fullmatch(r"0[smhdwMQY]", after):
            after = None  # at once, as without it
        if after is not None and _openslo_seconds(after) is None:
            raise refuse(f"alertAfter {after!r}: a duration in seconds to weeks, such as 5m")
        pair = Pair(
            c.severity,
            duration(long),
            duration(long // 12),
            c.threshold.normalize(),
            after,
            ">" if c.op == "gt" else ">=",
            where,
        )
        twin = next(
            (
                p
                for p in out
                if (p.long, p.short, p.severity) == (pair.long, pair.short, pair.severity)
            ),
            None,
        )
        if twin is not None:
            raise refuse(
                f"the lookbackWindow {c.lookback} and severity {c.severity} are also those of "
                f"the condition at {twin.condition}: their alerts would carry the same labels; "
                "give one another window or severity"
            )
        out.append(pair)
    return tuple(out)


def _openslo_seconds(text: str) -> int | None:
    match = re.match(r"^([1-9][0-9]{0,5})([smhdw])$", text or "")
    return int(match[1]) * _UNITS[match[2]] if match else None


def error_ratio(slo: Slo, window: str) -> str:
    """PromQL for the share of bad events over ``window``: bad/total, or (total-good)/total.
    Each query is summed, into one series or by the SLO's ``group_by`` labels (as the weekly
    report reads it), so that both sides of the ratio always carry the same labels. A good
    query that answers nothing (no good event has ever been counted) counts as 0, so that an
    outage from the start still alerts. Each query stands on lines of its own, so that a
    PromQL comment (``# ...``) at its end cannot swallow what follows; its lines are indented,
    unless it holds a raw string (`...`), whose text indenting would change."""
    step = promql.indent_step(slo.total, slo.good, slo.bad)
    by = f"sum by ({', '.join(slo.group_by)}) " if slo.group_by else "sum"

    def summed(query: str) -> str:
        return promql.enclosed(by, query.replace(_PLACEHOLDER, window), step)

    total = summed(slo.total)
    if slo.bad is not None:
        return f"{summed(slo.bad)}\n/\n{total}"
    fallback = f"{summed(slo.good or '')}\nor\n{total} * 0"
    bad = promql.enclosed(f"{total}\n-\n", fallback, step)
    return f"{promql.enclosed('', bad, step)}\n/\n{total}"


def _alert(
    project: str, definition: Definition, pair: Pair, labels: dict[str, str]
) -> dict[str, Any]:
    slo = definition.slo
    budget = _number(slo.budget)
    selector = ",".join(f"{k}={_promql_string(v)}" for k, v in labels.items())
    threshold = f"({_number(pair.factor)} * {budget})"
    expr = (
        f"{record_name(pair.long)}{{{selector}}} {pair.op} {threshold}\n"
        "and\n"
        f"{record_name(pair.short)}{{{selector}}} {pair.op} {threshold}"
    )
    hours = Decimal(WEEK_HOURS) / pair.factor
    lasts = f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"
    annotations = {
        "summary": (
            f"{project} {slo.name}: the error budget burns {_number(pair.factor)} times too fast"
        ),
        "description": (
            f"Over the last {pair.long} and the last {pair.short}, {_burned(slo, pair)}: "
            f"{_number(pair.factor)} times the error budget of {_percent(slo.budget)} of SLO "
            f"{slo.name} (objective {_number(slo.objective)} %). At this rate the week's error "
            f"budget lasts {lasts}.{_slice_note(slo, pair)}"
        ),
    }
    if definition.runbook:
        annotations["runbook_url"] = definition.runbook
    annotations["slo_definition"] = f"{definition.path}:{definition.line}"
    if pair.condition is not None:
        annotations["alert_condition"] = pair.condition
    # Prometheus expands an alert's labels and annotations as Go templates: all are literal.
    alert_labels = {"severity": pair.severity, "long": pair.long, "short": pair.short, **labels}
    return {
        "alert": ALERT,
        "expr": expr,
        **({"for": pair.after} if pair.after else {}),
        "labels": {k: _literal(v) for k, v in alert_labels.items()},
        "annotations": {k: _literal(v) for k, v in annotations.items()},
    }


def _burned(slo: Slo, pair: Pair) -> str:
    """What the alert's expression says, in words: of events, of slices, or of the slices'
    ratios (RatioTimeslices averages them: no slice is good or bad)."""
    share = _percent(pair.factor * slo.budget)
    more = "more than" if pair.op == ">" else "at least"
    if slo.timeslices is None:
        return f"{more} {share} of events were bad"
    if slo.timeslices.method == "RatioTimeslices":
        return f"the slices' good ratios averaged {more} {share} below 100 %"
    return f"{more} {share} of slices were bad"


def _slice_note(slo: Slo, pair: Pair) -> str:
    if slo.timeslices is None:
        return ""
    from checks.slo.timeslices import duration

    size = duration(slo.timeslices.seconds)
    if seconds(pair.short) > slo.timeslices.seconds:
        return f" (Windows are at least one {size} slice.)"
    return (
        f" The short window is one {size} slice (no window is shorter than the SLO's slice): "
        "the alert clears once a slice without the burn has passed."
    )


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _short(value: Decimal) -> str:
    """A number as a message shows it: as written, or in six digits when it is long."""
    text = _number(value)
    return text if len(text) <= 16 else format(value, ".6g")


def _percent(fraction: Decimal) -> str:
    return f"{_number(fraction * 100)} %"


def _literal(text: str) -> str:
    """Text shown as written: Prometheus expands labels and annotations as Go templates, and a
    ``{{`` from the repository must not run one."""
    return text.replace("{{", '{{ "{{" }}')


def _promql_string(text: str) -> str:
    """A PromQL string literal (double-quoted, Go's escapes) holding ``text``."""
    return json.dumps(text, ensure_ascii=False)


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line expressions, so that the file reads like hand-written rules."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
