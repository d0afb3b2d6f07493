"""The steady-state exit criteria. Pure: records and settings in, a verdict per criterion.

The window is the last K complete ISO weeks (K = steady_state.slo_consecutive_weeks), from
the Monday that starts the first of them to the as-of date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from checks.dates import Week, as_date, last_complete_week, weeks_before
from checks.findings import Finding
from checks.rules import facts
from checks.rules.records import Record, Records
from checks.rules.settings import Settings

MET, NOT_MET = "met", "not-met"


class Criterion(NamedTuple):
    name: str
    met: bool
    evidence: str

    @property
    def status(self) -> str:
        return MET if self.met else NOT_MET


def window(settings: Settings, as_of: dt.date) -> list[Week]:
    return weeks_before(last_complete_week(as_of), settings.steady_weeks)


class SloWeek(NamedTuple):
    """A week as the SLO criterion counts it (and ``ops site`` shows it)."""

    record: Record | None  # its weekly report, if any
    status: object  # the report's status, as written; None without a report
    other: str | None  # why the report does not count: not measured against today's SLOs

    @property
    def counts(self) -> bool:
        return self.status == "PASS" and not self.other


def slo_week(record: Record | None, settings: Settings) -> SloWeek:
    """The verdict on one week's report (None: there is none): PASS counts only when it was
    measured against the SLOs the project defines now."""
    if record is None:
        return SloWeek(None, None, None)
    return SloWeek(record, record.data.get("status"), facts.report_mismatch(record, settings))


def slo(records: Records, settings: Settings, as_of: dt.date) -> Criterion:
    weeks = window(settings, as_of)
    reports = facts.slo_weeks(records)
    parts, met = [], True
    first = settings.first_week()
    for week in weeks:
        if first is not None and week < first:
            met = False
            parts.append(f"{week.label} before the project started ({settings.since})")
            continue
        verdict = slo_week(reports.get(week), settings)
        record, status, other = verdict
        if not verdict.counts:
            met = False
        parts.append(
            f"{week.label} {status or 'missing'}"
            + (f" against other SLOs: {other}" if other else "")
            + (f" ({record.rel})" if record and (status != "PASS" or other) else "")
        )
    need = f"{settings.steady_weeks} consecutive PASS weeks needed"
    if first is not None and weeks[0] < first:
        after = first
        for _ in range(settings.steady_weeks):  # the Monday after the first K weeks
            after = after.next()
        need += f"; met at the earliest on {after.start.date()}"
    return Criterion("slo", met, f"{'; '.join(parts)} ({need})")


def logs(records: Records, settings: Settings, as_of: dt.date, kind: str) -> Criterion:
    """Every day from the window's start to ``as_of`` had a log no older than the cadence."""
    days = settings.dependency_days if kind == "dependency-log" else settings.security_days
    start = _start(settings, as_of)
    # the project's start counts as a log: it has a cadence's time for its first
    logged = [d for d, _ in records.dated(kind) if d <= as_of]
    dated = sorted(set(logged) | _since(settings, as_of))
    listed = ", ".join(str(d) for d in logged if d >= start) or "none"
    evidence = f"logs since {start}: {listed}; cadence {days} days"
    day, newest = start, None
    while day <= as_of:
        newest = max((d for d in dated if d <= day), default=None)
        if newest is None or (day - newest).days > days:
            if newest is None:
                last = "there was none before"
            elif newest == settings.since and newest not in logged:
                last = f"the project started on {newest}"
            else:
                last = f"the last before was {newest}"
            return Criterion(
                kind, False, f"{evidence}; on {day} no log was within {days} days ({last})"
            )
        day += dt.timedelta(days=1)
    return Criterion(kind, True, evidence)


def _start(settings: Settings, as_of: dt.date) -> dt.date:
    """The first day the criteria look at: the window's, or the project's start if later."""
    start = window(settings, as_of)[0].start.date()
    since = settings.since
    return max(start, since) if since is not None and since <= as_of else start


def _since(settings: Settings, as_of: dt.date) -> set[dt.date]:
    return {settings.since} if settings.since is not None and settings.since <= as_of else set()


def actions(records: Records, settings: Settings, as_of: dt.date) -> Criterion:
    start = _start(settings, as_of)
    items = facts.action_items(records, as_of)
    in_window = [i for i in items if i.due is not None and start <= i.due <= as_of]
    problems = []
    for item in items:
        ident = item.item.get("id")
        if item.is_open and item.due is not None and item.due < as_of:
            problems.append(f"{ident} overdue since {item.due} ({item.record.rel})")
        elif (
            item in in_window
            and not item.is_open
            and item.closed
            and item.due
            and item.closed > item.due
        ):
            problems.append(f"{ident} closed {item.closed}, after its due date {item.due}")
        if item in in_window and not item.item.get("tracker"):
            problems.append(f"{ident} has no backlog link")
    on_time = sum(
        1 for i in in_window if not i.is_open and i.closed and i.due and i.closed <= i.due
    )
    evidence = f"{len(in_window)} due since {start}, {on_time} closed on time"
    if problems:
        evidence += "; " + "; ".join(problems)
    return Criterion("actions", not problems, evidence)


def postmortems(records: Records, settings: Settings, as_of: dt.date) -> Criterion:
    """The postmortems due in the window (or still pending) were published on time."""
    start = _start(settings, as_of)
    parts, met = [], True
    for item in facts.postmortems_due(records, settings, as_of):
        if item.due < start:
            continue
        ident = item.incident.data.get("id")
        published = item.published
        if published is not None and published <= item.due:
            parts.append(f"{ident} published {published} (due {item.due})")
        elif as_of <= item.due and published is None:
            parts.append(f"{ident} pending, due {item.due}")
        else:
            met = False
            what = f"published late, {published}" if published else "not published"
            parts.append(f"{ident} {what} (due {item.due})")
    if not parts:
        return Criterion(
            "postmortems",
            True,
            f"no postmortem of an incident at or above {settings.threshold} was due since {start}",
        )
    return Criterion("postmortems", met, "; ".join(parts))


def vulnerabilities(records: Records, settings: Settings, as_of: dt.date) -> Criterion:
    late = facts.outstanding(records, settings, as_of)
    if late:
        listed = "; ".join(
            f"{o.current.finding['id']} ({o.severity}) {o.age} days, SLA {o.sla}" for o in late
        )
        return Criterion("vulnerabilities", False, f"outstanding beyond SLA: {listed}")
    # fixed findings graded as the gate judges them: from the first discovery date any log gave,
    # against the SLA of the most severe severity a log gave (facts.sla)
    fixed = [
        c
        for c in facts.current_findings(records, as_of).values()
        if c.finding.get("status") == "fixed"
    ]
    within = graded = 0
    for c in fixed:
        days = facts.sla(c, settings).days
        done = as_date(c.finding.get("fixed"))
        if days is None:
            continue
        graded += 1
        if c.discovered and done and (done - c.discovered).days <= days:
            within += 1
    return Criterion(
        "vulnerabilities",
        True,
        f"none outstanding beyond SLA; {within} of {graded} fixed findings with an SLA were "
        "fixed within it",
    )


def valid(errors: Sequence[Finding], checked: int) -> Criterion:
    """Every record passes ops validate: nothing the other criteria could misjudge."""
    if not errors:
        return Criterion("valid", True, f"all {checked} records pass ops validate")
    files = len({f.path for f in errors})
    return Criterion(
        "valid",
        False,
        f"{len(errors)} errors in {files} of {checked} records (run ops validate); the first: "
        f"{errors[0].render()}",
    )


def verdict(records: Records, settings: Settings, as_of: dt.date) -> list[Criterion]:
    return [
        slo(records, settings, as_of),
        logs(records, settings, as_of, "dependency-log"),
        logs(records, settings, as_of, "security-log"),
        actions(records, settings, as_of),
        postmortems(records, settings, as_of),
        vulnerabilities(records, settings, as_of),
    ]
