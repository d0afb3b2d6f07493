"""An incident tool's JSON answer, read as a stream: one incident object at a time.

The answer is an object whose ``key`` holds the array of incidents (``incidents`` for PagerDuty
and incident.io, ``data`` for Opsgenie); everything else at the top (paging, ``took``) is
passed over. A file that is no JSON, is cut short, or holds another shape stops the reader with
the path where it stopped matching.

Bounded memory whatever the file: ijson's ``basic_parse`` events carry no path (this module
keeps its own), every container counts towards :data:`MAX_DEPTH` (the parts passed over too),
and no single token (a string, a number, a run of spaces) may exceed :data:`MAX_TOKEN` bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from checks.importers.incidents.model import MAX_INCIDENTS, Place, shown, stop

MAX_DEPTH = 32  # from the top of the file; an incident object nests a few levels (incident.io: 8)
MAX_TOKEN = 1 << 20  # bytes read without a JSON event: one string, number or gap
CHUNK = 64 * 1024
_START = ("start_map", "start_array")
_END = ("end_map", "end_array")
Events = Iterator[tuple[str, Any]]


class _TooLong(Exception):
    """The reader met a token longer than MAX_TOKEN bytes."""


class _Counted:
    """The file, counting the bytes ijson has read (where a broken file stopped) and the bytes
    since ijson last gave an event (a token that never ends is refused, not buffered)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.read_bytes = 0
        self.since_event = 0

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing to learn whether the stream gives bytes
            return b""
        data = self.stream.read(size if 0 < size <= CHUNK else CHUNK)
        self.read_bytes += len(data)
        self.since_event += len(data)
        if self.since_event > MAX_TOKEN + CHUNK:
            raise _TooLong
        return data


def _events(counted: _Counted) -> Events:
    for event in ijson.basic_parse(counted, use_float=True, buf_size=CHUNK):
        counted.since_event = 0
        yield event


def items(
    stream: IO[bytes], place: Place, key: str, others: Mapping[str, str]
) -> Iterator[tuple[Place, dict[str, Any]]]:
    """Each object of the top-level array ``key``, with its place (``$.key[i]``).

    ``others`` names top-level keys that mark another tool's answer (``data`` -> "an Opsgenie
    answer"): meeting one stops the reader with that name.
    """
    counted = _Counted(stream)
    events = _events(counted)
    here = place.at("$")
    seen = False
    last = ["$"]  # the part being read: where a broken file stopped
    try:
        first = next(events, None)
        if first is None or first[0] != "start_map":
            kind = _kind(first[0]) if first else "nothing"
            raise stop(here, f"the file holds a JSON {kind}, not an object")
        for event, name in events:
            if event == "end_map":
                break
            last[0] = f"$.{name}"
            if name in others:
                raise stop(here.at(f"$.{name}"), f"this is {others[name]}")
            if name != key:
                _skip(events, here.at(f"$.{name}"))
                continue
            event, _ = next(events)
            if event != "start_array":
                raise stop(here.at(f"$.{key}"), f"a JSON {_kind(event)}, not an array")
            seen = True
            yield from _array(events, place, key, last)
        for _ in events:  # anything after the object is yajl's to refuse
            pass
        if not seen:
            raise stop(here, f"no '{key}' array of incidents at the top of the file")
    except _TooLong:
        raise stop(
            here.at(last[0]),
            f"a single JSON value (or gap) longer than {MAX_TOKEN:,} bytes, near byte "
            f"{counted.read_bytes:,}: not an incident tool's answer",
        ) from None
    except ijson.JSONError as e:
        raise stop(
            here.at(last[0]) if seen or last[0] != "$" else here,
            f"the file stops being JSON by byte {counted.read_bytes:,} "
            f"({_reason(e)}): cut short, or not JSON",
        ) from None


def _array(
    events: Events, place: Place, key: str, last: list[str]
) -> Iterator[tuple[Place, dict[str, Any]]]:
    for index, (event, _) in enumerate(events):
        if event == "end_array":
            return
        where = place.at(f"$.{key}[{index}]")
        last[0] = where.path or ""
        if index >= MAX_INCIDENTS:
            raise stop(where, f"more than {MAX_INCIDENTS:,} incidents: split the file")
        if event != "start_map":
            raise stop(where, f"a JSON {_kind(event)}, not an incident object")
        yield where, _build(events, where)


def _nested(where: Place, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise stop(where, f"nested more than {MAX_DEPTH} levels deep")


def _skip(events: Events, where: Place) -> None:
    """Pass over one value at the top of the answer (its key read), counting its depth."""
    depth = 1  # the answer's object
    event, _ = next(events)
    while True:
        if event in _START:
            depth += 1
            _nested(where, depth)
        elif event in _END:
            depth -= 1
        if depth == 1:
            return
        event, _ = next(events)


def _build(events: Events, where: Place) -> dict[str, Any]:
    """The incident object whose ``start_map`` was read, at depth 3 (answer, array, incident)."""
    builder = ijson.ObjectBuilder()
    builder.event("start_map", None)
    depth = 3
    _nested(where, depth)
    while depth > 2:
        event, value = next(events)
        if event in _START:
            depth += 1
            _nested(where, depth)
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
