"""The retro calendar as RFC 5545, made with the icalendar library.

Stable UIDs (from the project and the meeting), so a re-import updates events instead of
duplicating them. An event keeps its SEQUENCE and DTSTAMP while it is unchanged, so an
unchanged schedule gives a byte-identical file; a changed event gets the next SEQUENCE; an
upcoming event that left the schedule is kept as CANCELLED instead of disappearing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, NamedTuple

from icalendar import Calendar, Event, vCalAddress, vText

from checks.retros.plan import Meeting

PRODID = "-//Operations Protocol//ops retros//EN"
FINGERPRINT = "X-OPS-FINGERPRINT"


class Previous(NamedTuple):
    sequence: int
    stamp: dt.datetime
    fingerprint: str
    start: dt.datetime
    event: Event


def uid(project: str, key: str) -> str:
    digest = hashlib.sha256(f"{project}/{key}".encode()).hexdigest()[:32]
    return f"{digest}@operations-protocol"


def read(data: bytes, zone: dt.tzinfo) -> dict[str, Previous]:
    """The events of an earlier calendar, by UID (ValueError when it cannot be read). A start
    without a time zone is taken as the project's local time."""
    calendar = Calendar.from_ical(data)
    out = {}
    for event in calendar.walk("VEVENT"):
        assert isinstance(event, Event)
        start = event.decoded("DTSTART")
        if not isinstance(start, dt.datetime):
            start = dt.datetime.combine(start, dt.time())
        if start.tzinfo is None:
            start = start.replace(tzinfo=zone)
        out[str(event["UID"])] = Previous(
            int(event.get("SEQUENCE", 0)),
            event.decoded("DTSTAMP"),
            str(event.get(FINGERPRINT, "")),
            start,
            event,
        )
    return out


def person(handle: str, domain: str | None, role: str | None = None) -> vCalAddress:
    name = handle.lstrip("@")
    address = vCalAddress(f"mailto:{name}@{domain}" if domain else f"urn:x-ops:person:{name}")
    address.params["CN"] = vText(handle)
    if role:
        address.params["ROLE"] = vText(role)
    return address


def build(
    *,
    project: str,
    name: str,
    meetings: Sequence[Meeting],
    settings: dict[str, Any],
    previous: dict[str, Previous],
    now: dt.datetime,
    until: dt.datetime,
    base_url: str | None = None,
) -> bytes:
    """The whole calendar. ``now`` stamps new and changed events (and cancellations); the
    schedule covers [now, until): an earlier event after ``until`` is kept as it was."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{name}: retros and postmortem reviews")
    domain = settings.get("email_domain")
    seen = set()
    for meeting in sorted(meetings, key=lambda m: (m.start, m.key)):
        ident = uid(project, meeting.key)
        seen.add(ident)
        event = _event(meeting, ident, settings, domain, base_url)
        fingerprint = hashlib.sha256(event.to_ical()).hexdigest()[:32]
        old = previous.get(ident)
        if old is not None and old.fingerprint == fingerprint:
            sequence, stamp = old.sequence, old.stamp
        else:
            sequence = 0 if old is None else old.sequence + 1
            stamp = now
        event.add("sequence", sequence)
        event.add("dtstamp", stamp)
        event.add(FINGERPRINT, fingerprint)
        calendar.add_component(event)
    for ident, old in sorted(previous.items(), key=lambda item: (item[1].start, item[0])):
        if ident in seen or old.start < now:
            continue  # still scheduled, or over: a past event simply leaves the file
        if old.start >= until:
            calendar.add_component(old.event)  # beyond this run's horizon: not judged now
        else:
            calendar.add_component(_cancelled(old, now))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _event(
    meeting: Meeting, ident: str, settings: dict[str, Any], domain: str | None, base_url: str | None
) -> Event:
    event = Event()
    event.add("uid", ident)
    event.add("summary", meeting.summary)
    event.add("dtstart", meeting.start)
    event.add("duration", dt.timedelta(minutes=meeting.minutes))
    event.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    link = f"{base_url.rstrip('/')}/{meeting.document}" if base_url else meeting.document
    lines = []
    if meeting.kind == "retro" and meeting.period is not None:
        lines.append(f"Retro of {meeting.period[0]} to {meeting.period[1]}.")
    else:
        lines.append("Review the postmortem draft before it is due.")
    if meeting.facilitator:
        lines.append(f"Facilitator: {meeting.facilitator}.")
    lines.append(f"Document: {link}")
    event.add("description", "\n".join(lines))
    if settings.get("location"):
        event.add("location", settings["location"])
    organizer = settings.get("organizer")
    if organizer:
        event.add("organizer", person(organizer, domain))
    for attendee in settings.get("attendees", []):
        role = "CHAIR" if attendee == meeting.facilitator else "REQ-PARTICIPANT"
        event.add("attendee", person(attendee, domain, role))
    return event


def _cancelled(old: Previous, now: dt.datetime) -> Event:
    event = old.event
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return event  # already told the calendars; keep it as it was
    for key in ("STATUS", "SEQUENCE", "DTSTAMP", FINGERPRINT):
        if key in event:
            del event[key]
    event.add("status", "CANCELLED")
    event.add("sequence", old.sequence + 1)
    event.add("dtstamp", now)
    event.add(FINGERPRINT, "cancelled")
    return event
