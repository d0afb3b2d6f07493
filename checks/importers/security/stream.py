"""Read a JSON report as a stream (ijson): only the parts a tool's importer asks for are built,
one at a time, so a 100 MB report never sits in memory whole. Syntax errors and truncation
become :class:`FormatProblem` with the line where the file stopped being JSON. The reading,
its bounds and the placing of errors are :mod:`checks.importers.jsonevents`'s."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from checks.importers.jsonevents import CHUNK, MAX_TOKEN, Counting, JsonProblem, events
from checks.importers.security.model import FormatProblem, JsonPath

ITEM = 0  # in a pattern: any array index
ANY = "*"  # in a pattern: any key of an object
Pattern = tuple[str | int, ...]
MAX_DEPTH = 64  # no scanner report nests deeper; deeper is refused, even where it is skipped
MAX_VALUE = 16 * 1024 * 1024  # the most text one built value (one advisory) may span


def _matches(pattern: Pattern, path: list[str | int]) -> bool:
    if len(pattern) != len(path):
        return False
    for want, have in zip(pattern, path, strict=True):
        if want == ITEM:
            if not isinstance(have, int):
                return False
        elif (want != ANY and want != have) or (want == ANY and not isinstance(have, str)):
            return False
    return True


SEEN = object()  # the value yielded for a shape pattern: it is there, of the right type
_SHAPE_NAMES = {
    "start_map": "an object",
    "start_array": "an array",
    "string": "a string",
    "number": "a number",
    "boolean": "true/false",
    "null": "null",
}


def _check_shape(event: str, allowed: tuple[str, ...], path: JsonPath) -> None:
    if event not in allowed:
        want = " or ".join(_SHAPE_NAMES[a] for a in allowed)
        raise FormatProblem(f"expected {want}, found {_SHAPE_NAMES.get(event, event)}", path)


def _too_long() -> str:
    return (
        f"a string or number longer than {MAX_TOKEN:,} bytes; no scanner report has one "
        "(is this the tool's report?)"
    )


def _problem(problem: JsonProblem) -> FormatProblem:
    """The shared reader's problem, in a scanner report's words."""
    if problem.kind == "utf16":
        message = "the file is not UTF-8 (UTF-16?); save the report as UTF-8"
    elif problem.kind == "token":
        message = _too_long()
    elif problem.kind == "depth":
        message = (
            f"the JSON nests more than {MAX_DEPTH} levels deep (here or in the lines just "
            "after); no scanner report does (is this the tool's report?)"
        )
    elif problem.kind == "truncated":
        message = "the file ends before its JSON does: it is truncated (or still being written)"
    elif problem.kind == "not-utf8":
        message = "not UTF-8 text, expected JSON"
    else:
        message = problem.message  # not valid JSON (the parser's first line)
    return FormatProblem(message, line=problem.line)


def scan(
    raw: IO[bytes],
    build: tuple[Pattern, ...],
    shapes: Mapping[Pattern, tuple[str, ...]] | None = None,
    root: type = dict,
) -> Iterator[tuple[Pattern, JsonPath, Any]]:
    """Yield ``(pattern, path, value)`` for every value whose path matches a ``build``
    pattern, built whole, and ``(pattern, path, SEEN)`` for every value at a ``shapes``
    pattern, whose JSON type must be one of those given; everything else is read past.
    ``root``: the type the document must be (dict or list). Bounded: nesting (MAX_DEPTH),
    one string or number (MAX_TOKEN), one built value (MAX_VALUE)."""
    shapes = shapes or {}
    reader = Counting(raw)
    patterns = (*build, *shapes)
    lengths = {len(p) for p in patterns}
    path: list[str | int] = []
    kinds: list[bool] = []  # per open container: True for an array
    stream = events(reader, MAX_DEPTH)
    try:
        first = next(stream, None)
        if first is None:
            raise FormatProblem("the file is empty, expected JSON", line=1)
        want = "start_map" if root is dict else "start_array"
        if first[0] != want:
            found = {"start_map": "an object", "start_array": "an array"}.get(first[0], "a value")
            expected = "an object" if root is dict else "an array"
            raise FormatProblem(f"the report is {found}, expected {expected}", ())
        kinds.append(first[0] == "start_array")
        path.append(-1 if kinds[-1] else "")
        for event, value in stream:
            if event == "map_key":
                path[-1] = value
                continue
            if event in ("end_map", "end_array"):
                kinds.pop()
                path.pop()
                continue
            if kinds and kinds[-1]:
                path[-1] = int(path[-1]) + 1
            if len(path) in lengths:
                hit = next((p for p in patterns if _matches(p, path)), None)
                if hit is not None and hit in shapes:
                    _check_shape(event, shapes[hit], tuple(path))
                    yield hit, tuple(path), SEEN
                elif hit is not None:
                    where = tuple(path)
                    yield hit, where, _build(stream, event, value, reader, where)
                    continue
            if event == "start_map":
                kinds.append(False)
                path.append("")
            elif event == "start_array":
                kinds.append(True)
                path.append(-1)
    except JsonProblem as problem:
        raise _problem(problem) from None


def _build(
    events: Iterator[tuple[str, Any]], event: str, value: Any, reader: Counting, path: JsonPath
) -> Any:
    """The value that starts with ``event``, built from the events that follow."""
    if event not in ("start_map", "start_array"):
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    start = reader.total
    for ev, val in events:
        builder.event(ev, val)
        if ev in ("start_map", "start_array"):
            depth += 1
        elif ev in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                break
        if reader.total - start > MAX_VALUE + CHUNK:
            raise FormatProblem(
                f"this value spans more than {MAX_VALUE:,} bytes; no scanner report has one "
                "that large (is this the tool's report?)",
                path,
            )
    return builder.value
