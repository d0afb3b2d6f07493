"""A finding: one problem at one place, reported as ``path:line: $.json.path: message``."""

from __future__ import annotations

from typing import Any, NamedTuple


class Finding(NamedTuple):
    path: str
    line: int
    json_path: str | None
    message: str
    rule: str = "schema"
    severity: str = "error"  # "error" fails the command, "warning" does not

    def render(self) -> str:
        where = f"{self.path}:{self.line}: "
        if self.json_path:
            where += f"{self.json_path}: "
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}{prefix}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)


def shorten(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: messages never echo a whole megabyte."""
    text = repr(value)
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
