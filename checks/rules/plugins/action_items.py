"""action-items: no item open past its due date (a warning for one closed late); and
backlog-link: every item of a published postmortem or a held retro links to its issue."""

from __future__ import annotations

import datetime as dt

from checks.findings import Finding, days, shorten
from checks.rules.facts import action_items
from checks.rules.records import Records
from checks.rules.settings import Settings


def check(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    out = []
    for item in action_items(records, as_of):
        ident, title = item.item.get("id"), shorten(str(item.item.get("title")))
        if item.is_open and item.due is not None and item.due < as_of:
            out.append(
                Finding(
                    item.record.rel,
                    item.line,  # a line costs composing the record's YAML: only for a finding
                    item.where,
                    f"overdue: action item {ident} {title} ({item.item.get('owner')}) was due "
                    f"{item.due}, {days((as_of - item.due).days)} ago; close it, or agree a new "
                    "due date and write it down",
                    rule="action-items",
                )
            )
        elif not item.is_open and item.closed and item.due and item.closed > item.due:
            out.append(
                Finding(
                    item.record.rel,
                    item.line,
                    item.where,
                    f"late: action item {ident} was closed on {item.closed}, "
                    f"{days((item.closed - item.due).days)} after it was due ({item.due})",
                    rule="action-items",
                    severity="warning",
                )
            )
        if item.needs_tracker and not item.item.get("tracker"):
            out.append(
                Finding(
                    item.record.rel,
                    item.line,
                    item.where + ".tracker",
                    f"no backlog link: action item {ident} {title} has no tracker; open an issue "
                    "in the backlog and put its URL in tracker",
                    rule="backlog-link",
                )
            )
    return out
