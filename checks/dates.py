"""Dates from the command line: --as-of and friends, parsed strictly."""

from __future__ import annotations

import argparse
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


def add_as_of(parser: argparse.ArgumentParser, what: str = "judge as of this date") -> None:
    """The --as-of option every command that judges or dates something takes."""
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help=f"{what} (default: today, UTC)")


def as_of(args: argparse.Namespace) -> dt.date:
    """--as-of, or today in UTC: the only place a command reads the clock for it."""
    return parse_date(args.as_of) if args.as_of else today_utc()
