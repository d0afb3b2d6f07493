"""What every incident tool's format is read into, and the checks every reader shares.

A reader turns one tool's file into :class:`Imported` values, or stops with an OpsError that
names the file, where it stopped matching and the format it expected (:func:`stop`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import NamedTuple

from checks import dates
from checks.errors import OpsError

STATUSES = ("open", "mitigated", "resolved")
MAX_INCIDENTS = 100_000  # one import; more is a file to split, never memory to spend
MAX_TITLE = 300  # common.schema.json title
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")
_SPACE = re.compile(r"[\s\x00-\x1f\x7f]+")


class Imported(NamedTuple):
    """One incident as the tool reports it, in the project's terms (status, UTC instants)."""

    system: str  # pagerduty | opsgenie | incident-io
    ext_id: str
    url: str | None
    title: str
    tool_severity: str  # the tool's priority, urgency or severity: a key of severity_map
    status: str | None  # open | mitigated | resolved; None: not an incident (declined, merged)
    started: str
    detected: str | None
    mitigated: str | None
    resolved: str | None
    services: tuple[str, ...]
    changed: str | None  # when the tool last changed its status, if it says
    where: str  # where in the file: "$.incidents[3]" or "line 5"


class Place(NamedTuple):
    """A file and a position in it, for messages: a JSON path or a CSV line."""

    file: str
    expected: str  # the format, as people name it: "PagerDuty REST API JSON (GET /incidents)"
    path: str | None = None  # $.incidents[3]
    line: int | None = None

    def at(self, path: str) -> Place:
        return self._replace(path=path)


def stop(place: Place, problem: str) -> OpsError:
    """The error for a file that stopped matching its format at ``place``."""
    where = f"{place.path}: " if place.path else ""
    return OpsError(
        f"{where}{problem}; expected {place.expected}; nothing written",
        path=place.file,
        line=place.line,
    )


def shown(value: object, limit: int = 60) -> str:
    """A value from the file, quoted and cut for a message (OpsError escapes the rest)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def instant(value: object, place: Place, *, required: bool = True) -> str | None:
    """An RFC 3339 instant with an offset, as UTC with a Z and whole seconds."""
    if value is None or value == "":
        if required:
            raise stop(place, "missing; expected an RFC 3339 instant")
        return None
    moment = dates.parse_instant(value)
    if moment is None:
        raise stop(place, f"{shown(value)} is not an RFC 3339 instant with a time zone")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def text(value: object, place: Place, *, limit: int = MAX_TITLE) -> str:
    """A title or a name: one line, line breaks, tabs and other spaces as one space, at most
    ``limit`` long. Any other character that does not print (a C1 control such as U+009B, a
    bidi override such as U+202E, a zero-width space U+200B) is refused at ``place``, as the
    security importer refuses it: it would hide or reorder what a reader of the record sees."""
    if not isinstance(value, str):
        raise stop(place, f"{shown(value)} is not a non-empty text")
    line = _SPACE.sub(" ", value).strip()
    if not line:
        raise stop(place, f"{shown(value)} is not a non-empty text")
    if not line.isprintable():
        raise stop(place, f"{_unprintable(line)}: remove it in the tool, then export again")
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


def _unprintable(line: str) -> str:
    """The first character of ``line`` that does not print, named for a message."""
    char = next(c for c in line if not c.isprintable())
    name = unicodedata.name(char, "")
    label = f" ({name})" if name else ""
    return f"U+{ord(char):04X}{label} is a control, bidi or invisible character"


def external_id(value: object, place: Place) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _EXTERNAL_ID.fullmatch(value):
        raise stop(place, f"{shown(value)} is not an incident id (letters, digits, . _ : -)")
    return value


def url(value: object, place: Place) -> str | None:
    if value is None or value == "":
        return None
    if (
        not isinstance(value, str)
        or not re.fullmatch(r"https?://[^\s\x00-\x1f\x7f]{1,2000}", value)
        or not value.isprintable()
    ):
        raise stop(place, f"{shown(value)} is not an http(s) URL")
    return value


def later(start: str, milliseconds: object, place: Place) -> str | None:
    """``start`` plus a duration the tool gives in milliseconds (Opsgenie's report times)."""
    if milliseconds is None or milliseconds == "":
        return None
    if isinstance(milliseconds, str) and milliseconds.isdigit():
        milliseconds = int(milliseconds)
    if not isinstance(milliseconds, int | float) or isinstance(milliseconds, bool):
        raise stop(place, f"{shown(milliseconds)} is not a duration in milliseconds")
    if not 0 <= milliseconds < 10 * 365 * 86_400_000:
        raise stop(place, f"{shown(milliseconds)} is not a plausible duration in milliseconds")
    moment = dates.parse_instant(start)
    assert moment is not None
    return (moment + dt.timedelta(milliseconds=milliseconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
