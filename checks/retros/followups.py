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
from collections.abc import Sequence
from typing import Any, NamedTuple

from checks.errors import OpsError
from checks.github import GitHub, author, labels
from checks.kinds import CLOSED
from checks.rules.facts import action_items
from checks.rules.records import Records

LABEL = "ops-followup"
TRUSTED = ("github-actions[bot]",)  # who opens the issues in GitHub Actions, with its token


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


def existing(api: GitHub, project: str, trusted: Sequence[str]) -> dict[str, str]:
    """Item id -> issue URL, for the issues this tool opened before, found by their marker.

    Anyone may open an issue and copy a marker into it: an issue is adopted only when the
    account the token acts as opened it, or when it carries the ops-followup label (which only
    people with triage rights can set) and one of the ``trusted`` accounts opened it."""
    found: dict[str, str] = {}
    pattern = re.compile(rf"<!-- ops-followup project={re.escape(project)} item=(\S+) -->")
    me = api.login()
    for issue in api.pages(f"/repos/{api.repo}/issues?state=all&per_page=100"):
        if not isinstance(issue, dict) or "pull_request" in issue:
            continue
        match = pattern.search(str(issue.get("body") or ""))
        if match and _opened_by_us(issue, me, trusted):
            found.setdefault(match.group(1), api.issue_url(issue))
    return found


def _opened_by_us(issue: dict[str, Any], me: str | None, trusted: Sequence[str]) -> bool:
    who = author(issue)
    return (me is not None and who == me) or (LABEL in labels(issue) and who in trusted)


def open_issues(
    api: GitHub,
    project: str,
    items: list[Todo],
    extra_labels: list[str],
    trusted: Sequence[str],
) -> dict[Todo, tuple[str, bool]]:
    """Each item's issue URL, and whether it was created now (else found by its marker)."""
    known = existing(api, project, trusted)
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
                "body": issue_body(project, item, api.file_url(item.rel)),
                "labels": sorted({LABEL, *extra_labels}),
            },
        )
        url = api.issue_url(created)  # checked before it is ever written
        if url in known.values():  # one issue for two items: the server is not GitHub's API
            raise OpsError(
                f"GitHub answered with {url} for {item.ident}, the issue of another action item "
                "already; nothing was written"
            )
        known[item.ident] = url
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
    for item in action_items(records, as_of):
        tracker = str(item.item.get("tracker") or "")
        number = api.tracker_number(tracker)
        if number is None:
            continue  # a tracker elsewhere (another repository, another tool)
        issue = api.call("GET", f"/repos/{api.repo}/issues/{number}", missing=True)
        ident = item.item.get("id")
        done = item.item.get("status") in CLOSED  # as the document says now
        state = issue.get("state") if isinstance(issue, dict) else None
        if issue is None:
            message = (
                f"{ident}'s tracker {tracker} was not found (deleted, moved, or not "
                "visible to this token): fix the tracker"
            )
        elif state == "closed" and not done:
            message = (
                f"{ident} is open, but its issue {tracker} is closed: close the item "
                "or reopen the issue"
            )
        elif state == "open" and done:
            message = (
                f"{ident} is {item.item.get('status')}, but its issue {tracker} is "
                "open: close the issue"
            )
        else:
            continue
        out.append(Mismatch(item.record.rel, item.line, message))
    return out
