"""A quicker first reading of front matter, used only where it reads exactly as yamlload does.

:mod:`checks.yamlload` (PyYAML's C loader, YAML 1.1) is the authority: it keeps line
numbers and explains every problem. yaml-rs, compiled from Rust, reads a typical record
about five times faster, but it follows YAML 1.2 (``yes`` is text, ``0o17`` a number),
reads numbers more freely (``1e3``, ``+_1``) and lets some broken syntax through that
libyaml refuses. :func:`load` returns yaml-rs's data only when the text avoids everything
where the two could differ, and None otherwise, for the caller to use yamlload:

- characters and forms that are rare in records and where the parsers part ways: aliases,
  anchors, tags, directives, block scalars, complex keys, tabs, carriage returns, YAML 1.1
  line breaks, a flow collection that spans lines, a ``:`` that starts or ends a token in a
  flow collection, ``\\u`` and ``\\U`` escapes (libyaml refuses escaped surrogate pairs,
  which JSON writers produce), document markers (``---``, ``...``), anything libyaml's
  reader refuses;
- any text value that YAML 1.1 would read as something else if it were unquoted (``yes``,
  ``1:30``, ``~``): it may have been unquoted;
- any key that is not text, and ``<<`` (a merge key in YAML 1.1);
- any number, unless every number-like word in the text is a plain decimal (``7``,
  ``-0.25``), which both read alike.

``tests/test_yamlfast.py`` holds the two readers to this on every document of the
repository and on tens of thousands of damaged ones.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from checks.yamlload import MAX_DEPTH

try:
    import yaml_rs
except ImportError:  # pragma: no cover - without the wheel, yamlload reads everything
    yaml_rs = None  # type: ignore[assignment]

# One character class: what libyaml's reader refuses (Reader.NON_PRINTABLE), and
# aliases, anchors, tags, directives, block scalars, complex keys, tabs, carriage
# returns, YAML 1.1 line breaks and byte-order marks. Most records are ASCII, which
# the small class decides alone (the whole class takes a few ms to compile).
_ODD_ASCII = re.compile("[^\n \"#$'()+-=@-{}~]")
_ODD_CHARACTER_SOURCE = (
    "[^\n \"#$'()+-=@-{}~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


@functools.cache
def _odd_character() -> re.Pattern[str]:
    return re.compile(_ODD_CHARACTER_SOURCE)


def _has_odd_character(text: str) -> bool:
    if text.isascii():
        return _ODD_ASCII.search(text) is not None
    return _odd_character().search(text) is not None


_ODD_MARKERS = re.compile(r"^(?:---|\.\.\.)(?:[ \t]|$)", re.MULTILINE)  # document markers
_ODD_COLONS = (" :", "\n:", "[:", "{:", ",:", ":,", ":]", ":}")  # ':' starting a token, ...

# Every word yaml-rs may read as a number matches _NUMBERISH (checked by the tests); of
# those, YAML 1.1 reads only _DECIMAL the same way.
_WORD = re.compile(r"(?<![^\s\[{,:])[-+._0-9][^\s,\[\]{}#]*")
_NUMBERISH = re.compile(
    r"[-+]?(?:(?=[._]*[0-9])[0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9_]*)?"
    r"|0[xXoObB][0-9a-fA-F_]*|\.(?:inf|Inf|INF|nan|NaN|NAN))"
)
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?")

_TEXT_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"})
_PLAIN = (True, False)
_tags: dict[str, bool] = {}
_resolver = Resolver()  # YAML 1.1, as PyYAML reads it


class _Defer(Exception):
    """The two readers might not agree on this document."""


# yaml-rs recurses once per level of nesting and takes the process down (a segmentation
# fault, not an exception) somewhere past 11,000 levels on an 8 MiB stack. Every level of
# nesting starts at its own '-', '[', '{' or (for a mapping) ':', so their count bounds the
# depth; past this bound yamlload reads the text (libyaml stops at 1,000 levels, with an error).
MAX_STRUCTURE = 512


def load(text: str) -> dict[str, Any] | None:
    """The YAML mapping in ``text`` as yamlload would read it, or None: ask yamlload."""
    if yaml_rs is None or _has_odd_character(text) or not _plain_flow(text):
        return None
    structure = text.count("-") + text.count(":") + text.count("[") + text.count("{")
    if structure > MAX_STRUCTURE:
        return None
    if "\\u" in text or "\\U" in text or _ODD_MARKERS.search(text):
        return None  # escapes (libyaml refuses surrogate pairs), document markers
    try:
        data = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # any problem at all is for yamlload to explain
        return None
    if data.__class__ is not dict:
        return None
    try:
        numbers = _walk(data, 0)
    except _Defer:
        return None
    if numbers and not _plain_decimals(text):
        return None
    return data


def _plain_flow(text: str) -> bool:
    """No ':' that starts a token or ends one in a flow collection, and no flow collection
    that goes on to the next line."""
    if any(colon in text for colon in _ODD_COLONS):
        return False
    for opener, closer in (("[", "]"), ("{", "}")):
        start = text.find(opener)
        while start >= 0:
            if closer not in text[start : text.find("\n", start)]:
                return False
            start = text.find(opener, start + 1)
    return True


def _walk(value: Any, depth: int) -> bool:
    """Check every value; returns whether there are numbers (which need a look at the text)."""
    cls = value.__class__
    if cls is str:
        if not _is_text(value):
            raise _Defer
        return False
    if cls is dict:
        if depth >= MAX_DEPTH:
            raise _Defer
        numbers = False
        for key, item in value.items():
            if key.__class__ is not str or key == "<<":
                raise _Defer
            numbers = _walk(item, depth + 1) or numbers
        return numbers
    if cls is list:
        if depth >= MAX_DEPTH:
            raise _Defer
        numbers = False
        for item in value:
            numbers = _walk(item, depth + 1) or numbers
        return numbers
    if value is None or cls is bool:  # both read only null/Null/NULL/~ and true/false forms
        return False
    if cls is int or cls is float:
        return True
    raise _Defer


def _is_text(value: str) -> bool:
    """Whether YAML 1.1 reads ``value`` as text (or a date, which we keep as text) unquoted."""
    known = _tags.get(value)
    if known is None:
        known = _resolver.resolve(ScalarNode, value, _PLAIN) in _TEXT_TAGS  # type: ignore[no-untyped-call]
        if len(_tags) < 50_000:
            _tags[value] = known
    return known


def _plain_decimals(text: str) -> bool:
    """Whether every word of ``text`` that could be a number is a plain decimal."""
    for match in _WORD.finditer(text):
        word = match.group()
        if _NUMBERISH.fullmatch(word) and not _DECIMAL.fullmatch(word):
            return False
    return True
