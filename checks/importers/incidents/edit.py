"""Rewrite a record's front matter keys in its text, leaving every other line as it was: the
body, comments and keys a person wrote stay byte for byte."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from checks import fill


def apply(text: str, changes: Mapping[str, str], drop: Sequence[str] = ()) -> str:
    """``text`` with top-level ``changes`` set (added before the closing ``---`` when new) and
    the single-line keys of ``drop`` removed."""
    if drop:
        text = _without(text, set(drop))
    return fill.fill(text, changes) if changes else text


def _without(text: str, keys: set[str]) -> str:
    lines = text.split("\n")
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "..."))
    kept = [
        line
        for i, line in enumerate(lines)
        if not (0 < i < end and line.split(":", 1)[0] in keys and ":" in line)
    ]
    return "\n".join(kept)
