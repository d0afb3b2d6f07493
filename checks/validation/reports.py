"""An SLO report agrees with itself. Pure: a report's data in, (path, message) pairs out.

``ops slo`` writes the report from good and total events; everything else follows from them
(checks.slo.compute) or from the week. A report whose window is not its week's, whose figures or
statuses do not follow from its counts, or that was generated before its week ended, was edited
by hand or copied from another week: the exit criteria would count it as it claims.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from checks.dates import parse_instant, week_from
from checks.slo.compute import Counts, figures, overall
from checks.slo.model import Slo

Path = tuple[str | int, ...]
DERIVED = ("sli", "error_budget_remaining", "burn_rate", "status")


def check(data: dict[str, Any]) -> list[tuple[Path, str]]:
    return [*_window(data), *_figures(data)]


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
