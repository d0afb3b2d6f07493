"""What the records say, as of a date: the facts that the rules, the exit criteria, the
retro planner and the follow-ups all query. Pure: records and settings in, values out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from checks.dates import Week, add_business_days, as_date, local_date, week_from
from checks.kinds import CLOSED, FINDING_SEVERITIES, is_finished
from checks.rules.records import Record, Records
from checks.rules.settings import Settings

OPEN_INCIDENT = ("open", "mitigated")


def listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


# --- vulnerabilities -------------------------------------------------------------------------


class Current(NamedTuple):
    """A finding as the newest security log that names it records it, the first day any log
    says it was discovered (a later log cannot move the SLA clock), and the most severe
    severity any log gave it (a later log cannot lower its SLA)."""

    record: Record
    position: int
    finding: dict[str, object]
    discovered: dt.date | None
    highest: str | None  # in FINDING_SEVERITIES' order; None if no log gave it one of them
    since: Record  # the first of the newest logs that all give it its present severity

    @property
    def line(self) -> int:
        return self.record.line("findings", self.position, "id")

    @property
    def where(self) -> str:
        return f"$.findings[{self.position}]"

    @property
    def expires(self) -> dt.date | None:
        exception = self.finding.get("exception")
        return as_date(exception.get("expires")) if isinstance(exception, dict) else None


def _more_severe(a: str | None, b: object) -> str | None:
    """The more severe of a finding severity and a value (one that is no severity, which
    ops validate reports, counts as none)."""
    if not isinstance(b, str) or b not in FINDING_SEVERITIES:
        return a
    if a is None or FINDING_SEVERITIES.index(b) < FINDING_SEVERITIES.index(a):
        return b
    return a


def current_findings(records: Records, as_of: dt.date) -> dict[str, Current]:
    current: dict[str, Current] = {}
    for day, record in records.dated("security-log"):
        if day > as_of:
            continue
        for index, finding in enumerate(listed(record.data.get("findings"))):
            if isinstance(finding, dict) and isinstance(finding.get("id"), str):
                ident = finding["id"]
                dates = [as_date(finding.get("discovered"))]
                severity = finding.get("severity")
                highest, since = _more_severe(None, severity), record
                prior = current.get(ident)
                if prior is not None:
                    dates.append(prior.discovered)
                    highest = _more_severe(prior.highest, severity)
                    if prior.finding.get("severity") == severity:
                        since = prior.since
                first = min((d for d in dates if d is not None), default=None)
                current[ident] = Current(record, index, finding, first, highest, since)
    return current


class Sla(NamedTuple):
    days: int | None  # None: no SLA
    severity: str  # the severity it is the SLA of
    lowered: Record | None  # the log that lowered the finding below that severity, if one did


def sla(current: Current, settings: Settings) -> Sla:
    """A finding's SLA: the shorter of its present severity's and that of the most severe
    severity any log gave it. Lowering a finding's severity never lengthens its SLA; raising
    it shortens it; ``unknown`` (which counts as high) counts only while the finding is
    unknown, since it is the least severe: triage to a known severity ends it."""
    now = str(current.finding.get("severity"))
    days = settings.sla_days(now)
    highest = current.highest
    if highest is None or highest == now:
        return Sla(days, now, None)
    then = settings.sla_days(highest)
    if then is not None and (days is None or then < days):
        return Sla(then, highest, current.since)
    return Sla(days, now, None)


class Outstanding(NamedTuple):
    current: Current
    age: int
    sla: int
    why: str  # "still open" or "its exception expired on ..."
    severity: str  # the severity whose SLA it is past (see sla())
    lowered: Record | None  # the log that lowered it below that severity


def outstanding(records: Records, settings: Settings, as_of: dt.date) -> list[Outstanding]:
    """Findings open (or accepted with an expired exception) past their SLA."""
    out = []
    for current in current_findings(records, as_of).values():
        finding = current.finding
        days, severity, lowered = sla(current, settings)
        discovered = current.discovered
        if days is None or discovered is None:
            continue
        age = (as_of - discovered).days
        status, expires = finding.get("status"), current.expires
        if age <= days or status == "fixed":
            continue
        if status == "accepted" and expires is None:
            why = "accepted without an exception that expires"
        elif status == "accepted" and expires is not None and expires < as_of:
            why = f"its exception expired on {expires}"
        elif status != "accepted":
            why = "still open"
        else:
            continue
        out.append(Outstanding(current, age, days, why, severity, lowered))
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
        resolved = local_date(data.get("resolved"), settings.timezone)
        if data.get("status") != "resolved" or resolved is None:
            continue
        if not isinstance(data.get("id"), str) or not settings.needs_postmortem(severity):
            continue
        if resolved > as_of:
            continue
        due = add_business_days(resolved, settings.postmortem_due_days(severity))
        out.append(Due(incident, severity, resolved, due, by_incident.get(data.get("id"))))
    return out


# --- incidents -------------------------------------------------------------------------------


class Open(NamedTuple):
    incident: Record
    status: str  # open or mitigated
    started: dt.date  # the team's local date
    age: int  # whole days from the day it started to the date judged


def open_incidents(records: Records, settings: Settings, as_of: dt.date) -> list[Open]:
    """Incidents still open or mitigated on ``as_of`` (one resolved later was open then)."""
    out = []
    for incident in records.of("incident"):
        data = incident.data
        started = local_date(data.get("started"), settings.timezone)
        if started is None or started > as_of:
            continue
        resolved = local_date(data.get("resolved"), settings.timezone)
        status = data.get("status")
        if status == "resolved" and resolved is not None and resolved > as_of:
            status = "open"
        if status in OPEN_INCIDENT:
            out.append(Open(incident, str(status), started, (as_of - started).days))
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
        return is_finished(self.record.data.get("kind"), self.record.data)


def action_items(records: Records, as_of: dt.date) -> list[Item]:
    """The action items of postmortems and retros as they stood on ``as_of``: an item closed
    later (or closed without a date) counts as open then."""
    out = []
    for kind in ("postmortem", "retro"):
        for record in records.of(kind):
            for index, item in enumerate(listed(record.data.get("action_items"))):
                if not isinstance(item, dict):
                    continue
                closed = as_date(item.get("closed")) if item.get("status") in CLOSED else None
                if closed is not None and closed > as_of:
                    closed = None
                out.append(Item(record, index, item, as_date(item.get("due")), closed))
    return out


# --- SLO reports -----------------------------------------------------------------------------


def slo_weeks(records: Records) -> dict[Week, Record]:
    out = {}
    for record in records.of("slo-report"):
        week = week_from(record.data.get("week"))
        if week is not None:  # an invalid week is ops validate's to report
            out[week] = record
    return out


def report_mismatch(record: Record, settings: Settings) -> str | None:
    """Why a report was not measured against the SLOs the project defines now (a missing or
    an extra SLO, another objective), or None when it was, or when that cannot be told."""
    if settings.slos is None:
        return None
    measured = {}
    grouped: dict[str, tuple[str, ...]] = {}
    for entry in listed(record.data.get("slos")):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            objective = entry.get("objective")
            if isinstance(objective, int | float) and not isinstance(objective, bool):
                measured[entry["name"]] = Decimal(str(objective))
            labels = entry.get("group_by")
            grouped[entry["name"]] = tuple(labels) if isinstance(labels, list) else ()
    defined = {name: objective for name, objective, _ in settings.slos}
    missing = [name for name in defined if name not in measured]
    if missing:
        return f"it lacks {_names(missing)}, which the project defines"
    extra = [name for name in measured if name not in defined]
    if extra:
        return f"it measures {_names(extra)}, which the project does not define"
    for name, objective in defined.items():
        if measured[name] != objective:
            from checks.slo.render import decimal_text

            return (
                f"it measures {name!r} against {decimal_text(measured[name])}, the project's "
                f"objective is {decimal_text(objective)}"
            )
    for name, _, group_by in settings.slos:  # a report without its groups hides a failing one
        if grouped.get(name, ()) != group_by:
            shown = ", ".join(grouped.get(name, ())) or "nothing"
            return (
                f"it measures {name!r} grouped by {shown}, the project groups it by "
                f"{', '.join(group_by) or 'nothing'}"
            )
    return None


def _names(names: list[str]) -> str:
    shown = [repr(n) for n in names[:3]] + ([f"{len(names) - 3} more"] if len(names) > 3 else [])
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
