"""The arithmetic of an SLO week. Pure: counts in, figures and a status out.

Statuses are decided on exact numbers (Decimal), never on rounded ones: a week
that misses by a hair is a FAIL, and its SLI is rounded down when shown, so a
FAIL never shows an SLI equal to its objective.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

from checks.slo.model import Slo

PASS, FAIL, NO_DATA = "PASS", "FAIL", "NO_DATA"


COVERAGE = Decimal("0.9")  # of a window's time slices with data, for it to have a verdict


class Counts(NamedTuple):
    """Good and total events in a window; None: the source had no data. An SLO counted by
    time slices also has ``slices``, the window's slices, and ``covered``, those in which its
    series answered (with or without events)."""

    good: float | None
    total: float | None
    covered: int | None = None
    slices: int | None = None


class Figures(NamedTuple):
    sli: float | None  # percent, rounded down to 4 places
    good: int | float | None
    total: int | float | None
    error_budget_remaining: float | None  # fraction of the window's budget left
    burn_rate: float | None  # 1.0 spends exactly the window's budget
    status: str
    covered: int | None = None  # time slices: the window's slices with data (Counts)
    slices: int | None = None


def figures(slo: Slo, counts: Counts) -> Figures:
    good, total = (None if v is None or not math.isfinite(v) else v for v in counts[:2])
    covered, slices = counts.covered, counts.slices
    if not covered_enough(counts):  # good left out: the counts would give a verdict
        return Figures(None, None, _number(total), None, None, NO_DATA, covered, slices)
    if not usable(counts):
        return Figures(None, _number(good), _number(total), None, None, NO_DATA, covered, slices)
    assert good is not None and total is not None
    exact_good, exact_total = Decimal(repr(float(good))), Decimal(repr(float(total)))
    bad_share = (exact_total - exact_good) / exact_total
    burn = bad_share / slo.budget
    status = PASS if exact_good * 100 >= slo.objective * exact_total else FAIL
    sli = (exact_good * 100 / exact_total).quantize(Decimal("0.0001"), rounding=ROUND_FLOOR)
    return Figures(
        float(sli),
        _number(good),
        _number(total),
        _round(1 - burn),
        _round(burn),
        status,
        covered,
        slices,
    )


def bad_events(counts: Counts) -> int | float | None:
    """Total minus good events, exactly; None when the counts give no SLI."""
    if not usable(counts):
        return None
    good, total = (Decimal(repr(float(v or 0.0))) for v in counts[:2])
    return _number(float(total - good))


def budget_share(slo: Slo, bad: float | None, window: Counts) -> float | None:
    """The share of the window's error budget (its events times the budget) that ``bad``
    events spend: 0.25 is a quarter of it. None without bad events or window counts."""
    if bad is None or not math.isfinite(bad) or not usable(window):
        return None
    allowed = Decimal(repr(float(window.total or 0.0))) * slo.budget
    return _round(Decimal(repr(float(bad))) / allowed)


def usable(counts: Counts) -> bool:
    """Counts that give an SLI: finite, some events, 0 <= good <= total, and for time slices
    data in at least COVERAGE of the window's slices."""
    good, total = counts[:2]
    if good is None or total is None or not (math.isfinite(good) and math.isfinite(total)):
        return False
    return 0 <= good <= total and total > 0 and covered_enough(counts)


def covered_enough(counts: Counts | Figures) -> bool:
    """Whether the slices with data are at least COVERAGE of the window's (True for events):
    a silent exporter's few slices are not a week."""
    if counts.slices is None:
        return True
    return Decimal(counts.covered or 0) >= COVERAGE * counts.slices


def missing(counts: Counts | Figures) -> int | None:
    """The window's time slices without data (None: counted by events)."""
    if counts.slices is None:
        return None
    return counts.slices - (counts.covered or 0)


def summed(counts: Iterable[Counts]) -> Counts:
    """The usable counts added up (an SLO's groups as one); None without any."""
    kept = [c for c in counts if usable(c)]
    if not kept:
        return Counts(None, None)
    sliced = all(c.slices is not None for c in kept)
    return Counts(
        math.fsum(c.good or 0.0 for c in kept),
        math.fsum(c.total or 0.0 for c in kept),
        sum(c.covered or 0 for c in kept) if sliced else None,
        sum(c.slices or 0 for c in kept) if sliced else None,
    )


def overall(statuses: list[str]) -> str:
    """FAIL if any SLO (or group) failed; PASS only if every one passed; otherwise NO_DATA."""
    if FAIL in statuses:
        return FAIL
    if statuses and all(s == PASS for s in statuses):
        return PASS
    return NO_DATA


def _round(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))


def _number(value: float | None) -> int | float | None:
    """Counts as integers when they are whole (Prometheus answers floats), else as they are:
    the report keeps every place, so that what ``ops validate`` recomputes from its front
    matter is what decided the status (the body rounds them for display)."""
    if value is None or not math.isfinite(value):
        return None
    if float(value).is_integer():
        return int(value)
    return float(value)
