"""Read a JSON report as a stream (ijson): only the parts a tool's importer asks for are built,
one at a time, so a 100 MB report never sits in memory whole. Syntax errors and truncation
become :class:`FormatProblem` with the line where the file stopped being JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from checks.importers.security.model import FormatProblem, JsonPath

ITEM = 0  # in a pattern: any array index
ANY = "*"  # in a pattern: any key of an object
Pattern = tuple[str | int, ...]
CHUNK = 64 * 1024


class _Counting:
    """A binary reader that remembers what it has handed out, to place a syntax error."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.lines = 0  # newlines before the last chunk
        self.last = b""
        self.started = False

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing to learn whether the stream gives bytes
            return b""
        self.lines += self.last.count(b"\n")
        chunk = self.raw.read(size if 0 < size <= CHUNK else CHUNK)
        if self.started is False:
            self.started = True
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM, as some editors save
        self.last = chunk
        return chunk

    def line_of(self, message: str) -> int:
        """The line of the error yajl shows in ``message``: its context (the text before the
        error, whitespace as spaces) found in the last chunk; else the chunk's last line."""
        lines = message.split("\n")
        chunk = self.last.decode("utf-8", "replace")
        if len(lines) >= 3 and "^" in lines[2]:
            caret = lines[2].index("^")
            before = lines[1][:caret].lstrip()
            flat = re.sub(r"[\n\r\t]", " ", chunk)
            at = flat.rfind(before) if before else -1
            if at >= 0:
                return self.lines + chunk.count("\n", 0, at + len(before)) + 1
        return self.lines + chunk.count("\n") + 1


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


def scan(
    raw: IO[bytes],
    build: tuple[Pattern, ...],
    shapes: Mapping[Pattern, tuple[str, ...]] | None = None,
    root: type = dict,
) -> Iterator[tuple[Pattern, JsonPath, Any]]:
    """Yield ``(pattern, path, value)`` for every value whose path matches a ``build``
    pattern, built whole, and ``(pattern, path, SEEN)`` for every value at a ``shapes``
    pattern, whose JSON type must be one of those given; everything else is read past.
    ``root``: the type the document must be (dict or list)."""
    shapes = shapes or {}
    reader = _Counting(raw)
    patterns = (*build, *shapes)
    lengths = {len(p) for p in patterns}
    path: list[str | int] = []
    kinds: list[bool] = []  # per open container: True for an array
    events = ijson.parse(reader, use_float=True)
    try:
        first = next(events, None)
        if first is None:
            raise FormatProblem("the file is empty, expected JSON", line=1)
        want = "start_map" if root is dict else "start_array"
        if first[1] != want:
            found = {"start_map": "an object", "start_array": "an array"}.get(first[1], "a value")
            expected = "an object" if root is dict else "an array"
            raise FormatProblem(f"the report is {found}, expected {expected}", ())
        kinds.append(first[1] == "start_array")
        path.append(-1 if kinds[-1] else "")
        for _prefix, event, value in events:
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
                    yield hit, tuple(path), _build(events, event, value)
                    continue
            if event == "start_map":
                kinds.append(False)
                path.append("")
            elif event == "start_array":
                kinds.append(True)
                path.append(-1)
    except ijson.IncompleteJSONError as e:
        message = str(e)
        if "premature EOF" in message:
            line = reader.lines + reader.last.count(b"\n") + 1
            raise FormatProblem(
                "the file ends before its JSON does: it is truncated (or still being written)",
                line=line,
            ) from None
        first_line = message.split("\n", 1)[0]
        raise FormatProblem(
            f"not valid JSON ({first_line})", line=reader.line_of(message)
        ) from None
    except UnicodeDecodeError:
        raise FormatProblem("not UTF-8 text, expected JSON", line=reader.lines + 1) from None


def _build(events: Iterator[tuple[str, str, Any]], event: str, value: Any) -> Any:
    """The value that starts with ``event``, built from the events that follow."""
    if event not in ("start_map", "start_array"):
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _prefix, ev, val in events:
        builder.event(ev, val)
        if ev in ("start_map", "start_array"):
            depth += 1
        elif ev in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                break
    return builder.value
