"""evidence/phase6/manifest.json: a deterministic index of every artefact under ops/<project>/.

It is derived from the tree alone (never from run.log, which git merges line by line), and
written one entry per line so that two pull requests touching different files merge cleanly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from checks.atomic import write_bytes
from checks.dates import parse_date
from checks.errors import OpsError
from checks.evidence.files import MANIFEST, sha256_file
from checks.kinds import BY_FOLDER, PROJECT_FILE, is_slug
from checks.schemas import fast_validator, validator

SCHEMA = "manifest.schema.json"
KIND_BY_FOLDER = {folder: kind.name for folder, kind in BY_FOLDER.items()} | {
    "calendar": "calendar"
}
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_WEEK = re.compile(r"^(\d{4}-W(?:0[1-9]|[1-4]\d|5[0-3]))(?!\d)")


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


def entries(root: Path) -> list[dict[str, Any]]:
    """The manifest's entries for the tree as it is now."""
    out = []
    for path in artefact_files(root):
        kind, project, date = describe(path)
        try:
            sha = sha256_file(root / path)
        except OSError as e:
            raise OpsError(
                f"cannot read: {e.strerror or e}; fix its permissions", path=path
            ) from None
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
