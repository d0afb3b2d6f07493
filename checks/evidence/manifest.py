"""The evidence manifest: a deterministic index of every artefact under ops/<project>/.

``manifest.json`` lists shards, one per project and year (the year of each file's date; files
without one, such as project.yaml, go to ``undated``): ``manifest/<project>/<year>.json`` holds
each artefact's path, SHA-256, kind, project and date, one per line, sorted. The manifest is
derived from the tree alone and rebuilt only by ``ops evidence fold`` (or ``ops evidence
manifest``) on the default branch; a shard stays small however long the history grows, and a
rebuild writes only the shards that changed. Hashes of files the validation cache has seen
unchanged are taken from it, so a rebuild reads only the files that changed.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from checks.atomic import write_bytes
from checks.dates import parse_date
from checks.document import DocumentError, read_file
from checks.errors import OpsError
from checks.evidence.files import MANIFEST, SHARD_DIR, sha256_bytes
from checks.kinds import BY_FOLDER, PROJECT_FILE, is_slug
from checks.paths import writable
from checks.schemas import fast_validator, validator

SCHEMA = "manifest.schema.json"
SHARD_SCHEMA = "manifest-shard.schema.json"
VERSION = 2
UNDATED = "undated"
KIND_BY_FOLDER = {folder: kind.name for folder, kind in BY_FOLDER.items()} | {
    "calendar": "calendar"
}
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_WEEK = re.compile(r"^(\d{4}-W(?:0[1-9]|[1-4]\d|5[0-3]))(?!\d)")
SHARD_NAME = re.compile(r"^(?:\d{4}|undated)\.json$")


def artefact_files(root: Path) -> list[str]:
    """Posix paths (relative to root) of every record under ops/, and of every file a command
    generates or reads there (calendars, OpenSLO files), sorted: the view of checks.tree, so
    the manifest covers exactly what the other commands see (a misplaced file is an error of
    ops validate's, not an artefact)."""
    from checks import tree

    found = tree.scan(root)
    if found.problems and found.problems[0].path == "ops":  # a link: no record is indexed
        raise OpsError(found.problems[0].message, path="ops")
    paths = [t.rel for t in found.targets]
    paths += [k.rel for k in found.known if k.what in ("calendar", "openslo")]
    return sorted(paths)


def file_date(name: str) -> str | None:
    """``2026-11-04-inc-7.md`` -> ``2026-11-04``; ``2026-W47.md`` -> ``2026-W47``; else None."""
    m = _DATE.match(name)
    if m:
        day = parse_date(m.group(1))
        return day.isoformat() if day is not None else None
    m = _WEEK.match(name)
    return m.group(1) if m else None


def describe(path: str) -> tuple[str, str | None, str | None]:
    """``ops/<project>/<folder>/<file>`` -> (kind, project, date)."""
    parts = path.split("/")
    if len(parts) < 3:  # ops/README.md
        return "other", None, None
    project, inner = parts[1], parts[2:]
    if inner == [PROJECT_FILE]:
        kind = "project"
    elif len(inner) > 1:
        kind = KIND_BY_FOLDER.get(inner[0], "other")
    else:
        kind = "other"
    return kind, project if is_slug(project) else None, file_date(inner[-1])


def shard_path(project: str, date: str | None) -> str:
    return f"{SHARD_DIR}/{project}/{date[:4] if date else UNDATED}.json"


def _hash(root: str, rel: str, known: Any) -> str:
    """The file's SHA-256: from the validation cache when it saw the file as it is, else read."""
    full = f"{root}/{rel}"
    if known is not None:
        try:
            digest = known.sha256(rel, os.lstat(full))
        except OSError:
            digest = None
        if digest is not None:
            return str(digest)
    try:
        return sha256_bytes(read_file(full, 1 << 62)[0])
    except DocumentError as e:
        raise OpsError(f"{e.message}; fix its permissions", path=rel) from None
    except OSError as e:
        raise OpsError(f"cannot read: {e.strerror or e}; fix its permissions", path=rel) from None


def entries(root: Path) -> list[dict[str, Any]]:
    """The manifest's entries for the tree as it is now, sorted by path."""
    from checks.validation.cache import KnownDigests

    known = KnownDigests(root)
    out = []
    base = str(root)
    for path in artefact_files(root):
        kind, project, date = describe(path)
        sha = _hash(base, path, known)
        out.append({"path": path, "sha256": sha, "kind": kind, "project": project, "date": date})
    return out


def render_shard(project: str, items: list[dict[str, Any]]) -> bytes:
    """A shard's canonical bytes: one entry per line, keys sorted, order as given (the same
    bytes as ``json.dumps(item, sort_keys=True)``, written out: a shard holds thousands)."""
    head = json.dumps({"version": VERSION, "project": project})[:-1]
    dumps = json.dumps
    body = ",\n".join(
        f'{{"date": {dumps(i["date"])}, "kind": {dumps(i["kind"])}, "path": {dumps(i["path"])}, '
        f'"project": {dumps(i["project"])}, "sha256": "{i["sha256"]}"}}'
        for i in items
    )
    return (head + ', "artefacts": [\n' + body + ("\n" if items else "") + "]}\n").encode("ascii")


def render_index(shards: list[dict[str, Any]]) -> bytes:
    body = ",\n".join(json.dumps(s, sort_keys=True) for s in shards)
    newline = "\n" if shards else ""
    return (f'{{"version": {VERSION}, "shards": [\n' + body + newline + "]}\n").encode("ascii")


def build(root: Path) -> dict[str, bytes]:
    """Every manifest file for the tree as it is now (path -> bytes), manifest.json last:
    byte-identical when nothing changed."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in entries(root):
        grouped[shard_path(str(item["project"]), item["date"])].append(item)
    files: dict[str, bytes] = {}
    index = []
    for rel in sorted(grouped):
        items = grouped[rel]
        data = render_shard(str(items[0]["project"]), items)
        files[rel] = data
        index.append(
            {
                "path": rel,
                "project": items[0]["project"],
                "count": len(items),
                "sha256": sha256_bytes(data),
            }
        )
    files[MANIFEST] = render_index(index)
    _check(SCHEMA, files[MANIFEST])
    return files


def _check(schema: str, data: bytes) -> None:
    doc = json.loads(data)
    if not fast_validator(schema).is_valid(doc):
        errors = list(validator(schema).iter_errors(doc))
        reason = errors[0].message if errors else "the validators disagree"
        raise ValueError(f"built an invalid manifest: {reason}")  # a bug: entries are valid


def existing_shards(root: Path) -> list[str]:
    """The shard files under manifest/ now (posix paths); OpsError for anything else there."""
    folder = root / SHARD_DIR
    out: list[str] = []
    if not os.path.lexists(folder):
        return out
    writable(root, SHARD_DIR)  # never a link
    for project in sorted(os.listdir(folder)):
        rel = f"{SHARD_DIR}/{project}"
        if os.path.islink(root / rel) or not (root / rel).is_dir() or not is_slug(project):
            raise OpsError(
                "is not a project's shard folder; only ops evidence fold writes here: remove it",
                path=rel,
            )
        for name in sorted(os.listdir(root / rel)):
            path = f"{rel}/{name}"
            if not SHARD_NAME.match(name) or os.path.islink(root / path):
                raise OpsError(
                    "is not a manifest shard; only ops evidence fold writes here: remove it",
                    path=path,
                )
            out.append(path)
    return out


def write(root: Path) -> bool:
    """Rebuild the manifest: write the shards that changed, remove those of nothing, then
    manifest.json, each atomically; True when anything changed."""
    files = build(root)
    stale = [rel for rel in existing_shards(root) if rel not in files]
    changed = False
    for rel, data in files.items():
        if rel == MANIFEST:
            continue
        path = writable(root, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        changed |= write_bytes(path, data)
    for rel in stale:
        os.unlink(root / rel)
        changed = True
        folder = (root / rel).parent
        if not os.listdir(folder):
            folder.rmdir()
    changed |= write_bytes(writable(root, MANIFEST), files[MANIFEST])
    return changed
