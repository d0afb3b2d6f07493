"""Opsgenie's Incident API (``GET /v1/incidents``) and Alert API (``GET /v2/alerts``) answers:
``{"data": [...], "took", "requestId"}``; each element is an incident or an alert, told apart
by its fields.

Severity: ``priority`` (P1..P5). Status: open is open; resolved and closed are resolved. An
incident's impact dates (``impactStartDate``, ``impactEndDate``) win over its creation and last
update; an alert's ``report`` gives its acknowledgement and close as milliseconds after creation.
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
    later,
    shown,
    stop,
    text,
    url,
)

EXPECTED = 'Opsgenie Incident or Alert API JSON ({"data": [...]})'
OTHERS = {"incidents": "a PagerDuty or incident.io answer (incidents[]), not Opsgenie's"}
_STATUS = {"open": "open", "resolved": "resolved", "closed": "resolved"}


def read(stream: IO[bytes], file: str) -> Iterator[Imported]:
    for where, item in jsonstream.items(stream, Place(file, EXPECTED), "data", OTHERS):
        yield incident(item, where)


def incident(item: dict[str, Any], where: Place) -> Imported:
    status = string(item, "status", where)
    if status not in _STATUS:
        raise stop(sub(where, "status"), f"{shown(status)} is not open, resolved or closed")
    created = instant(get(item, "createdAt", where), sub(where, "createdAt"))
    assert created is not None
    updated = instant(item.get("updatedAt"), sub(where, "updatedAt"), required=False)
    report = obj(item, "report", where) or {}
    started = instant(item.get("impactStartDate"), sub(where, "impactStartDate"), required=False)
    resolved = None
    if _STATUS[status] == "resolved":
        resolved = (
            instant(item.get("impactEndDate"), sub(where, "impactEndDate"), required=False)
            or later(created, report.get("closeTime"), sub(where, "report.closeTime"))
            or updated
        )
        if resolved is None:
            raise stop(sub(where, "updatedAt"), "missing: no time the incident was resolved")
    detected = later(created, report.get("ackTime"), sub(where, "report.ackTime"))
    if detected is None and started is not None and started != created:
        detected = created  # declared in Opsgenie after the impact began
    links = obj(item, "links", where) or {}
    return Imported(
        system="opsgenie",
        ext_id=external_id(get(item, "id", where), sub(where, "id")),
        url=url(links.get("web"), sub(where, "links.web")),
        title=text(get(item, "message", where), sub(where, "message")),
        tool_severity=text(get(item, "priority", where), sub(where, "priority"), limit=100),
        status=_STATUS[status],
        started=started or created,
        detected=detected,
        mitigated=None,
        resolved=resolved,
        services=(),  # impactedServices are Opsgenie service ids, not names
        changed=updated,
        where=where.path or "",
    )
