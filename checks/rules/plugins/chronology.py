"""chronology: nothing that records the past is dated after the date judged (a resolution in
2099, a security review dated next month). Dates are the team's: one that is already today in
the project's time zone, east of UTC, is not in the future."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from checks.dates import end_of, latest_local_date, parse_date, parse_instant
from checks.findings import Finding, json_path
from checks.kinds import CLOSED, is_finished
from checks.rules.facts import listed
from checks.rules.records import Record, Records
from checks.rules.settings import Settings

Path = tuple[str | int, ...]

# The keys that record something that happened, per kind; (key, is an instant).
PAST: dict[str, tuple[tuple[str, bool], ...]] = {
    "incident": (("started", True), ("detected", True), ("mitigated", True), ("resolved", True)),
    "postmortem": (("date", False), ("published", False)),
    "dependency-log": (("date", False),),
    "security-log": (("date", False),),
}


def check(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    last_day, last_instant = latest_local_date(as_of, settings.timezone), end_of(as_of)
    out = []
    for kind, found in sorted(records.by_kind.items()):
        for record in found:
            for path, value, instant in _past_values(kind, record):
                moment = parse_instant(value) if instant else None
                day = None if instant else parse_date(value)
                if (moment is not None and moment >= last_instant) or (
                    day is not None and day > last_day
                ):
                    out.append(_finding(record, path, str(value), as_of))
    return out


def _past_values(kind: str, record: Record) -> Iterator[tuple[Path, object, bool]]:
    data = record.data
    for key, instant in PAST.get(kind, ()):
        yield (key,), data.get(key), instant
    if kind == "retro" and is_finished(kind, data):
        yield ("date",), data.get("date"), False
    if kind == "slo-report":
        yield ("end",), data.get("end"), True
    for index, item in enumerate(listed(data.get("action_items"))):
        if isinstance(item, dict) and item.get("status") in CLOSED:
            yield ("action_items", index, "closed"), item.get("closed"), False
    for index, finding in enumerate(listed(data.get("findings"))):
        if isinstance(finding, dict):
            yield ("findings", index, "discovered"), finding.get("discovered"), False
            yield ("findings", index, "fixed"), finding.get("fixed"), False


def _finding(record: Record, path: Path, value: str, as_of: dt.date) -> Finding:
    return Finding(
        record.rel,
        record.line(*path),
        json_path(path),
        f"{value} is after {as_of}, the date judged: it records something that happened, so "
        "it cannot be in the future; fix the date",
        rule="chronology",
    )
