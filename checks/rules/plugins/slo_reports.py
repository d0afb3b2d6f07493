"""slo-reports: every complete ISO week since the project started (project.yaml since:, or
without it the first report) has its report, and the reports
of the weeks the exit criterion counts were measured against the SLOs the project defines (a
report that drops a failing SLO, or lowers its objective, counts for nothing)."""

from __future__ import annotations

import datetime as dt

from checks.dates import Week, last_complete_week
from checks.findings import Finding
from checks.rules import facts
from checks.rules.facts import slo_weeks
from checks.rules.records import Record, Records
from checks.rules.settings import Settings

SHOWN = 10  # missing weeks named one by one; the rest are counted


def check(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    reports = slo_weeks(records)
    # from the project's first week (since:) if it defines an SLO to report on, or else
    # from the first report
    start = settings.first_week() if settings.slos != () else None
    # a report from before the start counts from itself: the start never excuses a gap
    first = min(
        [w for w in (start, min(reports) if reports else None) if w is not None], default=None
    )
    if first is None:
        return []
    last = last_complete_week(as_of)
    week, more, first_hidden = first, 0, None
    out: list[Finding] = []
    while week <= last:
        if week not in reports and len(out) >= SHOWN:
            more += 1
            first_hidden = first_hidden or week
        elif week not in reports:
            sunday = week.end - dt.timedelta(days=1)
            write = f"ops slo --project {settings.slug} --week {week.label}"
            just_ended = week == last and as_of == week.end.date()
            out.append(
                Finding(
                    f"ops/{settings.slug}/slo/{week.label}.md",
                    1,
                    None,
                    f"missing SLO report for {week.label} (Mon {week.start.date()} to Sun "
                    f"{sunday.date()}){'; due today' if just_ended else ''}; write it: {write}",
                    rule="slo-reports",
                    severity="warning" if just_ended else "error",
                )
            )
        week = week.next()
    out += _measured_otherwise(reports, settings, as_of)
    if first_hidden is not None:
        out.append(
            Finding(
                f"ops/{settings.slug}/slo/{first_hidden.label}.md",
                1,
                None,
                f"... and {more:,} more complete weeks without a report, up to {last.label}",
                rule="slo-reports",
            )
        )
    return out


def _measured_otherwise(
    reports: dict[Week, Record], settings: Settings, as_of: dt.date
) -> list[Finding]:
    from checks.rules.criteria import window

    out = []
    for week in window(settings, as_of):
        record = reports.get(week)
        reason = facts.report_mismatch(record, settings) if record else None
        if record is None or reason is None:
            continue
        passed = record.data.get("status") == "PASS"
        out.append(
            Finding(
                record.rel,
                record.line("slos"),
                "$.slos",
                f"{week.label} was not measured against the project's SLOs: {reason}; "
                f"write it again: ops slo --project {settings.slug} --week {week.label}",
                rule="slo-reports",
                severity="error" if passed else "warning",
            )
        )
    return out
