"""incidents: no incident left open or mitigated for longer than incidents.max_open_days
(project.yaml, default 14): a warning in the last days before, an error after."""

from __future__ import annotations

import datetime as dt

from checks.findings import Finding, days
from checks.rules.facts import open_incidents
from checks.rules.records import Records
from checks.rules.settings import WARN_DAYS_BEFORE_STALE, Settings


def check(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    out = []
    limit = settings.max_open_days
    for found in open_incidents(records, settings, as_of):
        left = limit - found.age
        if left > WARN_DAYS_BEFORE_STALE:
            continue
        ident = found.incident.data.get("id")
        since = f"{ident} has been {found.status} since {found.started}, {days(found.age)}"
        if left < 0:
            message = (
                f"open too long: {since}; incidents.max_open_days is {limit}: resolve it "
                "(status: resolved, resolved: <instant>), or track the remaining work as action "
                "items of its postmortem"
            )
        else:
            deadline = found.started + dt.timedelta(days=limit)
            message = (
                f"open nearly too long: {since}; resolve it by {deadline} "
                f"(incidents.max_open_days is {limit})"
            )
        out.append(
            Finding(
                found.incident.rel,
                found.incident.line("status"),
                "$.status",
                message,
                rule="incidents",
                severity="error" if left < 0 else "warning",
            )
        )
    return out
