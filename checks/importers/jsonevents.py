"""A JSON file as a bounded stream of ijson ``basic_parse`` events, shared by the importers.

``basic_parse`` events carry no path (building one per event costs memory by depth): a caller
keeps its own. What every caller needs is here, in one place: a reader that counts what it
hands to the parser (lines and bytes, to place an error), refuses a token that never ends
(:data:`MAX_TOKEN`), optionally refuses UTF-16 and drops a UTF-8 BOM; and an event loop that
bounds nesting (``max_depth``, from the top of the file, parts read past included) and turns
the parser's syntax errors and truncation into one neutral :class:`JsonProblem`. Each importer
maps a :class:`JsonProblem` to its own error and wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any, Literal

import ijson  # type: ignore[import-untyped]

CHUNK = 64 * 1024  # bytes handed to the parser at a time
MAX_TOKEN = 1024 * 1024  # the longest string or number (or gap) read, in bytes
_START = ("start_map", "start_array")
_END = ("end_map", "end_array")
Events = Iterator[tuple[str, Any]]
Kind = Literal["utf16", "token", "depth", "truncated", "syntax", "not-utf8"]


class JsonProblem(Exception):
    """Where and why the file stopped being bounded JSON; the caller words it for people.

    ``kind``: ``utf16`` (a UTF-16 file, refused by name), ``token`` (a string, number or gap
    longer than MAX_TOKEN), ``depth`` (nested deeper than the caller's bound), ``truncated``
    (the file ends inside its JSON), ``syntax`` (not JSON from there on; ``detail`` holds the
    parser's first line), ``not-utf8`` (bytes that are not UTF-8).
    ``line``: the line (from 1) where it was met; ``offset``: the bytes read by then."""

    def __init__(
        self, kind: Kind, message: str, *, line: int | None, offset: int, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.kind: Kind = kind
        self.message = message
        self.line = line
        self.offset = offset
        self.detail = detail  # the parser's own message (syntax, truncated), unwrapped


class Counting:
    """A binary reader that counts what it hands the parser: lines and bytes, to place an
    error, and bytes since the last event, to refuse a token that never ends."""

    def __init__(self, raw: IO[bytes], *, sniff: bool = True) -> None:
        self.raw = raw
        self.sniff = sniff  # refuse UTF-16 by name and drop a UTF-8 BOM
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
            if self.sniff:
                _not_utf16(chunk)
                chunk = chunk.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM, as editors save
        self.last = chunk
        self.total += len(chunk)
        self.quiet += len(chunk)
        if self.quiet > MAX_TOKEN + CHUNK:  # inside one string or number all that time
            raise self.problem("token", _too_long())
        return chunk

    def problem(self, kind: Kind, message: str) -> JsonProblem:
        """A problem met in the chunk last read: placed at that chunk's first line."""
        return JsonProblem(kind, message, line=self.lines + 1, offset=self.total)

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


def _not_utf16(chunk: bytes) -> None:
    """A file saved as UTF-16 (PowerShell's ``>`` does that) is refused by name, not with the
    bytes the JSON parser stumbled on."""
    if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:4]:
        raise JsonProblem("utf16", "the file is not UTF-8 (UTF-16?)", line=1, offset=0)


def _too_long() -> str:
    return f"a string or number (or gap) longer than {MAX_TOKEN:,} bytes"


def events(reader: Counting, max_depth: int, *, check_values: bool = True) -> Events:
    """The parser's events over ``reader``: nesting bounded by ``max_depth`` (from the top),
    tokens by MAX_TOKEN (``check_values``: a string or key read whole is measured too, not
    only the bytes read without an event). Every parser error becomes a :class:`JsonProblem`."""
    depth = 0
    try:
        for event, value in ijson.basic_parse(reader, use_float=True, buf_size=CHUNK):
            reader.quiet = 0
            if event in _START:
                depth += 1
                if depth > max_depth:
                    raise reader.problem(
                        "depth", f"the JSON nests more than {max_depth} levels deep"
                    )
            elif event in _END:
                depth -= 1
            elif check_values and event in ("string", "map_key") and len(value) > MAX_TOKEN:
                raise reader.problem("token", _too_long())
            yield event, value
    except ijson.JSONError as e:
        message = str(e)
        first_line = message.split("\n", 1)[0]
        if isinstance(e, ijson.IncompleteJSONError) and "premature EOF" in message:
            line = reader.lines + reader.last.count(b"\n") + 1
            kind: Kind = "truncated"
            text = "the file ends before its JSON does"
        else:
            line = reader.line_of(message)
            kind = "syntax"
            text = f"not valid JSON ({first_line})"
        raise JsonProblem(kind, text, line=line, offset=reader.total, detail=message) from e
    except UnicodeDecodeError as e:
        raise reader.problem("not-utf8", "not UTF-8 text") from e
