"""Dates from the command line: --as-of and friends, parsed strictly."""

from __future__ import annotations

import datetime as dt

from checks.errors import OpsError
from checks.formats import is_date


def parse_date(value: str, option: str = "--as-of") -> dt.date:
    if not is_date(value):
        raise OpsError(f"{option} {value!r} is not a valid date; write it YYYY-MM-DD")
    return dt.date.fromisoformat(value)


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def now_instant() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
