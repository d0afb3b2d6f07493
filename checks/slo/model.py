"""SLO definitions (from project.yaml) and the windows they are measured over."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from checks.errors import OpsError

UTC = dt.UTC
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
_WEEK = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True)
class Slo:
    """One SLO. ``good``, ``bad`` and ``total`` are PromQL with a ``{{window}}`` placeholder
    (exactly one of ``good`` and ``bad`` is set)."""

    name: str
    objective: Decimal  # percent, 0 < objective < 100
    total: str
    good: str | None = None
    bad: str | None = None
    description: str | None = None

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
        )
    latency = sli["latency"]
    return Slo(
        entry["name"],
        objective,
        histogram_query(latency["histogram"], latency.get("selector", ""), "+Inf"),
        histogram_query(latency["histogram"], latency.get("selector", ""), latency["threshold"]),
        None,
        description,
    )


def histogram_query(histogram: str, selector: str, le: str) -> str:
    """Events in the histogram's bucket ``le`` over the window (``le="+Inf"``: all events).

    ``le`` is compared as a string, exactly as Prometheus exposes it ("0.5", not "0.50").
    """
    labels = selector.strip()
    labels = labels[1:-1].strip() if labels.startswith("{") and labels.endswith("}") else labels
    matchers = ", ".join(part for part in (labels, f'le="{le}"') if part)
    return f"sum(increase({histogram}{{{matchers}}}[{{{{window}}}}]))"


# --- windows ---------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def start(self) -> dt.datetime:
        """Monday 00:00 UTC."""
        day = dt.date.fromisocalendar(self.year, self.number, 1)
        return dt.datetime.combine(day, dt.time(), UTC)

    @property
    def end(self) -> dt.datetime:
        """The next Monday 00:00 UTC (the window is [start, end))."""
        return self.start + WEEK

    def days(self) -> list[tuple[dt.datetime, dt.datetime]]:
        return [(self.start + i * DAY, self.start + (i + 1) * DAY) for i in range(7)]

    def next(self) -> Week:
        return week_of(self.end)


def week_of(moment: dt.datetime | dt.date) -> Week:
    year, number, _ = moment.isocalendar()
    return Week(year, number)


def parse_week(text: str) -> Week:
    match = _WEEK.fullmatch(text)
    if match:
        try:
            week = Week(int(match[1]), int(match[2]))
            if week.end.year <= 9999:  # and the week after it can be named too
                return week
        except (ValueError, OverflowError):
            pass
    raise OpsError(f"{text!r} is not an ISO week such as 2026-W47 (that year's weeks, 01 to 52/53)")


def parse_weeks(text: str) -> list[Week]:
    """``2026-W40..2026-W47`` (inclusive), or one week."""
    first, sep, last = text.partition("..")
    if not sep:
        return [parse_week(text)]
    start, end = parse_week(first), parse_week(last)
    if end < start:
        raise OpsError(f"--weeks {text}: the first week comes after the last")
    weeks = [start]
    while weeks[-1] < end:
        weeks.append(weeks[-1].next())
    if len(weeks) > 520:
        raise OpsError(f"--weeks {text}: more than ten years of weeks; ask for fewer")
    return weeks


def last_complete_week(now: dt.datetime) -> Week:
    """The newest ISO week that has ended by ``now``."""
    try:
        return week_of(now - WEEK)
    except OverflowError:
        raise OpsError(f"no ISO week has ended by {now.date()}; check the date") from None


def prometheus_duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds}s"
