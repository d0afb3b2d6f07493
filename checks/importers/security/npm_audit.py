"""npm audit ``--json`` (npm 7 or later, auditReportVersion 2): vulnerabilities{name: {via}}."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from checks.importers.security import severity
from checks.importers.security.model import (
    Advisory,
    FormatProblem,
    JsonPath,
    advisory_ids,
    require,
    shown,
    text,
    url,
)
from checks.importers.security.stream import ANY, Pattern, scan

TOOL = "npm-audit"
FORMAT = "npm audit's JSON report (npm audit --json, npm 7 or later: auditReportVersion 2)"
VERSIONS = (2,)
_VERSION = ("auditReportVersion",)
_PACKAGE = ("vulnerabilities", ANY)
_SHAPES: dict[Pattern, tuple[str, ...]] = {("vulnerabilities",): ("start_map",)}
_GHSA = re.compile(r"https://github\.com/advisories/(GHSA(?:-[0-9a-z]{4}){3})")


def parse(raw: IO[bytes]) -> Iterator[Advisory]:
    version = None
    found: list[Advisory] = []
    for pattern, path, value in scan(raw, (_VERSION, _PACKAGE), _SHAPES):
        if pattern == _VERSION:
            if value not in VERSIONS:
                raise FormatProblem(
                    f"auditReportVersion {shown(value)} is an npm audit format ops does not "
                    "know (it reads version 2)",
                    path,
                )
            version = value
        elif pattern == _PACKAGE:
            found.extend(_advisories(value, path))
    if version is None:
        raise FormatProblem(
            "no auditReportVersion (npm 6 wrote report version 1, with advisories{}: run npm 7 "
            "or later)",
            ("auditReportVersion",),
        )
    yield from found


def _advisories(entry: Any, path: JsonPath) -> Iterator[Advisory]:
    via = require(entry, "via", path, list)
    assert isinstance(via, list)
    for index, cause in enumerate(via):
        if isinstance(cause, str):  # vulnerable through another package, reported there
            continue
        where = (*path, "via", index)
        if not isinstance(cause, dict):
            raise FormatProblem("expected an object or a package name", where)
        link = url(cause.get("url"))
        match = _GHSA.match(link or "")
        source = cause.get("source")
        ids: tuple[str, ...]
        if match:
            ids = (match[1],)
        elif isinstance(source, int) and not isinstance(source, bool):
            ids = advisory_ids([f"NPM-{source}"])
        else:
            raise FormatProblem("neither a GitHub advisory url nor a source number", where)
        name = text(require(cause, "name", where, str))
        if name is None:
            raise FormatProblem("the package name is blank", (*where, "name"))
        word = require(cause, "severity", where, str)
        mapped = severity.from_word(word)
        if mapped is None:
            raise FormatProblem(
                f"severity {shown(word)} is not one of npm's (critical, high, moderate, low, info)",
                (*where, "severity"),
            )
        yield Advisory(ids, name, mapped, text(word), link, TOOL)
