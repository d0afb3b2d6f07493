"""``ops retros --project P``: the retro calendar and placeholders.

scripts/schedule_retros.py runs the same code."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from checks.dates import add_as_of
from checks.errors import EXIT_OK, OpsError
from checks.report import json_text, say

DEFAULT_HORIZON_WEEKS = 8


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "retros",
        help="write the retro calendar and the placeholder documents",
        description="Write ops/<project>/calendar/retros.ics (retros in the horizon, postmortem "
        "reviews) and create placeholders: a scheduled retro document for each retro in the "
        "horizon, a postmortem draft for each resolved incident that needs one. Never "
        "overwrites a document; running twice changes nothing.",
    )
    parser.add_argument("--project", required=True, metavar="P")
    parser.add_argument(
        "--horizon-weeks",
        type=int,
        default=DEFAULT_HORIZON_WEEKS,
        metavar="N",
        help=f"how far ahead to schedule (default: {DEFAULT_HORIZON_WEEKS})",
    )
    add_as_of(parser, "today's date")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _with_documents(meetings: list[Any], recs: Any, fallback: str) -> list[Any]:
    """A retro whose document exists takes its facilitator and its cancellation from it; one
    with nobody on call is facilitated by the first owner, as its placeholder is."""
    documents = {r.data.get("date"): r.data for r in recs.of("retro")}
    out = []
    for meeting in meetings:
        data = documents.get(meeting.day.isoformat())
        if data is None:
            out.append(meeting._replace(facilitator=meeting.facilitator or fallback))
            continue
        who = data.get("facilitator")
        out.append(
            meeting._replace(
                facilitator=who if isinstance(who, str) else meeting.facilitator or fallback,
                cancelled=data.get("status") == "cancelled",
            )
        )
    return out


def run(args: argparse.Namespace) -> int:
    from checks import atomic, dates
    from checks import project as projects
    from checks.evidence.record import check_writable, record
    from checks.github import DEFAULT_API, web_url
    from checks.paths import writable
    from checks.retros import ics, placeholders, plan
    from checks.rules import records, settings

    if not 1 <= args.horizon_weeks <= 104:
        raise OpsError("--horizon-weeks must be between 1 and 104")
    root = Path(args.root)
    project = projects.load(root, args.project)
    as_of = dates.as_of(args)
    end = as_of + dt.timedelta(weeks=args.horizon_weeks)
    config = settings.of(project)
    recs = records.load(root, project)
    recs.require_readable("ops retros")  # a misplaced postmortem would get a second one
    meetings = _with_documents(
        plan.retros(project.data, project.slug, as_of, end), recs, project.owners[0]
    ) + plan.reviews(recs, config, as_of)
    check_writable(root)

    # Every new file is made and checked before anything is written.
    created = placeholders.plan(root, project, recs, config, meetings, as_of)
    rel = f"ops/{project.slug}/calendar/retros.ics"
    path = writable(root, rel)
    previous = ics.load(path, rel, config.timezone)  # at most 1 MiB, never through a link
    stamp = dt.datetime.combine(as_of, dt.time(), dt.UTC)
    repository = project.data.get("backlog", {}).get("github_repository")
    web = web_url(os.environ.get("GITHUB_API_URL", DEFAULT_API))
    base_url = f"{web}/{repository}/blob/HEAD" if repository else None
    calendar = ics.build(
        project=project.slug,
        name=project.name,
        meetings=meetings,
        settings=project.data.get("retros", {}),
        previous=previous,
        now=stamp,
        until=dt.datetime.combine(end, dt.time(), dt.UTC),
        base_url=base_url,
    )
    for new in created:
        atomic.create_bytes(writable(root, new.rel), new.text.encode(), display=new.rel)
    changed = atomic.write_bytes(path, calendar)
    artefacts = [Path(new.rel) for new in created] + [Path(rel)]
    retro_count = sum(1 for m in meetings if m.kind == "retro")
    reviews = len(meetings) - retro_count
    summary = (
        f"{retro_count} retros and {reviews} postmortem reviews until {end}; calendar "
        f"{'written' if changed else 'unchanged'}; {len(created)} placeholders created"
    )
    record(
        root,
        command="retros",
        project=project.slug,
        result="ok",
        summary=summary,
        artefacts=artefacts,
        as_of=as_of.isoformat(),
    )
    if args.format == "json":
        text = json_text(
            {
                "calendar": rel,
                "calendar_changed": changed,
                "meetings": [
                    {
                        "kind": m.kind,
                        "start": m.start.isoformat(),
                        "facilitator": m.facilitator,
                        "document": m.document,
                    }
                    for m in meetings
                ],
                "created": [new.rel for new in created],
            },
            indent=2,
        )
        sys.stdout.write(text + "\n")
        return EXIT_OK
    for m in sorted(meetings, key=lambda m: m.start):
        who = f", facilitator {m.facilitator}" if m.facilitator else ""
        say(f"{m.start:%Y-%m-%d %H:%M %Z}  {m.summary}{who}")
    for new in created:
        say(f"created {new.rel}")
    say(f"{rel}: {'written' if changed else 'unchanged'}")
    return EXIT_OK
