"""An incident tool's JSON answer, read as a stream: one incident object at a time.

The answer is an object whose ``key`` holds the array of incidents (``incidents`` for PagerDuty
and incident.io, ``data`` for Opsgenie); everything else at the top (paging, ``took``) is
passed over. A file that is no JSON, is cut short, or holds another shape stops the reader with
the path where it stopped matching.

Bounded memory whatever the file: ijson's ``basic_parse`` events carry no path (this module
keeps its own), every container counts towards :data:`MAX_DEPTH` (the parts passed over too),
and no single token (a string, a number, a run of spaces) may exceed :data:`MAX_TOKEN` bytes.
The reading and those bounds are :mod:`checks.importers.jsonevents`'s; this module words them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from checks.importers.incidents.model import MAX_INCIDENTS, Place, shown, stop
from checks.importers.jsonevents import MAX_TOKEN, Counting, Events, JsonProblem, events

MAX_DEPTH = 32  # from the top of the file; an incident object nests a few levels (incident.io: 8)
_START = ("start_map", "start_array")
_END = ("end_map", "end_array")


def items(
    stream: IO[bytes], place: Place, key: str, others: Mapping[str, str]
) -> Iterator[tuple[Place, dict[str, Any]]]:
    """Each object of the top-level array ``key``, with its place (``$.key[i]``).

    ``others`` names top-level keys that mark another tool's answer (``data`` -> "an Opsgenie
    answer"): meeting one stops the reader with that name.
    """
    counted = Counting(stream, sniff=False)
    parsed = events(counted, MAX_DEPTH, check_values=False)
    here = place.at("$")
    seen = False
    last = ["$"]  # the part being read: where a broken file stopped
    try:
        first = next(parsed, None)
        if first is None or first[0] != "start_map":
            kind = _kind(first[0]) if first else "nothing"
            raise stop(here, f"the file holds a JSON {kind}, not an object")
        for event, name in parsed:
            if event == "end_map":
                break
            last[0] = f"$.{name}"
            if name in others:
                raise stop(here.at(f"$.{name}"), f"this is {others[name]}")
            if name != key:
                _skip(parsed)
                continue
            event, _ = next(parsed)
            if event != "start_array":
                raise stop(here.at(f"$.{key}"), f"a JSON {_kind(event)}, not an array")
            seen = True
            yield from _array(parsed, place, key, last)
        for _ in parsed:  # anything after the object is yajl's to refuse
            pass
        if not seen:
            raise stop(here, f"no '{key}' array of incidents at the top of the file")
    except JsonProblem as problem:
        raise _stopped(problem, here.at(last[0]) if seen or last[0] != "$" else here) from None


def _stopped(problem: JsonProblem, where: Place) -> Exception:
    """The shared reader's problem, in an incident reader's words, at the part being read."""
    if problem.kind == "depth":
        return stop(where, f"nested more than {MAX_DEPTH} levels deep")
    if problem.kind == "token":
        return stop(
            where,
            f"a single JSON value (or gap) longer than {MAX_TOKEN:,} bytes, near byte "
            f"{problem.offset:,}: not an incident tool's answer",
        )
    cause = problem.__cause__
    if problem.kind == "not-utf8" and isinstance(cause, UnicodeDecodeError):
        return cause  # not a parser error: as before the shared reader, not worded here
    return stop(
        where,
        f"the file stops being JSON by byte {problem.offset:,} "
        f"({_reason(cause or problem)}): cut short, or not JSON",
    )


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
        yield where, _build(events)


def _skip(events: Events) -> None:
    """Pass over one value at the top of the answer (its key read), counting its depth."""
    depth = 1  # the answer's object
    event, _ = next(events)
    while True:
        if event in _START:
            depth += 1
        elif event in _END:
            depth -= 1
        if depth == 1:
            return
        event, _ = next(events)


def _build(events: Events) -> dict[str, Any]:
    """The incident object whose ``start_map`` was read, at depth 3 (answer, array, incident)."""
    builder = ijson.ObjectBuilder()
    builder.event("start_map", None)
    depth = 3
    while depth > 2:
        event, value = next(events)
        if event in _START:
            depth += 1
        elif event in _END:
            depth -= 1
        builder.event(event, value)
    result: dict[str, Any] = builder.value
    return result


def _kind(event: str) -> str:
    return {"start_map": "object", "start_array": "array", "number": "number"}.get(
        event, event if event in ("string", "boolean", "null") else "value"
    )


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return shown(text[0] if text else type(error).__name__, 80).strip("'\"")
