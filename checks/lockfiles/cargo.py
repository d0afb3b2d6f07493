"""Cargo's ``Cargo.lock`` (TOML, read with tomllib): ``[[package]]`` tables with name,
version and source; ``version = 3`` or ``4`` on top (older files have none)."""

from __future__ import annotations

from checks.lockfiles.base import FormatError, line_of, tables, text, toml_document

EXPECTED = "Cargo's Cargo.lock (version 3 or 4, or the unversioned older format)"
ECOSYSTEM = "cargo"
KNOWN = (None, 3, 4)


def parse(source: str) -> list[tuple[str, str]]:
    data = toml_document(source)
    version = data.get("version")
    if version not in KNOWN or isinstance(version, bool):
        raise FormatError(f"version {version!r} is not one ops knows", line_of(source, "version ="))
    packages = tables(data.get("package"), "[[package]]")
    if not packages and "metadata" not in data:
        raise FormatError("no [[package]] table: not a Cargo.lock")
    out = []
    for i, package in enumerate(packages):
        name = text(package.get("name"), f"[[package]] {i + 1}: name")
        found = text(package.get("version"), f"{name}: version")
        if "source" in package:  # without one: a crate of the workspace itself
            out.append((name, found))
    return out
