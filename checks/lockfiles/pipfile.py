"""Pipenv's ``Pipfile.lock`` (JSON, read with json): ``_meta.pipfile-spec`` 6, then
``default`` and ``develop`` mapping names to ``{"version": "==x.y.z", ...}``."""

from __future__ import annotations

from packaging.utils import canonicalize_name

from checks.lockfiles.base import FormatError, json_document, line_of, mapping, text

EXPECTED = "Pipenv's Pipfile.lock (pipfile-spec 6)"
ECOSYSTEM = "pypi"
KNOWN = (6,)


def parse(source: str) -> list[tuple[str, str]]:
    data = mapping(json_document(source), "the document")
    meta = mapping(data.get("_meta"), "$._meta")
    spec = meta.get("pipfile-spec")
    if spec not in KNOWN or isinstance(spec, bool):
        raise FormatError(
            f"$._meta.pipfile-spec {spec!r} is not one ops knows", line_of(source, '"pipfile-spec"')
        )
    out: list[tuple[str, str]] = []
    for group in ("default", "develop"):
        for name, entry in mapping(data.get(group, {}), f"$.{group}").items():
            where = f"$.{group}[{name!r}]"
            found = _version(mapping(entry, where), where)
            if found is not None:
                out.append((canonicalize_name(name), found))
    return out


def _version(entry: dict[str, object], where: str) -> str | None:
    if "version" in entry:
        pin = text(entry["version"], f"{where}.version")
        if not pin.startswith("==") or pin.startswith("==="):
            raise FormatError(f"{where}.version {pin!r} is not an == pin")
        return pin[2:]
    if "git" in entry:  # a checkout: its commit is its version
        return text(entry.get("ref"), f"{where}.ref")
    if "path" in entry or "file" in entry:
        return None  # a local folder or file: no released version to follow
    raise FormatError(f"{where} has no version, git or path")
