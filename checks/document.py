"""Read one document: bytes -> text -> front matter + body, keeping line numbers."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

from yaml.nodes import Node, ScalarNode

from checks import yamlfast, yamlload

MAX_BYTES = 1024 * 1024  # a record is a few KiB; anything this large is a mistake
_LONE_CR = re.compile(r"\r(?!\n)")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_OPENING = re.compile(r"---[ \t]*\r?(\n|$)")


class DocumentError(Exception):
    """A document that cannot be read at all; ``line`` is 1-based in the file. ``reason`` says
    why for callers that decide on it: "link", "large", or "" for everything else."""

    def __init__(self, line: int, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.reason = reason


class Document:
    """A document's data and body. Line numbers come from the composed YAML, which is made
    only when a line is asked for if the data was read by :mod:`checks.yamlfast`."""

    __slots__ = ("_node", "_yaml", "body", "body_line", "data", "offset")

    def __init__(
        self,
        data: dict[str, Any],
        body: str,
        body_line: int,  # 1-based file line where the body starts
        node: Node | None,  # composed YAML, for line numbers
        offset: int,  # file line of YAML line 0
        yaml_text: str | None = None,  # to compose later, when node is None
    ) -> None:
        self.data = data
        self.body = body
        self.body_line = body_line
        self.offset = offset
        self._node = node
        self._yaml = yaml_text

    @property
    def node(self) -> Node | None:
        if self._yaml is not None:
            self._node, self._yaml = yamlload.compose(self._yaml), None
        return self._node

    def line(self, path: tuple[str | int, ...] | list[str | int]) -> int:
        found = yamlload.line_of(self.node, path)
        return self.offset if found is None else found + self.offset

    def source(self, path: tuple[str | int, ...] | list[str | int]) -> str | None:
        """A scalar exactly as written in the file (``1.10``, not the float 1.1)."""
        node = yamlload.node_at(self.node, path)
        return node.value if isinstance(node, ScalarNode) else None


def read_file(
    path: Path | str,
    max_bytes: int = MAX_BYTES,
    limit: str = "documents are limited to {max} bytes (split it, or move attachments out of ops/)",
) -> tuple[bytes, os.stat_result]:
    """A file's bytes and its stat, refusing anything larger than ``max_bytes`` before reading
    (``limit`` says so), a link, a pipe or a folder."""
    try:
        # O_NONBLOCK: a FIFO named like a document must not hang us; fstat then refuses it.
        # O_NOFOLLOW: a record is a regular file, never a link to one (checks.tree).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except IsADirectoryError:
        raise DocumentError(1, "is a directory, expected a file") from None
    except FileNotFoundError:
        raise
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise DocumentError(1, "is a symlink; records are regular files", "link") from None
        raise DocumentError(1, f"cannot read: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise DocumentError(1, "is a directory, expected a file")
        if not stat.S_ISREG(st.st_mode):
            raise DocumentError(1, "is not a regular file (a pipe, socket or device?)")
        if st.st_size > max_bytes:
            raise DocumentError(
                1, f"file is {st.st_size:,} bytes; " + limit.format(max=f"{max_bytes:,}"), "large"
            )
        raw = _read_upto(fd, st.st_size, max_bytes + 1)
    except OSError as e:
        raise DocumentError(1, f"cannot read: {e.strerror or e}") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:  # grew while we read it
        raise DocumentError(1, f"file is larger than {max_bytes:,} bytes", "large")
    return raw, st


def _read_upto(fd: int, size: int, limit: int) -> bytes:
    """Read to the end of the file or ``limit`` bytes. The first read asks for the size that
    fstat gave plus one byte: asking for ``limit`` at once makes Python allocate ``limit``
    bytes per file, which was a tenth of the time of validating a large tree."""
    chunks = [os.read(fd, min(size + 1, limit))]
    total = len(chunks[0])
    while chunks[-1] and total < limit:
        chunks.append(os.read(fd, min(64 * 1024, limit - total)))
        total += len(chunks[-1])
    return b"".join(chunks)


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """Read a UTF-8 text file, refusing huge, binary and non-UTF-8 files."""
    return decode(read_file(path, max_bytes)[0])


def decode(raw: bytes) -> str:
    """UTF-8 text (a BOM is dropped); binary and non-UTF-8 bytes are refused."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(1, "is UTF-16 text, not UTF-8; save the file as UTF-8")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise DocumentError(line, "binary file (contains NUL bytes); expected UTF-8 text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DocumentError(
            line, f"not valid UTF-8 (byte 0x{raw[e.start]:02x}); save the file as UTF-8"
        ) from None
    lone = _LONE_CR.search(text)
    if lone is not None:  # YAML, CommonMark and our line numbers would each count lines apart
        line = text.count("\n", 0, lone.start()) + 1
        raise DocumentError(
            line,
            "has a carriage return (CR) that ends no line; save the file with LF or CRLF line ends",
        )
    return text[1:] if text.startswith("\ufeff") else text


def split_front_matter(text: str) -> tuple[str, str, int]:
    """The front matter's YAML, the body, and the line of the closing ``---``."""
    opening = _OPENING.match(text)
    if not opening:
        raise DocumentError(
            1,
            "no front matter: a document starts with a line '---', then YAML, then a line '---'",
        )
    start = opening.end()
    closing = _CLOSING.search(text, start)
    if closing is None:
        raise DocumentError(
            1, "unterminated front matter: the '---' on line 1 has no closing '---' line"
        )
    end_line = text.count("\n", 0, closing.start()) + 1
    body_start = text.find("\n", closing.start())
    body = "" if body_start < 0 else text[body_start + 1 :]
    return text[start : closing.start()], body, end_line


def parse_front_matter(text: str) -> Document:
    """Split ``---`` front matter from the body and parse it as a YAML mapping."""
    yaml_text, body, end_line = split_front_matter(text)
    data = yamlfast.load(yaml_text)
    if data is not None:
        return Document(data, body, end_line + 1, None, 2, yaml_text)
    data, node = _parse_mapping(yaml_text, offset=2, what="front matter")
    return Document(data, body, end_line + 1, node, 2)


def parse(role: str, text: str) -> Document:
    """A project.yaml (role "project") or a document with front matter."""
    return parse_yaml_file(text) if role == "project" else parse_front_matter(text)


def parse_yaml_file(text: str) -> Document:
    """A whole-file YAML mapping (project.yaml)."""
    data, node = _parse_mapping(text, offset=1, what="the file")
    return Document(data, "", 1, node, 1)


def _parse_mapping(yaml_text: str, *, offset: int, what: str) -> tuple[dict[str, Any], Node | None]:
    try:
        data, node = yamlload.load(yaml_text)
    except yamlload.YamlProblem as e:
        raise DocumentError(e.line + offset, e.text(offset)) from None
    if data is None:
        raise DocumentError(offset - 1 if offset > 1 else 1, f"{what} is empty; expected a mapping")
    if not isinstance(data, dict):
        line = node.start_mark.line + offset if node is not None else offset
        raise DocumentError(
            line, f"{what} is a {_yaml_type(data)}, expected a mapping of keys to values"
        )
    return data, node


def _yaml_type(value: object) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )
