"""The comment's Markdown: the gate's verdict per project, then its findings. Pure.

Every text the artifact holds (paths, messages, rules, a reason) is hostile and reaches the
body through :func:`checks.report.markdown_cell` and :func:`inert`: shown as written, it can
neither mention a person or a team, reference an issue, add a link or an image, nor close the
``<details>`` it stands in. Project names are slugs (checked when read), and the only other
values, the commit and the run's URL, come from GitHub's event. The body stays under GitHub's
limit on a comment, cut with a pointer to the run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from checks.findings import Finding, counted, scrubbed
from checks.prcomment.artifact import Gate, Outcome
from checks.report import markdown_cell

MARKER = "<!-- ops-gate-comment -->"  # the first line of the comment: how it is found again
LIMIT = 65_536  # GitHub's limit on a comment's body
ROOM = LIMIT - 1_536  # for all but the last lines, in UTF-8 bytes (as many as characters, or more)
COLLAPSE_AFTER = 10  # more findings than this: each project's in a <details>
MAX_ROWS = 100  # projects in the table
MAX_MESSAGE, MAX_PATH, MAX_RULE = 500, 300, 60  # characters of one finding shown

# What GitHub links in the rendered text, where a backslash escape is already gone: @mentions
# (and e-mail addresses), #123, GH-123 and owner/repo#123 references, bare URLs and www.
# addresses. A zero-width space after their first characters breaks each, and shows nothing.
# (A repository's own autolinks, such as JIRA-123, are its choice and stay links.)
_LINKED = re.compile(r"\\@|#(?=[0-9])|\b(?i:gh)(?=-[0-9])|:(?=//)|\b(?i:www)(?=\.)")
_ZWSP = "&#8203;"


def inert(text: str, limit: int) -> str:
    """Artifact text, at most ``limit`` characters of it, as inert Markdown on one line (the
    secrets taken out before it is cut: a cut through a password would leave its start)."""
    text = scrubbed(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _LINKED.sub(lambda m: m[0] + _ZWSP, markdown_cell(text))


def body(outcome: Outcome, head_sha: str, run_url: str) -> str:
    """The whole comment for ``outcome`` of the gate on ``head_sha``, whose run is ``run_url``."""
    short, run = head_sha[:7], f"[the run]({run_url})"
    if outcome.kind == "passed":
        return (
            f"{MARKER}\n✅ ops gate passes on {short} — the findings reported earlier are "
            f"resolved ({run}).\n"
        )
    if outcome.kind == "unfinished":
        code = "" if outcome.exit_code is None else f" (exit {outcome.exit_code})"
        return f"{MARKER}\n### ⚠️ ops gate did not finish on {short}{code}\n\nSee {run}.\n"
    if outcome.kind == "unreadable" or outcome.gate is None:
        return (
            f"{MARKER}\n### ⚠️ ops gate: the result of the run on {short} could not be read\n\n"
            f"{inert(outcome.reason, MAX_MESSAGE)}\n\nSee {run}.\n"
        )
    return _failed(outcome.gate, short, run)


def _failed(gate: Gate, short: str, run: str) -> str:
    everything = [f for _, found in gate.projects for f in found]
    head = [
        MARKER,
        f"### ❌ ops gate failed on {short}: {_counts(everything)}",
        "",
        *_table(gate),
        "",
    ]
    foot = [f"As of {gate.as_of}; {run}. This comment is updated on every push."]
    lines, shown = _sections(gate, ROOM - _size(head) - _size(foot))
    if shown < len(everything):
        lines += [f"… and {len(everything) - shown:,} more; see {run}.", ""]
    return "\n".join([*head, *lines, *foot]) + "\n"


def _table(gate: Gate) -> list[str]:
    rows = ["| Project | Verdict |", "|---|---|"]
    for name, found in gate.projects[:MAX_ROWS]:
        rows.append(f"| {markdown_cell(name)} | {_verdict(found)} |")
    if len(gate.projects) > MAX_ROWS:
        rows.append(f"| … and {len(gate.projects) - MAX_ROWS:,} more | see the run |")
    return rows


def _sections(gate: Gate, room: int) -> tuple[list[str], int]:
    """Each project's findings, errors first, as long as they fit in ``room`` bytes; and how
    many findings that shows."""
    with_findings = [(name, found) for name, found in gate.projects if found]
    total = sum(len(found) for _, found in with_findings)
    collapse = total > COLLAPSE_AFTER or len(with_findings) > 1
    lines: list[str] = []
    shown = 0
    for name, found in with_findings:
        shown_name = markdown_cell(name)
        if collapse:
            opening = [f"<details><summary>{shown_name}: {_counts(found)}</summary>", ""]
            closing = ["", "</details>", ""]
        else:
            opening, closing = [f"**{shown_name}**", ""], [""]
        room -= _size(opening) + _size(closing)
        items: list[str] = []
        for finding in sorted(found, key=lambda f: f.severity != "error"):
            item = _item(finding)
            if _size([item]) > room:
                break
            room -= _size([item])
            items.append(item)
        if items:
            lines += [*opening, *items, *closing]
            shown += len(items)
        if len(items) < len(found):
            break
    return lines, shown


def _item(f: Finding) -> str:
    mark = "❌" if f.severity == "error" else "⚠️"
    where = f"{inert(f.path, MAX_PATH)}:{f.line}"
    return f"- {mark} {where} — {inert(f.message, MAX_MESSAGE)} ({inert(f.rule, MAX_RULE)})"


def _verdict(found: Sequence[Finding]) -> str:
    errors = sum(counted(f) for f in found if f.severity == "error")
    if errors:
        return f"❌ {_counts(found)}"
    warnings = sum(1 for f in found if f.severity == "warning")
    return "✅ passed" + (f", {_plural(warnings, 'warning')}" if warnings else "")


def _counts(found: Sequence[Finding]) -> str:
    errors = sum(counted(f) for f in found if f.severity == "error")
    warnings = sum(1 for f in found if f.severity == "warning")
    return f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _size(lines: Sequence[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)
