"""PagerDuty REST API v2, ``GET /incidents``: ``{"incidents": [...], "limit", "offset", ...}``.

Severity: the incident's priority (``priority.summary``, such as P1) when it has one, else its
urgency (``high`` or ``low``). Status: triggered and acknowledged are open (detected: the first
acknowledgement); resolved is resolved at ``resolved_at`` (or ``last_status_change_at``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from checks.importers.incidents import jsonstream
from checks.importers.incidents.fields import get, obj, string, sub
from checks.importers.incidents.model import (
    Imported,
    Place,
    external_id,
    instant,
    shown,
    stop,
    text,
    url,
)

EXPECTED = 'PagerDuty REST API v2 JSON (GET /incidents: {"incidents": [...]})'
OTHERS = {"data": "an Opsgenie answer (data[]), not PagerDuty's"}
_STATUS = {"triggered": "open", "acknowledged": "open", "resolved": "resolved"}


def read(stream: IO[bytes], file: str) -> Iterator[Imported]:
    place = Place(file, EXPECTED)
    for where, item in jsonstream.items(stream, place, "incidents", OTHERS):
        yield incident(item, where)


def incident(item: dict[str, Any], where: Place) -> Imported:
    if "incident_status" in item or "reference" in item:
        raise stop(where, "this is an incident.io incident (incident_status, reference)")
    if "created_at" not in item and "created_on" in item:
        raise stop(where, "this is PagerDuty REST API v1 (created_on): export with API v2")
    status = string(item, "status", where)
    if status not in _STATUS:
        raise stop(
            sub(where, "status"), f"{shown(status)} is not triggered, acknowledged or resolved"
        )
    started = instant(get(item, "created_at", where), sub(where, "created_at"))
    assert started is not None
    changed = instant(
        item.get("last_status_change_at"), sub(where, "last_status_change_at"), required=False
    )
    resolved = None
    if status == "resolved":
        resolved = instant(
            item.get("resolved_at") or changed,
            sub(where, "resolved_at"),
        )
    return Imported(
        system="pagerduty",
        ext_id=external_id(get(item, "id", where), sub(where, "id")),
        url=url(item.get("html_url"), sub(where, "html_url")),
        title=text(get(item, "title", where), sub(where, "title")),
        tool_severity=_severity(item, where),
        status=_STATUS[status],
        started=started,
        detected=_acknowledged(item, where),
        mitigated=None,
        resolved=resolved,
        services=_services(item, where),
        changed=changed,
        where=where.path or "",
    )


def _severity(item: dict[str, Any], where: Place) -> str:
    priority = obj(item, "priority", where)
    if priority is not None:
        return text(
            get(priority, "summary", sub(where, "priority")),
            sub(where, "priority.summary"),
            limit=100,
        )
    return text(get(item, "urgency", where), sub(where, "urgency"), limit=100)


def _acknowledged(item: dict[str, Any], where: Place) -> str | None:
    acks = item.get("acknowledgements") or []
    if not isinstance(acks, list):
        raise stop(sub(where, "acknowledgements"), "not an array")
    times = [
        instant(a.get("at") if isinstance(a, dict) else a, sub(where, f"acknowledgements[{i}].at"))
        for i, a in enumerate(acks)
    ]
    return min((t for t in times if t), default=None)


def _services(item: dict[str, Any], where: Place) -> tuple[str, ...]:
    service = obj(item, "service", where)
    if service is None or service.get("summary") in (None, ""):
        return ()
    return (text(service["summary"], sub(where, "service.summary"), limit=200),)
