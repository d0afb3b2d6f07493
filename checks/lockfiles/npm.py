"""npm's ``package-lock.json`` (JSON, read with json), lockfileVersion 2 or 3: the
``packages`` object, keyed by install path (``node_modules/a/node_modules/b``)."""

from __future__ import annotations

import json

from checks.lockfiles.base import FormatError, at_line, json_document, line_of, mapping, text

EXPECTED = "npm's package-lock.json (lockfileVersion 2 or 3)"
ECOSYSTEM = "npm"
KNOWN = (2, 3)
_MARK = "node_modules/"


def parse(source: str) -> list[tuple[str, str]]:
    data = mapping(json_document(source), "the document")
    version = data.get("lockfileVersion")
    if version not in KNOWN or isinstance(version, bool):
        advice = "; npm 7 or later rewrites it as version 3" if version == 1 else ""
        raise FormatError(
            f"$.lockfileVersion {version!r} is not one ops knows{advice}",
            line_of(source, '"lockfileVersion"'),
        )
    out: list[tuple[str, str]] = []
    for path, entry in mapping(data.get("packages"), "$.packages").items():
        try:
            found = _package(path, entry)
        except FormatError as e:
            raise at_line(e, line_of(source, json.dumps(path) + ":")) from None
        if found is not None:
            out.append(found)
    return out


def _package(path: str, entry: object) -> tuple[str, str] | None:
    where = f"$.packages[{path!r}]"
    entry = mapping(entry, where)
    if _MARK not in path or entry.get("link") is True:
        return None  # the root project, a workspace folder, or a link to one
    # an alias ("node_modules/foo": {"name": "bar"}) installs the package bar
    name = entry.get("name") or path.rsplit(_MARK, 1)[1]
    return text(name, f"{where}.name"), text(entry.get("version"), f"{where}.version")
