"""slo-reports: every complete ISO week since the first report has its report."""

from __future__ import annotations

import datetime as dt

from checks.dates import last_complete_week
from checks.findings import Finding
from checks.rules.facts import slo_weeks
from checks.rules.records import Records
from checks.rules.settings import Settings

SHOWN = 10  # missing weeks named one by one; the rest are counted


def check(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    reports = slo_weeks(records)
    if not reports:
        return []
    last = last_complete_week(as_of)
    week, more, first_hidden = min(reports), 0, None
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
