"""``ops gate``: every operating rule, for one project or all, as of a date. The CI gate."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from checks.dates import add_as_of
from checks.errors import EXIT_FAILED, EXIT_OK, OpsError
from checks.findings import Finding, counted, sort_key
from checks.report import markdown_cell

if TYPE_CHECKING:
    from checks.tree import Tree
    from checks.validation.engine import Selection

EVIDENCE = "(evidence)"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "gate",
        help="check the operating rules (the CI gate)",
        description="Log cadence, vulnerability SLA, postmortems, overdue and unlinked action "
        "items, SLO reporting cadence and evidence integrity, as of a date. Exit 1 on any error.",
    )
    parser.add_argument("--project", metavar="P", help="one project (default: every project)")
    add_as_of(parser, "judge as of this date")
    parser.add_argument(
        "--base",
        metavar="REF",
        help="judge the evidence as a change since REF (ops evidence verify --base)",
    )
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")


REPOSITORY, TEMPLATES = "(repository)", "(templates)"


def _selection(root: Path, wanted: str | None) -> tuple[Tree, Selection]:
    """The scan of what the gate judges (once: validate and the rules share it)."""
    from checks import tree
    from checks.project import check_slug
    from checks.validation import engine

    if not root.is_dir():
        raise OpsError(f"--root {root}: not a directory")
    if wanted is not None:
        slug = check_slug(wanted)
        if tree.entry_type(str(root / "ops" / slug)) is None:
            raise OpsError(f"no project '{slug}': ops/{slug}/ does not exist")
        found = tree.scan_project(root, slug)
        return found, engine.Selection(found.targets, [], found.problems)
    found = tree.scan(root)
    if not found.projects and not found.problems:
        raise OpsError(f"no projects: no ops/<project>/ folder under {root}")
    return found, engine.everything(root, found)


def _group(findings: list[Finding], slugs: list[str]) -> dict[str, list[Finding]]:
    """Validate's findings by project (those outside any project by where they are), as the
    gate's rule ``valid``: what validate rejects, the gate rejects."""
    out: dict[str, list[Finding]] = {slug: [] for slug in slugs}
    for finding in findings:
        parts = finding.path.split("/")
        if parts[0] == "ops" and len(parts) > 2 and parts[1] in out:
            name = parts[1]
        else:
            name = TEMPLATES if parts[0] == "templates" else REPOSITORY
        out.setdefault(name, []).append(finding._replace(rule="valid"))
    return out


def run(args: argparse.Namespace) -> int:
    from checks import dates, rules
    from checks import project as projects
    from checks.evidence.verify import verify
    from checks.rules import records, settings
    from checks.validation import engine

    root = Path(args.root)
    as_of = dates.as_of(args)
    found, selection = _selection(root, args.project)
    slugs = sorted(found.projects) if args.project is None else [args.project]
    results = _group(engine.check(root, selection).findings, slugs)
    for slug in slugs:
        try:
            project = projects.load(root, slug)
        except OpsError as e:  # validate reports why; never let the project pass unjudged
            if not any(f.severity == "error" for f in results[slug]):
                where = e.path or f"ops/{slug}/project.yaml"
                results[slug].append(Finding(where, e.line or 1, None, e.message, rule="valid"))
            continue
        recs = records.load(root, project, found)
        results[slug] += rules.judge(recs, settings.load(root, project), as_of)
    # On a branch the manifest and validation.md are the default branch's, rebuilt there after
    # merge: that they lag is a warning here, an error of `ops evidence verify` there.
    found_evidence = verify(root, args.base, coverage="warning")
    evidence = [f._replace(rule="evidence") for f in found_evidence]
    if evidence:
        results[EVIDENCE] = evidence
    write(results, as_of, args.format, sys.stdout)
    failed = any(f.severity == "error" for found in results.values() for f in found)
    return EXIT_FAILED if failed else EXIT_OK


def counts(results: dict[str, list[Finding]]) -> tuple[int, int]:
    everything = [f for found in results.values() for f in found]
    errors = sum(counted(f) for f in everything if f.severity == "error")
    return errors, sum(1 for f in everything if f.severity == "warning")


def summary(results: dict[str, list[Finding]], as_of: dt.date) -> str:
    errors, warnings = counts(results)
    projects = len([p for p in results if p not in (EVIDENCE, REPOSITORY, TEMPLATES)])
    where = f"{projects} project{'s' if projects != 1 else ''} as of {as_of}"
    if not errors:
        extra = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
        return f"gate passed: {where}{extra}"
    return (
        f"gate failed: {errors:,} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''} in {where}"
    )


def write(results: dict[str, list[Finding]], as_of: dt.date, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        errors, warnings = counts(results)
        doc = {
            "as_of": as_of.isoformat(),
            "ok": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "projects": {
                name: [f.to_json() for f in sorted(found, key=sort_key)]
                for name, found in results.items()
            },
        }
        out.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        return
    markdown = fmt == "markdown"
    if markdown:
        out.write(f"### {summary(results, as_of)}\n\n")
    for name, found in results.items():
        by_rule: dict[str, list[Finding]] = {}
        for finding in sorted(found, key=sort_key):
            by_rule.setdefault(finding.rule, []).append(finding)
        if not by_rule:
            out.write(f"**{name}**: no findings\n\n" if markdown else f"{name}: no findings\n")
            continue
        out.write(f"**{name}**\n\n" if markdown else f"{name}\n")
        for rule, items in by_rule.items():
            out.write(f"- {rule}\n" if markdown else f"  {rule}\n")
            for f in items:
                if markdown:
                    mark = "⚠️" if f.severity == "warning" else "❌"
                    text = markdown_cell(f.message)
                    out.write(f"  - {mark} {markdown_cell(f.where)}: {text}\n")
                else:
                    out.write(f"    {f.render()}\n")
        if markdown:
            out.write("\n")
    if not markdown:
        out.write(summary(results, as_of) + "\n")
