"""Writing ``tracker:`` into an action item, changing nothing else in the file.

The front matter is round-tripped with ruamel.yaml (comments, key order, quoting and flow
style kept; the list indentation read from the file); the body is never touched; a byte-order
mark and CRLF line ends are kept. A result whose only difference from the original is not
the tracker lines (added, or an empty one filled in) is refused: then the URL has to be
added by hand.
"""

from __future__ import annotations

import difflib
import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from checks.errors import OpsError

_FRONT = re.compile(r"\A(---[ \t]*\n)(.*?\n)((?:---|\.\.\.)[ \t]*\n?)", re.DOTALL)
_ITEMS = re.compile(r"^action_items:[ \t]*(?:#.*)?\n(?:[ \t]*(?:#.*)?\n)*( *)-( +)\S", re.MULTILINE)
BOM = "\ufeff"


def _yaml(front: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100_000  # never fold a long line
    match = _ITEMS.search(front)
    offset, gap = (len(match.group(1)), len(match.group(2))) if match else (2, 1)
    yaml.indent(mapping=2, sequence=offset + 1 + gap, offset=offset)
    return yaml


def add_trackers(raw: str, urls: dict[int, str], rel: str) -> str:
    """``raw`` with ``tracker: URL`` set on the action items at the given positions."""
    bom = raw.startswith(BOM)
    crlf = "\r\n" in raw
    text = raw.removeprefix(BOM)
    if crlf:
        if "\n" in text.replace("\r\n", ""):
            raise OpsError("mixes CRLF and LF line ends; add the tracker by hand", path=rel)
        text = text.replace("\r\n", "\n")
    match = _FRONT.match(text)
    if match is None:
        raise OpsError("has no front matter to write a tracker into", path=rel)
    yaml = _yaml(match.group(2))
    try:
        data: Any = yaml.load(match.group(2))
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise OpsError(
            f"cannot be read for writing: {getattr(e, 'problem', e)}", path=rel, line=line
        ) from None
    items = data.get("action_items") if hasattr(data, "get") else None
    if not isinstance(items, list):
        raise OpsError("has no action_items list to write a tracker into", path=rel)
    for position, url in sorted(urls.items()):
        item = items[position]
        if "tracker" in item:
            item["tracker"] = url  # an empty tracker: filled in where it stands
        else:
            item.insert(len(item), "tracker", url)
    out = io.StringIO()
    yaml.dump(data, out)
    new = match.group(1) + out.getvalue() + match.group(3) + text[match.end() :]
    if not _only_trackers(text, new):
        raise OpsError(
            "cannot add the tracker without reformatting other lines of the front matter; "
            f"add it by hand: {', '.join(urls.values())}",
            path=rel,
        )
    if crlf:
        new = new.replace("\n", "\r\n")
    return (BOM if bom else "") + new


def _only_trackers(old: str, new: str) -> bool:
    """Whether ``new`` differs from ``old`` only in lines that set a tracker."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "delete":
            return False
        if not all(line.lstrip().startswith("tracker:") for line in [*a[i1:i2], *b[j1:j2]]):
            return False
    return True
