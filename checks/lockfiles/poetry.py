"""Poetry's ``poetry.lock`` (TOML, read with tomllib): ``[[package]]`` tables with name and
version, and ``[metadata] lock-version``."""

from __future__ import annotations

from packaging.utils import canonicalize_name

from checks.lockfiles.base import (
    FormatError,
    last_line,
    line_of,
    mapping,
    tables,
    text,
    toml_document,
)

EXPECTED = "Poetry's poetry.lock (lock-version 1.1, 2.0 or 2.1)"
ECOSYSTEM = "pypi"
KNOWN = ("1.1", "2.0", "2.1")


def parse(source: str) -> list[tuple[str, str]]:
    data = toml_document(source)
    if "metadata" not in data:
        raise FormatError(
            "no [metadata] table (Poetry writes it last): cut short?", last_line(source)
        )
    metadata = mapping(data.get("metadata"), "[metadata]")
    version = metadata.get("lock-version")
    if version not in KNOWN:
        raise FormatError(
            f"[metadata] lock-version {version!r} is not one ops knows",
            line_of(source, "lock-version"),
        )
    out: list[tuple[str, str]] = []
    for i, package in enumerate(tables(data.get("package"), "[[package]]")):
        source_ = package.get("source")
        if isinstance(source_, dict) and source_.get("type") == "directory":
            continue  # a local folder: no released version to follow
        name = text(package.get("name"), f"[[package]] {i + 1}: name")
        out.append((canonicalize_name(name), text(package.get("version"), f"{name}: version")))
    return out
