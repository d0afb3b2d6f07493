"""Posting the weekly status: the job summary, Slack, and a GitHub tracking issue.

Where each goes comes from the environment: ``$GITHUB_STEP_SUMMARY`` (set by GitHub
Actions), ``SLACK_WEBHOOK_URL`` (a Slack incoming webhook), ``GITHUB_TOKEN`` with
``GITHUB_API_URL`` (default https://api.github.com) and the repository of the project's
``backlog.github_repository`` (else ``GITHUB_REPOSITORY``). On GitHub the status is a comment
on the project's tracking issue, "SLO status: <project>" (opened when missing); a re-run for
the same week edits its comment instead of adding one. Secrets are never printed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import urllib3

from checks.errors import OpsError
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
    http = http or urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=10, read=30),
        retries=urllib3.Retry(total=3, backoff_factor=0.5, status_forcelist=(502, 503, 504)),
    )
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
        api = GitHub(
            http, environ.get("GITHUB_API_URL", "https://api.github.com"), token, repository
        )
        issue = api.tracking_issue(project.slug)
        for w, text in zip(written, texts, strict=True):
            api.upsert_comment(issue, marker(project.slug, w.report.week.label), text)
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


class GitHub:
    """The few REST calls a tracking issue needs."""

    def __init__(self, http: urllib3.PoolManager, api: str, token: str, repository: str) -> None:
        self.http = http
        self.api = api.rstrip("/")
        self.repo = "/".join(quote(part, safe="") for part in repository.split("/"))
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "operations-protocol",
        }

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = path if path.startswith("http") else f"{self.api}{path}"
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = self.http.request(method, url, body=data, headers=headers)
        except urllib3.exceptions.HTTPError as e:
            raise OpsError(
                f"cannot reach the GitHub API (GITHUB_API_URL): {type(e).__name__}"
            ) from None
        if response.status >= 300:
            message = ""
            with contextlib.suppress(ValueError, AttributeError):
                message = str(json.loads(response.data).get("message", ""))
            hint = (
                " (check GITHUB_TOKEN and its permissions: issues: write)"
                if response.status in (401, 403, 404)
                else ""
            )
            where = path.split("?")[0].removeprefix(self.api)
            raise OpsError(f"GitHub API {method} {where}: HTTP {response.status} {message}{hint}")
        self.next_page = _next_link(response.headers.get("Link", ""))
        return json.loads(response.data) if response.data else None

    def pages(self, path: str) -> list[Any]:
        items: list[Any] = []
        url: str | None = path
        for _ in range(50):  # at most 5,000 items
            if url is None:
                break
            items.extend(self.call("GET", url) or [])
            url = self.next_page
        return items

    def tracking_issue(self, project: str) -> int:
        title = f"SLO status: {project}"
        for issue in self.pages(
            f"/repos/{self.repo}/issues?state=open&labels={LABEL}&per_page=100"
        ):
            if issue.get("title") == title and "pull_request" not in issue:
                return int(issue["number"])
        created = self.call(
            "POST",
            f"/repos/{self.repo}/issues",
            {
                "title": title,
                "body": f"Weekly SLO status of `{project}`, posted by `ops slo --post`: "
                "one comment a week.",
                "labels": [LABEL],
            },
        )
        return int(created["number"])

    def upsert_comment(self, issue: int, mark: str, text: str) -> None:
        for comment in self.pages(f"/repos/{self.repo}/issues/{issue}/comments?per_page=100"):
            if mark in (comment.get("body") or ""):
                self.call(
                    "PATCH", f"/repos/{self.repo}/issues/comments/{comment['id']}", {"body": text}
                )
                return
        self.call("POST", f"/repos/{self.repo}/issues/{issue}/comments", {"body": text})


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            return url.strip().strip("<>")
    return None
