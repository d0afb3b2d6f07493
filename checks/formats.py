"""Format checks that are really enforced (jsonschema's defaults accept any date-time)."""

from __future__ import annotations

import functools
import re
import urllib.parse
import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING

from checks import dates

if TYPE_CHECKING:
    from jsonschema import FormatChecker

_SPACE = re.compile(r"\s")
_HTTP = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?")


def is_date(value: object) -> bool:
    """A calendar date written YYYY-MM-DD (formats apply to strings; "type" reports the rest)."""
    return not isinstance(value, str) or dates.is_date(value)


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time, exactly what the rules can read (checks.dates)."""
    return not isinstance(value, str) or dates.is_instant(value)


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
    # "localtime" (and "posixrules", "Factory") are files of the system's zone database, not
    # zones: with them a verdict would depend on the machine that judges
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "posixrules", "Factory"}


def is_iana_timezone(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return value in _zones() or value == "UTC"


def is_iso_week(value: object) -> bool:
    """An ISO week that exists (2025 has no week 53)."""
    return not isinstance(value, str) or dates.week_from(value) is not None


CHECKS: dict[str, Callable[[object], bool]] = {
    "date": is_date,
    "date-time": is_date_time,
    "x-iso-week": is_iso_week,
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
