"""``--format sarif``: findings as SARIF 2.1.0 (OASIS), for code scanning and other viewers.

One run of the tool ``ops``, one reporting descriptor per rule a finding names (its summary and
help from checks.rulebook), one result per finding with its file and line. Each result has a
``partialFingerprints`` entry that depends neither on the line nor on the counts and dates in the
message, so that a finding keeps its identity across commits: an edit elsewhere in the file, or
another day's count of days, and the same alert stays the same alert. An item added above another
in a list moves its index, and so gives its finding a new alert (the old one closes): never two
findings under one alert.

Paths are relative to the repository (``uriBaseId`` ``%SRCROOT%``), percent-encoded as URIs.
Code scanning takes at most 25,000 results a run: past that, the rest are counted in a
notification and left out, never silently.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import quote

from checks import __version__
from checks.findings import Finding, printable, sort_key
from checks.report import json_text
from checks.rulebook import describe

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
MAX_RESULTS = 25_000  # GitHub code scanning's limit for one run
FINGERPRINT = "opsFinding/v1"
# A number that stands alone ("31 days old", "9 days ago", "3 errors") changes from day to day;
# one that is part of a name, a date or a path (2026-W01, INC-2026-041-A1, 2026-11-19) does
# not, and tells two findings apart.
_COUNT = re.compile(r"(?<![\w./:-])[0-9][0-9,.]*(?![\w/:-])")
# A date in a message is mostly the day judged or one counted from it ("add
# ops/p/security/2026-12-21.md", "due 2026-12-04"); what the finding is about is its file, its
# JSON path and the ids in the message.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def uri(path: str) -> str:
    """A relative path as a URI reference: percent-encoded (a space, ``#``, ``%``, bytes that are
    not UTF-8, as os.fsdecode kept them)."""
    return quote(os.fsencode(path), safe="/")


def fingerprint(finding: Finding, prefix: str = "") -> str:
    """What identifies a finding whatever its line and the counts and dates its message holds
    (a count of days grows every day): its rule, its file, its JSON path and its message with
    every count and date replaced (the ids, weeks and names in it kept: they tell one action
    item or one week from another). The JSON path keeps its list indices: without them, two
    items with the same problem would be told apart by their order alone, and one deleted
    would hand its alert (dismissed, perhaps) to the next."""
    message = _COUNT.sub("0", _DATE.sub("0000-00-00", finding.message))
    key = "\0".join((finding.rule, prefix + finding.path, finding.json_path or "", message))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def document(
    findings: Sequence[Finding], *, prefix: str = "", command: str = "ops"
) -> dict[str, Any]:
    """The SARIF log of one run (pure: the same findings give the same document)."""
    ordered = sorted(findings, key=sort_key)
    kept, left = ordered[:MAX_RESULTS], len(ordered) - MAX_RESULTS
    ids = sorted({f.rule for f in kept})
    index = {rule: i for i, rule in enumerate(ids)}
    seen: dict[str, int] = {}
    results = []
    for finding in kept:
        key = fingerprint(finding, prefix)
        seen[key] = seen.get(key, 0) + 1  # the same finding twice in a file: told apart by order
        results.append(_result(finding, prefix, index[finding.rule], f"{key}:{seen[key]}"))
    invocation: dict[str, Any] = {"executionSuccessful": True, "commandLine": command}
    if left > 0:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "warning",
                "message": {
                    "text": f"{left:,} more results are not in this file (code scanning takes "
                    f"{MAX_RESULTS:,} a run); run the command for all of them"
                },
            }
        ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ops",
                        "fullName": "Operations Protocol checks",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(rule) for rule in ids],
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _rule(rule_id: str) -> dict[str, Any]:
    rule = describe(rule_id)
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.help, "markdown": rule.help},
        "defaultConfiguration": {"level": "error"},
    }


def _result(finding: Finding, prefix: str, rule_index: int, key: str) -> dict[str, Any]:
    where = f"{finding.json_path}: " if finding.json_path else ""
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": uri(prefix + finding.path), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(finding.line, 1)},
        }
    }
    if finding.json_path:
        location["logicalLocations"] = [
            {"fullyQualifiedName": printable(finding.json_path), "kind": "member"}
        ]
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": "warning" if finding.severity == "warning" else "error",
        "message": {"text": printable(f"{where}{finding.message}")},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: key},
    }


def write(
    findings: Sequence[Finding], stream: TextIO, *, prefix: str = "", command: str = "ops"
) -> None:
    doc = document(findings, prefix=prefix, command=command)
    stream.write(json_text(doc, indent=2, ensure_ascii=False) + "\n")
