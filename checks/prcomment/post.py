"""The comment on GitHub: the pull request checked against the run, then one comment made or
edited (``pull-requests: write``, through :class:`checks.github.GitHub`).

The pull request's number comes from the artifact, so it is believed only when GitHub agrees:
the pull request is in this repository, from the branch the run was for, and its head is the
commit the gate judged. A head that moved on leaves the comment to the newer run. The comment
is found by its marker *and* its author: anyone can paste the marker into a comment of theirs.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from checks.errors import EXIT_FAILED, OpsError
from checks.github import GitHub, author
from checks.prcomment.render import MARKER


class Run(NamedTuple):
    """What GitHub's event says of the gate's run (trusted, unlike the artifact)."""

    repository: str  # where the pull request must be
    head_sha: str
    head_repository: str  # the fork, or the repository itself
    head_branch: str


class Refused(OpsError):
    """GitHub refused a call or could not be reached: exit 1."""

    exit_code = EXIT_FAILED


class Comment(NamedTuple):
    id: int
    body: str


def _call(api: GitHub, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    try:
        return api.call(method, path, body, missing=method == "GET")
    except OpsError as e:
        raise Refused(str(e)) from None


def at_head(api: GitHub, number: int, run: Run) -> bool:
    """Whether pull request ``number`` is the run's and still at the commit it judged (False:
    a newer push moved it on). Refuses (OpsError) a number that is not the run's."""
    pull = _call(api, "GET", f"/repos/{api.repo}/pulls/{number}")
    where = f"pull-request.json names #{number}"
    if not isinstance(pull, dict):
        raise OpsError(f"{where}, which is no pull request of {run.repository}; nothing is done")
    base = _text(pull, "base", "repo", "full_name")
    if base.lower() != run.repository.lower():
        raise OpsError(
            f"{where}, a pull request into {base or 'no repository'}, not {run.repository}; "
            "nothing is done"
        )
    fork, branch = _text(pull, "head", "repo", "full_name"), _text(pull, "head", "ref")
    head = f"{fork}:{branch}"
    if fork.lower() != run.head_repository.lower() or branch != run.head_branch:  # names: any case
        raise OpsError(
            f"{where}, the pull request of {head[:200]}; the run was for "
            f"{run.head_repository}:{run.head_branch}: the artifact names another pull "
            "request, nothing is done"
        )
    return _text(pull, "head", "sha") == run.head_sha


def _text(data: Any, *keys: str) -> str:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, str) else ""


def find(api: GitHub, number: int, login: str) -> Comment | None:
    """The comment that ``login`` made with the marker on pull request ``number`` (the first,
    should there be more), or None."""
    try:
        comments = api.pages(f"/repos/{api.repo}/issues/{number}/comments?per_page=100")
    except OpsError as e:
        raise Refused(str(e)) from None
    for comment in comments:
        text, ident = comment.get("body"), comment.get("id")
        if not isinstance(text, str) or not text.startswith(MARKER) or author(comment) != login:
            continue
        if isinstance(ident, int) and not isinstance(ident, bool):
            return Comment(ident, text)
    return None


def publish(api: GitHub, number: int, text: str, *, passed: bool, login: str) -> str:
    """Create or edit the one comment; what was done, in words. A gate that passes on a pull
    request it never commented on stays silent."""
    where = f"{api.repository}#{number}"
    found = find(api, number, login)
    if found is None:
        if passed:
            return f"{where}: the gate passes and there is no comment of {login} to resolve"
        _call(api, "POST", f"/repos/{api.repo}/issues/{number}/comments", {"body": text})
        return f"{where}: commented"
    if found.body == text:
        return f"{where}: the comment says this already (comment {found.id})"
    try:
        edited = api.call(
            "PATCH", f"/repos/{api.repo}/issues/comments/{found.id}", {"body": text}, missing=True
        )
    except OpsError as e:
        raise Refused(str(e)) from None
    if edited is None:
        still = find(api, number, login)
        if still is not None:  # there, but GitHub would not edit it
            raise Refused(
                f"GitHub API PATCH comment {found.id}: HTTP 404 while the comment is listed "
                "(check GITHUB_TOKEN and its permissions: pull-requests: write)"
            )
        if passed:  # deleted since it was listed
            return f"{where}: the comment was deleted; the gate passes, nothing to resolve"
        _call(api, "POST", f"/repos/{api.repo}/issues/{number}/comments", {"body": text})
        return f"{where}: the comment was deleted meanwhile; commented again"
    return f"{where}: edited the comment ({found.id})" + (", resolved" if passed else "")
