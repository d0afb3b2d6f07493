"""Imported incidents against the project's records: which to create, which to update and how.
Pure: records' data in, a plan out.

- A record is the tool's incident when its ``external`` names the same system and id.
- A new incident takes the next free INC-<year of its start>-NNN, in order of start time, so
  that the same file gives the same ids whatever order the tool listed them in.
- An update sets status and the times the tool knows (detected, mitigated, resolved) that the
  record does not have yet, and nothing else: never the body, the title, the severity, the
  commander, the services, nor ``started`` (a person may have set it to when impact truly
  began, which the tool cannot know). A time the record has stays, whoever set it: a person's
  correction, or an earlier import from the tool's other format (Opsgenie's API and CSV give
  different detection times: the first one imported stays, so imports never flip-flop).
- Status never goes back (resolved to mitigated or open, mitigated to open) unless the tool
  says the incident re-opened: its status is earlier *and* it changed that status after the
  record's resolution (or mitigation). A PagerDuty acknowledgement is no re-opening.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from checks import dates
from checks.errors import OpsError
from checks.importers.incidents.model import Imported

_RANK = {"open": 0, "mitigated": 1, "resolved": 2}
TIMES = ("detected", "mitigated", "resolved")
_NUMBERED = re.compile(r"(.*-)([0-9]+)", re.DOTALL)


class Existing(NamedTuple):
    rel: str
    data: Mapping[str, Any]


class New(NamedTuple):
    ident: str
    incident: Imported
    severity: str


class Update(NamedTuple):
    rel: str
    ident: str
    changes: dict[str, str]  # front matter key -> new value
    drop: tuple[str, ...]  # keys to remove (a re-opened incident's resolved time)


class Plan(NamedTuple):
    new: list[New]
    updates: list[Update]
    unchanged: int
    skipped: int  # not incidents in the tool (declined, merged, canceled, test)


def plan(
    existing: Sequence[Existing],
    incidents: Sequence[Imported],
    severities: Sequence[str],
    taken: Sequence[str],
) -> Plan:
    """What to write for ``incidents`` (with their project ``severities``), given the records;
    ``taken``: every incident id in use (records' ids and file names)."""
    by_key = _index(existing)
    check_unique(incidents)
    new: list[New] = []
    updates: list[Update] = []
    unchanged = skipped = 0
    for item, level in zip(incidents, severities, strict=True):
        record = by_key.get((item.system, item.ext_id))
        if record is None:
            if item.status is None:
                skipped += 1
            else:
                new.append(New("", item, level))
            continue
        if item.status is None:
            skipped += 1
            continue
        update = _update(record, item)
        if update.changes or update.drop:
            updates.append(update)
        else:
            unchanged += 1
    return Plan(_number(new, taken), updates, unchanged, skipped)


def _index(existing: Sequence[Existing]) -> dict[tuple[str, str], Existing]:
    out: dict[tuple[str, str], Existing] = {}
    for record in existing:
        ext = record.data.get("external")
        if not isinstance(ext, dict) or not isinstance(ext.get("id"), str):
            continue
        key = (str(ext.get("system")), ext["id"])
        if key in out:
            raise OpsError(
                f"{key[0]} incident {key[1]} has two records, {out[key].rel} and {record.rel}: "
                "keep one, then import again; nothing written"
            )
        out[key] = record
    return out


def check_unique(incidents: Sequence[Imported], file: str | None = None) -> None:
    """Refuse (OpsError) a file that lists one incident twice: which would win is a guess."""
    seen: dict[tuple[str, str], Imported] = {}
    for item in incidents:
        key = (item.system, item.ext_id)
        if key in seen:
            raise OpsError(
                f"{item.system} incident {item.ext_id} appears twice in the file "
                f"({seen[key].where} and {item.where}); nothing written",
                path=file,
            )
        seen[key] = item


def _number(new: list[New], taken: Sequence[str]) -> list[New]:
    """Ids for ``new``, as ``fill.next_id`` gives them one at a time, in one pass over
    ``taken`` (the highest number after each prefix), not one pass per new incident."""
    highest = _highest(taken)
    out = []
    for entry in sorted(
        new, key=lambda n: (n.incident.started, n.incident.system, n.incident.ext_id)
    ):
        prefix = f"INC-{entry.incident.started[:4]}-"
        highest[prefix] = highest.get(prefix, 0) + 1
        out.append(entry._replace(ident=f"{prefix}{highest[prefix]:03d}"))
    return out


def _highest(taken: Sequence[str]) -> dict[str, int]:
    """The highest number after each ``...-`` prefix of the ids (at most 64 characters, as
    ``fill.next_id`` reads them)."""
    out: dict[str, int] = {}
    for ident in taken:
        match = _NUMBERED.fullmatch(ident) if len(ident) <= 64 else None
        if match:
            prefix, number = match.group(1), int(match.group(2))
            out[prefix] = max(out.get(prefix, 0), number)
    return out


def _update(record: Existing, item: Imported) -> Update:
    data = record.data
    current = str(data.get("status")) if data.get("status") in _RANK else "open"
    assert item.status is not None
    status = (
        item.status if _RANK[item.status] >= _RANK[current] or _reopened(data, item) else current
    )
    changes: dict[str, str] = {}
    if status != data.get("status"):
        changes["status"] = status
    for key in TIMES:
        value = getattr(item, key)
        if value is not None and _absent(data.get(key)):
            changes[key] = value
    drop = tuple(
        key
        for key in ("resolved", "mitigated")
        if key in data and _RANK[status] < _RANK[key] and getattr(item, key) is None
    )
    for key in drop:
        changes.pop(key, None)
    return Update(record.rel, str(data.get("id")), changes, drop)


def _reopened(data: Mapping[str, Any], item: Imported) -> bool:
    """The tool changed the incident's status after the record says it ended (or eased)."""
    changed = dates.parse_instant(item.changed)
    ended = dates.parse_instant(data.get("resolved")) or dates.parse_instant(data.get("mitigated"))
    return changed is not None and ended is not None and changed > ended


def _absent(value: object) -> bool:
    """A time the record does not have yet: the only kind an import sets."""
    return value is None or value == ""
