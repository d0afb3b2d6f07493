"""The retro calendar as RFC 5545, made with the icalendar library.

Stable UIDs (from the project and the meeting), so a re-import updates events instead of
duplicating them. An event keeps its SEQUENCE and DTSTAMP while it is unchanged, so an
unchanged schedule gives a byte-identical file; a changed event gets the next SEQUENCE; an
upcoming event that left the schedule is kept as CANCELLED instead of disappearing. The
earlier calendar is read by :mod:`checks.retros.icsread`, which trusts nothing in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from checks.retros.icsread import FINGERPRINT, Line, Previous, load, read
from checks.retros.plan import Meeting

__all__ = ["FINGERPRINT", "Previous", "build", "load", "person", "read", "uid"]

PRODID = "-//Operations Protocol//ops retros//EN"


def uid(project: str, key: str) -> str:
    digest = hashlib.sha256(f"{project}/{key}".encode()).hexdigest()[:32]
    return f"{digest}@operations-protocol"


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
    kept: list[str] = []  # earlier events, written back as they were read
    zones: set[str] = set()
    for ident, old in sorted(previous.items(), key=lambda item: (item[1].start, item[0])):
        if ident in seen or old.start < now:
            continue  # still scheduled, or over: a past event simply leaves the file
        if old.start >= until or old.status == "CANCELLED":
            kept.append(_lines(old.lines))  # beyond this run's horizon, or cancelled already
        else:
            kept.append(_cancelled(old, now))
        zones |= old.zones
    _add_timezones(calendar, zones)
    made = bytes(calendar.to_ical())
    end = b"END:VCALENDAR\r\n"
    if not made.endswith(end):
        raise AssertionError(f"icalendar wrote a calendar that ends {made[-40:]!r}")
    return made[: -len(end)] + "".join(kept).encode() + end


def _add_timezones(calendar: Calendar, more: set[str]) -> None:
    """A VTIMEZONE from the tz database for each zone the events use (``more``: those of the
    events kept as they were), sorted by TZID (icalendar's ``add_missing_timezones`` takes
    them from a set: the order would change from run to run)."""
    timezones = []
    for tzid in sorted((calendar.get_missing_tzids() | more) - {"UTC"}):
        try:
            timezones.append(Timezone.from_tzid(tzid))
        except ValueError:
            continue  # not in the tz database: icalendar leaves such a zone out as well
    calendar.subcomponents[:0] = timezones


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


def _lines(lines: Sequence[Line]) -> str:
    return "".join(f"{line.raw}\r\n" for line in lines)


def _cancelled(old: Previous, now: dt.datetime) -> str:
    """An upcoming event that left the schedule, as it was but CANCELLED, with the next
    SEQUENCE: each of these properties where it was (icalendar's order), or before the end."""
    new = {
        "STATUS": "STATUS:CANCELLED",
        "SEQUENCE": f"SEQUENCE:{old.sequence + 1}",
        "DTSTAMP": f"DTSTAMP:{now.astimezone(dt.UTC):%Y%m%dT%H%M%S}Z",
        FINGERPRINT: f"{FINGERPRINT}:cancelled",
    }
    out: list[str] = []
    for line in old.lines:
        if line is old.lines[-1]:
            out.extend(new.values())  # the ones it did not have
        out.append(new.pop(line.name, line.raw))
    return "".join(f"{text}\r\n" for text in out)
