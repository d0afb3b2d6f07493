"""What the site shows of one project, as small values. Pure: records, settings and the
findings of ops validate in, a :class:`ProjectModel` out.

Every verdict comes from where the commands take it: the exit criteria from
:mod:`checks.rules.criteria` (as ``ops exit-criteria``), overdue action items and late
postmortems from the gate's rule findings (:func:`checks.rules.judge`), findings past their SLA
from :func:`checks.rules.facts.outstanding`. This module only arranges them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from typing import NamedTuple

from checks import rules
from checks.dates import last_complete_week
from checks.findings import Finding, sort_key
from checks.rules import criteria, facts
from checks.rules.criteria import Criterion
from checks.rules.records import Record, Records
from checks.rules.settings import Settings

MISSING = "missing"  # a week without its report
NOT_COUNTED = "not counted"  # a report the SLO criterion rejects (criteria.slo_week)
PAGES = {"slo-report": "slo", "postmortem": "postmortems"}  # kinds rendered as pages


class Problem(NamedTuple):
    """A finding of ops validate or ops gate, as the site lists it."""

    path: str
    line: int
    message: str
    severity: str
    rule: str

    @classmethod
    def of(cls, finding: Finding) -> Problem:
        where = f"{finding.json_path}: " if finding.json_path else ""
        return cls(
            finding.path, finding.line, where + finding.message, finding.severity, finding.rule
        )


class SloPoint(NamedTuple):
    week: str
    page: str | None  # the report's page, relative to the project's folder
    status: str | None  # the SLO's status that week
    sli: float | None
    objective: float | None
    budget: float | None  # error_budget_remaining: a fraction of the week's budget


class SloSeries(NamedTuple):
    name: str
    points: tuple[SloPoint, ...]


class ReportRow(NamedTuple):
    week: str
    status: str
    page: str


class ThisWeek(NamedTuple):
    week: str
    status: str  # the report's status, MISSING, or NOT_COUNTED
    page: str | None
    note: str = ""  # why the SLO criterion does not count it


class ActionRow(NamedTuple):
    ident: str
    title: str
    owner: str
    due: str
    status: str
    closed: str
    tracker: str
    source: str  # the record's path
    page: str | None  # the record's page, relative to the project's folder
    is_open: bool
    overdue: bool  # the gate's rule action-items says so


class VulnRow(NamedTuple):
    ident: str
    package: str
    severity: str  # the severity whose SLA applies (facts.sla)
    discovered: str
    status: str
    sla: int | None  # days
    left: int | None  # days from the date judged to the end of the SLA (negative: past it)
    late: bool  # facts.outstanding lists it
    expires: str  # an exception's end
    source: str


class IncidentRow(NamedTuple):
    ident: str
    title: str
    severity: str
    status: str
    started: str
    resolved: str
    source: str
    postmortem: str | None  # the postmortem's page, relative to the project's folder
    postmortem_status: str
    due: str  # when its postmortem is due, if one is required


class DueRow(NamedTuple):
    """A postmortem due and not yet published, with the gate's word on it."""

    incident: str
    severity: str
    due: str
    late: bool
    page: str | None
    message: str


class ProjectModel(NamedTuple):
    slug: str
    name: str
    owners: tuple[str, ...]
    as_of: dt.date
    readable: bool  # False: project.yaml cannot be read, nothing was judged
    this_week: ThisWeek
    streak: int  # consecutive weeks up to this one that the SLO criterion counts
    needed: int  # steady_state.slo_consecutive_weeks
    criteria: tuple[Criterion, ...]
    problems: tuple[Problem, ...]  # ops validate's errors
    findings: tuple[Problem, ...]  # the gate's rule findings
    slos: tuple[SloSeries, ...]
    reports: tuple[ReportRow, ...]  # oldest first
    incidents: tuple[IncidentRow, ...]  # newest first
    actions: tuple[ActionRow, ...]
    vulns: tuple[VulnRow, ...]  # open or accepted, least time left first
    due: tuple[DueRow, ...]

    @property
    def steady(self) -> bool:
        return self.readable and all(c.met for c in self.criteria)

    @property
    def overdue(self) -> tuple[ActionRow, ...]:
        return tuple(a for a in self.actions if a.overdue)


def page_of(rel: str, kind: str | None) -> str | None:
    """The page of a record (``slo/2026-W47.html``), relative to its project's folder."""
    folder = PAGES.get(kind or "")
    name = rel.rsplit("/", 1)[-1]
    if folder is None or not name.endswith(".md"):
        return None
    return f"{folder}/{name[:-3]}.html"


def number(value: object) -> float | None:
    """A finite number from front matter, or None (a string, a bool, NaN, infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        out = float(value)
    except OverflowError:
        return None
    return out if math.isfinite(out) else None


def text(value: object) -> str:
    return "" if value is None else str(value)


def project_model(
    records: Records,
    settings: Settings,
    as_of: dt.date,
    errors: Sequence[Finding],
    checked: int,
) -> ProjectModel:
    """The project as ``ops exit-criteria`` and ``ops gate`` judge it on ``as_of``."""
    project = records.project
    verdict = (criteria.valid(errors, checked), *criteria.verdict(records, settings, as_of))
    judged = rules.judge(records, settings, as_of)
    return ProjectModel(
        slug=project.slug,
        name=project.name,
        owners=project.owners,
        as_of=as_of,
        readable=True,
        this_week=this_week(records, settings, as_of),
        streak=streak(records, settings, as_of),
        needed=settings.steady_weeks,
        criteria=verdict,
        problems=tuple(Problem.of(f) for f in errors),
        findings=tuple(Problem.of(f) for f in sorted(judged, key=sort_key)),
        slos=slo_series(records, settings),
        reports=reports(records, settings),
        incidents=incidents(records, settings, as_of),
        actions=actions(records, as_of, judged),
        vulns=vulnerabilities(records, settings, as_of),
        due=postmortems_due(records, settings, as_of, judged),
    )


def unreadable(slug: str, as_of: dt.date, problems: Sequence[Finding], why: str) -> ProjectModel:
    """A project whose project.yaml cannot be read (``why``): only what ops validate says."""
    week = last_complete_week(as_of).label
    return ProjectModel(
        slug, slug, (), as_of, False, ThisWeek(week, MISSING, None), 0, 0,
        (Criterion("valid", False, f"{why}; nothing else can be judged (run ops validate)"),),
        tuple(Problem.of(f) for f in problems),
        (), (), (), (), (), (), (),
    )  # fmt: skip


def week_status(verdict: criteria.SloWeek) -> str:
    """A week's status as the SLO criterion judges it (never a PASS it does not count)."""
    if verdict.record is None:
        return MISSING
    if verdict.other:
        return NOT_COUNTED
    return text(verdict.status) or MISSING


def this_week(records: Records, settings: Settings, as_of: dt.date) -> ThisWeek:
    """The last complete week's report (the one the weekly job wrote last), judged as the
    SLO criterion judges it."""
    week = last_complete_week(as_of)
    verdict = criteria.slo_week(facts.slo_weeks(records).get(week), settings)
    if verdict.record is None:
        return ThisWeek(week.label, MISSING, None)
    note = f"measured against other SLOs: {verdict.other}" if verdict.other else ""
    page = page_of(verdict.record.rel, "slo-report")
    return ThisWeek(week.label, week_status(verdict), page, note)


def streak(records: Records, settings: Settings, as_of: dt.date) -> int:
    """How many of the weeks the SLO criterion needs are met, counted back from the last: the
    criterion itself judged over 1, 2, ... of them (the same weeks, the same verdict)."""
    met = 0
    for weeks in range(1, settings.steady_weeks + 1):
        shorter = dataclasses.replace(settings, steady_weeks=weeks)
        if not criteria.slo(records, shorter, as_of).met:
            break
        met = weeks
    return met


def _slo_names(records: Records, settings: Settings) -> list[str]:
    """The project's SLOs in its order, then any other a report measured, by name."""
    names = [name for name, _, _ in settings.slos or ()]
    seen = {
        entry["name"]
        for record in records.of("slo-report")
        for entry in facts.listed(record.data.get("slos"))
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    }
    return names + sorted(seen - set(names))


def _by_week(records: Records) -> list[tuple[str, Record]]:
    weeks = facts.slo_weeks(records)
    return [(week.label, weeks[week]) for week in sorted(weeks)]


def slo_series(records: Records, settings: Settings) -> tuple[SloSeries, ...]:
    """Each SLO's figures, one point per weekly report that measured it, oldest first."""
    weekly = _by_week(records)
    out = []
    for name in _slo_names(records, settings):
        points = []
        for label, record in weekly:
            entry = next(
                (
                    e
                    for e in facts.listed(record.data.get("slos"))
                    if isinstance(e, dict) and e.get("name") == name
                ),
                None,
            )
            if entry is None:
                continue
            points.append(
                SloPoint(
                    label,
                    page_of(record.rel, "slo-report"),
                    text(entry.get("status")) or None,
                    number(entry.get("sli")),
                    number(entry.get("objective")),
                    number(entry.get("error_budget_remaining")),
                )
            )
        out.append(SloSeries(name, tuple(points)))
    return tuple(out)


def reports(records: Records, settings: Settings) -> tuple[ReportRow, ...]:
    """Every weekly report, oldest first, with its status as the SLO criterion judges it."""
    out = []
    for label, record in _by_week(records):
        page = page_of(record.rel, "slo-report")
        if page is not None:
            status = week_status(criteria.slo_week(record, settings))
            out.append(ReportRow(label, status, page))
    return tuple(out)


def _postmortems(records: Records) -> dict[str, Record]:
    return {
        p.data["incident"]: p
        for p in sorted(records.of("postmortem"), key=lambda r: r.rel)
        if isinstance(p.data.get("incident"), str)
    }


def incidents(records: Records, settings: Settings, as_of: dt.date) -> tuple[IncidentRow, ...]:
    """Every incident, newest first, with its postmortem and when that is due."""
    postmortems = _postmortems(records)
    due = {d.incident.rel: d.due for d in facts.postmortems_due(records, settings, as_of)}
    rows = []
    for record in records.of("incident"):
        data = record.data
        ident = text(data.get("id"))
        postmortem = postmortems.get(ident)
        rows.append(
            IncidentRow(
                ident,
                text(data.get("title")),
                text(data.get("severity")),
                text(data.get("status")),
                text(data.get("started")),
                text(data.get("resolved")),
                record.rel,
                page_of(postmortem.rel, "postmortem") if postmortem else None,
                text(postmortem.data.get("status")) if postmortem else "",
                text(due.get(record.rel, "")),
            )
        )
    return tuple(sorted(rows, key=lambda r: (r.started, r.ident, r.source), reverse=True))


def actions(records: Records, as_of: dt.date, judged: Sequence[Finding]) -> tuple[ActionRow, ...]:
    """The action items as they stood on ``as_of``; overdue where the gate says so. Open
    ones first (by due date), then the rest."""
    overdue = {
        (f.path, f.json_path) for f in judged if f.rule == "action-items" and f.severity == "error"
    }
    rows = []
    for item in facts.action_items(records, as_of):
        data = item.item
        rows.append(
            ActionRow(
                text(data.get("id")),
                text(data.get("title")),
                text(data.get("owner")),
                text(item.due or data.get("due")),
                text(data.get("status")) if not item.is_open else "open",
                text(item.closed or ""),
                text(data.get("tracker")),
                item.record.rel,
                page_of(item.record.rel, text(item.record.data.get("kind"))),
                item.is_open,
                (item.record.rel, item.where) in overdue,
            )
        )
    return tuple(sorted(rows, key=lambda r: (not r.is_open, r.due, r.ident, r.source)))


def vulnerabilities(records: Records, settings: Settings, as_of: dt.date) -> tuple[VulnRow, ...]:
    """The findings not fixed, least time left on their SLA first (none last)."""
    late = {o.current.finding["id"] for o in facts.outstanding(records, settings, as_of)}
    rows = []
    for ident, current in sorted(facts.current_findings(records, as_of).items()):
        finding = current.finding
        if finding.get("status") == "fixed":
            continue
        sla = facts.sla(current, settings)
        left = None
        if sla.days is not None and current.discovered is not None:
            left = (current.discovered + dt.timedelta(days=sla.days) - as_of).days
        rows.append(
            VulnRow(
                ident,
                text(finding.get("package")),
                sla.severity,
                text(current.discovered or finding.get("discovered")),
                text(finding.get("status")),
                sla.days,
                left,
                ident in late,
                text(current.expires or ""),
                current.record.rel,
            )
        )
    never = 10**9
    return tuple(sorted(rows, key=lambda r: (not r.late, never if r.left is None else r.left)))


def postmortems_due(
    records: Records, settings: Settings, as_of: dt.date, judged: Sequence[Finding]
) -> tuple[DueRow, ...]:
    """The postmortems due and not published, with the gate's rule postmortem's finding."""
    said = {f.path: f for f in judged if f.rule == "postmortem"}
    rows = []
    for item in facts.postmortems_due(records, settings, as_of):
        if item.published is not None:
            continue
        where = item.postmortem.rel if item.postmortem else item.incident.rel
        finding = said.get(where)
        rows.append(
            DueRow(
                text(item.incident.data.get("id")),
                item.severity,
                item.due.isoformat(),
                finding is not None and finding.severity == "error",
                page_of(item.postmortem.rel, "postmortem") if item.postmortem else None,
                finding.message if finding else "",
            )
        )
    return tuple(sorted(rows, key=lambda r: (r.due, r.incident)))
