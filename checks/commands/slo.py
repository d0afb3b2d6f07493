"""``ops slo --project P``: the weekly SLO report (also ``scripts/monitor_slo.py``); and
``ops slo rules --project P``: Prometheus rules from the same SLOs (checks.commands.slo_rules)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from checks.dates import add_as_of
from checks.errors import EXIT_FAILED, EXIT_OK, OpsError
from checks.progress import add_quiet
from checks.report import json_text, say
from checks.slo import SOURCES


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "slo",
        help="write the weekly SLO report, or (ops slo rules) the SLOs' Prometheus rules",
        description="Measure the project's SLOs over an ISO week (Monday 00:00 UTC to the next "
        "Monday) and write ops/<project>/slo/<week>.md. By default the last complete week. "
        "ops slo rules --project P [--out FILE] writes Prometheus recording and burn-rate "
        "alerting rules for the same SLOs instead (docs/slo-alerts.md).",
    )
    parser.add_argument(
        "action",
        nargs="?",
        choices=("rules",),
        help="rules: print (or --out FILE) the Prometheus rules instead of writing the report",
    )
    parser.add_argument("--project", required=True, metavar="P")
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="with rules: write the rules to FILE (replaced whole) instead of printing them",
    )
    weeks = parser.add_mutually_exclusive_group()
    weeks.add_argument("--week", metavar="YYYY-Www", help="one week, e.g. 2026-W47")
    weeks.add_argument("--weeks", metavar="FIRST..LAST", help="a range, e.g. 2026-W40..2026-W47")
    parser.add_argument("--source", choices=SOURCES, help="override metrics.source in project.yaml")
    add_as_of(parser, "today's date, for the default week")
    parser.add_argument(
        "--post",
        action="store_true",
        help="post the status: $GITHUB_STEP_SUMMARY, and Slack and a GitHub issue when configured",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a week is FAIL or NO_DATA"
    )
    parser.add_argument(
        "--format", choices=("text", "json", "markdown"), help="of the report's summary (text)"
    )
    add_quiet(parser)


def run(args: argparse.Namespace) -> int:
    if args.action == "rules":
        from checks.commands import slo_rules

        return slo_rules.run(args)
    if args.out is not None:
        raise OpsError("--out is an option of ops slo rules; the report goes to ops/<project>/slo/")
    return _report(args)


def _report(args: argparse.Namespace) -> int:
    from checks import dates
    from checks import project as projects
    from checks.evidence.record import check_writable, record
    from checks.slo import weekly

    root = Path(args.root)
    project = projects.load(root, args.project)
    now = dt.datetime.now(dt.UTC)
    if args.weeks:
        weeks = dates.parse_weeks(args.weeks)
    elif args.week:
        weeks = [dates.parse_week(args.week)]
    else:
        weeks = [dates.last_complete_week(dates.as_of(args))]
    future = [w.label for w in weeks if w.end > now]
    if future:
        raise OpsError(f"week {future[0]} has not ended yet (weeks end on Monday 00:00 UTC)")
    check_writable(root)
    source = weekly.source_for(root, project, args.source)
    measured = [
        weekly.measure(root, project, source, week) for week in weeks
    ]  # all, before writing
    written = [weekly.write(root, report, now) for report in measured]
    changed = [w for w in written if w.changed]
    statuses = ", ".join(f"{w.report.week.label} {w.report.status}" for w in written)
    summary = (
        f"{len(changed)} of {len(written)} weekly reports written ({statuses}); "
        f"source {source.name}"
    )
    posted: list[str] = []
    failure: OpsError | None = None
    if args.post:  # posted before the run is recorded, so that the evidence says how it went
        from checks.slo import post

        try:
            posted = post.post_all(root, project, written)
        except OpsError as e:
            failure = e
    record(
        root,
        command="slo",
        project=project.slug,
        result="ok" if failure is None else "failed",
        summary=summary
        + (f"; posted to {', '.join(posted)}" if posted else "")
        + ("; posting failed (see the job's log)" if failure is not None else ""),
        artefacts=[Path(w.rel) for w in written],
    )
    if failure is not None:
        raise failure
    _print(args.format or "text", written, posted)
    bad = [w for w in written if w.report.status != "PASS"]
    return EXIT_FAILED if args.strict and bad else EXIT_OK


def _print(fmt: str, written: list, posted: list[str]) -> None:  # type: ignore[type-arg]
    if fmt == "json":
        from checks.slo.post import budgets

        text = json_text(
            {
                "reports": [
                    {
                        "path": w.rel,
                        "week": w.report.week.label,
                        "status": w.report.status,
                        "written": w.changed,
                        "slos": {e.slo.name: e.week.status for e in w.report.slos},
                        "budget_windows": budgets(w),
                    }
                    for w in written
                ],
                "posted": posted,
            },
            indent=2,
        )
        sys.stdout.write(text + "\n")
        return
    if fmt == "markdown":
        from checks.slo.post import summary_markdown

        for w in written:
            print(summary_markdown(w))
        return
    for w in written:
        state = "written" if w.changed else "unchanged"
        failing = [_named(e) for e in w.report.slos if e.week.status != "PASS"]
        extra = f" ({', '.join(failing)})" if failing else ""
        say(f"{w.rel}: {w.report.status}{extra}, {state}")
    for where in posted:
        say(f"posted: {where}")


def _named(entry: Any) -> str:
    """An SLO that did not pass, with the groups that failed (group_by): what to look at."""
    from checks.slo.groups import label_text

    failed = [g for g in entry.groups if g.week.status == "FAIL"]
    if not entry.slo.group_by or not failed:
        return str(entry.slo.name)
    shown = "; ".join(label_text(entry.slo.group_by, g.labels) for g in failed[:5])
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    return f"{entry.slo.name}: {shown}{more}"
