"""Posting the weekly status: the job summary, Slack, and a GitHub tracking issue.

Where each goes comes from the environment: ``$GITHUB_STEP_SUMMARY`` (set by GitHub
Actions), ``SLACK_WEBHOOK_URL`` (a Slack incoming webhook), ``GITHUB_TOKEN`` with
``GITHUB_API_URL`` (default https://api.github.com) and the repository of the project's
``backlog.github_repository`` (else ``GITHUB_REPOSITORY``). On GitHub the status is a comment
on the project's tracking issue, "SLO status: <project>" (opened when missing); a re-run for
the same week edits its comment instead of adding one. Secrets are never printed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import urllib3

from checks.errors import OpsError
from checks.github import DEFAULT_API, GitHub, pool
from checks.project import Project
from checks.slo.render import decimal_text
from checks.slo.weekly import Written

LABEL = "slo-status"
_ICON = {"PASS": "✅", "FAIL": "❌", "NO_DATA": "⚪"}


def marker(project: str, week: str) -> str:
    return f"<!-- ops-slo project={project} week={week} -->"


def summary_markdown(written: Written) -> str:
    report = written.report
    lines = [
        marker(report.project, report.week.label),
        f"### {_ICON[report.status]} SLO status {report.project} {report.week.label}: "
        f"{report.status}",
        "",
        "| SLO | Objective | SLI | Budget left | Status |",
        "|---|---|---|---|---|",
    ]
    for entry in report.slos:
        f = entry.week
        sli = "n/a" if f.sli is None else f"{f.sli} %"
        budget = (
            "n/a" if f.error_budget_remaining is None else f"{f.error_budget_remaining * 100:.2f} %"
        )
        lines.append(
            f"| {entry.slo.name} | {decimal_text(entry.slo.objective)} % | {sli} | {budget} | "
            f"{_ICON[f.status]} {f.status} |"
        )
    lines += ["", f"Report: `{written.rel}`", ""]
    return "\n".join(lines)


def post_all(
    root: Path,
    project: Project,
    written: Sequence[Written],
    environ: Mapping[str, str] = os.environ,
    http: urllib3.PoolManager | None = None,
) -> list[str]:
    """Post every report where the environment says to; returns where it went."""
    http = http or pool()
    done: list[str] = []
    texts = [summary_markdown(w) for w in written]
    summary_file = environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8") as f:
                f.write("\n".join(texts) + "\n")
        except OSError as e:
            raise OpsError(
                f"cannot append to $GITHUB_STEP_SUMMARY: {e.strerror or e}; the reports are "
                "written, only the post failed",
                path=summary_file,
            ) from None
        done.append("job summary")
    webhook = environ.get("SLACK_WEBHOOK_URL")
    if webhook:
        for w in written:
            _slack(http, webhook, w)
        done.append("Slack")
    token = environ.get("GITHUB_TOKEN")
    repository = project.data.get("backlog", {}).get("github_repository") or environ.get(
        "GITHUB_REPOSITORY"
    )
    if token and repository:
        api = GitHub(http, environ.get("GITHUB_API_URL", DEFAULT_API), token, repository)
        issue = tracking_issue(api, project.slug)
        for w, text in zip(written, texts, strict=True):
            upsert_comment(api, issue, marker(project.slug, w.report.week.label), text)
        done.append(f"GitHub issue {repository}#{issue}")
    return done


def _slack(http: urllib3.PoolManager, webhook: str, written: Written) -> None:
    report = written.report
    failing = [e.slo.name for e in report.slos if e.week.status != "PASS"]
    text = (
        f"{_ICON[report.status]} SLO status {report.project} {report.week.label}: {report.status}"
    )
    if failing:
        text += f" ({', '.join(failing)})"
    try:
        response = http.request(
            "POST",
            webhook,
            body=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
    except urllib3.exceptions.HTTPError:
        raise OpsError("could not reach the Slack webhook (SLACK_WEBHOOK_URL)") from None
    if response.status >= 300:
        raise OpsError(f"the Slack webhook (SLACK_WEBHOOK_URL) answered HTTP {response.status}")


def tracking_issue(api: GitHub, project: str) -> int:
    title = f"SLO status: {project}"
    for issue in api.pages(f"/repos/{api.repo}/issues?state=open&labels={LABEL}&per_page=100"):
        if issue.get("title") == title and "pull_request" not in issue:
            return int(issue["number"])
    created = api.call(
        "POST",
        f"/repos/{api.repo}/issues",
        {
            "title": title,
            "body": f"Weekly SLO status of `{project}`, posted by `ops slo --post`: "
            "one comment a week.",
            "labels": [LABEL],
        },
    )
    return int(created["number"])


def upsert_comment(api: GitHub, issue: int, mark: str, text: str) -> None:
    for comment in api.pages(f"/repos/{api.repo}/issues/{issue}/comments?per_page=100"):
        if mark in (comment.get("body") or ""):
            api.call("PATCH", f"/repos/{api.repo}/issues/comments/{comment['id']}", {"body": text})
            return
    api.call("POST", f"/repos/{api.repo}/issues/{issue}/comments", {"body": text})
