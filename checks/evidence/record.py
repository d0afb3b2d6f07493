"""The one way every command leaves evidence: a run.log line, then the derived files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checks.evidence import manifest, runlog, validation_md
from checks.evidence.files import EVIDENCE_DIR, MANIFEST, RUN_LOG, VALIDATION_MD
from checks.paths import writable


def record(
    root: Path,
    *,
    command: str,
    project: str | None,
    result: str,
    summary: str,
    artefacts: Sequence[Path | str] = (),
    as_of: str | None = None,
    criteria: list[dict[str, Any]] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Append one run.log entry and rebuild manifest.json and validation.md; returns the entry.

    Artefacts are paths relative to ``root`` (or absolute inside it); one outside the
    repository raises OpsError before anything is written.
    """
    entry = runlog.make_entry(
        root,
        command=command,
        project=project,
        result=result,
        summary=summary,
        artefacts=artefacts,
        as_of=as_of,
        criteria=criteria,
        now=now,
    )
    runlog.encode(entry)  # an invalid entry is a bug: ValueError before the lock
    check_writable(root)
    # The derived files are rebuilt under the same lock, so that concurrent runs never leave
    # a validation.md rendered from an older run.log.
    with runlog.locked(root):
        remove_stale_temps(root)
        runlog.append_locked(root, entry)
        manifest.write(root)
        validation_md.write(root)
    return entry


def check_writable(root: Path) -> None:
    """Refuse (OpsError) before writing anything if an evidence file leads out of the repository."""
    for rel in (RUN_LOG, MANIFEST, VALIDATION_MD):
        writable(root, rel)


def rebuild(root: Path) -> tuple[bool, bool]:
    """Rebuild manifest.json and validation.md under the lock; whether each changed."""
    check_writable(root)
    with runlog.locked(root):
        remove_stale_temps(root)
        return manifest.write(root), validation_md.write(root)


def remove_stale_temps(root: Path) -> list[str]:
    """Remove the temporary files a killed run left beside manifest.json and validation.md.

    The caller holds the lock: every writer of those files holds it too, so any such file is
    left over (a run killed between writing it and renaming it), never one being written.
    Returns the removed names.
    """
    folder = root / EVIDENCE_DIR
    removed = []
    for name in (Path(MANIFEST).name, Path(VALIDATION_MD).name):
        for temp in folder.glob(f".{name}.*.tmp"):
            if temp.is_file() and not temp.is_symlink():
                temp.unlink()
                removed.append(temp.name)
    return removed
