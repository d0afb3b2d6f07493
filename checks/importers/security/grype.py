"""grype ``-o json``: matches[] of {vulnerability, relatedVulnerabilities, artifact}."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from checks.importers.security import severity
from checks.importers.security.model import (
    Advisory,
    FormatProblem,
    JsonPath,
    ident,
    listed,
    require,
    shown,
    text,
    url,
)
from checks.importers.security.stream import ITEM, SEEN, Pattern, scan

TOOL = "grype"
FORMAT = "grype's JSON report (grype -o json: matches[] and a descriptor named grype)"
_MATCH = ("matches", ITEM)
_DESCRIPTOR = ("descriptor",)
_SHAPES: dict[Pattern, tuple[str, ...]] = {("matches",): ("start_array", "null")}


def parse(raw: IO[bytes]) -> Iterator[Advisory]:
    seen_matches = named = False
    found: list[Advisory] = []
    for pattern, path, value in scan(raw, (_MATCH, _DESCRIPTOR), _SHAPES):
        if pattern == _DESCRIPTOR:
            if not isinstance(value, dict) or value.get("name") != "grype":
                raise FormatProblem("the descriptor does not name grype", (*path, "name"))
            named = True
        elif value is SEEN:
            seen_matches = True
        else:
            found.append(_advisory(value, path))
    if not seen_matches:
        raise FormatProblem("no 'matches'", ("matches",))
    if not named:
        raise FormatProblem("no descriptor naming grype", ("descriptor",))
    yield from found


def _advisory(match: Any, path: JsonPath) -> Advisory:
    vuln = require(match, "vulnerability", path, dict)
    artifact = require(match, "artifact", path, dict)
    assert isinstance(vuln, dict) and isinstance(artifact, dict)
    related = match.get("relatedVulnerabilities")
    aliases = (
        [r.get("id") for r in related if isinstance(r, dict)] if isinstance(related, list) else []
    )
    where = (*path, "vulnerability")
    ids = ident(vuln, "id", where, aliases)
    package = text(require(artifact, "name", (*path, "artifact"), str))
    if package is None:
        raise FormatProblem("the artifact's name is blank", (*path, "artifact", "name"))
    word = require(vuln, "severity", where, str)
    mapped = severity.from_word(word)
    if mapped is None:
        raise FormatProblem(
            f"severity {shown(word)} is not one of grype's (Critical, High, Medium, Low, "
            "Negligible, Unknown)",
            (*where, "severity"),
        )
    urls = listed(vuln, "urls")
    reference = url(vuln.get("dataSource")) or next(filter(None, map(url, urls)), None)
    return Advisory(ids, package, mapped, text(word), reference, TOOL)
