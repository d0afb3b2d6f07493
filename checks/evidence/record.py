"""The one way every command leaves evidence: its run, written to evidence/phase6/pending/."""

from __future__ import annotations

import datetime as dt
import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checks.errors import OpsError
from checks.evidence import manifest, pending, runlog, validation_md
from checks.evidence.files import (
    EVIDENCE_DIR,
    MANIFEST,
    PENDING_DIR,
    RUN_LOG,
    SHARD_DIR,
    VALIDATION_MD,
)
from checks.paths import writable

MAX_SUMMARY = 4000  # characters (run-log-entry.schema.json): run.log keeps every run
MAX_ARTEFACTS = 1000
STALE_PENDING_SECONDS = 600  # a pending run's temporary file older than this was left behind


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
    """Write one run to its own file in evidence/phase6/pending/; returns the entry (its file is
    ``pending.rel_of(entry["run_id"])``).

    Artefacts are paths relative to ``root`` (or absolute inside it); one outside the
    repository raises OpsError before anything is written.
    """
    if len(artefacts) > MAX_ARTEFACTS:
        raise OpsError(
            f"a run lists at most {MAX_ARTEFACTS:,} artefacts (this one {len(artefacts):,}); "
            "split the work into several runs"
        )
    if len(summary) > MAX_SUMMARY:  # a command's summary of many weeks or items: cut, marked
        summary = summary[: MAX_SUMMARY - 3] + "..."
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
    runlog.encode(entry)  # an invalid entry is a bug: ValueError before anything is written
    check_writable(root)
    pending.write(root, entry)
    return entry


def check_writable(root: Path) -> None:
    """Refuse (OpsError) before writing anything if an evidence path leads through a link, or
    run.log is no regular file (a pipe there would hang the next fold)."""
    for rel in (RUN_LOG, MANIFEST, VALIDATION_MD, SHARD_DIR, PENDING_DIR):
        writable(root, rel)
    try:
        mode = os.lstat(root / RUN_LOG).st_mode
    except FileNotFoundError:
        return
    except OSError as e:
        raise OpsError(f"cannot read: {e.strerror or e}", path=RUN_LOG) from None
    if not stat.S_ISREG(mode):
        raise OpsError("is not a regular file (a pipe, socket or device?)", path=RUN_LOG)


def rebuild(root: Path) -> tuple[bool, bool]:
    """Rebuild the manifest and validation.md under the lock; whether each changed."""
    check_writable(root)
    with runlog.locked(root):
        remove_stale_temps(root)
        return manifest.write(root), validation_md.write(root)


def remove_stale_temps(root: Path) -> list[str]:
    """Remove the temporary files a killed run left beside the derived files and the pending runs.

    The caller holds the lock: every writer of the derived files holds it too, so any such file
    is left over (a run killed between writing it and renaming it), never one being written. A
    pending run is written without the lock, so its temporary file is removed only when old.
    Returns the removed names.
    """
    folder = root / EVIDENCE_DIR
    found = [
        *(
            t
            for name in (Path(MANIFEST).name, Path(VALIDATION_MD).name)
            for t in folder.glob(f".{name}.*.tmp")
        ),
        *(root / SHARD_DIR).glob("*/.*.tmp"),
    ]
    old = time.time() - STALE_PENDING_SECONDS
    found += [t for t in (root / PENDING_DIR).glob(".*.tmp") if _mtime(t) < old]
    removed = []
    for temp in found:
        if temp.is_file() and not temp.is_symlink():
            temp.unlink()
            removed.append(temp.name)
    return removed


def _mtime(path: Path) -> float:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return float("inf")
