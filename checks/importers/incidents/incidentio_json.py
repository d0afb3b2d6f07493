"""incident.io API v2, ``GET /v2/incidents``: ``{"incidents": [...], "pagination_meta": {...}}``.

Severity: ``severity.name`` (such as Critical, Major, Minor). Status, by
``incident_status.category``: triage, live and paused are open (mitigated once a "Fixed at" or
"Mitigated at" timestamp is set); learning (post-incident) and closed are resolved; declined,
merged and canceled are no incident and are passed over, as are test and tutorial incidents.
Times: the incident's timestamps "Impact started", "Reported at", "Fixed at", "Resolved at",
"Closed at" when set; else ``created_at`` (started) and ``updated_at`` (resolved).
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

EXPECTED = 'incident.io API v2 JSON (GET /v2/incidents: {"incidents": [...]})'
OTHERS = {"data": "an Opsgenie answer (data[]), not incident.io's"}
CATEGORIES = {
    "triage": "open",
    "live": "open",
    "paused": "open",
    "learning": "resolved",
    "closed": "resolved",
    "declined": None,
    "merged": None,
    "canceled": None,
}
SKIPPED_MODES = ("test", "tutorial")


def read(stream: IO[bytes], file: str) -> Iterator[Imported]:
    for where, item in jsonstream.items(stream, Place(file, EXPECTED), "incidents", OTHERS):
        yield incident(item, where)


def incident(item: dict[str, Any], where: Place) -> Imported:
    if "incident_number" in item or "html_url" in item:
        raise stop(where, "this is a PagerDuty incident (incident_number, html_url)")
    if "incident_status" not in item and isinstance(item.get("status"), str):
        raise stop(
            where, "this is incident.io API v1 (a status string): export with GET /v2/incidents"
        )
    category = string(
        obj(item, "incident_status", where) or {}, "category", sub(where, "incident_status")
    )
    if category not in CATEGORIES:
        raise stop(
            sub(where, "incident_status.category"),
            f"{shown(category)} is not a status category incident.io documents",
        )
    times = _timestamps(item, where)
    created = instant(get(item, "created_at", where), sub(where, "created_at"))
    assert created is not None
    updated = instant(item.get("updated_at"), sub(where, "updated_at"), required=False)
    status = CATEGORIES[category]
    if item.get("mode") in SKIPPED_MODES:
        status = None
    mitigated = times.get("fixed at") or times.get("mitigated at")
    if status == "open" and mitigated:
        status = "mitigated"
    resolved = None
    if status == "resolved":
        resolved = times.get("resolved at") or times.get("closed at") or updated
        if resolved is None:
            raise stop(sub(where, "updated_at"), "missing: no time the incident was resolved")
    severity = obj(item, "severity", where)
    if severity is None:
        raise stop(sub(where, "severity"), "missing: the incident has no severity in incident.io")
    return Imported(
        system="incident-io",
        ext_id=external_id(get(item, "id", where), sub(where, "id")),
        url=url(item.get("permalink"), sub(where, "permalink")),
        title=text(get(item, "name", where), sub(where, "name")),
        tool_severity=text(
            get(severity, "name", sub(where, "severity")), sub(where, "severity.name"), limit=100
        ),
        status=status,
        started=times.get("impact started") or created,
        detected=times.get("reported at") or times.get("identified at"),
        mitigated=mitigated,
        resolved=resolved,
        services=_services(item, where),
        changed=updated,
        where=where.path or "",
    )


def _timestamps(item: dict[str, Any], where: Place) -> dict[str, str]:
    """The incident's timestamps that are set, by lower-case name."""
    values = item.get("incident_timestamp_values") or []
    if not isinstance(values, list):
        raise stop(sub(where, "incident_timestamp_values"), "not an array")
    out: dict[str, str] = {}
    for i, entry in enumerate(values):
        here = sub(where, f"incident_timestamp_values[{i}]")
        if not isinstance(entry, dict):
            raise stop(here, "not an object")
        name = (obj(entry, "incident_timestamp", here) or {}).get("name")
        value = (obj(entry, "value", here) or {}).get("value")
        if isinstance(name, str) and value:
            moment = instant(value, sub(here, "value.value"))
            assert moment is not None
            out[name.strip().lower()] = moment
    return out


def _services(item: dict[str, Any], where: Place) -> tuple[str, ...]:
    """The values of a custom field named "Affected services", if the incident has one."""
    entries = item.get("custom_field_entries") or []
    if not isinstance(entries, list):
        return ()
    names: list[str] = []
    for i, entry in enumerate(entries):
        field = entry.get("custom_field") if isinstance(entry, dict) else None
        if not isinstance(field, dict) or str(field.get("name", "")).lower() != "affected services":
            continue
        for j, value in enumerate(entry.get("values") or []):
            if not isinstance(value, dict):
                continue
            chosen = (value.get("value_catalog_entry") or {}).get("name") or (
                value.get("value_option") or {}
            ).get("value")
            if chosen:
                here = sub(where, f"custom_field_entries[{i}].values[{j}]")
                names.append(text(chosen, here, limit=200))
    return tuple(dict.fromkeys(names))
