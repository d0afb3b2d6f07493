"""SLO definitions (from project.yaml); weeks and windows are checks.dates's."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from checks.dates import DAY

_ROLLING = re.compile(r"^([1-9][0-9]{0,3})([dw])$")
MIN_DAYS, MAX_DAYS = 7, 400  # a window holds the week; beyond a year, a query reads too much


@dataclass(frozen=True)
class TimeWindow:
    """The window an SLO's error budget is counted over, beside the weekly verdict: rolling
    (``rolling``: 28d, 4w, ending at the week's end) or the calendar month (``calendar``:
    month, UTC) in which the week's last day falls, up to the week's end."""

    rolling: str | None = None
    calendar: str | None = None

    @property
    def days(self) -> int | None:
        """A rolling window's length in days (None for a calendar month)."""
        return rolling_days(self.rolling) if self.rolling else None

    def span(self, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """The window [start, end) that ends at ``end`` (a week's end, Monday 00:00 UTC)."""
        if self.rolling is not None:
            days = self.days
            if days is None:  # the schema and checks.slo.openslo let none through
                raise ValueError(f"not a rolling window of 7 to 400 days: {self.rolling!r}")
            return end - days * DAY, end
        last = (end - DAY).astimezone(dt.UTC)
        return dt.datetime(last.year, last.month, 1, tzinfo=dt.UTC), end

    @property
    def text(self) -> str:
        """``the last 28 days``, ``the calendar month``: as the report's sentences say it."""
        days = self.days
        return f"the last {days} days" if days is not None else "the calendar month"


def rolling_days(text: str) -> int | None:
    """``28d`` or ``4w`` in days; None when it is not such a duration of 7 to 400 days."""
    match = _ROLLING.match(text)
    if match is None:
        return None
    days = int(match[1]) * (7 if match[2] == "w" else 1)
    return days if MIN_DAYS <= days <= MAX_DAYS else None


@dataclass(frozen=True)
class Timeslices:
    """How an OpenSLO SLO with ``budgetingMethod`` Timeslices or RatioTimeslices is counted
    (checks.slo.timeslices): the week cut into slices of ``seconds``, each slice's value (the
    SLO's ratio, raw ratio or threshold metric over the slice) either compared (``op`` against
    ``threshold``: good slices over slices with data) or averaged (``threshold`` None)."""

    method: str  # Timeslices or RatioTimeslices
    metric: str  # ratio (good/bad over total), raw (Slo.total is the ratio) or threshold
    seconds: int  # the slice's length
    op: str = "gte"  # lt, lte, gt or gte: how a slice's value is compared with threshold
    threshold: Decimal | None = None  # timeSliceTarget or the thresholdMetric's value
    failure: bool = False  # a raw ratio of failures (rawType: failure): 1 - raw is the ratio


@dataclass(frozen=True)
class Slo:
    """One SLO. ``good``, ``bad`` and ``total`` are PromQL with a ``{{window}}`` placeholder
    (exactly one of ``good`` and ``bad`` is set). With ``group_by`` (label names), each query
    answers one series per group and the SLO has one SLI per group (checks.slo.groups)."""

    name: str
    objective: Decimal  # percent, 0 < objective < 100
    total: str
    good: str | None = None
    bad: str | None = None
    description: str | None = None
    group_by: tuple[str, ...] = ()
    time_window: TimeWindow | None = None  # None: the weekly report only, as without it
    method: str | None = None  # how spec-style OpenSLO queries were rewritten (checks.slo.promql)
    # Timeslices or RatioTimeslices (OpenSLO): ``total`` (and ``good`` or ``bad`` for a ratio)
    # hold the queries of one slice, {{window}} the slice; None: events are counted
    timeslices: Timeslices | None = None
    # where an OpenSLO SLO is defined (file, line), for messages; not part of its definition
    origin: tuple[str, int] | None = field(default=None, compare=False)

    @property
    def budget(self) -> Decimal:
        """The share of events allowed to be bad (0.001 for 99.9 %)."""
        return (100 - self.objective) / 100


def slos(project_data: dict[str, Any]) -> list[Slo]:
    """The project's SLOs (project.yaml has passed its schema)."""
    return [_slo(entry) for entry in project_data.get("slos", [])]


def _slo(entry: dict[str, Any]) -> Slo:
    objective = Decimal(str(entry["objective"]))
    description = entry.get("description")
    group_by = tuple(entry.get("group_by", ()))
    window = entry.get("time_window")
    time_window = TimeWindow(window.get("rolling"), window.get("calendar")) if window else None
    sli = entry["sli"]
    if "ratio" in sli:
        ratio = sli["ratio"]
        return Slo(
            entry["name"],
            objective,
            ratio["total"],
            ratio.get("good"),
            ratio.get("bad"),
            description,
            group_by,
            time_window,
        )
    latency = sli["latency"]
    histogram, selector = latency["histogram"], latency.get("selector", "")
    return Slo(
        entry["name"],
        objective,
        histogram_query(histogram, selector, "+Inf", group_by),
        histogram_query(histogram, selector, latency["threshold"], group_by),
        None,
        description,
        group_by,
        time_window,
    )


def histogram_query(histogram: str, selector: str, le: str, by: tuple[str, ...] = ()) -> str:
    """Events in the histogram's bucket ``le`` over the window (``le="+Inf"``: all events),
    summed by the ``by`` labels (one series per group) or into one series.

    ``le`` is compared as a string, exactly as Prometheus exposes it ("0.5", not "0.50").
    """
    labels = selector.strip()
    labels = labels[1:-1].strip() if labels.startswith("{") and labels.endswith("}") else labels
    matchers = ", ".join(part for part in (labels, f'le="{le}"') if part)
    grouping = f" by ({', '.join(by)}) " if by else ""
    return f"sum{grouping}(increase({histogram}{{{matchers}}}[{{{{window}}}}]))"


def prometheus_duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds}s"
