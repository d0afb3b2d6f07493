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


class Counts(NamedTuple):
    """Good and total events in a window; None: the source had no data."""

    good: float | None
    total: float | None


class Figures(NamedTuple):
    sli: float | None  # percent, rounded down to 4 places
    good: int | float | None
    total: int | float | None
    error_budget_remaining: float | None  # fraction of the window's budget left
    burn_rate: float | None  # 1.0 spends exactly the window's budget
    status: str


def figures(slo: Slo, counts: Counts) -> Figures:
    good, total = (None if v is None or not math.isfinite(v) else v for v in counts)
    if not usable(counts):
        return Figures(None, _number(good), _number(total), None, None, NO_DATA)
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
    )


def bad_events(counts: Counts) -> int | float | None:
    """Total minus good events, exactly; None when the counts give no SLI."""
    if not usable(counts):
        return None
    good, total = (Decimal(repr(float(v or 0.0))) for v in counts)
    return _number(float(total - good))


def budget_share(slo: Slo, bad: float | None, window: Counts) -> float | None:
    """The share of the window's error budget (its events times the budget) that ``bad``
    events spend: 0.25 is a quarter of it. None without bad events or window counts."""
    if bad is None or not math.isfinite(bad) or not usable(window):
        return None
    allowed = Decimal(repr(float(window.total or 0.0))) * slo.budget
    return _round(Decimal(repr(float(bad))) / allowed)


def usable(counts: Counts) -> bool:
    """Counts that give an SLI: finite, some events, 0 <= good <= total."""
    good, total = counts
    if good is None or total is None or not (math.isfinite(good) and math.isfinite(total)):
        return False
    return 0 <= good <= total and total > 0


def summed(counts: Iterable[Counts]) -> Counts:
    """The usable counts added up (an SLO's groups as one); None without any."""
    kept = [c for c in counts if usable(c)]
    if not kept:
        return Counts(None, None)
    return Counts(math.fsum(c.good or 0.0 for c in kept), math.fsum(c.total or 0.0 for c in kept))


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
    """Counts as integers when they are whole (Prometheus answers floats)."""
    if value is None or not math.isfinite(value):
        return None
    if float(value).is_integer():
        return int(value)
    return round(float(value), 3)
