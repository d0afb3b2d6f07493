"""GitHub Dependabot alerts: the JSON array ``GET /repos/{owner}/{repo}/dependabot/alerts``
answers (saved to a file, or fetched: see :mod:`checks.importers.security.fetch`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

from checks.dates import parse_instant
from checks.importers.security import severity
from checks.importers.security.model import (
    Advisory,
    FormatProblem,
    JsonPath,
    ident,
    require,
    shown,
    text,
)
from checks.importers.security.stream import ITEM, scan

TOOL = "github-dependabot"
FORMAT = (
    "GitHub's Dependabot alerts (the JSON array GET /repos/{owner}/{repo}/dependabot/alerts "
    "answers)"
)
_ALERT = (ITEM,)
STATES = {"open": "open", "fixed": "fixed", "dismissed": "dismissed", "auto_dismissed": "dismissed"}


def parse(raw: IO[bytes]) -> Iterator[Advisory]:
    for _pattern, path, value in scan(raw, (_ALERT,), root=list):
        yield alert(value, path)


def alerts(answer: Iterable[Any]) -> Iterator[Advisory]:
    """The advisories of alerts the API answered with."""
    for index, value in enumerate(answer):
        yield alert(value, (index,))


def alert(value: Any, path: JsonPath) -> Advisory:
    require(value, "number", path, int)
    state = require(value, "state", path, str)
    if state not in STATES:
        raise FormatProblem(
            f"state {shown(state)} is not one of open, fixed, dismissed, auto_dismissed",
            (*path, "state"),
        )
    advisory = require(value, "security_advisory", path, dict)
    dependency = require(value, "dependency", path, dict)
    package = require(dependency, "package", (*path, "dependency"), dict)
    assert isinstance(advisory, dict) and isinstance(package, dict)
    where = (*path, "security_advisory")
    identifiers = advisory.get("identifiers")
    others = (
        [i.get("value") for i in identifiers if isinstance(i, dict)]
        if isinstance(identifiers, list)
        else []
    )
    ids = ident(advisory, "ghsa_id", where, [advisory.get("cve_id"), *others])
    name = text(require(package, "name", (*path, "dependency", "package"), str))
    if name is None:
        raise FormatProblem("the package name is blank", (*path, "dependency", "package", "name"))
    word = require(advisory, "severity", where, str)
    mapped = severity.from_word(word)
    if mapped is None:
        raise FormatProblem(
            f"severity {shown(word)} is not one of GitHub's (critical, high, medium or "
            "moderate, low)",
            (*where, "severity"),
        )
    instant = parse_instant(value.get("fixed_at")) if state == "fixed" else None
    fixed = instant.date().isoformat() if instant is not None else None
    reference = f"https://github.com/advisories/{ids[0]}"
    return Advisory(ids, name, mapped, text(word), reference, TOOL, STATES[str(state)], fixed)
