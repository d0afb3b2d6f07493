"""``ops exit-criteria --project P``: the steady-state verdict, criterion by criterion."""

from __future__ import annotations

import argparse
from pathlib import Path

from checks.dates import add_as_of
from checks.errors import EXIT_FAILED, EXIT_OK
from checks.evidence.files import PENDING_DIR
from checks.findings import printable
from checks.report import json_text, markdown_cell


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "exit-criteria",
        help="the steady-state verdict, with its evidence",
        description="Judge the steady-state exit criteria (SLO PASS streak, log cadence, actions, "
        "postmortems, vulnerabilities) as of a date, record the verdict in the evidence, and "
        "exit 0 in steady state, 1 when not.",
    )
    parser.add_argument("--project", required=True, metavar="P")
    add_as_of(parser, "judge as of this date")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")


def run(args: argparse.Namespace) -> int:
    from checks import dates
    from checks import project as projects
    from checks.evidence.record import check_writable, record
    from checks.rules import criteria, records, settings
    from checks.validation import engine

    root = Path(args.root)
    project = projects.load(root, args.project)
    as_of = dates.as_of(args)
    check_writable(root)
    config = settings.load(root, project)
    checked = engine.check(root, engine.projects(root, [project.slug]))
    errors = sorted(f for f in checked.findings if f.severity == "error")
    verdict = [
        criteria.valid(errors, checked.checked),
        *criteria.verdict(records.load(root, project), config, as_of),
    ]
    steady = all(c.met for c in verdict)
    weeks = criteria.window(config, as_of)
    span = f"{weeks[0].label}..{weeks[-1].label}"
    unmet = [c.name for c in verdict if not c.met]
    summary = (
        f"steady state as of {as_of} ({span})"
        if steady
        else f"not in steady state as of {as_of} ({span}): {', '.join(unmet)} not met"
    )
    record(
        root,
        command="exit-criteria",
        project=project.slug,
        result="ok" if steady else "failed",
        summary=summary,
        as_of=as_of.isoformat(),
        criteria=[{"name": c.name, "status": c.status, "evidence": c.evidence} for c in verdict],
    )
    if args.format == "json":
        doc = {
            "project": project.slug,
            "as_of": as_of.isoformat(),
            "window": [w.label for w in weeks],
            "steady": steady,
            "criteria": [c._asdict() | {"status": c.status} for c in verdict],
        }
        print(json_text(doc, indent=2))
    elif args.format == "markdown":
        print(f"### {'✅' if steady else '❌'} {project.slug}: {summary}\n")
        print("| Criterion | Status | Evidence |\n|---|---|---|")
        for c in verdict:
            evidence = markdown_cell(c.evidence)
            print(f"| {c.name} | {'✅ met' if c.met else '❌ not met'} | {evidence} |")
    else:
        for c in verdict:
            print(f"{'met    ' if c.met else 'NOT MET'}  {c.name}: {printable(c.evidence)}")
        print(
            f"{project.slug}: {summary}; recorded in {PENDING_DIR}/ (validation.md shows it once "
            "folded on the default branch)"
        )
    return EXIT_OK if steady else EXIT_FAILED
