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
MAX_DEPTH = 64  # no scanner report nests deeper; deeper is refused, even where it is skipped
MAX_TOKEN = 1024 * 1024  # the longest string or number read, in bytes
MAX_VALUE = 16 * 1024 * 1024  # the most text one built value (one advisory) may span


class _Counting:
    """A binary reader that remembers what it has handed out, to place a syntax error."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.lines = 0  # newlines before the last chunk
        self.last = b""
        self.started = False
        self.total = 0  # bytes handed out
        self.quiet = 0  # bytes handed out since the parser last gave an event

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing to learn whether the stream gives bytes
            return b""
        self.lines += self.last.count(b"\n")
        chunk = self.raw.read(size if 0 < size <= CHUNK else CHUNK)
        if self.started is False:
            self.started = True
            _not_utf16(chunk)
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM, as some editors save
        self.last = chunk
        self.total += len(chunk)
        self.quiet += len(chunk)
        if self.quiet > MAX_TOKEN + CHUNK:  # inside one string or number all that time
            raise FormatProblem(_too_long(), line=self.lines + 1)
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


def _not_utf16(chunk: bytes) -> None:
    """A report saved as UTF-16 (PowerShell's ``>`` does that) is refused by name, not with
    the bytes the JSON parser stumbled on."""
    if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:4]:
        raise FormatProblem("the file is not UTF-8 (UTF-16?); save the report as UTF-8", line=1)


def _too_long() -> str:
    return (
        f"a string or number longer than {MAX_TOKEN:,} bytes; no scanner report has one "
        "(is this the tool's report?)"
    )


def _events(reader: _Counting) -> Iterator[tuple[str, Any]]:
    """The parser's events (no prefixes: building one per event costs memory by depth),
    nesting and token length bounded."""
    depth = 0
    for event, value in ijson.basic_parse(reader, use_float=True):
        reader.quiet = 0
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_DEPTH:
                raise FormatProblem(
                    f"the JSON nests more than {MAX_DEPTH} levels deep (here or in the lines "
                    "just after); no scanner report does (is this the tool's report?)",
                    line=reader.lines + 1,
                )
        elif event in ("end_map", "end_array"):
            depth -= 1
        elif event in ("string", "map_key") and len(value) > MAX_TOKEN:
            raise FormatProblem(_too_long(), line=reader.lines + 1)
        yield event, value


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
    reader = _Counting(raw)
    patterns = (*build, *shapes)
    lengths = {len(p) for p in patterns}
    path: list[str | int] = []
    kinds: list[bool] = []  # per open container: True for an array
    events = _events(reader)
    try:
        first = next(events, None)
        if first is None:
            raise FormatProblem("the file is empty, expected JSON", line=1)
        want = "start_map" if root is dict else "start_array"
        if first[0] != want:
            found = {"start_map": "an object", "start_array": "an array"}.get(first[0], "a value")
            expected = "an object" if root is dict else "an array"
            raise FormatProblem(f"the report is {found}, expected {expected}", ())
        kinds.append(first[0] == "start_array")
        path.append(-1 if kinds[-1] else "")
        for event, value in events:
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
                    yield hit, where, _build(events, event, value, reader, where)
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


def _build(
    events: Iterator[tuple[str, Any]], event: str, value: Any, reader: _Counting, path: JsonPath
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
