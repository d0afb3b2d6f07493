"""What every format module shares: the error, the size bound, the text."""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_BYTES = 64 * 1024 * 1024  # the largest real package-lock.json files are tens of MiB

Versions = Mapping[tuple[str, str], frozenset[str]]  # (ecosystem, package) -> versions


class FormatError(ValueError):
    """Text that is not the format it is named as: what is wrong, and the 1-based line where
    it stopped matching (None when the format has no lines to speak of, as for a JSON path)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def decode(data: bytes) -> str:
    """UTF-8 text (a byte order mark dropped), or FormatError at the first bad line."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        raise FormatError("not UTF-8 text", data[: e.start].count(b"\n") + 1) from None


_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def toml_error(error: ValueError, source: str) -> FormatError:
    """tomllib's error as a FormatError at its line (tomllib puts it in the message)."""
    message = str(error)
    match = _TOML_LINE.search(message)
    line = int(match.group(1)) if match else None
    if line is None and "end of document" in message:
        line = source.count("\n") + (not source.endswith("\n"))
    return FormatError(f"invalid TOML ({_TOML_LINE.sub('', message).strip()})", line)


def text(value: object, where: str) -> str:
    """``value`` when it is a non-empty one-line string, FormatError naming ``where`` if not."""
    if not isinstance(value, str) or not value or "\n" in value or len(value) > 500:
        raise FormatError(f"{where} must be a one-line string, not {_kind(value)}")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "missing"
    if isinstance(value, str):
        return "an empty or multi-line string" if len(value) <= 500 else "a very long string"
    return type(value).__name__


def json_document(text_: str) -> object:
    """JSON, nested no deeper than a lockfile needs, FormatError at the line where it breaks."""
    import json

    from checks import jsonload

    try:
        return jsonload.loads(text_, max_depth=32, unique_keys=True)
    except json.JSONDecodeError as e:
        raise FormatError(f"invalid JSON ({e.msg})", e.lineno) from None
    except ValueError as e:  # too deep, or a key named twice
        raise FormatError(f"invalid JSON ({e})") from None


def yaml_document(text_: str) -> object:
    """YAML read by :mod:`checks.yamlload`, the project's one YAML reader (the C safe loader,
    with its bounds on nesting and aliases, duplicate keys refused), FormatError at its line."""
    from checks import yamlload

    try:
        # what it may expand to through aliases: as many values as a document of its size can
        # hold written out (a pnpm lockfile of 10,000 packages, ~1 MB, has ~300,000); a bomb
        # expands far beyond its size
        bound = max(yamlload.MAX_NODES, len(text_) // 2)
        data, _ = yamlload.load(text_, max_nodes=bound, what="a lockfile")
    except yamlload.YamlProblem as e:
        raise FormatError(f"invalid YAML ({_yaml_reason(e.text(1))})", e.line + 1) from None
    return data


def _yaml_reason(message: str) -> str:
    """yamlload's message, worded for a lockfile (it is written for front matter)."""
    for prefix in ("YAML syntax error: ", "YAML error: "):
        message = message.removeprefix(prefix)
    return message.replace("front matter", "a lockfile")


def toml_document(text_: str) -> dict[str, object]:
    """TOML through tomllib, FormatError at its line."""
    import tomllib

    try:
        return tomllib.loads(text_)
    except tomllib.TOMLDecodeError as e:
        raise toml_error(e, text_) from None
    except RecursionError:
        raise FormatError("invalid TOML (nested too deeply)") from None


def mapping(value: object, where: str) -> dict[str, object]:
    """``value`` when it is a mapping with string keys, FormatError naming ``where`` if not."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise FormatError(f"{where} must be a mapping, not {_kind(value)}")
    return value


def tables(value: object, where: str) -> list[dict[str, object]]:
    """``value`` when it is a list of mappings (TOML's [[array]] of tables)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormatError(f"{where} must be a list of tables, not {_kind(value)}")
    return [mapping(item, f"{where}[{i}]") for i, item in enumerate(value)]


def line_of(source: str, needle: str) -> int | None:
    """The first line of ``source`` that holds ``needle``: where a message about it points."""
    at = source.find(needle)
    return source.count("\n", 0, at) + 1 if at >= 0 else None


def last_line(source: str) -> int:
    """The file's last line: where a file cut short stops matching."""
    return max(1, source.count("\n") + (not source.endswith("\n")))


def at_line(error: FormatError, line: int | None) -> FormatError:
    """``error``, placed at ``line`` when it has no line of its own."""
    return error if error.line is not None else FormatError(error.message, line)
