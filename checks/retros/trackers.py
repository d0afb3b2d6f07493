"""Writing ``tracker:`` into an action item, changing nothing else in the file.

The front matter is round-tripped with ruamel.yaml (comments, key order, quoting and flow
style kept); the body is never touched. A result whose only difference from the original is
not the added lines is refused: then the URL has to be added by hand.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML

from checks.errors import OpsError

_FRONT = re.compile(r"\A(---[ \t]*\r?\n)(.*?\r?\n)((?:---|\.\.\.)[ \t]*\r?\n?)", re.DOTALL)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def add_trackers(text: str, urls: dict[int, str], rel: str) -> str:
    """``text`` with ``tracker: URL`` added to the action items at the given positions."""
    match = _FRONT.match(text)
    if match is None:
        raise OpsError("has no front matter to write a tracker into", path=rel)
    yaml = _yaml()
    data: Any = yaml.load(match.group(2))
    items = data.get("action_items") if hasattr(data, "get") else None
    if not isinstance(items, list):
        raise OpsError("has no action_items list to write a tracker into", path=rel)
    for position, url in sorted(urls.items()):
        item = items[position]
        item.insert(len(item), "tracker", url)
    out = io.StringIO()
    yaml.dump(data, out)
    front = out.getvalue()
    new = match.group(1) + front + match.group(3) + text[match.end() :]
    if not _only_added(text, new, len(urls)):
        raise OpsError(
            "cannot add the tracker without reformatting other lines of the front matter; "
            f"add it by hand: {', '.join(urls.values())}",
            path=rel,
        )
    return new


def _only_added(old: str, new: str, count: int) -> bool:
    """Whether ``new`` is ``old`` with exactly ``count`` lines added, each a tracker."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    if len(new_lines) != len(old_lines) + count:
        return False
    i = j = added = 0
    while j < len(new_lines):
        if i < len(old_lines) and old_lines[i] == new_lines[j]:
            i += 1
        elif new_lines[j].lstrip().startswith("tracker: "):
            added += 1
        else:
            return False
        j += 1
    return i == len(old_lines) and added == count
