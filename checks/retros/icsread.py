"""Reading the calendar an earlier run wrote, which is untrusted: anyone can push a retros.ics.

Of each VEVENT, build needs its UID, SEQUENCE, DTSTAMP, STATUS, fingerprint and start, and the
event itself, to keep it (or cancel it) when it left the schedule. These are read here, line
by line, in time linear in the file; icalendar never parses the file:

- it is at most MAX_BYTES (read through :func:`checks.document.read_file`: never through a
  link), MAX_LINES lines and MAX_EVENTS events, UTF-8, one VCALENDAR whose BEGIN and END
  lines pair up;
- VTIMEZONE (and any other component beside VEVENT) is skipped: building a time zone from a
  file's rules can take minutes (a ``RRULE:FREQ=MINUTELY`` transition). A TZID must name a
  zone of the tz database (an IANA name), at most MAX_ZONES of them, and the calendar written
  next gets its VTIMEZONEs from the tz database;
- SEQUENCE is a whole number up to MAX_SEQUENCE, so that the next one still fits RFC 5545's
  integer. A larger one is an error, not a reset: calendars that saw it would ignore an update
  with a lower SEQUENCE, so starting again is for a person to choose (by deleting the file);
- an event that is kept is written back as its lines were, so nothing in it is interpreted.

Every problem is a :class:`CalendarError` (a ValueError) with a 1-based line of the file.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import NamedTuple

from checks.document import DocumentError, decode, read_file
from checks.errors import OpsError
from checks.findings import shorten

MAX_BYTES = 1024 * 1024  # ops writes about 1 KiB an event
MAX_LINES = 60_000  # about twice what a MiB of ops' events takes
MAX_EVENTS = 10_000
MAX_PARAMS = 50  # on a line; and values of one parameter (ops writes up to 2 and 1)
MAX_ZONES = 8  # the project's time zone, and the ones it had before
MAX_SEQUENCE = 2_147_483_646  # RFC 5545 integers end at 2**31 - 1; a change adds 1
FINGERPRINT = "X-OPS-FINGERPRINT"
REBUILD = "delete the file to have ops retros write a new one"
YEARS = (1900, 9998)  # a date a day away from datetime's limits compares across zones

_NAME = r"[A-Za-z0-9-]+"
_PARAM_VALUE = r'(?:"[^"]*"|[^";:,]*)'
_VALUES = rf"{_PARAM_VALUE}(?:,{_PARAM_VALUE}){{0,{MAX_PARAMS}}}"
_PARAMS = re.compile(rf";({_NAME})=({_VALUES})")
# Name and parameters, up to the colon before the value. The bounds keep the regular
# expression's memory small on a line of a million ";A=".
_HEAD = re.compile(rf"({_NAME})((?:;{_NAME}={_VALUES}){{0,{MAX_PARAMS}}}):")
_DATE_TIME = re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(Z?)")
_DATE = re.compile(r"(\d{4})(\d\d)(\d\d)")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,3}")


class CalendarError(ValueError):
    """What is wrong with the file, and the 1-based line where it is."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


class Line(NamedTuple):
    """One content line: unfolded for reading, as written for writing back."""

    number: int  # 1-based: the first of its lines in the file
    name: str  # upper case
    params: dict[str, str]  # upper-case names; values as written, quotes and all
    value: str
    raw: str  # its lines in the file (folds kept), joined by CRLF


class Previous(NamedTuple):
    sequence: int
    stamp: dt.datetime
    fingerprint: str
    start: dt.datetime
    status: str  # upper case; "" for none
    lines: tuple[Line, ...]  # BEGIN:VEVENT to END:VEVENT
    zones: frozenset[str]  # the TZIDs its lines name


def load(path: Path, rel: str, zone: dt.tzinfo) -> dict[str, Previous]:
    """The events of the calendar at ``path`` (shown as ``rel``), by UID; {} when there is
    none. A link, a file over MAX_BYTES and anything :func:`read` refuses is an OpsError
    naming the line and what to do."""
    try:
        data = read_file(path, MAX_BYTES, "a retro calendar is limited to {max} bytes")[0]
    except FileNotFoundError:
        return {}
    except DocumentError as e:
        if e.reason == "link":
            raise OpsError(
                "is a symlink; ops writes the calendar only as a regular file: delete the link",
                path=rel,
                line=e.line,
            ) from None
        raise OpsError(f"{e.message}; {REBUILD}", path=rel, line=e.line) from None
    try:
        return read(data, zone)
    except CalendarError as e:
        raise OpsError(f"{e.message}; {REBUILD}", path=rel, line=e.line) from None


def read(data: bytes, zone: dt.tzinfo) -> dict[str, Previous]:
    """The events of an earlier calendar, by UID (a later event with the same UID wins).
    A start without a time zone is taken as the project's local time (``zone``)."""
    if len(data) > MAX_BYTES:
        raise CalendarError(
            1, f"file is {len(data):,} bytes; a retro calendar is limited to {MAX_BYTES:,} bytes"
        )
    try:
        text = decode(data)
    except DocumentError as e:
        raise CalendarError(e.line, e.message) from None
    if text.count("\n") + (not text.endswith("\n")) > MAX_LINES:
        raise CalendarError(
            MAX_LINES + 1,
            f"file has more than {MAX_LINES:,} lines; a retro calendar has a few thousand",
        )
    zones: dict[str, int] = {}
    out = {}
    for event in events(content_lines(text.split("\n"))):
        ident, found = previous(event, zone, zones)
        out[ident] = found
    return out


def content_lines(physical: list[str]) -> list[Line]:
    """The content lines of the file's lines (RFC 5545 3.1: a line that starts with a space
    or a tab continues the one before), each split into name, parameters and value."""
    starts: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(physical, 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line[:1] in (" ", "\t"):
            if not starts:
                raise CalendarError(number, "the file starts with a continued line (a space)")
            starts[-1][1].append(line)
        elif line:
            starts.append((number, [line]))
    return [_split(number, parts) for number, parts in starts]


def _split(number: int, parts: list[str]) -> Line:
    line = parts[0] + "".join(part[1:] for part in parts[1:])
    match = _HEAD.match(line)
    if match is None:
        raise CalendarError(
            number,
            f"{shorten(line)} is not an iCalendar line (NAME;PARAM=VALUE:VALUE, at most "
            f"{MAX_PARAMS} parameters)",
        )
    params = {p.group(1).upper(): p.group(2) for p in _PARAMS.finditer(match.group(2))}
    name, value = match.group(1).upper(), line[match.end() :]
    return Line(number, name, params, value, "\r\n".join(parts))


def events(lines: list[Line]) -> list[list[Line]]:
    """The VEVENTs of the one VCALENDAR the lines must be, each from its BEGIN to its END.
    Other components (VTIMEZONE first) are skipped whole; an event holds no component."""
    if not lines:
        raise CalendarError(1, "file is empty; expected BEGIN:VCALENDAR")
    if (lines[0].name, lines[0].value.upper()) != ("BEGIN", "VCALENDAR"):
        raise CalendarError(lines[0].number, "expected BEGIN:VCALENDAR: this is not a calendar")
    stack: list[Line] = []
    out: list[list[Line]] = []
    event: list[Line] | None = None
    for line in lines:
        if not stack and line is not lines[0]:
            raise CalendarError(line.number, "more after END:VCALENDAR (a second calendar?)")
        if line.name == "BEGIN":
            if event is not None:
                raise CalendarError(
                    line.number,
                    f"BEGIN:{_cut(line.value)} inside an event; ops writes events without "
                    "alarms or other components",
                )
            if len(stack) == 1 and line.value.upper() == "VEVENT":
                if len(out) == MAX_EVENTS:
                    raise CalendarError(
                        line.number,
                        f"more than {MAX_EVENTS:,} events; a retro calendar has a few hundred",
                    )
                event = []
            stack.append(line)
        elif line.name == "END":
            _close(stack, line)
        if event is not None:
            event.append(line)
            if line.name == "END":
                out.append(event)
                event = None
    if stack:
        top = stack[-1]
        raise CalendarError(
            lines[-1].number,
            f"BEGIN:{_cut(top.value)} on line {top.number} has no END: the file is cut short",
        )
    return out


def _close(stack: list[Line], end: Line) -> None:
    opened = stack.pop()
    if opened.value.upper() != end.value.upper():
        raise CalendarError(
            end.number,
            f"END:{_cut(end.value)} does not close BEGIN:{_cut(opened.value)} on line "
            f"{opened.number}",
        )


def _cut(text: str, limit: int = 40) -> str:
    """Untrusted text as a message shows it: never a whole megabyte."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def previous(event: list[Line], zone: dt.tzinfo, zones: dict[str, int]) -> tuple[str, Previous]:
    """An event's UID and what build needs of it. ``zones`` (TZID: the line first naming it)
    is shared by the events of a file, to count them."""
    props = event[1:-1]
    used = frozenset(_zone(line, zones)[0] for line in props if "TZID" in line.params)
    ident = _required(event, props, "UID")
    if not ident.value:
        raise CalendarError(ident.number, "UID is empty")
    status = _one(props, "STATUS")
    fingerprint = _one(props, FINGERPRINT)
    return ident.value, Previous(
        sequence=_sequence(_one(props, "SEQUENCE")),
        stamp=_stamp(_required(event, props, "DTSTAMP")),
        fingerprint="" if fingerprint is None else fingerprint.value,
        start=_start(_required(event, props, "DTSTART"), zone, zones),
        status="" if status is None else status.value.upper(),
        lines=tuple(event),
        zones=used,
    )


def _one(props: list[Line], name: str) -> Line | None:
    """The property ``name`` of an event, if it has it; a second one is an error."""
    found = [line for line in props if line.name == name]
    if len(found) > 1:
        raise CalendarError(
            found[1].number,
            f"a second {name} in one event (the first is on line {found[0].number})",
        )
    return found[0] if found else None


def _required(event: list[Line], props: list[Line], name: str) -> Line:
    found = _one(props, name)
    if found is None:
        raise CalendarError(event[0].number, f"the event that starts here has no {name}")
    return found


def _zone(line: Line, zones: dict[str, int]) -> tuple[str, dt.tzinfo]:
    """The name and the zone a TZID parameter names: a zone of the tz database, never one a
    VTIMEZONE of the file describes. A new one is counted in ``zones``."""
    name = line.params["TZID"]
    name = name[1:-1] if len(name) >= 2 and name[0] == name[-1] == '"' else name
    try:
        if len(name) > 64 or not _ZONE_NAME.fullmatch(name):
            raise ValueError(name)
        found = zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        raise CalendarError(
            line.number,
            f"TZID {shorten(name)} is not an IANA time zone name (like Europe/Berlin); ops "
            "takes time zones from the tz database, never from the file",
        ) from None
    if name not in zones:
        if len(zones) == MAX_ZONES:
            raise CalendarError(
                line.number,
                f"more than {MAX_ZONES} time zones (the next is {shorten(name)}); ops writes "
                "events in the project's time zone",
            )
        zones[name] = line.number
    return name, found


def _sequence(line: Line | None) -> int:
    if line is None:
        return 0
    if not line.value.isascii() or not line.value.isdigit():
        raise CalendarError(
            line.number, f"SEQUENCE {shorten(line.value)} is not a whole number (0 or more)"
        )
    if len(line.value) > len(str(MAX_SEQUENCE)) or int(line.value) > MAX_SEQUENCE:
        raise CalendarError(
            line.number,
            f"SEQUENCE {_cut(line.value)} is too large: a change adds 1, and RFC 5545 allows "
            f"at most {MAX_SEQUENCE + 1}",
        )
    return int(line.value)


def _stamp(line: Line) -> dt.datetime:
    match = _DATE_TIME.fullmatch(line.value)
    if match is None or not match.group(7):
        raise CalendarError(
            line.number,
            f"DTSTAMP {shorten(line.value)} is not a UTC date-time like 20261124T000000Z",
        )
    return _datetime(line, match, dt.UTC)


def _start(line: Line, zone: dt.tzinfo, zones: dict[str, int]) -> dt.datetime:
    """DTSTART with a time zone: a date is midnight, and a floating time local, in ``zone``."""
    value = line.value
    if line.params.get("VALUE", "").upper() == "DATE" or _DATE.fullmatch(value):
        date = _DATE.fullmatch(value)
        if date is None:
            raise CalendarError(line.number, f"DTSTART {shorten(value)} is not a date (YYYYMMDD)")
        return _datetime(line, date, zone)
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise CalendarError(
            line.number, f"DTSTART {shorten(value)} is not a date-time (YYYYMMDDTHHMMSS)"
        )
    if "TZID" in line.params:
        if match.group(7):
            raise CalendarError(line.number, "DTSTART has both a TZID and Z (UTC)")
        return _datetime(line, match, _zone(line, zones)[1])
    return _datetime(line, match, dt.UTC if match.group(7) else zone)


def _datetime(line: Line, match: re.Match[str], zone: dt.tzinfo) -> dt.datetime:
    numbers = [int(group) for group in match.groups() if group and group != "Z"]
    year, month, day, hour, minute, second = [*numbers, 0, 0, 0][:6]
    if not YEARS[0] <= year <= YEARS[1]:
        raise CalendarError(
            line.number,
            f"{line.name} is in the year {year}; ops writes years {YEARS[0]} to {YEARS[1]}",
        )
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError as e:
        raise CalendarError(line.number, f"{line.name} {shorten(line.value)}: {e}") from None
