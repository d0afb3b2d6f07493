"""What every importer produces: one advisory as one tool reported it, and its problems."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

# The tools, in the order ``sources`` lists them (the schema's enumeration).
TOOLS = ("osv-scanner", "pip-audit", "trivy", "grype", "npm-audit", "github-dependabot")

# The schema's pattern for ids and aliases; anything else is no advisory id the log can hold.
ADVISORY_ID = re.compile(r"[A-Z][A-Za-z0-9]*-[0-9A-Za-z][0-9A-Za-z:._-]*")
MAX_ID = 100
MAX_TEXT = 300  # a package name or a source severity, as the log shows it

JsonPath = tuple[str | int, ...]


class Advisory(NamedTuple):
    """One advisory about one package, normalised. ``ids``: the tool's id first, then its
    aliases; ``state``: open, fixed or dismissed (Dependabot alerts have all three)."""

    ids: tuple[str, ...]
    package: str
    severity: str  # critical | high | medium | low | unknown
    source_severity: str | None
    reference: str | None
    tool: str
    state: str = "open"
    fixed: str | None = None  # YYYY-MM-DD, for a fixed Dependabot alert


class FormatProblem(Exception):
    """The report stopped matching the tool's format at ``path`` (a JSON path) or ``line``."""

    def __init__(self, message: str, path: JsonPath | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line


def json_path(path: JsonPath) -> str:
    """``("Results", 0, "Vulnerabilities")`` -> ``$.Results[0].Vulnerabilities``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += f".{part}"
        else:
            out += "[" + repr(part) + "]"
    return out


def advisory_ids(values: Iterable[object]) -> tuple[str, ...]:
    """The values that are advisory ids the log can hold, each once, in order."""
    out: dict[str, None] = {}
    for value in values:
        if isinstance(value, str) and len(value) <= MAX_ID and ADVISORY_ID.fullmatch(value):
            out[value] = None
    return tuple(out)


def text(value: object) -> str | None:
    """A one-line text for the log (package names, source severities), or None."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    line = " ".join(str(value).split())
    if not line or not line.isprintable():
        return None
    return line[:MAX_TEXT]


def shown(value: object) -> str:
    """A report's value quoted for a message: ``'SEVERE'``, or escaped and cut short when it
    is not one plain line (``'HIGH\\x00'``), never ``None``."""
    line = text(value)
    if line is not None and len(line) <= 60:
        return repr(line)
    from checks.findings import shorten

    return shorten(value if not isinstance(value, int | float) else str(value))


def url(value: object) -> str | None:
    """An http(s) URL without spaces or control characters, or None."""
    if (
        isinstance(value, str)
        and value.startswith(("https://", "http://"))
        and len(value) <= 2000
        and value.isprintable()
        and " " not in value
    ):
        return value
    return None


def listed(obj: object, key: str) -> list[Any]:
    """``obj[key]`` when it is a list, else an empty one (optional lists)."""
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, list) else []


def require(obj: object, key: str, path: JsonPath, kind: type | tuple[type, ...]) -> object:
    """``obj[key]``, which must be of ``kind``; else the report is not in the format."""
    if not isinstance(obj, dict):
        raise FormatProblem("expected an object", path)
    if key not in obj:
        raise FormatProblem(f"no {key!r}", (*path, key))
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise FormatProblem(
            f"expected {_json_type(names)}, found {_json_type(type(value).__name__)}", (*path, key)
        )
    return value


def _json_type(name: str) -> str:
    for py, js in (("dict", "an object"), ("list", "an array"), ("str", "a string")):
        name = name.replace(py, js)
    return {"int": "a number", "float": "a number", "NoneType": "null", "bool": "true/false"}.get(
        name, name
    )


def ident(
    obj: dict[str, object], key: str, path: JsonPath, aliases: Iterable[object] = ()
) -> tuple[str, ...]:
    """The advisory id at ``obj[key]`` and its aliases; an id the log cannot hold is an error."""
    value = require(obj, key, path, str)
    ids = advisory_ids([value, *aliases])
    if not ids or ids[0] != value:
        raise FormatProblem(
            f"{shown(value)} is not an advisory id (such as CVE-2026-12345 or GHSA-abcd-efgh-ijkl)",
            (*path, key),
        )
    return ids
