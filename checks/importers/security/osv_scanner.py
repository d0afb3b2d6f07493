"""osv-scanner ``--format json``: results[].packages[] with vulnerabilities[] and groups[]."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from checks.importers.security import severity
from checks.importers.security.model import (
    Advisory,
    FormatProblem,
    JsonPath,
    advisory_ids,
    ident,
    listed,
    require,
    text,
)
from checks.importers.security.stream import ITEM, SEEN, Pattern, scan

TOOL = "osv-scanner"
FORMAT = "osv-scanner's JSON report (osv-scanner --format json: results[].packages[])"
_PACKAGE = ("results", ITEM, "packages", ITEM)
_SHAPES: dict[Pattern, tuple[str, ...]] = {
    ("results",): ("start_array", "null"),
    ("results", ITEM): ("start_map",),
    ("results", ITEM, "packages"): ("start_array", "null"),
}


def parse(raw: IO[bytes]) -> Iterator[Advisory]:
    seen = False
    for pattern, path, value in scan(raw, (_PACKAGE,), _SHAPES):
        if value is SEEN:
            seen = seen or pattern == ("results",)
        else:
            yield from _advisories(value, path)
    if not seen:
        raise FormatProblem("no 'results'", ("results",))


def _advisories(entry: Any, path: JsonPath) -> Iterator[Advisory]:
    package = require(entry, "package", path, dict)
    assert isinstance(package, dict)
    name = text(require(package, "name", (*path, "package"), str))
    if name is None:
        raise FormatProblem("the package's name is blank", (*path, "package", "name"))
    vulns = require(entry, "vulnerabilities", path, list)
    groups = listed(entry, "groups")
    assert isinstance(vulns, list)
    for index, vuln in enumerate(vulns):
        where = (*path, "vulnerabilities", index)
        if not isinstance(vuln, dict):
            raise FormatProblem("expected an object", where)
        ids = ident(vuln, "id", where, listed(vuln, "aliases"))
        group = next((g for g in groups if isinstance(g, dict) and ids[0] in listed(g, "ids")), {})
        mapped, source = _severity(vuln, group)
        reference = f"https://osv.dev/vulnerability/{ids[0]}"
        yield Advisory(ids + _ids(group), name, mapped, source, reference, TOOL)


def _ids(group: dict[str, Any]) -> tuple[str, ...]:
    return advisory_ids([*listed(group, "ids"), *listed(group, "aliases")])


def _severity(vuln: dict[str, Any], group: dict[str, Any]) -> tuple[str, str | None]:
    """The group's max_severity (a CVSS base score, as a string), else the advisory's own
    word (GitHub advisories carry database_specific.severity), else unknown."""
    score = severity.score_of(group.get("max_severity"))
    if score is not None and score > 0:
        return severity.from_score(score), f"CVSS {score:g}"
    specific = vuln.get("database_specific")
    word = specific.get("severity") if isinstance(specific, dict) else None
    mapped = severity.from_word(word)
    if mapped is not None and mapped != "unknown":
        return mapped, text(word)
    return "unknown", None
