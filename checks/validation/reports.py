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
from checks.slo.compute import Counts, budget_share, figures, overall
from checks.slo.model import MAX_DAYS, MIN_DAYS, Slo, TimeWindow

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
    tables = _tables(section, source)
    rows = tables[0][1] if tables and tables[0][0] is None else []
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
        cells = _cells(source[number])
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
    grouped = [e for e in entries if isinstance(e.get("groups"), list) and e["groups"]]
    later = [t for t in tables[1:] if t[0] is not None]
    if len(later) != len(grouped):
        return [
            *out,
            (
                section.line,
                f"the SLOs section has {len(later)} table{'s' if len(later) != 1 else ''} of "
                f"groups, the front matter {len(grouped)} SLO{'s' if len(grouped) != 1 else ''} "
                f"with groups; {BY_HAND}",
            ),
        ]
    for (heading, group_rows), entry in zip(later, grouped, strict=True):
        out += _group_rows(heading or section.line, group_rows, source, entry)
    return out


def _group_rows(
    heading: int, rows: list[int], source: list[str], entry: dict[str, Any]
) -> list[tuple[int, str]]:
    """The table of an SLO's groups says what its front matter says, group by group."""
    from checks.slo.render import group_cells

    groups, by = entry["groups"], entry.get("group_by")
    if not isinstance(by, list) or not all(isinstance(g, dict) for g in groups):
        return []  # the schema reports it
    if len(rows) != len(groups):
        return [
            (
                heading,
                f"the table of {entry.get('name')}'s groups has {len(rows)} row"
                f"{'s' if len(rows) != 1 else ''}, the front matter {len(groups)} group"
                f"{'s' if len(groups) != 1 else ''}; {BY_HAND}",
            )
        ]
    out = []
    for number, group in zip(rows, groups, strict=True):
        labels = group.get("labels")
        if not isinstance(labels, dict):
            continue
        cells = _cells(source[number])
        values = [str(labels.get(name, "")) for name in by]
        said = (cells[: len(by)], cells[-1].split()[-1] if cells[-1] else "")
        want = (group_cells(values), group.get("status"))
        if said != want:
            out.append(
                (
                    number,
                    f"the table of {entry.get('name')}'s groups says {' '.join(said[0])} "
                    f"{said[1]}, the front matter {' '.join(want[0])} {want[1]}; {BY_HAND}",
                )
            )
    return out


def _tables(section: markdown.Section, source: list[str]) -> list[tuple[int | None, list[int]]]:
    """The section's tables, in order: the line of the ``###`` heading above each (None for
    one above any) and its rows after the header and the delimiter row."""
    out: list[tuple[int | None, list[int]]] = []
    heading: int | None = None
    previous = -2
    for line in section.lines:
        if line.kind == markdown.HEADING:
            heading = line.number
        elif line.kind == markdown.TEXT and source[line.number].lstrip().startswith("|"):
            if line.number != previous + 1 or not out:
                out.append((heading, []))
            out[-1][1].append(line.number)
            previous = line.number
    return [(heading, rows[2:]) for heading, rows in out]


def _cells(row: str) -> list[str]:
    """A table row's cells (``\\|`` is a ``|`` inside a cell, as GitHub reads it)."""
    text = row.strip().removeprefix("|")
    text = text[:-1] if text.endswith("|") and not text.endswith("\\|") else text
    cells: list[str] = []
    cell: list[str] = []
    escaped = False
    for char in text:
        if char == "|" and not escaped:
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(char)
        escaped = char == "\\" and not escaped
    cells.append("".join(cell).strip())
    return cells


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
        groups = entry.get("groups")
        if isinstance(groups, list):
            found = list(_groups(data, entry, groups, ("slos", index)))
            yield from found
            if found or not all(isinstance(g, dict) for g in groups):
                return
            expected["status"] = overall([g["status"] for g in groups])
            yield from _summed(entry, groups, ("slos", index))
        statuses.append(expected["status"])
        yield from _derived(entry, expected, ("slos", index))
        yield from _budget_window(data, entry, ("slos", index))
    if statuses and data.get("status") != overall(statuses):
        yield (
            ("status",),
            f"{data.get('status')!r} does not follow from its SLOs' statuses: it is "
            f"{overall(statuses)!r} (FAIL if one failed, PASS only if all passed)",
        )


def _derived(
    entry: dict[str, Any], expected: dict[str, Any], where: Path
) -> Iterator[tuple[Path, str]]:
    for key in DERIVED:
        value = entry.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            continue  # the schema says so
        if value != expected[key]:
            because = (
                "its groups' statuses"
                if key == "status" and "groups" in entry
                else f"good {entry.get('good')!r} and total {entry.get('total')!r}"
            )
            yield (
                (*where, key),
                f"{value!r} does not follow from {because} (objective "
                f"{entry.get('objective')!r}): it is {expected[key]!r}; {BY_HAND}",
            )


def _groups(
    data: dict[str, Any], entry: dict[str, Any], groups: list[Any], where: Path
) -> Iterator[tuple[Path, str]]:
    """Each group of an SLO with group_by: labels that are its group_by's, once each, and
    figures that follow from its counts."""
    by = entry.get("group_by")
    names = sorted(by) if isinstance(by, list) else None
    seen: set[tuple[tuple[str, Any], ...]] = set()
    for index, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("labels"), dict):
            return  # the schema reports it
        labels = group["labels"]
        here = (*where, "groups", index)
        if names is not None and sorted(labels) != names:
            yield (
                (*here, "labels"),
                f"the labels {', '.join(sorted(map(str, labels))) or '(none)'} are not "
                f"group_by's ({', '.join(names)}); {BY_HAND}",
            )
        key = tuple(sorted(labels.items()))
        if key in seen:
            yield ((*here, "labels"), f"the group {dict(key)!r} is listed twice; {BY_HAND}")
        seen.add(key)
        expected = _expected({**group, "objective": entry.get("objective")})
        if expected is not None:
            yield from _derived({**group, "objective": entry.get("objective")}, expected, here)
        yield from _budget_window(data, {**group, "objective": entry.get("objective")}, here)


def _budget_window(
    data: dict[str, Any], entry: dict[str, Any], where: Path
) -> Iterator[tuple[Path, str]]:
    """An SLO's (or group's) budget_window: the window its time window gives at the week's
    end, and figures that follow from its counts and the week's bad events."""
    window = entry.get("budget_window")
    week = week_from(data.get("week"))
    if not isinstance(window, dict) or week is None:
        return
    here = (*where, "budget_window")
    rolling, calendar = window.get("rolling"), window.get("calendar")
    kind = TimeWindow(rolling if isinstance(rolling, str) else None, calendar)
    if kind.rolling is not None and kind.days is None:
        yield (*here, "rolling"), f"{rolling!r} is not a window of {MIN_DAYS} to {MAX_DAYS} days"
        return
    start, end = kind.span(week.end)
    for key, want in (("start", start), ("end", end)):
        got = parse_instant(window.get(key))
        if got is not None and got != want:
            shown = want.strftime("%Y-%m-%dT%H:%M:%SZ")
            yield (
                (*here, key),
                f"{window[key]} is not the {key} of {kind.text} ending with {week.label} "
                f"({shown}); {BY_HAND}",
            )
    expected = _expected({**window, "name": entry.get("name"), "objective": entry.get("objective")})
    if expected is None:
        return  # the schema reports it
    for key in ("sli", "error_budget_remaining"):
        if window.get(key) != expected[key]:
            yield (
                (*here, key),
                f"{window.get(key)!r} does not follow from the window's good "
                f"{window.get('good')!r} and total {window.get('total')!r} (objective "
                f"{entry.get('objective')!r}): it is {expected[key]!r}; {BY_HAND}",
            )
    yield from _week_burn(entry, window, start > week.start, here)


def _week_burn(
    entry: dict[str, Any], window: dict[str, Any], partial: bool, here: Path
) -> Iterator[tuple[Path, str]]:
    """week_bad is the week's total less good (unless the window began during the week), and
    week_burned its share of the window's budget."""
    bad: Any = window.get("week_bad")
    good: Any = entry.get("good")
    total: Any = entry.get("total")
    whole = not partial and _number(good) and _number(total) and _number(bad)
    if whole and not math.isclose(bad, total - good, rel_tol=1e-9, abs_tol=0.001):
        yield (
            (*here, "week_bad"),
            f"{bad!r} is not the week's bad events (total {total!r} less good {good!r}): "
            f"{_count(float(total - good))}; {BY_HAND}",
        )
    if (bad is not None and not _number(bad)) or not _number(entry.get("objective")):
        return
    try:
        slo = Slo("", Decimal(str(entry["objective"])), total="", good="")
    except InvalidOperation:
        return
    counts = Counts(window.get("good"), window.get("total"))
    if not all(v is None or _number(v) for v in counts):
        return
    want = budget_share(slo, bad, counts)
    if window.get("week_burned") != want:
        yield (
            (*here, "week_burned"),
            f"{window.get('week_burned')!r} does not follow from week_bad {bad!r} and the "
            f"window's total {window.get('total')!r} (objective {entry.get('objective')!r}): "
            f"it is {want!r}; {BY_HAND}",
        )


def _summed(
    entry: dict[str, Any], groups: list[dict[str, Any]], where: Path
) -> Iterator[tuple[Path, str]]:
    """An SLO's good and total are its groups' with data, added up."""
    kept = [g for g in groups if g.get("status") != "NO_DATA"]
    for key in ("good", "total"):
        values: list[Any] = [g.get(key) for g in kept]
        if not all(_number(v) for v in values):
            return
        want = math.fsum(values) if kept else None
        got: Any = entry.get(key)
        close = (
            got is None
            if want is None
            else _number(got) and math.isclose(got, want, rel_tol=1e-9, abs_tol=0.001 * len(kept))
        )
        if not close:
            yield (
                (*where, key),
                f"{got!r} is not its groups' {key} added up (those with data): "
                f"{_count(want)}; {BY_HAND}",
            )


def _count(value: float | None) -> str:
    if value is None:
        return "null"
    return str(int(value)) if value.is_integer() else repr(round(value, 3))


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
    slices, covered = entry.get("slices"), entry.get("covered")
    sliced = isinstance(slices, int) and isinstance(covered, int)  # the schema says which
    counts = Counts(good, total, covered if sliced else None, slices if sliced else None)
    result = figures(slo, counts)
    return {key: getattr(result, key) for key in DERIVED}
