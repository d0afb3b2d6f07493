"""JSON from files and servers we do not control, read with a bound on nesting.

Python's decoder recurses once per level and raises RecursionError (not ValueError) on a
line of 100,000 '['; every caller expects ValueError for input it cannot read.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # a run.log entry, a manifest or an API answer nests a few levels


class TooDeep(ValueError):
    """JSON nested deeper than the caller allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested more than {limit} levels deep")
        self.msg = str(self)


class DuplicateKey(ValueError):
    """An object that names a key twice: readers disagree on which value counts."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} appears twice in one object")
        self.msg = str(self)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def loads(data: str | bytes, max_depth: int = MAX_DEPTH, *, unique_keys: bool = False) -> Any:
    """``json.loads``, refusing (TooDeep, a ValueError) anything nested past ``max_depth``, and
    with ``unique_keys`` (DuplicateKey, a ValueError) an object that names a key twice."""
    try:
        value = json.loads(data, object_pairs_hook=_unique if unique_keys else None)
    except RecursionError:
        raise TooDeep(max_depth) from None
    if depth(value, max_depth) > max_depth:
        raise TooDeep(max_depth)
    return value


def depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests (a scalar is 0), counting no further than ``limit`` + 1."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        level += 1
        if level > limit:
            return level
        deepest = max(deepest, level)
        stack.extend((child, level) for child in item if isinstance(child, dict | list))
    return deepest
