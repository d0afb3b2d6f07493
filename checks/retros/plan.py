"""Which meetings the calendar holds. Pure: settings and records in, meetings out.

Retros follow ``retros:`` in project.yaml: every N weeks on a weekday at a local time in the
project's time zone, from ``first``. Each retro looks back on the days since the one before
and is facilitated by whoever was on call (``oncall:``) for most of those days. Each incident
that needs a postmortem and has none gets a review meeting on the business day before the
postmortem is due.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from checks.dates import business_day_before, parse_date
from checks.rules import facts
from checks.rules.records import Records
from checks.rules.settings import Settings

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
REVIEW_MINUTES = 60


class Meeting(NamedTuple):
    key: str  # stable: the UID is made from the project and this
    kind: str  # "retro" or "postmortem-review"
    day: dt.date  # local
    start: dt.datetime  # aware, in the project's time zone
    minutes: int
    summary: str
    facilitator: str | None
    period: tuple[dt.date, dt.date] | None  # the days a retro looks back on
    document: str  # the placeholder it links to (repository path)
    cancelled: bool = False  # its document says status: cancelled


def retro_days(cadence: dict[str, Any], until: dt.date) -> list[dt.date]:
    """Every retro day of the series up to ``until`` (exclusive)."""
    first = parse_date(cadence["first"])
    assert first is not None  # project.yaml passed its schema
    weekday = WEEKDAYS.index(cadence["weekday"])
    first += dt.timedelta(days=(weekday - first.weekday()) % 7)  # the series' first real day
    step = dt.timedelta(weeks=cadence["every_weeks"])
    days, day = [], first
    while day < until:
        days.append(day)
        day += step
    return days


def on_call(oncall: dict[str, Any] | None, day: dt.date) -> str | None:
    if not oncall:
        return None
    start = parse_date(oncall["start"])
    assert start is not None  # project.yaml passed its schema
    if day < start:
        return None
    rotation = oncall["rotation"]
    return str(rotation[((day - start).days // oncall["period_days"]) % len(rotation)])


def facilitator(oncall: dict[str, Any] | None, period: tuple[dt.date, dt.date]) -> str | None:
    """Whoever was on call for most days of ``period`` (inclusive); ties go to the earlier."""
    days = [period[0] + dt.timedelta(days=i) for i in range((period[1] - period[0]).days + 1)]
    counts = Counter(person for day in days if (person := on_call(oncall, day)) is not None)
    if not counts:
        return None
    best = max(counts.values())
    return next(on_call(oncall, d) for d in days if counts[on_call(oncall, d) or ""] == best)


def retros(project: dict[str, Any], slug: str, start: dt.date, end: dt.date) -> list[Meeting]:
    """The retros on days in [start, end)."""
    cadence = project.get("retros")
    if not cadence:
        return []
    zone = ZoneInfo(project["timezone"])
    hour, minute = (int(part) for part in cadence["time"].split(":"))
    days = retro_days(cadence, end)
    out = []
    for i, day in enumerate(days):
        if day < start:
            continue
        step = dt.timedelta(weeks=cadence["every_weeks"])
        period = ((days[i - 1] if i else day - step), day - dt.timedelta(days=1))
        out.append(
            Meeting(
                key=f"retro-{day.isoformat()}",
                kind="retro",
                day=day,
                start=dt.datetime.combine(day, dt.time(hour, minute), zone),
                minutes=cadence["duration_minutes"],
                summary=f"{project['name']} retro {day.isoformat()}",
                facilitator=facilitator(project.get("oncall"), period),
                period=period,
                document=f"ops/{slug}/retros/{day.isoformat()}.md",
            )
        )
    return out


def reviews(records: Records, settings: Settings, as_of: dt.date) -> list[Meeting]:
    """A review meeting for each incident that needs a postmortem and has none yet."""
    cadence = records.project.data.get("retros") or {}
    hour, minute = (int(p) for p in cadence.get("time", "14:00").split(":"))
    out = []
    for item in facts.postmortems_due(records, settings, as_of):
        if item.published is not None or item.due < as_of:
            continue  # published, or too late for a meeting before the due date
        day = business_day_before(item.due)
        if day < as_of:
            continue  # the day for it has passed
        ident = str(item.incident.data.get("id"))
        out.append(
            Meeting(
                key=f"postmortem-review-{ident}",
                kind="postmortem-review",
                day=day,
                start=dt.datetime.combine(day, dt.time(hour, minute), settings.timezone),
                minutes=REVIEW_MINUTES,
                summary=f"Postmortem review {ident}: {item.incident.data.get('title')}",
                facilitator=str(item.incident.data.get("commander") or "") or None,
                period=None,
                document=item.postmortem.rel
                if item.postmortem is not None
                else f"ops/{settings.slug}/postmortems/{as_of.isoformat()}-{ident}.md",
            )
        )
    return out
