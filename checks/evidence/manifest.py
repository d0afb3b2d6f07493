"""evidence/phase6/manifest.json: a deterministic index of every artefact under ops/<project>/.

It is derived from the tree alone (never from run.log, which git merges line by line), and
written one entry per line so that two pull requests touching different files merge cleanly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

from checks.atomic import write_bytes
from checks.evidence.files import MANIFEST, sha256_file
from checks.kinds import BY_FOLDER, PROJECT_FILE, is_slug
from checks.schemas import fast_validator, validator

SCHEMA = "manifest.schema.json"
KIND_BY_FOLDER = {folder: kind.name for folder, kind in BY_FOLDER.items()} | {
    "calendar": "calendar"
}
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_WEEK = re.compile(r"^(\d{4}-W(?:0[1-9]|[1-4]\d|5[0-3]))(?!\d)")


def _hidden(name: str) -> bool:
    return name.startswith(".")


def artefact_files(root: Path) -> list[str]:
    """Posix paths (relative to root) of the regular files under ops/<project>/, sorted.

    Hidden files and folders are skipped, and so are symlinks: the manifest never reads
    outside the repository.
    """
    ops = root / "ops"
    if not ops.is_dir():
        return []
    out: list[str] = []
    for project in ops.iterdir():
        if _hidden(project.name) or project.is_symlink() or not project.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(project):
            dirnames[:] = [d for d in dirnames if not _hidden(d)]
            for name in filenames:
                path = Path(dirpath) / name
                if not _hidden(name) and not path.is_symlink() and path.is_file():
                    out.append(path.relative_to(root).as_posix())
    return sorted(out)


def file_date(name: str) -> str | None:
    """``2026-11-04-inc-7.md`` -> ``2026-11-04``; ``2026-W47.md`` -> ``2026-W47``; else None."""
    m = _DATE.match(name)
    if m:
        try:
            return dt.date.fromisoformat(m.group(1)).isoformat()
        except ValueError:
            return None
    m = _WEEK.match(name)
    return m.group(1) if m else None


def describe(path: str) -> tuple[str, str | None, str | None]:
    """``ops/<project>/<folder>/<file>`` -> (kind, project, date)."""
    parts = path.split("/")
    project, inner = parts[1], parts[2:]
    if inner == [PROJECT_FILE]:
        kind = "project"
    elif len(inner) > 1:
        kind = KIND_BY_FOLDER.get(inner[0], "other")
    else:
        kind = "other"
    return kind, project if is_slug(project) else None, file_date(inner[-1])


def entries(root: Path) -> list[dict[str, Any]]:
    """The manifest's entries for the tree as it is now."""
    out = []
    for path in artefact_files(root):
        kind, project, date = describe(path)
        sha = sha256_file(root / path)
        out.append({"path": path, "sha256": sha, "kind": kind, "project": project, "date": date})
    return out


def render(items: list[dict[str, Any]]) -> bytes:
    """The canonical bytes: one entry per line, keys sorted, order as given."""
    body = "".join(
        ("" if i == 0 else ",\n") + json.dumps(item, sort_keys=True) for i, item in enumerate(items)
    )
    newline = "\n" if items else ""
    return ('{"version": 1, "artefacts": [\n' + body + newline + "]}\n").encode("ascii")


def build(root: Path) -> bytes:
    """manifest.json for the tree as it is now: byte-identical when nothing changed."""
    data = render(entries(root))
    if not fast_validator(SCHEMA).is_valid(json.loads(data)):
        errors = list(validator(SCHEMA).iter_errors(json.loads(data)))
        reason = errors[0].message if errors else "the validators disagree"
        raise ValueError(f"built an invalid manifest: {reason}")  # a bug: entries are valid
    return data


def write(root: Path) -> bool:
    """Rebuild manifest.json atomically; True when it changed."""
    return write_bytes(root / MANIFEST, build(root))
