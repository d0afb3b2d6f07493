"""``ops new KIND --project P``: a new document from its template, filled in and validated."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from checks.errors import EXIT_OK, OpsError

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
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="today's date (default: today, UTC)")
    parser.add_argument("--title", help="incident title (a postmortem takes its incident's)")
    parser.add_argument("--severity", help="incident severity, from the project's severity_scale")
    parser.add_argument("--incident", metavar="ID", help="the incident a postmortem is about")
    parser.add_argument("--id", dest="ident", metavar="ID", help="incident id (default: next free)")
    parser.add_argument("--started", metavar="INSTANT", help="incident start, RFC 3339 UTC")
    parser.add_argument("--window", help="dependency-log maintenance window (default: the date)")
    parser.add_argument(
        "--person", metavar="WHO", help="author, facilitator or reviewer (default: first owner)"
    )


def run(args: argparse.Namespace) -> int:
    from checks import atomic, newdoc
    from checks import project as projects
    from checks.dates import parse_date, today_utc
    from checks.evidence.record import record
    from checks.kinds import KINDS
    from checks.validation.engine import validate

    root = Path(args.root)
    project = projects.load(root, args.project)
    as_of = parse_date(args.as_of) if args.as_of else today_utc()
    day = parse_date(args.date, "--date") if args.date else as_of
    opts = newdoc.Options(
        day,
        args.title,
        args.severity,
        args.incident,
        args.ident,
        args.started,
        args.window,
        args.person,
    )
    name, text = newdoc.render(args.kind, newdoc.values(root, project, args.kind, opts))
    rel = f"ops/{project.slug}/{KINDS[args.kind].folder}/{name}"
    path = root / rel
    if path.exists() or path.is_symlink():
        raise OpsError("already exists; refusing to overwrite it (edit it instead)", path=rel)
    result = validate(root, [str(path)], use_cache=False, contents={rel: text.encode()})
    errors = [f for f in result.findings if f.severity == "error"]
    if errors:
        details = "; ".join(f.render() for f in errors[:3])
        raise OpsError(f"the new {args.kind} would not validate, nothing written: {details}")
    atomic.create_bytes(path, text.encode(), display=rel)
    record(
        root,
        command=f"new {args.kind}",
        project=project.slug,
        result="ok",
        summary=f"created {rel}",
        artefacts=[Path(rel)],
        as_of=as_of.isoformat(),
    )
    print(f"created {rel}")
    print(f"next: fill it in, then run: ops validate {rel}", file=sys.stderr)
    return EXIT_OK
