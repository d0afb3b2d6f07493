"""Fill a template: replace top-level ``key: value`` lines and the H1, keep everything else."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from checks import yamlload

_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9@_ .,:/()+'-]*$")


def scalar(value: Any) -> str:
    """A YAML scalar that reads back as exactly ``value`` (plain when that is safe)."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and not text.endswith((" ", ":")) and ": " not in text:
        try:
            loaded, _ = yamlload.load(text)
        except yamlload.YamlProblem:
            loaded = None
        if loaded == text:
            return text
    return json.dumps(text, ensure_ascii=False)


def render_value(value: Any) -> str:
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, dict | list):
        block = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)
        return "\n" + "".join("  " + line for line in block.splitlines(keepends=True)).rstrip("\n")
    return scalar(value)


def _line(key: str, value: Any) -> str:
    """``key: value``; a block (a list of mappings, a mapping) starts on the next line."""
    rendered = render_value(value)
    return f"{key}:{rendered}" if rendered.startswith("\n") else f"{key}: {rendered}"


def fill(text: str, values: Mapping[str, Any], heading: str | None = None) -> str:
    """Set top-level keys of the front matter (which must already be there) and the H1."""
    lines = text.split("\n")
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "..."))
    missing = set(values)
    for i in range(1, end):
        key = lines[i].split(":", 1)[0]
        if key in values and lines[i].startswith(f"{key}:"):
            lines[i] = _line(key, values[key])
            missing.discard(key)
    if missing:
        extra = [_line(key, values[key]) for key in values if key in missing]
        lines[end:end] = extra
        end += len(extra)
    if heading is not None:
        for i in range(end + 1, len(lines)):
            if lines[i].startswith("# "):
                lines[i] = f"# {heading}"
                break
    return "\n".join(lines)


def next_id(existing: Sequence[str], prefix: str, width: int = 3) -> str:
    """The next free ``<prefix><number>`` after the highest existing one. Ids longer than
    the schema allows (64 characters) are ops validate's to report, never numbers to read."""
    numbers = [
        int(m.group(1))
        for ident in existing
        if len(ident) <= 64 and (m := re.fullmatch(re.escape(prefix) + r"([0-9]+)", ident))
    ]
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"
