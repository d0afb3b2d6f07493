"""The operating rules. Pure: records and settings in, findings out, judged as of a date.

Each function is one rule; a finding names the rule, the document and line, and what to do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

from checks.findings import Finding, shorten
from checks.rules.records import Record, Records, as_date, as_instant
from checks.rules.settings import (
    WARN_DAYS_BEFORE_EXPIRY,
    WARN_DAYS_BEFORE_STALE,
    Settings,
    add_business_days,
)
from checks.slo.model import Week, last_complete_week, parse_week

Rule = Callable[[Records, Settings, dt.date], list[Finding]]
CLOSED = ("done", "dropped")


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


# --- log cadence -----------------------------------------------------------------------------


def log_cadence(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    out = []
    for kind, label, days, folder in (
        ("dependency-log", "dependency log", settings.dependency_days, "dependencies"),
        ("security-log", "security log", settings.security_days, "security"),
    ):
        new = f"ops new {kind} --project {settings.slug}"
        add = f"add ops/{settings.slug}/{folder}/{as_of}.md ({new})"
        logs = [(d, r) for d, r in records.dated(kind) if d <= as_of]
        if not logs:
            out.append(
                Finding(
                    records.config_rel,
                    1,
                    None,
                    f"no {label} yet; cadence is {_days(days)}; {add}",
                    rule="cadence",
                )
            )
            continue
        day, record = logs[-1]
        age = (as_of - day).days
        if age > days:
            out.append(
                Finding(
                    record.rel,
                    record.line("date"),
                    "$.date",
                    f"stale: last {label} {day} is {_days(age)} old; cadence is "
                    f"{_days(days)}; {add}",
                    rule="cadence",
                )
            )
        elif days - age <= WARN_DAYS_BEFORE_STALE:
            due = day + dt.timedelta(days=days)
            when = "today" if due == as_of else f"by {due} (in {_days((due - as_of).days)})"
            out.append(
                Finding(
                    record.rel,
                    record.line("date"),
                    "$.date",
                    f"due soon: last {label} {day} is {_days(age)} old; the next is due {when}",
                    rule="cadence",
                    severity="warning",
                )
            )
    return out


# --- vulnerabilities -------------------------------------------------------------------------


class Current(NamedTuple):
    """A finding as the newest security log that names it records it."""

    record: Record
    position: int
    finding: dict[str, object]

    @property
    def line(self) -> int:
        return self.record.line("findings", self.position, "id")

    @property
    def where(self) -> str:
        return f"$.findings[{self.position}]"


def current_findings(records: Records, as_of: dt.date) -> dict[str, Current]:
    current: dict[str, Current] = {}
    for day, record in records.dated("security-log"):
        if day > as_of:
            continue
        for index, finding in enumerate(_list(record.data.get("findings"))):
            if isinstance(finding, dict) and isinstance(finding.get("id"), str):
                current[finding["id"]] = Current(record, index, finding)
    return current


class Outstanding(NamedTuple):
    current: Current
    age: int
    sla: int
    why: str  # "open" or "exception expired on ..."


def outstanding(records: Records, settings: Settings, as_of: dt.date) -> list[Outstanding]:
    """Findings open (or accepted with an expired exception) past their SLA."""
    out = []
    for current in current_findings(records, as_of).values():
        finding = current.finding
        sla = settings.sla_days(str(finding.get("severity")))
        discovered = as_date(finding.get("discovered"))
        if sla is None or discovered is None:
            continue
        age = (as_of - discovered).days
        status = finding.get("status")
        expires = _expiry(finding)
        if age <= sla or status == "fixed":
            continue
        if status == "accepted" and expires is None:
            out.append(Outstanding(current, age, sla, "accepted without an exception that expires"))
        elif status == "accepted" and expires is not None and expires < as_of:
            out.append(Outstanding(current, age, sla, f"its exception expired on {expires}"))
        elif status != "accepted":
            out.append(Outstanding(current, age, sla, "still open"))
    return out


def _expiry(finding: dict[str, object]) -> dt.date | None:
    exception = finding.get("exception")
    return as_date(exception.get("expires")) if isinstance(exception, dict) else None


def vulnerability_sla(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    out = []
    late = outstanding(records, settings, as_of)
    reported = {item.current.finding["id"] for item in late}
    for item in late:
        f = item.current.finding
        out.append(
            Finding(
                item.current.record.rel,
                item.current.line,
                item.current.where,
                f"outstanding: {f['id']} ({f.get('severity')}, {shorten(str(f.get('package')))}) "
                f"discovered {f.get('discovered')} is {_days(item.age)} old, past its "
                f"{item.sla}-day SLA, and {item.why}; fix it, or record an exception "
                "approved by an owner",
                rule="vulnerability-sla",
            )
        )
    for current in current_findings(records, as_of).values():
        expires = _expiry(current.finding)
        if current.finding.get("status") != "accepted" or expires is None:
            continue
        left = (expires - as_of).days
        if 0 <= left <= WARN_DAYS_BEFORE_EXPIRY:
            when = "today" if left == 0 else f"in {_days(left)}, on {expires}"
            out.append(
                Finding(
                    current.record.rel,
                    current.line,
                    current.where,
                    f"the exception for {current.finding['id']} expires {when}; fix the "
                    "finding or renew the exception in the next security log",
                    rule="vulnerability-sla",
                    severity="warning",
                )
            )
        elif left < 0 and current.finding["id"] not in reported:
            out.append(
                Finding(
                    current.record.rel,
                    current.line,
                    current.where,
                    f"the exception for {current.finding['id']} expired on {expires}; the finding "
                    "is open again: fix it or renew the exception",
                    rule="vulnerability-sla",
                    severity="warning",
                )
            )
    return out


# --- postmortems -----------------------------------------------------------------------------


class Due(NamedTuple):
    incident: Record
    severity: str
    resolved: dt.date  # the team's local date
    due: dt.date
    postmortem: Record | None

    @property
    def published_key(self) -> str:
        """The key that dates the publication: ``published``, else the postmortem's ``date``."""
        has = self.postmortem is not None and self.postmortem.date("published") is not None
        return "published" if has else "date"

    @property
    def published(self) -> dt.date | None:
        if self.postmortem is None or self.postmortem.data.get("status") != "published":
            return None
        return self.postmortem.date(self.published_key)


def postmortems_due(records: Records, settings: Settings, as_of: dt.date) -> list[Due]:
    """Resolved incidents at or above the threshold, with their due dates and postmortems."""
    by_incident = {
        p.data["incident"]: p
        for p in records.of("postmortem")
        if isinstance(p.data.get("incident"), str)
    }
    out = []
    for incident in records.of("incident"):
        data = incident.data
        severity = str(data.get("severity"))
        resolved_at = as_instant(data.get("resolved"))
        if data.get("status") != "resolved" or resolved_at is None:
            continue
        if not isinstance(data.get("id"), str):
            continue  # the valid rule reports it
        if not settings.needs_postmortem(severity):
            continue
        resolved = resolved_at.astimezone(settings.timezone).date()
        if resolved > as_of:
            continue
        due = add_business_days(resolved, settings.postmortem_due_days(severity))
        out.append(Due(incident, severity, resolved, due, by_incident.get(data.get("id"))))
    return out


def postmortems(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    out = []
    for item in postmortems_due(records, settings, as_of):
        ident = item.incident.data.get("id")
        days = settings.postmortem_due_days(item.severity)
        deadline = (
            f"due {item.due} ({days} business days after it was resolved on {item.resolved}, "
            f"{settings.timezone})"
        )
        if item.postmortem is None:
            start = f"ops new postmortem --project {settings.slug} --incident {ident}"
            if as_of > item.due:
                message = (
                    f"missing postmortem: {ident} ({item.severity}) needs one, {deadline}; {start}"
                )
                severity = "error"
            else:
                message = (
                    f"pending: {ident} ({item.severity}) needs a postmortem, {deadline}; {start}"
                )
                severity = "warning"
            out.append(
                Finding(
                    item.incident.rel,
                    item.incident.line("id"),
                    "$.id",
                    message,
                    rule="postmortem",
                    severity=severity,
                )
            )
            continue
        if item.published is None:
            status = item.postmortem.data.get("status")
            if as_of > item.due:
                message = (
                    f"not published: the postmortem of {ident} is {status}, and it was "
                    f"{deadline}; review and publish it"
                )
                severity = "error"
            else:
                message = f"pending: the postmortem of {ident} is {status}; it is {deadline}"
                severity = "warning"
            out.append(
                Finding(
                    item.postmortem.rel,
                    item.postmortem.line("status"),
                    "$.status",
                    message,
                    rule="postmortem",
                    severity=severity,
                )
            )
        elif item.published > item.due:
            out.append(
                Finding(
                    item.postmortem.rel,
                    item.postmortem.line(item.published_key),
                    f"$.{item.published_key}",
                    f"late: the postmortem of {ident} was published on {item.published}, "
                    f"after it was {deadline}",
                    rule="postmortem",
                    severity="warning",
                )
            )
    return out


# --- action items ----------------------------------------------------------------------------


class Item(NamedTuple):
    record: Record
    position: int
    item: dict[str, object]
    due: dt.date | None
    closed: dt.date | None  # None while it was open on the date judged

    @property
    def line(self) -> int:
        return self.record.line("action_items", self.position, "id")

    @property
    def where(self) -> str:
        return f"$.action_items[{self.position}]"

    @property
    def is_open(self) -> bool:
        return self.closed is None

    @property
    def needs_tracker(self) -> bool:
        """Items of published postmortems and held retros link to a backlog issue."""
        status = self.record.data.get("status")
        return (
            status == "published"
            if self.record.data.get("kind") == "postmortem"
            else status == "held"
        )


def action_items(records: Records, as_of: dt.date) -> list[Item]:
    """The action items of postmortems and retros as they stood on ``as_of``: an item closed
    later (or closed without a date) counts as open then."""
    out = []
    for kind in ("postmortem", "retro"):
        for record in records.of(kind):
            for index, item in enumerate(_list(record.data.get("action_items"))):
                if not isinstance(item, dict):
                    continue
                closed = as_date(item.get("closed")) if item.get("status") in CLOSED else None
                if closed is not None and closed > as_of:
                    closed = None
                out.append(Item(record, index, item, as_date(item.get("due")), closed))
    return out


def actions(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    out = []
    for item in action_items(records, as_of):
        ident, title = item.item.get("id"), shorten(str(item.item.get("title")))
        if item.is_open and item.due is not None and item.due < as_of:
            late = (as_of - item.due).days
            out.append(
                Finding(
                    item.record.rel,
                    item.line,
                    item.where,
                    f"overdue: action item {ident} {title} ({item.item.get('owner')}) was due "
                    f"{item.due}, {_days(late)} ago; close it, or agree a new due date and "
                    "write it down",
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
                    f"{_days((item.closed - item.due).days)} after it was due ({item.due})",
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


# --- SLO reporting cadence -------------------------------------------------------------------


def slo_weeks(records: Records) -> dict[Week, Record]:
    out = {}
    for record in records.of("slo-report"):
        label = record.data.get("week")
        if isinstance(label, str):
            try:
                out[parse_week(label)] = record
            except Exception:  # an invalid week is ops validate's to report
                continue
    return out


def slo_reports(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    reports = slo_weeks(records)
    if not reports:
        return []
    midnight = dt.datetime.combine(as_of, dt.time(), dt.UTC)
    last = last_complete_week(midnight)
    week, out = min(reports), []
    while week <= last:
        if week not in reports:
            rel = f"ops/{settings.slug}/slo/{week.label}.md"
            sunday = week.end - dt.timedelta(days=1)
            write = f"ops slo --project {settings.slug} --week {week.label}"
            just_ended = week == last and as_of == week.end.date()
            out.append(
                Finding(
                    rel,
                    1,
                    None,
                    f"missing SLO report for {week.label} (Mon {week.start.date()} to Sun "
                    f"{sunday.date()}){'; due today' if just_ended else ''}; write it: {write}",
                    rule="slo-reports",
                    severity="warning" if just_ended else "error",
                )
            )
        week = week.next()
    return out


# --- documents the rules cannot judge -------------------------------------------------------


def valid(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    """Documents that cannot be read or do not pass their schema: the rules would misjudge
    them (a severity of 'Critical', a date of 2026-13-01), so the gate fails closed."""
    from checks import kinds, schemas

    out = [
        Finding(rel, 1, None, f"cannot be read; run: ops validate {rel}", rule="valid")
        for rel in records.unreadable
    ]
    for kind, found in sorted(records.by_kind.items()):
        validator = schemas.fast_validator(kinds.KINDS[kind].schema)
        out.extend(
            Finding(
                record.rel,
                1,
                None,
                "does not pass its schema, so the rules cannot judge it; run: ops validate "
                f"{record.rel}",
                rule="valid",
            )
            for record in found
            if not validator.is_valid(record.data)
        )
    return out


RULES: dict[str, Rule] = {
    "valid": valid,
    "cadence": log_cadence,
    "vulnerability-sla": vulnerability_sla,
    "postmortem": postmortems,
    "action-items": actions,
    "slo-reports": slo_reports,
}


def judge(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    """Every rule's findings for one project."""
    return [f for rule in RULES.values() for f in rule(records, settings, as_of)]
