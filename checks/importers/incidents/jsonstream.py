"""An incident tool's JSON answer, read as a stream: one incident object at a time.

The answer is an object whose ``key`` holds the array of incidents (``incidents`` for PagerDuty
and incident.io, ``data`` for Opsgenie); everything else at the top (paging, ``took``) is
passed over. A file that is no JSON, is cut short, or holds another shape stops the reader with
the path where it stopped matching.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from checks.importers.incidents.model import MAX_INCIDENTS, Place, shown, stop

MAX_DEPTH = 32  # an incident object nests a few levels (incident.io's custom fields: 6)
_START = ("start_map", "start_array")
_END = ("end_map", "end_array")


class _Counted:
    """The file, counting the bytes ijson has read: where a broken file stopped."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.read_bytes += len(data)
        return data


def items(
    stream: IO[bytes], place: Place, key: str, others: Mapping[str, str]
) -> Iterator[tuple[Place, dict[str, Any]]]:
    """Each object of the top-level array ``key``, with its place (``$.key[i]``).

    ``others`` names top-level keys that mark another tool's answer (``data`` -> "an Opsgenie
    answer"): meeting one stops the reader with that name.
    """
    counted = _Counted(stream)
    events = ijson.parse(counted, use_float=True)
    here = place.at("$")
    seen = False
    last = [f"$.{key}"]  # the incident being read: where a broken file stopped
    try:
        for prefix, event, value in events:
            if prefix == "" and event != "map_key":
                if event == "start_map" or event == "end_map":
                    continue
                raise stop(here, f"the file holds a JSON {_kind(event)}, not an object")
            if prefix == "" and event == "map_key":
                if value in others:
                    raise stop(here.at(f"$.{value}"), f"this is {others[value]}")
                continue
            if prefix == key and event in (*_START, "string", "number", "boolean", "null"):
                if event != "start_array":
                    raise stop(here.at(f"$.{key}"), f"a JSON {_kind(event)}, not an array")
                seen = True
                yield from _array(events, place, key, last)
        if not seen:
            raise stop(here, f"no '{key}' array of incidents at the top of the file")
    except ijson.JSONError as e:
        raise stop(
            here.at(last[0]) if seen else here,
            f"the file stops being JSON by byte {counted.read_bytes:,} "
            f"({_reason(e)}): cut short, or not JSON",
        ) from None


def _array(
    events: Iterator[tuple[str, str, Any]], place: Place, key: str, last: list[str]
) -> Iterator[tuple[Place, dict[str, Any]]]:
    item_prefix = f"{key}.item"
    for index, (prefix, event, _) in enumerate(events):
        if prefix == key and event == "end_array":
            return
        where = place.at(f"$.{key}[{index}]")
        last[0] = where.path or ""
        if index >= MAX_INCIDENTS:
            raise stop(where, f"more than {MAX_INCIDENTS:,} incidents: split the file")
        if prefix != item_prefix or event != "start_map":
            raise stop(where, f"a JSON {_kind(event)}, not an incident object")
        yield where, _build(events, where)


def _build(events: Iterator[tuple[str, str, Any]], where: Place) -> dict[str, Any]:
    builder = ijson.ObjectBuilder()
    builder.event("start_map", None)
    depth = 1
    while depth:
        _, event, value = next(events)
        if event in _START:
            depth += 1
            if depth > MAX_DEPTH:
                raise stop(where, f"nested more than {MAX_DEPTH} levels deep")
        elif event in _END:
            depth -= 1
        builder.event(event, value)
    result: dict[str, Any] = builder.value
    return result


def _kind(event: str) -> str:
    return {"start_map": "object", "start_array": "array", "number": "number"}.get(
        event, event if event in ("string", "boolean", "null") else "value"
    )


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return shown(text[0] if text else type(error).__name__, 80).strip("'\"")
