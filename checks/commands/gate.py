"""``ops gate``: every operating rule, for one project or all, as of a date. The CI gate."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from checks import outputs
from checks.dates import add_as_of
from checks.errors import EXIT_FAILED, EXIT_OK, OpsError
from checks.findings import Finding, counted, sort_key
from checks.progress import add_quiet
from checks.report import json_text, markdown_cell

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
    add_as_of(parser, "judge as of this date")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--project",
        metavar="P",
        action="append",
        help="a project to judge (repeatable; default: every project)",
    )
    scope.add_argument(
        "--changed-from",
        metavar="REF",
        help="only the projects with a file changed since the merge base with REF (every project "
        "when a schema, a template or the code changed): the pull request's gate",
    )
    parser.add_argument(
        "--base",
        metavar="REF",
        help="judge the evidence as a change since REF (ops evidence verify --base)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="ignore and do not update the validation cache"
    )
    outputs.add_options(parser)
    add_quiet(parser)


REPOSITORY, TEMPLATES = "(repository)", "(templates)"


def _selection(root: Path, wanted: list[str] | None) -> tuple[Tree, Selection]:
    """The scan of what the gate judges (once: validate and the rules share it)."""
    from checks import tree
    from checks.project import check_slug
    from checks.validation import engine

    if not root.is_dir():
        raise OpsError(f"--root {root}: not a directory")
    if wanted is not None:
        slugs = sorted({check_slug(name) for name in wanted})
        for slug in slugs:
            if tree.entry_type(str(root / "ops" / slug)) is None:
                raise OpsError(f"no project '{slug}': ops/{slug}/ does not exist")
        found = tree.scan_project(root, slugs[0]) if len(slugs) == 1 else tree.scan(root)
        return found, engine.projects(root, slugs)
    found = tree.scan(root)
    if not found.projects and not found.problems:
        raise OpsError(f"no projects: no ops/<project>/ folder under {root}")
    return found, engine.everything(root, found)


def _group(findings: list[Finding], slugs: list[str]) -> dict[str, list[Finding]]:
    """Validate's findings by project (those outside any project by where they are), as the
    gate's rule ``valid``: what validate rejects, the gate rejects."""
    from checks import tree

    out: dict[str, list[Finding]] = {slug: [] for slug in slugs}
    for finding in findings:
        parts = finding.path.split("/")
        if parts[0] == "ops" and len(parts) > 2 and parts[1] in out:
            name = parts[1]
        else:
            name = TEMPLATES if parts[0] == tree.templates_folder() else REPOSITORY
        out.setdefault(name, []).append(finding)
    return out


def _as_valid(
    results: dict[str, list[Finding]], validated: set[Finding]
) -> dict[str, list[Finding]]:
    """The findings as the gate shows them to people: validate's under the gate's rule
    ``valid`` (annotations and SARIF keep the rule validate named)."""
    return {
        name: [f._replace(rule="valid") if f in validated else f for f in found]
        for name, found in results.items()
    }


def run(args: argparse.Namespace) -> int:
    from checks import dates
    from checks.evidence.verify import verify
    from checks.validation import engine

    root = Path(args.root)
    as_of = dates.as_of(args)
    if args.changed_from is not None:
        wanted = changed_projects(root, args.changed_from)
        found, selection = _selection(root, None)
        slugs = sorted(found.projects) if wanted is None else sorted(wanted & set(found.projects))
        if wanted is not None:
            selection = engine.projects(root, slugs)
    else:
        found, selection = _selection(root, args.project)
        slugs = sorted(found.projects) if args.project is None else sorted(set(args.project))
    checked = engine.check(
        root,
        selection._replace(judge=frozenset(slugs)),
        judge=as_of,
        use_cache=not args.no_cache,
    )
    results = _group(checked.findings, slugs)  # under the rules validate named
    for slug in slugs:
        judged = checked.judged.get(slug, [])
        unjudged = len(judged) == 1 and judged[0].rule == "valid"
        if unjudged and any(f.severity == "error" for f in results[slug]):
            continue  # validate says why project.yaml cannot be read already
        results[slug] += judged
    # The runs only: on a branch the manifest and validation.md are the default branch's
    # (ops evidence verify --base judges a change; ops evidence verify, the default branch).
    evidence = [f._replace(rule="evidence") for f in verify(root, args.base, coverage="none")]
    if evidence:
        results[EVIDENCE] = evidence
    prefix = outputs.prefix_for(root, args.format, args.report)
    validated = set(checked.findings)

    def render(fmt: str, stream: TextIO) -> None:
        write(results, as_of, fmt, stream, validated=validated, prefix=prefix)

    outputs.emit(render, args.format, args.report, sys.stdout, root=root)
    failed = any(f.severity == "error" for found in results.values() for f in found)
    return EXIT_FAILED if failed else EXIT_OK


def changed_projects(root: Path, ref: str) -> set[str] | None:
    """The projects with a file changed since the merge base of ``ref`` and HEAD (committed,
    staged, in the working tree, or new); None when anything else changed (a schema, a
    template, the code: every project is judged again)."""
    from checks.evidence.verify import base_commit, git_output

    commit = base_commit(root, ref, "--changed-from")
    from checks.kinds import is_slug

    # paths relative to --root (a folder of a monorepo, or the top); renames as a delete and an
    # add, so that the project a file left is judged too
    changed = git_output(
        root, "diff", "--name-only", "--no-renames", "--relative", "-z", commit or "HEAD"
    )
    changed += git_output(root, "ls-files", "--others", "--exclude-standard", "-z")
    projects: set[str] = set()
    for path in changed:
        parts = path.split("/")
        if parts[0] == "evidence":
            continue  # the trail: judged by ops evidence verify --base
        if parts[0] != "ops" or len(parts) < 3:
            return None
        if not is_slug(parts[1]):
            return None  # a folder that is no project (a bad name): the full gate says why
        projects.add(parts[1])
    return projects


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


def write(
    results: dict[str, list[Finding]],
    as_of: dt.date,
    fmt: str,
    out: TextIO,
    *,
    validated: set[Finding] | None = None,
    prefix: str = "",
) -> None:
    """The gate's verdict in ``fmt``; ``validated`` are the findings validate made (shown under
    the rule ``valid``), ``prefix`` where --root is in the repository."""
    everything = [f for found in results.values() for f in found]
    if fmt == "github":
        from checks.reporters import github

        github.write(everything, out, summary(results, as_of), prefix=prefix)
        return
    if fmt == "sarif":
        from checks.reporters import sarif

        sarif.write(everything, out, prefix=prefix, command="ops gate")
        return
    results = _as_valid(results, validated or set())
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
        out.write(json_text(doc, indent=2, sort_keys=True) + "\n")
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
