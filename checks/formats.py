"""Format checks that are really enforced (jsonschema's defaults accept any date-time)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import urllib.parse
import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jsonschema import FormatChecker

_SPACE = re.compile(r"\s")
_HTTP = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats only apply to strings; "type" reports the rest
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time (section 5.6), with a real calendar date and clock time."""
    if not isinstance(value, str):
        return True
    m = _DATE_TIME.fullmatch(value)
    if not m or not is_date(m.group(1)):
        return False
    hour, minute, second = int(m.group(2)), int(m.group(3)), int(m.group(4))
    # RFC 3339 allows a leap second (:60).
    return hour <= 23 and minute <= 59 and second <= 60


def is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if _HTTP.fullmatch(value):  # the common case (tracker links), without urlsplit
        return True
    if _SPACE.search(value):
        return False
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme not in {"http", "https"})


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_iana_timezone(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return value in _zones() or value == "UTC"


CHECKS: dict[str, Callable[[object], bool]] = {
    "date": is_date,
    "date-time": is_date_time,
    "uri": is_uri,
    "x-iana-timezone": is_iana_timezone,
}


def format_checker() -> FormatChecker:
    """The formats above, for python-jsonschema (and nothing else: unknown formats are errors)."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, check in CHECKS.items():
        checker.checks(name)(check)
    return checker
