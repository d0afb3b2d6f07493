"""Posting the weekly status: the job summary, Slack, and a GitHub tracking issue.

Where each goes comes from the environment: ``$GITHUB_STEP_SUMMARY`` (set by GitHub
Actions), ``SLACK_WEBHOOK_URL`` (a Slack incoming webhook), ``GITHUB_TOKEN`` with
``GITHUB_API_URL`` (default https://api.github.com) and the repository of the project's
``backlog.github_repository`` (else ``GITHUB_REPOSITORY``). On GitHub the status is a comment
on the project's tracking issue, "SLO status: <project>" (opened when missing); a re-run for
the same week edits its comment instead of adding one. Secrets are never printed.

With ``OPS_SITE_URL`` (the status site's address, ``ops site`` on GitHub Pages: a repository
variable) every post links to the project's page there, ``<OPS_SITE_URL>/<project>/``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from checks import http, secrets
from checks.errors import OpsError
from checks.github import DEFAULT_API, DEFAULT_DEADLINE, GitHub, author, labels, web_url
from checks.project import Project
from checks.retros.followups import TRUSTED
from checks.slo.render import decimal_text, named
from checks.slo.weekly import Written

LABEL = "slo-status"
SITE_ENV = "OPS_SITE_URL"
# what a site address may hold: no quote, blank, angle bracket or pipe (Slack's link syntax)
_URL_TEXT = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")
_ICON = {"PASS": "✅", "FAIL": "❌", "NO_DATA": "⚪"}


def marker(project: str, week: str) -> str:
    return f"<!-- ops-slo project={project} week={week} -->"


def site_page(project: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """The project's page on the status site, from ``OPS_SITE_URL``; None when it is unset.
    An address that is not a plain http(s) URL is refused before anything is posted (it is
    not echoed: a URL with a password in it would show the password)."""
    value = environ.get(SITE_ENV, "").strip()
    if not value:
        return None
    parts = urlsplit(value) if _URL_TEXT.fullmatch(value) else None
    if (
        parts is None
        or parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
    ):
        raise OpsError(
            f"{SITE_ENV} is not the status site's address: give its http(s) URL without a user, "
            "query or fragment, such as https://acme.github.io/ops/ (Settings > Pages shows it), "
            "or unset it; the reports are written, nothing was posted"
        )
    return f"{value.rstrip('/')}/{project}/"


def summary_markdown(written: Written, site: str | None = None) -> str:
    report = written.report
    windows = any(entry.budget is not None for entry in report.slos)
    lines = [
        marker(report.project, report.week.label),
        f"### {_ICON[report.status]} SLO status {report.project} {report.week.label}: "
        f"{report.status}",
        "",
        "| SLO | Objective | SLI | Budget left | "
        + ("Window budget left | " if windows else "")
        + "Status |",
        "|---|---|---|---|" + ("---|" if windows else "") + "---|",
    ]
    for entry in report.slos:
        f = entry.week
        sli = "n/a" if f.sli is None else f"{f.sli} %"
        name = entry.slo.name if f.status == "PASS" else named(entry, f.status)
        window = ""
        if windows:
            budget = entry.budget
            left = budget.figures.error_budget_remaining if budget is not None else None
            window = "n/a | " if budget is None else f"{_percent(left)} of {budget.window.text} | "
        lines.append(
            f"| {name} | {decimal_text(entry.slo.objective)} % | {sli} | "
            f"{_percent(f.error_budget_remaining)} | {window}{_ICON[f.status]} {f.status} |"
        )
    lines += ["", f"Report: `{written.rel}`"]
    if site is not None:
        lines += ["", f"Status site: [{report.project}]({site})"]
    lines.append("")
    return "\n".join(lines)


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.2f} %"


def budgets(written: Written) -> dict[str, dict[str, object]]:
    """Each SLO's error budget over its time window (the SLOs that have one), for --format
    json: the window, its bounds, the share of its budget left and the share this week burned."""
    out: dict[str, dict[str, object]] = {}
    for entry in written.report.slos:
        budget = entry.budget
        if budget is None:
            continue
        out[entry.slo.name] = {
            "window": budget.window.text,
            "start": budget.start.date().isoformat(),
            "end": budget.end.date().isoformat(),
            "status": budget.figures.status,
            "error_budget_remaining": budget.figures.error_budget_remaining,
            "week_burned": budget.week_burned,
        }
    return out


def post_all(
    root: Path,
    project: Project,
    written: Sequence[Written],
    environ: Mapping[str, str] = os.environ,
) -> list[str]:
    """Post every report where the environment says to; returns where it went."""
    done: list[str] = []
    site = site_page(project.slug, environ)
    texts = [summary_markdown(w, site) for w in written]
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
    webhook = secrets.env("SLACK_WEBHOOK_URL", environ)
    if webhook:
        slack = http.Client("the Slack webhook (SLACK_WEBHOOK_URL)")
        for w in written:
            _slack(slack, webhook, w, site)
        done.append("Slack")
    token = secrets.env("GITHUB_TOKEN", environ)
    backlog = project.data.get("backlog", {})
    repository = backlog.get("github_repository") or environ.get("GITHUB_REPOSITORY")
    if token and repository:
        api_url = environ.get("GITHUB_API_URL", DEFAULT_API)
        deadline = backlog.get("timeout_seconds", DEFAULT_DEADLINE)
        api = GitHub(api_url, token, repository, web_url(api_url, environ), deadline)
        trusted = [*TRUSTED, *backlog.get("issue_authors", [])]
        issue = tracking_issue(api, project.slug)
        for w, text in zip(written, texts, strict=True):
            upsert_comment(api, issue, marker(project.slug, w.report.week.label), text, trusted)
        done.append(f"GitHub issue {repository}#{issue}")
    return done


def _slack(slack: http.Client, webhook: str, written: Written, site: str | None) -> None:
    report = written.report
    failing = [e.slo.name for e in report.slos if e.week.status != "PASS"]
    text = (
        f"{_ICON[report.status]} SLO status {report.project} {report.week.label}: {report.status}"
    )
    if failing:
        text += f" ({', '.join(failing)})"
    if site is not None:
        text += f" <{site}|status site>"
    body = json.dumps({"text": text}).encode()
    headers = {"Content-Type": "application/json"}
    answer = slack.request("POST", webhook, body=body, headers=headers, retry=False)
    if answer.status >= 300:
        raise OpsError(f"the Slack webhook (SLACK_WEBHOOK_URL) answered HTTP {answer.status}")


def tracking_issue(api: GitHub, project: str) -> int:
    """The open issue "SLO status: <project>" with the slo-status label (only people with
    triage rights label issues), opened when there is none."""
    title = f"SLO status: {project}"
    for issue in api.pages(f"/repos/{api.repo}/issues?state=open&labels={LABEL}&per_page=100"):
        if issue.get("title") == title and "pull_request" not in issue and LABEL in labels(issue):
            api.issue_url(issue)  # one of this repository's, the number it says
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
    api.issue_url(created)
    return int(created["number"])


def upsert_comment(api: GitHub, issue: int, mark: str, text: str, trusted: Sequence[str]) -> None:
    """Edit this week's comment (one ops wrote: a stranger may copy its marker), or add it."""
    me = api.login()
    for comment in api.pages(f"/repos/{api.repo}/issues/{issue}/comments?per_page=100"):
        if not isinstance(comment, dict) or mark not in str(comment.get("body") or ""):
            continue
        who = author(comment)
        if who is not None and who in (me, *trusted) and isinstance(comment.get("id"), int):
            api.call("PATCH", f"/repos/{api.repo}/issues/comments/{comment['id']}", {"body": text})
            return
    api.call("POST", f"/repos/{api.repo}/issues/{issue}/comments", {"body": text})
