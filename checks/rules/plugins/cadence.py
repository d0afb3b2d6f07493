"""cadence: the newest dependency and security logs are within their cadence."""

from __future__ import annotations

import datetime as dt

from checks.findings import Finding, days
from checks.rules.records import Records
from checks.rules.settings import WARN_DAYS_BEFORE_STALE, Settings

LOGS = (
    ("dependency-log", "dependency log", "dependencies"),
    ("security-log", "security log", "security"),
)


def check(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    out = []
    if settings.since is not None and settings.since > as_of:
        # a start in the future would excuse every log until then: it judges nothing away
        message = (
            f"since {settings.since} is after the date judged ({as_of}): a project's start is a "
            "day that has come; set it to the day the project started being run by these rules"
        )
        out.append(Finding(records.config_rel, 1, "$.since", message, rule="cadence"))
    for kind, label, folder in LOGS:
        cadence = settings.dependency_days if kind == "dependency-log" else settings.security_days
        new = f"ops new {kind} --project {settings.slug}"
        add = f"add ops/{settings.slug}/{folder}/{as_of}.md ({new})"
        logs = [(d, r) for d, r in records.dated(kind) if d <= as_of]
        since = settings.since
        if not logs:
            # a project's start counts as its first log: it has a cadence's time for the first
            # (only while it has none: a log, even one from before the start, is judged as is)
            if since is None or since > as_of:
                message = f"no {label} yet; cadence is {days(cadence)}; {add}"
                out.append(Finding(records.config_rel, 1, None, message, rule="cadence"))
            else:
                out.extend(_first(records, label, cadence, since, as_of, add))
            continue
        day, record = logs[-1]
        age = (as_of - day).days
        if age > cadence:
            message = (
                f"stale: last {label} {day} is {days(age)} old; cadence is {days(cadence)}; {add}"
            )
            out.append(Finding(record.rel, record.line("date"), "$.date", message, rule="cadence"))
        elif cadence - age <= WARN_DAYS_BEFORE_STALE:
            due = day + dt.timedelta(days=cadence)
            when = "today" if due == as_of else f"by {due} (in {days((due - as_of).days)})"
            message = f"due soon: last {label} {day} is {days(age)} old; the next is due {when}"
            out.append(
                Finding(
                    record.rel,
                    record.line("date"),
                    "$.date",
                    message,
                    rule="cadence",
                    severity="warning",
                )
            )
    return out


def _first(
    records: Records, label: str, cadence: int, since: dt.date, as_of: dt.date, add: str
) -> list[Finding]:
    """The first log of a project that started on ``since``: due a cadence after that."""
    age, due = (as_of - since).days, since + dt.timedelta(days=cadence)
    if age > cadence:
        message = (
            f"no {label} since the project started on {since} ({days(age)} ago); "
            f"cadence is {days(cadence)}, so the first was due by {due}; {add}"
        )
        return [Finding(records.config_rel, 1, "$.since", message, rule="cadence")]
    if cadence - age <= WARN_DAYS_BEFORE_STALE:
        when = "today" if due == as_of else f"by {due} (in {days((due - as_of).days)})"
        message = f"due soon: the project started on {since}; its first {label} is due {when}"
        return [
            Finding(
                records.config_rel,
                1,
                "$.since",
                message,
                rule="cadence",
                severity="warning",
            )
        ]
    return []
