"""The few GitHub REST calls ops makes (issues and comments), through checks.http.

Where they go comes from the environment alone: ``GITHUB_API_URL`` (default
https://api.github.com), and the web host issues live on, ``GITHUB_SERVER_URL`` or derived from
the API (``https://ghe.example.com/api/v3`` is served by ``https://ghe.example.com``), so
GitHub Enterprise Server works end to end. The token (``GITHUB_TOKEN``) is sent to the API's
origin only: a next page on another host is an error, not a request. What GitHub answers is
checked before anything is written: an issue's ``html_url`` must be the issue it says, in the
configured repository. Rate limits (403 or 429 with Retry-After or X-RateLimit-Reset) say
when to try again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from checks import http, secrets
from checks.errors import OpsError

DEFAULT_API = "https://api.github.com"
DEFAULT_DEADLINE = 30  # seconds for each request, its answer included (backlog.timeout_seconds)
MAX_PAGES = 50  # at 100 a page: 5,000 issues or comments


def web_url(api: str, environ: Mapping[str, str] = os.environ) -> str:
    """The web host of the API: ``GITHUB_SERVER_URL`` (set in GitHub Actions), else derived."""
    configured = environ.get("GITHUB_SERVER_URL", "").strip().rstrip("/")
    if configured.startswith(("https://", "http://")):
        return configured
    parts = urlsplit(api)
    host = parts.netloc
    if host == "api.github.com":
        return "https://github.com"
    if host.startswith("api.") and host.endswith(".ghe.com"):  # GitHub Enterprise Cloud
        host = host.removeprefix("api.")
    return urlunsplit((parts.scheme, host, "", "", ""))


def token(missing: str) -> str:
    """``GITHUB_TOKEN`` from the environment (remembered as a secret), checked; ``missing``
    says what to do when it is not set."""
    found = secrets.env("GITHUB_TOKEN")
    if not found:
        raise OpsError(missing)
    if not found.isprintable() or " " in found:
        raise OpsError("GITHUB_TOKEN holds spaces or control characters; set it to the token alone")
    return found


class GitHub:
    """Issues and comments of one repository."""

    def __init__(
        self,
        api: str,
        token: str,
        repository: str,
        web: str | None = None,
        deadline: float = DEFAULT_DEADLINE,
        permission: str = "issues: write",
    ) -> None:
        self.api = api.rstrip("/")
        self.permission = permission  # what the calls need: named when GitHub refuses one
        self.web = (web or web_url(self.api)).rstrip("/")
        self.repository = repository
        self.repo = "/".join(quote(part, safe="") for part in repository.split("/"))
        secrets.remember(token)
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "operations-protocol",
        }
        self.client = http.Client("the GitHub API (GITHUB_API_URL)", http.Policy(deadline=deadline))
        self._issue = re.compile(
            rf"{re.escape(self.web)}/{re.escape(repository)}/issues/([0-9]+)", re.IGNORECASE
        )
        self._login: str | bool | None = False  # False: not asked yet

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, missing: bool = False
    ) -> Any:
        """The answer's JSON; with ``missing``, None for a 404 instead of an error."""
        url = path if path.startswith(("https://", "http://")) else f"{self.api}{path}"
        if not self.owns(url):
            raise OpsError(
                "GitHub pointed to a page on another host; it is not followed (the token goes "
                "only to GITHUB_API_URL)"
            )
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        # Only a GET is tried again: a POST answered 502 may have opened the issue after all.
        answer = self.client.request(method, url, headers=headers, body=data, retry=method == "GET")
        where = urlsplit(url).path.removeprefix(urlsplit(self.api).path)
        if answer.status in (403, 429) and _rate_limited(answer):
            raise OpsError(
                f"GitHub API rate limit reached ({method} {where}); {_when(answer)}; "
                "run again then (what is done stays done)"
            )
        if missing and answer.status == 404:
            return None
        if answer.status >= 300:
            raise OpsError(
                f"GitHub API {method} {where}: HTTP {answer.status}{_why(answer, self.permission)}"
            )
        self.next_page = _next_link(answer.headers.get("Link", ""))
        try:
            return answer.json() if answer.body else None
        except ValueError as e:
            raise OpsError(f"GitHub API {method} {where}: the answer is not JSON ({e})") from None

    def owns(self, url: str) -> bool:
        """Whether ``url`` is on the API's origin, under its path."""
        base = urlsplit(self.api)
        return http.same_origin(url, self.api) and urlsplit(url).path.startswith(base.path)

    def pages(self, path: str) -> list[Any]:
        items: list[Any] = []
        url: str | None = path
        for _ in range(MAX_PAGES):
            if url is None:
                break
            page = self.call("GET", url)
            if not isinstance(page, list):
                raise OpsError(f"GitHub API GET {path.split('?')[0]}: the answer is not a list")
            items.extend(item for item in page if isinstance(item, dict))  # nothing else is one
            url = self.next_page
        if url is not None:  # stopping here would miss what the next pages hold: never guess
            raise OpsError(
                f"GitHub API GET {path.split('?')[0]}: more than {MAX_PAGES} pages; narrow it "
                "(issues: backlog.labels, or close old ones; Dependabot alerts: dismiss or fix "
                "old ones, or import a saved answer as FILE)"
            )
        return items

    def issue_url(self, issue: object) -> str:
        """The web URL of an issue GitHub answered with, checked: in this repository, and the
        issue it says it is. Anything else (another host, a line break) is refused."""
        if isinstance(issue, dict):
            url, number = issue.get("html_url"), issue.get("number")
            match = self._issue.fullmatch(url) if isinstance(url, str) else None
            if match is not None and isinstance(number, int) and int(match[1]) == number:
                return f"{self.web}/{self.repository}/issues/{number}"
        raise OpsError(
            f"GitHub answered with an issue that is not one of {self.repository}'s on "
            f"{self.web}; nothing is written from it"
        )

    def file_url(self, rel: str) -> str:
        """Where a file of the repository is shown, on the default branch."""
        return f"{self.web}/{self.repository}/blob/HEAD/{rel}"

    def tracker_number(self, url: str) -> int | None:
        """The issue number of a tracker URL of this repository, or None."""
        match = self._issue.fullmatch(url)
        return int(match[1]) if match else None

    def login(self) -> str | None:
        """The account the token acts as (None for a GitHub App's token, which may not ask)."""
        if self._login is False:
            try:
                user = self.call("GET", "/user", missing=True)
            except OpsError:  # 403 "Resource not accessible by integration"
                user = None
            name = user.get("login") if isinstance(user, dict) else None
            self._login = name if isinstance(name, str) else None
        return self._login if isinstance(self._login, str) else None


def author(item: object) -> str | None:
    """The login of who opened an issue or wrote a comment."""
    user = item.get("user") if isinstance(item, dict) else None
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else None


def labels(issue: object) -> set[str]:
    found = issue.get("labels") if isinstance(issue, dict) else None
    if not isinstance(found, list):
        return set()
    return {str(label.get("name")) for label in found if isinstance(label, dict)}


_NEXT = re.compile(r'<([^>]*)>\s*;[^,<]*?\brel="next"')


def _next_link(header: str) -> str | None:
    """The ``rel="next"`` URL of a Link header; its URL may hold commas (state=open,fixed), so
    the header is read as ``<url>; params`` items, not split on commas."""
    match = _NEXT.search(header)
    return match[1].strip() if match else None


def _why(answer: http.Answer, permission: str) -> str:
    try:
        message = answer.json().get("message", "")
    except (ValueError, AttributeError):
        message = ""
    hint = (
        f" (check GITHUB_TOKEN and its permissions: {permission})"
        if answer.status in (401, 403, 404)
        else ""
    )
    return f" {secrets.excerpt(str(message))}{hint}" if message else hint


def _rate_limited(answer: http.Answer) -> bool:
    """A 429, or a 403 that says it is a (primary or secondary) rate limit."""
    if answer.status == 429:
        return True
    headers = answer.headers
    if headers.get("Retry-After") or headers.get("X-RateLimit-Remaining") == "0":
        return True
    return b"rate limit" in answer.body.lower()


def _when(answer: http.Answer) -> str:
    headers = answer.headers
    wait = headers.get("Retry-After", "")
    if wait.isdigit():
        return f"GitHub asks to wait {int(wait)} seconds"
    reset = headers.get("X-RateLimit-Reset", "")
    if reset.isdigit() and len(reset) < 12:
        at = dt.datetime.fromtimestamp(int(reset), dt.UTC).strftime("%H:%M:%S UTC")
        return f"the limit resets at {at}"
    return "wait a while"
