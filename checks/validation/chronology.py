"""Times in one document that contradict each other: resolved before started, a finding
fixed before it was discovered, a retro's item closed before the retro agreed it. Pure: a
document's kind and data in, (path, message) pairs out. A postmortem against its incident is
checks.validation.crossdoc's; times after the date judged are the gate's (rule chronology),
since only the gate knows that date."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.dates import parse_date, parse_instant

Path = tuple[str | int, ...]
# An incident's instants, earliest first: each pair (a, b) means a <= b.
INCIDENT_ORDER = (
    ("started", "detected"),
    ("started", "mitigated"),
    ("started", "resolved"),
    ("detected", "resolved"),
    ("mitigated", "resolved"),
)


def check(kind: str, data: dict[str, Any]) -> list[tuple[Path, str]]:
    if kind == "incident":
        return list(_incident(data))
    out = list(_closed_items(kind, data))
    if kind == "postmortem":
        out += _not_before(data, ("published",), "date", "the postmortem's date", "")
    if kind == "security-log":
        out += _findings(data)
    return out


def _incident(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    reported: set[str] = set()
    for first, then in INCIDENT_ORDER:
        a, b = parse_instant(data.get(first)), parse_instant(data.get(then))
        if a is not None and b is not None and b < a and then not in reported:
            reported.add(then)  # one finding per time, for the first it contradicts
            yield (
                (then,),
                f"{data[then]} is before {first} ({data[first]}); {then} cannot come before "
                f"{first}: fix one of them",
            )


def _not_before(
    data: dict[str, Any], path: Path, key: str, what: str, why: str
) -> list[tuple[Path, str]]:
    value, limit = _at(data, path), parse_date(data.get(key))
    day = parse_date(value)
    if day is None or limit is None or day >= limit:
        return []
    return [(path, f"{value} is before {what} ({limit}){why}; fix the date")]


def _closed_items(kind: str, data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """A retro's items are agreed at the retro: none was closed before it. (A postmortem's may
    be: work done while the incident was fresh, before anyone wrote the postmortem.)"""
    if kind != "retro":
        return
    items = data.get("action_items")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            yield from _not_before(
                data,
                ("action_items", index, "closed"),
                "date",
                "the retro's date",
                ": an item agreed at a retro is not closed before it",
            )


def _findings(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """A finding is fixed after it is discovered, and both by the date of the log."""
    log = parse_date(data.get("date"))
    findings = data.get("findings")
    for index, finding in enumerate(findings if isinstance(findings, list) else []):
        if not isinstance(finding, dict):
            continue
        found, fixed = parse_date(finding.get("discovered")), parse_date(finding.get("fixed"))
        if found is not None and fixed is not None and fixed < found:
            yield (
                ("findings", index, "fixed"),
                f"{fixed} is before it was discovered ({found}); fix one of them",
            )
        for key, day in (("discovered", found), ("fixed", fixed)):
            if day is not None and log is not None and day > log:
                yield (
                    ("findings", index, key),
                    f"{day} is after the log's date ({log}): a log records what was known on its "
                    "date; move the finding to a later log",
                )


def _at(data: dict[str, Any], path: Path) -> object:
    value: Any = data
    for part in path:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and part < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value
