"""trivy ``--format json`` (SchemaVersion 2): Results[].Vulnerabilities[]."""

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
from checks.importers.security.stream import ITEM, Pattern, scan

TOOL = "trivy"
FORMAT = "trivy's JSON report (trivy image|fs|repo --format json, SchemaVersion 2)"
VERSIONS = (2,)
_VERSION = ("SchemaVersion",)
_VULN = ("Results", ITEM, "Vulnerabilities", ITEM)
_SHAPES: dict[Pattern, tuple[str, ...]] = {
    ("Results",): ("start_array", "null"),
    ("Results", ITEM): ("start_map",),
    ("Results", ITEM, "Vulnerabilities"): ("start_array", "null"),
}


def parse(raw: IO[bytes]) -> Iterator[Advisory]:
    version = None
    for pattern, path, value in scan(raw, (_VERSION, _VULN), _SHAPES):
        if pattern == _VERSION:
            if value not in VERSIONS:
                raise FormatProblem(
                    f"SchemaVersion {shown(value)} is a trivy report format ops does not know "
                    f"(it reads SchemaVersion {', '.join(map(str, VERSIONS))})",
                    path,
                )
            version = value
        elif pattern == _VULN:
            if version is None:  # trivy writes SchemaVersion first
                raise FormatProblem("no SchemaVersion before the results", ("SchemaVersion",))
            yield _advisory(value, path)
    if version is None:
        raise FormatProblem("no SchemaVersion", ("SchemaVersion",))


def _advisory(vuln: Any, path: JsonPath) -> Advisory:
    if not isinstance(vuln, dict):
        raise FormatProblem("expected an object", path)
    ids = ident(vuln, "VulnerabilityID", path, listed(vuln, "VendorIDs"))
    package = text(require(vuln, "PkgName", path, str))
    word = require(vuln, "Severity", path, str)
    mapped = severity.from_word(word)
    if package is None:
        raise FormatProblem("PkgName is blank", (*path, "PkgName"))
    if mapped is None:
        raise FormatProblem(
            f"Severity {shown(word)} is not one of trivy's (CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN)",
            (*path, "Severity"),
        )
    return Advisory(ids, package, mapped, text(word), url(vuln.get("PrimaryURL")), TOOL)
