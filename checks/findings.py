"""A finding: one problem at one place, reported as ``path:line: $.json.path: message``."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from checks.secrets import redact


class Finding(NamedTuple):
    path: str
    line: int
    json_path: str | None
    message: str
    rule: str = "schema"
    severity: str = "error"  # "error" fails the command, "warning" does not

    def render(self) -> str:
        """``path:line: $.json.path: message``, one printable line."""
        where = f"{self.where}: "
        if self.json_path:
            where += f"{self.json_path}: "
        prefix = "warning: " if self.severity == "warning" else ""
        return printable(f"{where}{prefix}{self.message}")

    @property
    def where(self) -> str:
        return f"{shown_path(self.path)}:{self.line}"

    def to_json(self) -> dict[str, Any]:
        """The finding for ``--format json``: the text as written (escapes are JSON's), with no
        secret ops read and no URL's password."""
        return self._replace(
            path=shown_path(self.path),
            json_path=None if self.json_path is None else scrubbed(self.json_path),
            message=scrubbed(self.message),
        )._asdict()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)


def shown_path(path: str) -> str:
    """A path as it can be printed: as it is, or quoted and escaped as values are (a file name
    may hold a newline, an escape sequence or bytes that are not UTF-8)."""
    if path.isprintable():
        return path
    return "'" + "".join(c if c.isprintable() and c != "'" else _escaped(c) for c in path) + "'"


def printable(text: str) -> str:
    """``text`` as ops prints it: no secret it read (checks.secrets), one line, no terminal
    control sequence, nothing that cannot be written as UTF-8, and no ``##[``, which the GitHub
    Actions runner reads as a command anywhere in a line of a log (``##[stop-commands]``)."""
    text = scrubbed(text)
    if "##[" in text:
        text = text.replace("##[", "#\\#[")
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def _escaped(c: str) -> str:
    if "\udc80" <= c <= "\udcff":  # a byte that is not UTF-8, as os.fsdecode kept it
        return f"\\x{ord(c) - 0xDC00:02x}"
    return repr(c)[1:-1] if c != "'" else "\\'"


# The user information of a URL (https://user:password@host): a credential committed by
# mistake is never copied into a message, an annotation or a code scanning alert.
# (the last @ before the host ends it: a password may hold one)
_USERINFO = re.compile(r"(?<![a-zA-Z0-9+.-])([a-zA-Z][a-zA-Z0-9+.-]*:(?://|\\/\\/))[^/?#\s'\"\\]+@")


def _without_userinfo(text: str) -> str:
    return _USERINFO.sub(r"\1[redacted]@", text) if "@" in text else text


def scrubbed(text: str) -> str:
    """``text`` without a secret ops read (checks.secrets) or a URL's password: before anything
    is shown, cut or written."""
    return _without_userinfo(redact(text))


def shorten(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: messages never echo a whole megabyte (nor
    the password of a URL)."""
    text = _without_userinfo(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def sort_key(finding: Finding) -> tuple[str, int, str, str]:
    return (finding.path, finding.line, finding.json_path or "", finding.message)


def json_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """``('action_items', 1, 'due')`` -> ``$.action_items[1].due``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += "[" + repr(part) + "]"
    return out


MAX_PER_FILE = 50  # a file with more problems shows the first ones and a count


def capped(findings: list[Finding], limit: int = MAX_PER_FILE) -> list[Finding]:
    """At most ``limit`` findings per file (in file order), then one that counts the rest."""
    by_path: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=sort_key):
        by_path.setdefault(finding.path, []).append(finding)
    out: list[Finding] = []
    for found in by_path.values():
        if len(found) <= limit + 1:
            out += found
            continue
        rest = found[limit]
        more = sum(counted(f) for f in found[limit:])
        message = f"... and {more:,} more problems from here on; fix the ones above first"
        out += [*found[:limit], rest._replace(json_path=None, message=message, severity="error")]
    return out


_MORE = re.compile(r"\.\.\. and ([0-9][0-9,]{0,25}) more ")  # a count, not a 5,000-digit number


def counted(finding: Finding) -> int:
    """How many problems a finding stands for (a summary of many, or one)."""
    more = _MORE.match(finding.message)
    return int(more[1].replace(",", "")) if more else 1


def days(n: int) -> str:
    """``1 day``, ``3 days``, ``355,740 days``."""
    return f"{n} day" if n == 1 else f"{n:,} days"
