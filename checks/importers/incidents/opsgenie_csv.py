"""Opsgenie's CSV export of the alert or incident list: a header naming ``Id``, ``TinyId``,
``Message``, ``Status``, ``Priority``, ``CreatedAt``, and optionally ``UpdatedAt``,
``AcknowledgedAt``, ``ClosedAt``, ``ImpactStartDate``, ``ImpactEndDate``, ``Link``.

The same mapping as the API's (opsgenie_json); times must carry their time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from checks.importers.incidents import csvstream
from checks.importers.incidents.fields import cell
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

REQUIRED = ("Id", "TinyId", "Message", "Status", "Priority", "CreatedAt")
NAME = "Opsgenie's CSV export"
EXPECTED = csvstream.expected(NAME, REQUIRED)
_STATUS = {"open": "open", "resolved": "resolved", "closed": "resolved"}


def read(stream: IO[bytes], file: str) -> Iterator[Imported]:
    for where, row in csvstream.rows(stream, Place(file, EXPECTED), REQUIRED, NAME):
        status = (cell(row, "Status") or "").lower()
        if status not in _STATUS:
            raise stop(
                where.at("column Status"),
                f"{shown(cell(row, 'Status'))} is not open, resolved or closed",
            )
        created = instant(cell(row, "CreatedAt"), where.at("column CreatedAt"))
        assert created is not None
        updated = instant(cell(row, "UpdatedAt"), where.at("column UpdatedAt"), required=False)
        started = instant(
            cell(row, "ImpactStartDate"), where.at("column ImpactStartDate"), required=False
        )
        resolved = None
        if _STATUS[status] == "resolved":
            resolved = instant(
                cell(row, "ImpactEndDate") or cell(row, "ClosedAt") or cell(row, "UpdatedAt"),
                where.at("column ClosedAt"),
            )
        detected = instant(
            cell(row, "AcknowledgedAt"), where.at("column AcknowledgedAt"), required=False
        )
        yield Imported(
            system="opsgenie",
            ext_id=external_id(cell(row, "Id"), where.at("column Id")),
            url=url(cell(row, "Link"), where.at("column Link")),
            title=text(cell(row, "Message"), where.at("column Message")),
            tool_severity=text(cell(row, "Priority"), where.at("column Priority"), limit=100),
            status=_STATUS[status],
            started=started or created,
            detected=detected or (created if started and started != created else None),
            mitigated=None,
            resolved=resolved,
            services=(),
            changed=updated,
            where=f"line {where.line}",
        )
