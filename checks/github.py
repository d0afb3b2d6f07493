"""The few GitHub REST calls ops makes (issues and comments), with clear errors.

The token is sent, never shown; rate limits (403 or 429 with Retry-After or
X-RateLimit-Reset) say when to try again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any
from urllib.parse import quote

import urllib3

from checks import jsonload
from checks.errors import OpsError

DEFAULT_API = "https://api.github.com"


def pool() -> urllib3.PoolManager:
    """Connections for GitHub and webhooks: timeouts, and retries of 502, 503 and 504."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=10, read=30),
        retries=urllib3.Retry(total=3, backoff_factor=0.5, status_forcelist=(502, 503, 504)),
    )


class GitHub:
    """The few REST calls ops makes: issues and their comments."""

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

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, missing: bool = False
    ) -> Any:
        """The answer's JSON; with ``missing``, None for a 404 instead of an error."""
        url = path if path.startswith("http") else f"{self.api}{path}"
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = self.http.request(method, url, body=data, headers=headers)
        except (urllib3.exceptions.HTTPError, ValueError) as e:  # never the token in a message
            raise OpsError(
                f"cannot reach the GitHub API (GITHUB_API_URL): {type(e).__name__}"
            ) from None
        where = path.split("?")[0].removeprefix(self.api)
        if response.status in (403, 429) and _rate_limited(response):
            raise OpsError(
                f"GitHub API rate limit reached ({method} {where}); {_when(response)}; "
                "run again then (what is done stays done)"
            )
        if missing and response.status == 404:
            return None
        if response.status >= 300:
            message = ""
            with contextlib.suppress(ValueError, AttributeError):
                message = str(jsonload.loads(response.data).get("message", ""))
            hint = (
                " (check GITHUB_TOKEN and its permissions: issues: write)"
                if response.status in (401, 403, 404)
                else ""
            )
            raise OpsError(f"GitHub API {method} {where}: HTTP {response.status} {message}{hint}")
        self.next_page = _next_link(response.headers.get("Link", ""))
        return jsonload.loads(response.data) if response.data else None

    def pages(self, path: str) -> list[Any]:
        items: list[Any] = []
        url: str | None = path
        for _ in range(50):  # at most 5,000 items
            if url is None:
                break
            items.extend(self.call("GET", url) or [])
            url = self.next_page
        return items


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            return url.strip().strip("<>")
    return None


def _rate_limited(response: Any) -> bool:
    """A 429, or a 403 that says it is a (primary or secondary) rate limit."""
    if response.status == 429:
        return True
    headers = response.headers
    if headers.get("Retry-After") or headers.get("X-RateLimit-Remaining") == "0":
        return True
    return b"rate limit" in (response.data or b"").lower()


def _when(response: Any) -> str:
    headers = response.headers
    if headers.get("Retry-After"):
        return f"GitHub asks to wait {headers['Retry-After']} seconds"
    reset = headers.get("X-RateLimit-Reset")
    if reset and reset.isdigit():
        at = dt.datetime.fromtimestamp(int(reset), dt.UTC).strftime("%H:%M:%S UTC")
        return f"the limit resets at {at}"
    return "wait a while"
