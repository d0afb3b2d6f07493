"""pnpm's ``pnpm-lock.yaml`` (YAML, read with PyYAML's safe loader): ``lockfileVersion``,
then ``packages`` keyed by package and version; the key's spelling depends on the version:
``/name/1.2.3`` (5.x), ``/name@1.2.3(peer@4)`` (6.x), ``name@1.2.3`` (9.0)."""

from __future__ import annotations

from checks.lockfiles.base import FormatError, last_line, line_of, mapping, text, yaml_document

EXPECTED = "pnpm's pnpm-lock.yaml (lockfileVersion 5.3, 5.4, 6.0, 6.1 or 9.0)"
ECOSYSTEM = "npm"
KNOWN = ("5.3", "5.4", "6.0", "6.1", "9.0")


def parse(source: str) -> list[tuple[str, str]]:
    data = mapping(yaml_document(source), "the document")
    raw = data.get("lockfileVersion")
    version = str(raw) if isinstance(raw, str | float | int) and not isinstance(raw, bool) else ""
    if version not in KNOWN:
        raise FormatError(
            f"lockfileVersion {raw!r} is not one ops knows",
            line_of(source, "lockfileVersion") or 1,
        )
    if version == "9.0" and data.get("packages") and "snapshots" not in data:
        raise FormatError(
            "packages but no snapshots (pnpm 9 writes both): cut short?", last_line(source)
        )
    out: list[tuple[str, str]] = []
    for key, entry in mapping(data.get("packages") or {}, "packages").items():
        where = f"packages[{key!r}]"
        entry = mapping(entry, where)
        if "resolution" not in entry:  # pnpm writes one for every package
            raise FormatError(f"{where} has no resolution: cut short?", line_of(source, key))
        name, found = _split(key, version.startswith("5."), where)
        if isinstance(entry.get("name"), str):  # a tarball or git package says its own
            name = text(entry["name"], f"{where}.name")
        if isinstance(entry.get("version"), str):
            found = text(entry["version"], f"{where}.version")
        out.append((name, found))
    return out


def _split(key: str, slashed: bool, where: str) -> tuple[str, str]:
    """(name, version) of a packages key; the peer suffix, ``(...)`` or ``_...``, dropped."""
    bare = key.removeprefix("/").split("(", 1)[0]
    if slashed:
        name, _, version = bare.rpartition("/")
        version = version.split("_", 1)[0]
    else:
        at = bare.rfind("@")
        name, version = (bare[:at], bare[at + 1 :]) if at > 0 else ("", "")
    if not name or not version:
        raise FormatError(f"{where}: the key is not name and version")
    return name, version
