"""An SLO report agrees with itself. Pure: a report's data in, (path, message) pairs out.

``ops slo`` writes the report from good and total events; everything else follows from them
(checks.slo.compute) or from the week. A report whose window is not its week's, whose figures or
statuses do not follow from its counts, or that was generated before its week ended, was edited
by hand or copied from another week: the exit criteria would count it as it claims.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from checks import markdown
from checks.dates import parse_instant, week_from
from checks.slo.compute import Counts, figures, overall
from checks.slo.model import Slo

Path = tuple[str | int, ...]
DERIVED = ("sli", "error_budget_remaining", "burn_rate", "status")


def check(data: dict[str, Any]) -> list[tuple[Path, str]]:
    return [*_window(data), *_figures(data)]


# --- the body people read agrees with the front matter machines read ---------------------------

_VERDICT = re.compile(r"\*\*(PASS|FAIL|NO_DATA)\*\*")
BY_HAND = "write the report with ops slo, not by hand"


def check_body(
    data: dict[str, Any], body: str, outline: list[markdown.Line] | None = None
) -> list[tuple[int, str]]:
    """(0-based body line, message) where the Summary's verdict or a row of the SLOs table says
    otherwise than the front matter: a report edited on one side only shows reviewers one
    verdict and the exit criteria another. ``outline``: the body's, when read already."""
    entries, status = data.get("slos"), data.get("status")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return []  # the schema reports it
    lines = outline if outline is not None else markdown.outline(body)
    sections = {s.name: s for s in markdown.sections(lines) if s.level == 2}
    source = markdown.source_lines(body)
    out = []
    summary = sections.get("Summary")
    first = next((x for x in summary.lines if x.kind == markdown.TEXT), None) if summary else None
    if first is not None and isinstance(status, str):
        said = _VERDICT.match(source[first.number].strip())
        if said is None or said.group(1) != status:
            shown = said.group(1) if said else "no verdict"
            out.append(
                (
                    first.number,
                    f"the Summary says {shown}, the front matter {status}: the Summary begins "
                    f"with the week's status (**{status}**); {BY_HAND}",
                )
            )
    table = sections.get("SLOs")
    if table is not None and entries:
        out += _table(table, source, entries)
    return out


def _table(
    section: markdown.Section, source: list[str], entries: list[dict[str, Any]]
) -> list[tuple[int, str]]:
    rows = [
        x.number
        for x in section.lines
        if x.kind == markdown.TEXT and source[x.number].lstrip().startswith("|")
    ][2:]  # after the header and the delimiter row
    if len(rows) != len(entries):
        return [
            (
                section.line,
                f"the SLOs table has {len(rows)} row{'s' if len(rows) != 1 else ''}, the front "
                f"matter {len(entries)} SLO{'s' if len(entries) != 1 else ''}; {BY_HAND}",
            )
        ]
    out = []
    for number, entry in zip(rows, entries, strict=True):
        cells = [c.strip() for c in source[number].strip().strip("|").split("|")]
        name, objective, status = (
            cells[0],
            _percent(cells[1] if len(cells) > 1 else ""),
            (cells[-1].split()[-1] if cells[-1] else ""),
        )
        want = (entry.get("name"), _decimal(entry.get("objective")), entry.get("status"))
        if (name, objective, status) != want:
            out.append(
                (
                    number,
                    f"the SLOs table says {name} {_shown(objective)} % {status}, the front "
                    f"matter {want[0]} {_shown(want[1])} % {want[2]}; {BY_HAND}",
                )
            )
    return out


def _percent(cell: str) -> Decimal | None:
    return _decimal(cell.removesuffix("%").strip())


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _shown(value: Decimal | None) -> str:
    return "?" if value is None else f"{value.normalize():f}"


def _window(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    week = week_from(data.get("week"))
    if week is None:
        return
    for key, expected in (("start", week.start), ("end", week.end)):
        value = parse_instant(data.get(key))
        if value is not None and value != expected:
            shown = expected.strftime("%Y-%m-%dT%H:%M:%SZ")
            yield (key,), f"{data[key]} is not the {key} of {week.label} ({shown}); fix it"
    generated = parse_instant(data.get("generated_at"))
    if generated is not None and generated < week.end:
        yield (
            ("generated_at",),
            f"{data['generated_at']} is before {week.label} ended: a week is reported once it "
            "is over",
        )


def _figures(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    entries = data.get("slos")
    if not isinstance(entries, list):
        return
    statuses = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            return
        expected = _expected(entry)
        if expected is None:
            return  # the schema reports what is missing
        statuses.append(expected["status"])
        for key in DERIVED:
            value = entry.get(key)
            if isinstance(value, float) and not math.isfinite(value):
                continue  # the schema says so
            if value != expected[key]:
                yield (
                    ("slos", index, key),
                    f"{value!r} does not follow from good {entry.get('good')!r} and "
                    f"total {entry.get('total')!r} (objective {entry.get('objective')!r}): it "
                    f"is {expected[key]!r}; write the report with ops slo, not by hand",
                )
    if statuses and data.get("status") != overall(statuses):
        yield (
            ("status",),
            f"{data.get('status')!r} does not follow from its SLOs' statuses: it is "
            f"{overall(statuses)!r} (FAIL if one failed, PASS only if all passed)",
        )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _expected(entry: dict[str, Any]) -> dict[str, Any] | None:
    good, total, objective = entry.get("good"), entry.get("total"), entry.get("objective")
    if not all(v is None or _number(v) for v in (good, total)) or not _number(objective):
        return None
    try:
        slo = Slo(str(entry.get("name")), Decimal(str(objective)), total="", good="")
    except InvalidOperation:
        return None
    result = figures(slo, Counts(good, total))
    return {key: getattr(result, key) for key in DERIVED}
