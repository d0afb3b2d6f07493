"""Dates, instants, ISO weeks and business days: the one place that reads and counts them.

- A date is ``YYYY-MM-DD``, a real calendar day between 1900 and 2999 (what an operations
  record can mean; it also keeps every sum of days and weeks inside the calendar).
- An instant is RFC 3339 (``2026-11-23T06:00:00Z``). A leap second (``23:59:60``), which RFC 3339
  allows, is read as the first second after it, so that it is valid where it is judged valid and
  every rule judges it.
- A week is an ISO week (``2026-W47``): Monday 00:00 UTC to the next Monday.

The JSON Schema formats ``date`` and ``date-time`` (:mod:`checks.formats`) call these parsers:
a value is valid exactly when the rules can read it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import re
from dataclasses import dataclass

from checks.errors import OpsError

UTC = dt.UTC
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
FIRST_YEAR, LAST_YEAR = 1900, 2999


# --- dates and instants -----------------------------------------------------------------------


def parse_date(value: object) -> dt.date | None:
    """A ``YYYY-MM-DD`` calendar date, or None."""
    return _date(value) if isinstance(value, str) else None


def parse_instant(value: object) -> dt.datetime | None:
    """An RFC 3339 instant in UTC, or None. ``:60`` (a leap second) is the next second."""
    return _instant(value) if isinstance(value, str) else None


# The same dates and instants come back across a project's records (and every check of a
# record reads them more than once): each text is parsed once. The results are immutable.
@functools.lru_cache(maxsize=65536)
def _date(value: str) -> dt.date | None:
    if not _DATE.fullmatch(value):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


@functools.lru_cache(maxsize=65536)
def _instant(value: str) -> dt.datetime | None:
    m = _INSTANT.fullmatch(value)
    if m is None:
        return None
    day = parse_date(m[1])
    hour, minute, second = int(m[2]), int(m[3]), int(m[4])
    if day is None or hour > 23 or minute > 59 or second > 60:
        return None
    if m[6] is None:
        off_hours, off_minutes = int(m[8]), int(m[9])
        if off_hours > 23 or off_minutes > 59:
            return None
        offset = dt.timedelta(hours=off_hours, minutes=off_minutes) * (-1 if m[7] == "-" else 1)
    else:
        offset = dt.timedelta(0)
    micro = int((m[5] or "0")[:6].ljust(6, "0"))
    try:
        local = dt.datetime(day.year, day.month, day.day, hour, minute, min(second, 59), micro)
        moment = (local - offset).replace(tzinfo=UTC)
        return moment + dt.timedelta(seconds=1) if second == 60 else moment
    except OverflowError:  # an offset or a leap second that leaves the calendar
        return None


def local_date(value: object, zone: dt.tzinfo) -> dt.date | None:
    """The date in ``zone`` (the team's) of an instant, or None."""
    moment = parse_instant(value)
    return moment.astimezone(zone).date() if moment is not None else None


def as_date(value: object) -> dt.date | None:
    """A date, or the UTC date of an instant; None for anything else."""
    if isinstance(value, str) and len(value) == 10:
        return parse_date(value)
    moment = parse_instant(value)
    return moment.date() if moment is not None else None


def is_date(value: object) -> bool:
    return parse_date(value) is not None


def is_instant(value: object) -> bool:
    return parse_instant(value) is not None


def end_of(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` (UTC): anything before it happened on or before the day."""
    return dt.datetime.combine(day, dt.time(), UTC) + DAY


def latest_local_date(day: dt.date, zone: dt.tzinfo) -> dt.date:
    """The latest calendar date anywhere in ``zone`` while it is still ``day`` in UTC: a team
    east of Greenwich writes tomorrow's date before UTC gets there."""
    return (end_of(day) - dt.timedelta(microseconds=1)).astimezone(zone).date()


def add_business_days(day: dt.date, count: int) -> dt.date:
    """``count`` working days after ``day`` (Saturdays and Sundays skipped)."""
    while count > 0:
        day += DAY
        if day.weekday() < 5:
            count -= 1
    return day


def business_day_before(day: dt.date) -> dt.date:
    """The working day before ``day`` (a Monday's is the Friday before)."""
    before = day - DAY
    while before.weekday() >= 5:
        before -= DAY
    return before


def instant_seconds(text: str) -> float:
    """Unix seconds of a timestamp in a metrics export (ValueError otherwise): ISO 8601 with an
    offset, as exporters write it, read by Python's C parser for the millions of rows of an
    export. Not for records: their instants are :func:`parse_instant`'s."""
    moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment.timestamp()


# --- ISO weeks --------------------------------------------------------------------------------


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


def week_from(text: object) -> Week | None:
    """``2026-W47`` as a Week (one whose next week can be named too), or None."""
    match = _WEEK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    try:
        week = Week(int(match[1]), int(match[2]))
        return week if week.start.year >= FIRST_YEAR and week.end.year <= LAST_YEAR else None
    except (ValueError, OverflowError):
        return None


def parse_week(text: str) -> Week:
    week = week_from(text)
    if week is None:
        raise OpsError(
            f"{text!r} is not an ISO week such as 2026-W47 (that year's weeks, 01 to 52/53)"
        )
    return week


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


def last_complete_week(now: dt.datetime | dt.date) -> Week:
    """The newest ISO week that has ended by ``now`` (a date means its midnight, UTC)."""
    if not isinstance(now, dt.datetime):
        now = dt.datetime.combine(now, dt.time(), UTC)
    try:
        return week_of(now - WEEK)
    except OverflowError:
        raise OpsError(f"no ISO week has ended by {now.date()}; check the date") from None


def weeks_before(last: Week, count: int) -> list[Week]:
    """``count`` consecutive weeks ending with ``last``, oldest first."""
    weeks = [last]
    while len(weeks) < count:
        weeks.insert(0, week_of(weeks[0].start - WEEK))
    return weeks


# --- the command line -------------------------------------------------------------------------


def option_date(value: str, option: str = "--as-of") -> dt.date:
    day = parse_date(value)
    if day is None:
        raise OpsError(
            f"{option} {value!r} is not a valid date; write it YYYY-MM-DD (between "
            f"{FIRST_YEAR} and {LAST_YEAR})"
        )
    return day


def today_utc() -> dt.date:
    return dt.datetime.now(UTC).date()


def add_as_of(parser: argparse.ArgumentParser, what: str = "judge as of this date") -> None:
    """The --as-of option every command that judges or dates something takes."""
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help=f"{what} (default: today, UTC)")


def as_of(args: argparse.Namespace) -> dt.date:
    """--as-of, or today in UTC: the only place a command reads the clock for it."""
    return option_date(args.as_of) if args.as_of else today_utc()
