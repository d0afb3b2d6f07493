"""``ops followups sync --project P [--dry-run | --check]``: action items to GitHub issues."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from checks.dates import add_as_of
from checks.errors import EXIT_FAILED, EXIT_OK, OpsError
from checks.report import say


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "followups",
        help="sync action items with GitHub issues",
        description="Action items and the backlog: GITHUB_TOKEN and GITHUB_API_URL (default "
        "https://api.github.com) from the environment, the repository from project.yaml "
        "(backlog.github_repository).",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sync = sub.add_parser(
        "sync",
        help="open an issue for each action item without a tracker and link it",
        description="Open a GitHub issue for each action item without a tracker (or find the "
        "one opened before) and write its URL into the document; --check compares the "
        "trackers' issues with the items instead.",
    )
    sync.add_argument("--project", required=True, metavar="P")
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")
    mode.add_argument("--check", action="store_true", help="report items whose issue disagrees")
    add_as_of(sync, "today's date")


def run(args: argparse.Namespace) -> int:
    from checks import atomic, dates, document, github
    from checks import project as projects
    from checks.evidence.record import check_writable, record
    from checks.github import DEFAULT_API, DEFAULT_DEADLINE, GitHub
    from checks.paths import writable
    from checks.retros import followups
    from checks.retros.trackers import add_trackers
    from checks.rules import records

    root = Path(args.root)
    project = projects.load(root, args.project)
    as_of = dates.as_of(args)
    recs = records.load(root, project)
    recs.require_readable("followups sync")  # an item in a misplaced file would be skipped
    backlog = project.data.get("backlog", {})
    repository = backlog.get("github_repository")
    items = followups.todo(recs, as_of)
    if args.dry_run:
        for item in items:
            where = repository or "(no backlog.github_repository)"
            say(f"would open an issue for {item.ident} ({item.rel}) in {where} and link it")
        say(f"{len(items)} action item{'s' if len(items) != 1 else ''} without a tracker")
        return EXIT_OK
    if not repository:
        raise OpsError(
            "no backlog.github_repository in project.yaml: the issues need a repository",
            path=f"ops/{project.slug}/project.yaml",
        )
    token = github.token("set GITHUB_TOKEN (a token that may write issues) to sync follow-ups")
    api = GitHub(
        os.environ.get("GITHUB_API_URL", DEFAULT_API),
        token,
        repository,
        deadline=backlog.get("timeout_seconds", DEFAULT_DEADLINE),
    )
    if args.check:
        mismatches = followups.check(api, recs, as_of)
        for m in mismatches:
            say(f"{m.rel}:{m.line}: {m.message}")
        plural = "es" if len(mismatches) != 1 else ""
        say(f"{len(mismatches)} mismatch{plural} between action items and issues")
        return EXIT_FAILED if mismatches else EXIT_OK
    check_writable(root)
    # Every document must be able to take its trackers before any issue is opened; each is
    # read once (with its BOM, if any), and the same text gets the real URLs afterwards.
    placeholder = f"{api.web}/{repository}/issues/0"
    raws = {}
    for rel, positions in followups.by_file({i: (placeholder, False) for i in items}).items():
        raws[rel] = document.read_file(root / rel)[0].decode("utf-8")
        add_trackers(raws[rel], positions, rel)
    trusted = [*followups.TRUSTED, *backlog.get("issue_authors", [])]
    urls = followups.open_issues(api, project.slug, items, list(backlog.get("labels", [])), trusted)
    new_texts = {
        rel: add_trackers(raws[rel], positions, rel)
        for rel, positions in followups.by_file(urls).items()
    }
    for rel, text in new_texts.items():
        atomic.write_bytes(writable(root, rel), text.encode())
    created = sum(1 for _, new in urls.values() if new)
    for item, (url, new) in urls.items():
        say(f"{item.rel}: {item.ident} -> {url}{' (opened)' if new else ' (found)'}")
    summary = (
        f"{created} issues opened, {len(urls) - created} found again, "
        f"{len(new_texts)} documents linked"
    )
    record(
        root,
        command="followups sync",
        project=project.slug,
        result="ok",
        summary=summary,
        artefacts=[Path(rel) for rel in new_texts],
        as_of=as_of.isoformat(),
    )
    say(summary)
    return EXIT_OK
