"""incident.io's CSV export of the incident list: a header naming ``ID``, ``Reference``,
``Name``, ``Status``, ``Severity``, ``Created at``, and optionally ``Status category``,
``Impact started at``, ``Reported at``, ``Fixed at``, ``Resolved at``, ``Closed at``,
``Updated at``, ``Permalink``, ``Affected services`` (names separated by commas).

Status: the ``Status category`` cell when there is one, else incident.io's default status
names (Triage, Investigating, Fixing, Monitoring, Paused, Documenting, Closed, Declined,
Merged, Canceled); mapped as the API's (incidentio_json).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from checks.importers.incidents import csvstream
from checks.importers.incidents.fields import cell
from checks.importers.incidents.incidentio_json import CATEGORIES
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

REQUIRED = ("ID", "Reference", "Name", "Status", "Severity", "Created at")
NAME = "incident.io's CSV export"
EXPECTED = csvstream.expected(NAME, REQUIRED)
DEFAULT_STATUSES = {
    "investigating": "live",
    "fixing": "live",
    "monitoring": "live",
    "documenting": "learning",
}


def read(stream: IO[bytes], file: str) -> Iterator[Imported]:
    for where, row in csvstream.rows(stream, Place(file, EXPECTED), REQUIRED, NAME):
        named = (cell(row, "Status category") or cell(row, "Status") or "").lower()
        category = DEFAULT_STATUSES.get(named, named)
        if category not in CATEGORIES:
            raise stop(
                where.at("column Status"),
                f"{shown(cell(row, 'Status'))} is not a status incident.io documents; "
                "add a 'Status category' column",
            )
        created = instant(cell(row, "Created at"), where.at("column Created at"))
        assert created is not None
        times = {
            c: instant(cell(row, c), where.at(f"column {c}"), required=False)
            for c in (
                "Impact started at",
                "Reported at",
                "Fixed at",
                "Resolved at",
                "Closed at",
                "Updated at",
            )
        }
        status = CATEGORIES[category]
        if status == "open" and times["Fixed at"]:
            status = "mitigated"
        resolved = None
        if status == "resolved":
            resolved = times["Resolved at"] or times["Closed at"] or times["Updated at"]
            if resolved is None:
                raise stop(
                    where.at("column Resolved at"), "missing: no time the incident was resolved"
                )
        services = [
            text(s, where.at("column Affected services"), limit=200)
            for s in (cell(row, "Affected services") or "").split(",")
            if s.strip()
        ]
        yield Imported(
            system="incident-io",
            ext_id=external_id(cell(row, "ID"), where.at("column ID")),
            url=url(cell(row, "Permalink"), where.at("column Permalink")),
            title=text(cell(row, "Name"), where.at("column Name")),
            tool_severity=text(cell(row, "Severity"), where.at("column Severity"), limit=100),
            status=status,
            started=times["Impact started at"] or created,
            detected=times["Reported at"],
            mitigated=times["Fixed at"],
            resolved=resolved,
            services=tuple(dict.fromkeys(services)),
            changed=times["Updated at"],
            where=f"line {where.line}",
        )
