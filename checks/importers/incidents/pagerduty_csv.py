"""PagerDuty's incidents CSV export (Analytics > Reports > Incidents, Download CSV): one row
per incident with ``id``, ``incident_number``, ``description``, ``created_on``, ``resolved_on``,
``urgency``, ``service_name``...

It has no status column: a row with ``resolved_on`` is resolved, one without is open (so an
import of it never re-opens a resolved record). Severity: ``priority`` when the export has that
column and the cell is filled, else ``urgency``. detected: ``created_on`` plus
``seconds_to_first_ack``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import IO

from checks import dates
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

REQUIRED = ("id", "incident_number", "description", "created_on", "resolved_on", "urgency")
NAME = "PagerDuty's incidents CSV export"
EXPECTED = csvstream.expected(NAME, REQUIRED)


def read(stream: IO[bytes], file: str) -> Iterator[Imported]:
    for where, row in csvstream.rows(stream, Place(file, EXPECTED), REQUIRED, NAME):
        started = instant(cell(row, "created_on"), where.at("column created_on"))
        assert started is not None
        resolved = instant(cell(row, "resolved_on"), where.at("column resolved_on"), required=False)
        yield Imported(
            system="pagerduty",
            ext_id=external_id(cell(row, "id"), where.at("column id")),
            url=url(cell(row, "incident_url"), where.at("column incident_url")),
            title=text(cell(row, "description"), where.at("column description")),
            tool_severity=text(
                cell(row, "priority") or cell(row, "urgency"), where.at("column urgency"), limit=100
            ),
            status="resolved" if resolved else "open",
            started=started,
            detected=_acked(started, cell(row, "seconds_to_first_ack"), where),
            mitigated=None,
            resolved=resolved,
            services=tuple(s for s in [cell(row, "service_name")] if s),
            changed=None,  # no status column: the export never says an incident re-opened
            where=f"line {where.line}",
        )


def _acked(started: str, seconds: str | None, where: Place) -> str | None:
    if seconds is None:
        return None
    if not seconds.isdigit() or len(seconds) > 10:
        raise stop(
            where.at("column seconds_to_first_ack"), f"{shown(seconds)} is not a number of seconds"
        )
    moment = dates.parse_instant(started)
    assert moment is not None
    return (moment + dt.timedelta(seconds=int(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")
