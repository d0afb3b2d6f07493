"""Follow-up action items synced to GitHub Issues.

Each action item without a ``tracker`` gets an issue (title, a body that links back to its
document, the project's labels, and a hidden marker naming the project and the item), and
the issue's URL is written back as its tracker. A re-run finds an issue by its marker
instead of opening a second one. Every issue is made first and every file written after, each
atomically: a failure midway leaves each file untouched or fully updated, and the next run
picks up where this one stopped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple

from checks.github import GitHub
from checks.kinds import CLOSED
from checks.rules.facts import action_items
from checks.rules.records import Records

LABEL = "ops-followup"
_ISSUE_URL = re.compile(r"^https://github\.com/([^/]+/[^/]+)/issues/(\d+)$")


def marker(project: str, ident: str) -> str:
    return f"<!-- ops-followup project={project} item={ident} -->"


class Todo(NamedTuple):
    rel: str
    position: int
    ident: str
    title: str
    owner: str
    due: str
    status: str  # open, done or dropped: a closed item's issue is closed at once


class Mismatch(NamedTuple):
    rel: str
    line: int
    message: str


def todo(records: Records, as_of: Any) -> list[Todo]:
    """Action items with an id and no tracker, in document order."""
    out = []
    for item in action_items(records, as_of):
        data = item.item
        if data.get("tracker") or not isinstance(data.get("id"), str):
            continue
        out.append(
            Todo(
                item.record.rel,
                item.position,
                str(data["id"]),
                str(data.get("title", "")),
                str(data.get("owner", "")),
                str(data.get("due", "")),
                str(data.get("status", "open")),
            )
        )
    return out


def issue_body(project: str, item: Todo, link: str) -> str:
    return (
        f"Action item **{item.ident}** of [{item.rel}]({link}).\n\n"
        f"- Owner: {item.owner}\n- Due: {item.due}\n\n"
        "Close this issue when the item is done; set `status: done` and `closed:` in the "
        "document too (`ops followups sync --check` compares them).\n\n"
        f"{marker(project, item.ident)}\n"
    )


def existing(api: GitHub, project: str) -> dict[str, str]:
    """Item id -> issue URL, for the issues this tool opened before (found by marker)."""
    found: dict[str, str] = {}
    pattern = re.compile(rf"<!-- ops-followup project={re.escape(project)} item=(\S+) -->")
    # Every issue, not only labelled ones: a label can be removed, and GitHub drops labels
    # from tokens that may not set them; the marker is what counts.
    for issue in api.pages(f"/repos/{api.repo}/issues?state=all&per_page=100"):
        match = pattern.search(issue.get("body") or "")
        if match and "pull_request" not in issue:
            found.setdefault(match.group(1), str(issue["html_url"]))
    return found


def open_issues(
    api: GitHub,
    project: str,
    items: list[Todo],
    labels: list[str],
    link: Callable[[str], str],
) -> dict[Todo, tuple[str, bool]]:
    """Each item's issue URL, and whether it was created now (else found by its marker)."""
    known = existing(api, project)
    out = {}
    for item in items:
        if item.ident in known:
            out[item] = (known[item.ident], False)
            continue
        created = api.call(
            "POST",
            f"/repos/{api.repo}/issues",
            {
                "title": f"[{project}] {item.title}",
                "body": issue_body(project, item, link(item.rel)),
                "labels": sorted({LABEL, *labels}),
            },
        )
        known[item.ident] = str(created["html_url"])
        if item.status in CLOSED:  # the item is closed: so is its issue
            reason = "completed" if item.status == "done" else "not_planned"
            api.call(
                "PATCH",
                f"/repos/{api.repo}/issues/{created['number']}",
                {"state": "closed", "state_reason": reason},
            )
        out[item] = (known[item.ident], True)
    return out


def by_file(urls: dict[Todo, tuple[str, bool]]) -> dict[str, dict[int, str]]:
    grouped: dict[str, dict[int, str]] = defaultdict(dict)
    for item, (url, _) in urls.items():
        grouped[item.rel][item.position] = url
    return dict(grouped)


def check(api: GitHub, records: Records, as_of: Any) -> list[Mismatch]:
    """Items whose tracker issue's state disagrees with them."""
    out = []
    repo = api.repo.lower()
    for item in action_items(records, as_of):
        match = _ISSUE_URL.match(str(item.item.get("tracker") or ""))
        if match is None or match.group(1).lower() != repo:
            continue
        issue = api.call("GET", f"/repos/{api.repo}/issues/{match.group(2)}", missing=True)
        ident = item.item.get("id")
        done = item.item.get("status") in CLOSED  # as the document says now
        state = issue.get("state") if isinstance(issue, dict) else None
        if issue is None:
            message = (
                f"{ident}'s tracker {match.group(0)} was not found (deleted, moved, or not "
                "visible to this token): fix the tracker"
            )
        elif state == "closed" and not done:
            message = (
                f"{ident} is open, but its issue {match.group(0)} is closed: close the item "
                "or reopen the issue"
            )
        elif state == "open" and done:
            message = (
                f"{ident} is {item.item.get('status')}, but its issue {match.group(0)} is "
                "open: close the issue"
            )
        else:
            continue
        out.append(Mismatch(item.record.rel, item.line, message))
    return out
