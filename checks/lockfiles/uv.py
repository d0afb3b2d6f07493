"""uv's ``uv.lock`` (TOML, read with tomllib): top-level ``version = 1`` and ``[[package]]``
tables with name, version and source."""

from __future__ import annotations

from packaging.utils import canonicalize_name

from checks.lockfiles.base import FormatError, line_of, tables, text, toml_document

EXPECTED = "uv's uv.lock (version 1)"
ECOSYSTEM = "pypi"
KNOWN = (1,)
_LOCAL = ("editable", "virtual", "directory", "path")  # the workspace's own packages


def parse(source: str) -> list[tuple[str, str]]:
    data = toml_document(source)
    version = data.get("version")
    if version not in KNOWN or isinstance(version, bool):
        raise FormatError(f"version {version!r} is not one ops knows", line_of(source, "version"))
    out: list[tuple[str, str]] = []
    for i, package in enumerate(tables(data.get("package"), "[[package]]")):
        name = text(package.get("name"), f"[[package]] {i + 1}: name")
        origin = package.get("source")
        if isinstance(origin, dict) and any(key in origin for key in _LOCAL):
            continue
        out.append((canonicalize_name(name), text(package.get("version"), f"{name}: version")))
    return out
