"""Yarn's ``yarn.lock``, in both of its formats.

- Yarn 2+ ("berry") writes YAML with a ``__metadata: {version}`` entry: read with PyYAML's
  safe loader; each entry's ``resolution`` (``name@npm:1.2.3``) names the package.
- Yarn 1 writes its own format, YAML-like but not YAML (unquoted ``version "1.2.3"`` pairs,
  comma-separated keys). Its only maintained parser is ``@yarnpkg/lockfile``, in JavaScript;
  no maintained Python package reads it, so the few rules it needs are written out here:
  an unindented ``specifiers:`` line opens an entry, and its indented ``version "x"`` line
  gives the version.
"""

from __future__ import annotations

import re

from checks.lockfiles.base import FormatError, line_of, mapping, text, yaml_document

EXPECTED = "Yarn's yarn.lock (v1, or Yarn 2+ with __metadata version 4 to 8)"
ECOSYSTEM = "npm"
KNOWN_BERRY = (4, 5, 6, 7, 8)
_V1_HEADER = "# yarn lockfile v1"
_LOCAL = ("workspace:", "link:", "portal:", "file:")  # the project's own or a local folder


def parse(source: str) -> list[tuple[str, str]]:
    if re.search(r"^__metadata:", source, re.MULTILINE):
        return _berry(source)
    if _V1_HEADER in source.split("\n\n", 1)[0]:
        return _v1(source)
    raise FormatError(f"neither a Yarn 1 file ({_V1_HEADER!r} on top) nor a Yarn 2+ one", 1)


def _berry(source: str) -> list[tuple[str, str]]:
    data = mapping(yaml_document(source), "the document")
    meta = mapping(data.pop("__metadata", None), "__metadata")
    version = meta.get("version")
    if isinstance(version, str) and version.isdigit():
        version = int(version)
    if version not in KNOWN_BERRY or isinstance(version, bool):
        raise FormatError(
            f"__metadata.version {version!r} is not one ops knows", line_of(source, "  version:")
        )
    out: list[tuple[str, str]] = []
    for key, entry in data.items():
        entry = mapping(entry, repr(key))
        resolution = text(entry.get("resolution"), f"{key!r}: resolution")
        at = resolution.find("@", 1)
        if at < 0:
            raise FormatError(f"{key!r}: resolution {resolution!r} is not name@protocol:range")
        if resolution[at + 1 :].startswith(_LOCAL):
            continue
        out.append((resolution[:at], text(entry.get("version"), f"{key!r}: version")))
    return out


_ENTRY = re.compile(r'^(?:"(@?[^@"]+)@[^"]*"|(@?[^@\s"]+)@[^\s,"]*)(?:, .*)?:$')
_VERSION = re.compile(r'^ {2}version:? "?([^"\s]+)"?$')
_ALIAS = re.compile(r'^"?[^@\s"]+@npm:(@?[^@\s"]+)@')  # "string-width-cjs@npm:string-width@^4"


def _v1(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    name, opened = "", 0  # the open entry's package and line, while it has no version yet
    for number, line in enumerate(source.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            if name:
                raise FormatError(f"the entry of line {opened} has no version", number)
            match = _ENTRY.match(line)
            if not match:
                raise FormatError("expected an entry such as 'lodash@^4.17.21:'", number)
            alias = _ALIAS.match(line)
            name = alias.group(1) if alias else match.group(1) or match.group(2)
            opened = number
            continue
        version = _VERSION.match(line)
        if version and name:
            out.append((name, version.group(1)))
            name = ""
        elif not opened:
            raise FormatError("an indented line before any entry", number)
        elif not re.fullmatch(r' {2,}(?:"[^"]*"|[^\s"]+)(?: .*)?:?', line) or line.count('"') % 2:
            raise FormatError("expected an indented 'key value' line", number)
    if name:
        raise FormatError("the file ends inside an entry with no version", opened)
    return out
