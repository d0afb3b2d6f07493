"""``ops new KIND --project P``: a new document from its template, filled in and validated."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from checks.dates import add_as_of
from checks.errors import EXIT_OK, OpsError
from checks.report import say

CREATABLE = ("incident", "postmortem", "retro", "dependency-log", "security-log")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "new",
        help="create a document from its template",
        description="Create a document from its template, filled in and validated; "
        "never overwrites an existing file.",
    )
    parser.add_argument("kind", choices=CREATABLE, metavar="KIND", help=", ".join(CREATABLE))
    parser.add_argument("--project", required=True, metavar="P")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="the record's date (default: --as-of)")
    add_as_of(parser, "today's date")
    parser.add_argument("--title", help="incident title (a postmortem takes its incident's)")
    parser.add_argument("--severity", help="incident severity, from the project's severity_scale")
    parser.add_argument("--incident", metavar="ID", help="the incident a postmortem is about")
    parser.add_argument("--id", dest="ident", metavar="ID", help="incident id (default: next free)")
    parser.add_argument("--started", metavar="INSTANT", help="incident start, RFC 3339 UTC")
    parser.add_argument(
        "--window",
        help="dependency-log maintenance window (default: the date, or the --from-git range)",
    )
    parser.add_argument(
        "--from-git",
        metavar="REV1..REV2",
        help="dependency-log: the updates the lockfiles of these commits made, one per "
        "package and commit (see docs/dependency-logs.md)",
    )
    parser.add_argument(
        "--person", metavar="WHO", help="author, facilitator or reviewer (default: first owner)"
    )
    parser.add_argument(
        "--service",
        dest="services",
        action="append",
        default=[],
        metavar="NAME",
        help="an affected service of a new incident (repeat for each; default: none yet)",
    )


INCIDENT_ID = re.compile(r"INC-[0-9A-Za-z]+(-[0-9A-Za-z]+)*")
INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _check_options(args: argparse.Namespace) -> None:
    """Refuse option values that would not make a sound record, before reading anything."""
    from checks.formats import is_date_time

    if args.from_git is not None and args.kind != "dependency-log":
        raise OpsError("--from-git is for ops new dependency-log only")
    for option in (
        "title",
        "severity",
        "incident",
        "ident",
        "started",
        "window",
        "person",
        "from_git",
    ):
        value = getattr(args, option)
        name = "--id" if option == "ident" else f"--{option.replace('_', '-')}"
        if value is not None and (not value.strip() or "\n" in value or "\r" in value):
            raise OpsError(f"{name} must be a single line of text")
    for value in args.services:
        if not value.strip() or "\n" in value or "\r" in value or len(value) > 200:
            raise OpsError("--service must be a single line of text (at most 200 characters)")
    for option, value in (("--id", args.ident), ("--incident", args.incident)):
        if value is not None and (len(value) > 64 or not INCIDENT_ID.fullmatch(value)):
            raise OpsError(f"{option} {value!r} must be an incident id such as INC-2026-014")
    if args.started is not None and not (
        INSTANT.fullmatch(args.started) and is_date_time(args.started)
    ):
        raise OpsError(
            f"--started {args.started!r} must be an RFC 3339 UTC instant such as "
            "2026-11-23T06:00:00Z"
        )


def run(args: argparse.Namespace) -> int:
    from checks import atomic, dates, newdoc
    from checks import project as projects
    from checks.evidence.record import check_writable, record
    from checks.kinds import KINDS
    from checks.paths import writable
    from checks.rules import records
    from checks.validation.engine import check_before_writing

    root = Path(args.root)
    _check_options(args)
    project = projects.load(root, args.project)
    as_of = dates.as_of(args)
    day = dates.option_date(args.date, "--date") if args.date else as_of
    opts = newdoc.Options(
        day,
        args.title,
        args.severity,
        args.incident,
        args.ident,
        args.started,
        args.window,
        args.person,
        tuple(dict.fromkeys(args.services)),
    )
    if args.from_git is not None:
        from checks.lockfiles import git

        found = tuple(git.updates(root, args.from_git))
        opts = opts._replace(window=opts.window or args.from_git, updates=found)
    recs = records.load(root, project)
    recs.require_readable(f"ops new {args.kind}")  # a misplaced record would be missed
    name, text = newdoc.render(args.kind, newdoc.values(recs, args.kind, opts))
    rel = f"ops/{project.slug}/{KINDS[args.kind].folder}/{name}"
    path = writable(root, rel)
    if path.exists() or path.is_symlink():
        raise OpsError("already exists; refusing to overwrite it (edit it instead)", path=rel)
    check_writable(root)  # the evidence, before the record: all or nothing
    check_before_writing(root, {rel: text.encode()}, f"the new {args.kind}")
    atomic.create_bytes(path, text.encode(), display=rel)
    record(
        root,
        command=f"new {args.kind}",
        project=project.slug,
        result="ok",
        summary=f"created {rel}"
        + (f" with {len(opts.updates)} updates from {args.from_git}" if args.from_git else ""),
        artefacts=[Path(rel)],
        as_of=as_of.isoformat(),
    )
    say(f"created {rel}")
    say(f"next: fill it in, then run: ops validate {rel}", sys.stderr)
    return EXIT_OK
