"""An incident tool's CSV export, read as a stream: the header, then one row at a time.

Columns are found by their header names, so their order and extra columns do not matter; a
header without the columns a format needs is another format (or another version of it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import IO

from checks.importers.incidents.model import MAX_INCIDENTS, Place, stop

MAX_FIELD = 100_000  # characters in one cell: a description, never a file's worth
# Each tool's CSV export, by name, and the columns that mark it: what a header is when it lacks
# the columns the format asked for ("this is Opsgenie's CSV export")
SIGNATURES: dict[str, tuple[str, ...]] = {
    "PagerDuty's incidents CSV export": ("incident_number", "created_on"),
    "Opsgenie's CSV export": ("TinyId", "Message", "CreatedAt"),
    "incident.io's CSV export": ("Reference", "Name", "Severity"),
}


def expected(name: str, required: Sequence[str]) -> str:
    """How a format is named in messages: ``<name> (columns a, b, c)``."""
    return f"{name} (columns {', '.join(required)})"


def rows(
    stream: IO[bytes], place: Place, required: Sequence[str], name: str
) -> Iterator[tuple[Place, dict[str, str]]]:
    """Each row as {column: cell}, with its place (the line it starts on), of the export
    ``name`` (a key of SIGNATURES): a header of another one is named in the message."""
    others = {other: columns for other, columns in SIGNATURES.items() if other != name}
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    csv.field_size_limit(MAX_FIELD)
    line = 1
    try:
        header = next(reader, None)
        if header is None:
            raise stop(place._replace(line=1), "the file is empty: no header line")
        _check_header(header, place._replace(line=1), required, others)
        count = 0
        line = reader.line_num + 1
        for row in reader:
            here = place._replace(line=line)
            if row and count >= MAX_INCIDENTS:
                raise stop(here, f"more than {MAX_INCIDENTS:,} incidents: split the file")
            if row:  # a blank line between rows is no row
                if len(row) != len(header):
                    raise stop(
                        here,
                        f"{len(row)} fields where the header has {len(header)}: "
                        "the file is cut short, or a row is broken",
                    )
                count += 1
                yield here, dict(zip(header, row, strict=True))
            line = reader.line_num + 1
    except csv.Error as e:
        raise stop(place._replace(line=line), f"not CSV any more ({e}): cut short?") from None
    except UnicodeDecodeError:
        raise stop(place._replace(line=line), "not UTF-8 text") from None
    finally:
        text.detach()  # the caller opened the file and closes it


def _check_header(
    header: list[str],
    place: Place,
    required: Sequence[str],
    others: Mapping[str, Sequence[str]],
) -> None:
    names = [h.strip() for h in header]
    if len(set(names)) != len(names):
        raise stop(place, "a column name appears twice in the header")
    header[:] = names
    missing = [c for c in required if c not in names]
    if not missing:
        return
    for name, columns in others.items():
        if all(c in names for c in columns):
            raise stop(place, f"this is {name}")
    raise stop(
        place,
        "the header lacks the column(s) "
        + ", ".join(repr(c) for c in missing)
        + " (an unknown export version, or not this tool's export)",
    )
