"""pip-audit ``--format json`` (2.x): {dependencies: [{name, version, vulns: [...]}], fixes}."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from checks.importers.security.model import (
    Advisory,
    FormatProblem,
    JsonPath,
    ident,
    listed,
    require,
    text,
)
from checks.importers.security.stream import ITEM, SEEN, Pattern, scan

TOOL = "pip-audit"
FORMAT = (
    "pip-audit's JSON report (pip-audit --format json, pip-audit 2 or later: an object with "
    "dependencies[])"
)
_DEPENDENCY = ("dependencies", ITEM)
_SHAPES: dict[Pattern, tuple[str, ...]] = {("dependencies",): ("start_array",)}


def parse(raw: IO[bytes]) -> Iterator[Advisory]:
    seen = False
    try:
        for _pattern, path, value in scan(raw, (_DEPENDENCY,), _SHAPES):
            if value is SEEN:
                seen = True
            else:
                yield from _advisories(value, path)
    except FormatProblem as e:
        if e.path == () and "an array" in e.message:
            e.message += " (pip-audit before 2.0 wrote a bare array: upgrade pip-audit)"
        raise
    if not seen:
        raise FormatProblem("no 'dependencies'", ("dependencies",))


def _advisories(dep: Any, path: JsonPath) -> Iterator[Advisory]:
    name = text(require(dep, "name", path, str))
    if name is None:
        raise FormatProblem("the dependency's name is blank", (*path, "name"))
    if "skip_reason" in dep and "vulns" not in dep:  # not audited (not on PyPI): nothing known
        return
    vulns = require(dep, "vulns", path, list)
    assert isinstance(vulns, list)
    for index, vuln in enumerate(vulns):
        where = (*path, "vulns", index)
        if not isinstance(vuln, dict):
            raise FormatProblem("expected an object", where)
        ids = ident(vuln, "id", where, listed(vuln, "aliases"))
        # pip-audit reports no severity: the advisory databases it asks (PyPI, OSV) have none
        # for most Python advisories. The finding is unknown until triaged or another tool
        # that reports a severity names it too.
        yield Advisory(ids, name, "unknown", None, f"https://osv.dev/vulnerability/{ids[0]}", TOOL)
