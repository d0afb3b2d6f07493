"""postmortem: every resolved incident at or above the threshold has a published postmortem
by its due date (business days after it was resolved, in the project's time zone)."""

from __future__ import annotations

import datetime as dt

from checks.findings import Finding
from checks.rules.facts import Due, postmortems_due
from checks.rules.records import Records
from checks.rules.settings import Settings


def check(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    out = []
    for item in postmortems_due(records, settings, as_of):
        found = _judge(item, settings, as_of)
        if found is not None:
            out.append(found)
    return out


def _judge(item: Due, settings: Settings, as_of: dt.date) -> Finding | None:
    ident = item.incident.data.get("id")
    days = settings.postmortem_due_days(item.severity)
    deadline = (
        f"due {item.due} ({days} business days after it was resolved on {item.resolved}, "
        f"{settings.timezone})"
    )
    late = as_of > item.due
    severity = "error" if late else "warning"
    if item.postmortem is None:
        start = f"ops new postmortem --project {settings.slug} --incident {ident}"
        what = "missing postmortem:" if late else "pending:"
        message = f"{what} {ident} ({item.severity}) needs {'one' if late else 'a postmortem'}"
        return Finding(
            item.incident.rel,
            item.incident.line("id"),
            "$.id",
            f"{message}, {deadline}; {start}",
            rule="postmortem",
            severity=severity,
        )
    if item.published is None:
        status = item.postmortem.data.get("status")
        if late:
            message = (
                f"not published: the postmortem of {ident} is {status}, and it was {deadline}; "
                "review and publish it"
            )
        else:
            message = f"pending: the postmortem of {ident} is {status}; it is {deadline}"
        return Finding(
            item.postmortem.rel,
            item.postmortem.line("status"),
            "$.status",
            message,
            rule="postmortem",
            severity=severity,
        )
    if item.published > item.due:
        return Finding(
            item.postmortem.rel,
            item.postmortem.line(item.published_key),
            f"$.{item.published_key}",
            f"late: the postmortem of {ident} was published on {item.published}, after it was "
            f"{deadline}",
            rule="postmortem",
            severity="warning",
        )
    return None
