"""Dependabot alerts fetched from the GitHub REST API (checks.github: GITHUB_API_URL,
GITHUB_TOKEN, pages followed within the API's origin, bounded time and size)."""

from __future__ import annotations

import json
import os
from typing import Any

from checks.errors import OpsError
from checks.project import Project

# Every state: open alerts are the findings; fixed ones say when; dismissed ones are a
# person's decision, which must not read as "fixed" because the alert is not open. The commas
# are sent encoded, as a URL's query should have them.
STATES = "open%2Cfixed%2Cdismissed%2Cauto_dismissed"


def alerts(project: Project) -> tuple[list[Any], str]:
    """The repository's Dependabot alerts, and where they came from (for messages)."""
    from checks import github
    from checks.github import DEFAULT_API, DEFAULT_DEADLINE, GitHub

    backlog = project.data.get("backlog", {})
    repository = backlog.get("github_repository") if isinstance(backlog, dict) else None
    if not isinstance(repository, str) or not repository:
        raise OpsError(
            "no backlog.github_repository in project.yaml: name the repository whose "
            "Dependabot alerts to fetch, or give a saved answer as FILE",
            path=f"ops/{project.slug}/project.yaml",
        )
    token = github.token(
        "set GITHUB_TOKEN (a token that may read Dependabot alerts: security_events or "
        "Dependabot alerts: read) to fetch the alerts, or give a saved answer as FILE"
    )
    api = GitHub(
        os.environ.get("GITHUB_API_URL", DEFAULT_API),
        token,
        repository,
        deadline=backlog.get("timeout_seconds", DEFAULT_DEADLINE),
        permission="Dependabot alerts: read",
    )
    found = api.pages(f"/repos/{api.repo}/dependabot/alerts?state={STATES}&per_page=100")
    echoes(found)
    return found, f"GitHub Dependabot alerts of {repository}"


def echoes(answer: list[Any]) -> None:
    """Refuse an answer that repeats the token (in any form checks.secrets knows): nothing of
    it may reach the log, and the message does not show it either."""
    from checks import secrets

    text = json.dumps(answer, ensure_ascii=False)
    if secrets.redact(text) != text:
        raise OpsError(
            "the GitHub API's answer contains GITHUB_TOKEN (the server echoed it in the alert "
            "data); nothing written: check GITHUB_API_URL points to GitHub, and revoke the "
            "token if it does not"
        )
