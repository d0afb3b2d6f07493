"""The error budget over an SLO's time window, beside the weekly verdict. Pure: counts in.

An SLO with a ``time_window`` is measured over two more windows than the week and its days:
the time window that ends at the week's end (TimeWindow.span: rolling N days, or the calendar
month of the week's last day up to the week's end), and that window's first day. A window whose
first day has no data is no data (NO_DATA): the source does not reach back that far (a
Prometheus with a shorter retention, an export that starts later), and its counts would be a
part passed off as the whole. The week's burn is the week's bad events inside the window (the
whole week, or for a calendar month that began during the week, its days from the 1st) over
the window's budget: the window's events times the SLO's budget share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from checks.dates import DAY, Week
from checks.slo import compute
from checks.slo.compute import Counts, Figures
from checks.slo.model import Slo, TimeWindow

EXTRA = 2  # windows measured beyond the week and its days: the time window, its first day


class Budget(NamedTuple):
    """The figures over the time window [start, end) of an SLO (or one group of it)."""

    window: TimeWindow
    start: dt.datetime
    end: dt.datetime
    figures: Figures  # the window's counts, SLI and error_budget_remaining
    week_bad: int | float | None  # the week's bad events inside the window
    week_burned: float | None  # their share of the window's budget


def windows(slo: Slo, week: Week) -> list[tuple[dt.datetime, dt.datetime]]:
    """The windows to measure beyond the week and its days: none without a time window."""
    if slo.time_window is None:
        return []
    start, end = slo.time_window.span(week.end)
    return [(start, end), (start, start + DAY)]


def budget(slo: Slo, week: Week, counts: Sequence[Counts]) -> Budget | None:
    """The SLO's (or a group's) budget over its time window from its counts in the week, its
    seven days and the two windows of ``windows`` (in that order); None without a window."""
    if slo.time_window is None:
        return None
    start, end = slo.time_window.span(week.end)
    week_counts, days, (window, first) = counts[0], counts[1:8], counts[8:10]
    # the source does not reach back to the window's start (or_vector(0) too); time slices:
    # the window's own coverage decides, whatever the first day's
    if not compute.usable(first._replace(slices=None)):
        window = Counts(None, None)
    if start > week.start:  # a calendar month that began during the week: its days only
        inside = [c for (day, _), c in zip(week.days(), days, strict=True) if day >= start]
        week_counts = compute.summed(inside)
    bad = compute.bad_events(week_counts)
    return Budget(
        slo.time_window,
        start,
        end,
        compute.figures(slo, window),
        bad,
        compute.budget_share(slo, bad, window),
    )
