"""Runs waiting in evidence/phase6/pending/, one file each, until the default branch folds them.

Every command that leaves evidence writes its run here, as a new file named by the run's id
(``20261124T060000Z-1a2b3c4d.json``, one JSON line): branches add files, never change one, so
any number of pull requests merge without a conflict and without a merge driver. ``ops evidence
fold`` (the default branch's evidence workflow runs it after each merge) appends the pending runs
to run.log in the order they ran, each with ``folded_at``, removes their files and rebuilds the
manifest and validation.md, under the evidence lock.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path
from typing import Any, NamedTuple

from checks import atomic
from checks.dates import parse_instant
from checks.errors import OpsError
from checks.evidence import files, runlog
from checks.evidence.files import PENDING_DIR, RUN_LOG
from checks.findings import Finding
from checks.paths import writable

NAME = re.compile(r"^([0-9]{8}T[0-9]{6}Z-[0-9a-f]{8})\.json$")
MAX_BYTES = 256 * 1024  # a run is a line of a few hundred bytes; its artefacts make it longer
RULE = "evidence"


class Run(NamedTuple):
    rel: str  # evidence/phase6/pending/<run_id>.json
    entry: dict[str, Any]
    raw: bytes  # the file's bytes

    @property
    def run_id(self) -> str:
        return self.rel.rsplit("/", 1)[-1].removesuffix(".json")


def rel_of(run_id: str) -> str:
    return f"{PENDING_DIR}/{run_id}.json"


def write(root: Path, entry: dict[str, Any]) -> str:
    """Write the run to its own new file (never over another); its path."""
    data = runlog.encode(entry)
    rel = rel_of(entry["run_id"])
    folder = writable(root, PENDING_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    atomic.create_bytes(writable(root, rel), data, display=rel)
    return rel


def _finding(rel: str, message: str, path: str | None = None) -> Finding:
    return Finding(rel, 1, path, message, rule=RULE)


def parse(rel: str, raw: bytes) -> Run | Finding:
    """One pending file's run, or what is wrong with it."""
    name = rel.rsplit("/", 1)[-1]
    lines = runlog.split_lines(raw)
    if len(lines) != 1:
        return _finding(rel, f"holds {len(lines)} lines; a pending run is one run.log line")
    line = runlog.parse_line(1, lines[0])
    if line.entry is None:
        return _finding(rel, str(line.error), line.json_path)
    entry = line.entry
    if "folded_at" in entry:
        return _finding(rel, "a pending run has no folded_at: it is set when the run is folded")
    if f"{entry.get('run_id')}.json" != name:
        return _finding(
            rel,
            f"its run_id {entry.get('run_id')!r} is not its file name; a pending run is named "
            "by its run_id",
            "$.run_id",
        )
    return Run(rel, entry, raw)


def scan(root: Path) -> tuple[list[Run], list[Finding]]:
    """Every pending run, and every problem with the folder (a file that is no run, a link)."""
    folder = root / PENDING_DIR
    runs: list[Run] = []
    problems: list[Finding] = []
    try:
        writable(root, PENDING_DIR)
    except OpsError as e:
        return [], [_finding(e.path or PENDING_DIR, e.message)]
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return [], []
    except OSError as e:
        return [], [_finding(PENDING_DIR, f"cannot list: {e.strerror or e}")]
    for name in names:
        rel = f"{PENDING_DIR}/{name}"
        try:
            mode = os.lstat(folder / name).st_mode
        except OSError as e:
            problems.append(_finding(rel, f"cannot read: {e.strerror or e}"))
            continue
        if not NAME.match(name) or not stat.S_ISREG(mode):
            if name.startswith(".") and name.endswith(".tmp") and stat.S_ISREG(mode):
                continue  # a write killed half-way: removed by the next fold
            problems.append(
                _finding(
                    rel,
                    "is not a pending run (a regular file named <run_id>.json); only ops writes "
                    "here: remove it",
                )
            )
            continue
        try:
            raw = files.read(root, rel, MAX_BYTES)
        except OpsError as e:
            problems.append(_finding(rel, e.message))
            continue
        parsed = parse(rel, raw or b"")
        if isinstance(parsed, Finding):
            problems.append(parsed)
        else:
            runs.append(parsed)
    return runs, problems


def order(runs: list[Run]) -> list[Run]:
    """In the order they ran (then by id): the order fold appends them."""

    def key(run: Run) -> tuple[dt.datetime, str]:
        moment = parse_instant(run.entry["timestamp"]) or dt.datetime.min.replace(tzinfo=dt.UTC)
        return moment, run.run_id

    return sorted(runs, key=key)


def folded_line(run: Run, now: dt.datetime) -> bytes:
    return runlog.encode({**run.entry, "folded_at": _instant(now)})


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Folded(NamedTuple):
    appended: list[Run]  # runs appended to run.log
    already: list[Run]  # pending files of runs run.log held already (removed)


def fold(root: Path, now: dt.datetime | None = None) -> Folded:
    """Append every pending run to run.log, remove its file, rebuild the derived files. Nothing
    is written when a pending run is not valid, when the manifest cannot be built (a record that
    cannot be read), when the clock is behind run.log's last line, or when run.log would pass
    its size limit."""
    from checks.evidence import manifest, validation_md
    from checks.evidence.record import check_writable, remove_stale_temps

    moment = now or dt.datetime.now(dt.UTC)
    check_writable(root)
    with runlog.locked(root):
        remove_stale_temps(root)
        runs, problems = scan(root)
        if problems:
            first = problems[0]
            raise OpsError(
                f"{first.message}; nothing was folded: fix or remove it first", path=first.path
            )
        manifest.build(root)  # raises before anything is written if it cannot be built
        lines = runlog.read(root)
        done = {
            str(line.entry["run_id"])
            for line in lines
            if line.entry is not None and "run_id" in line.entry
        }
        stamps = [
            parse_instant(line.entry.get("folded_at") or line.entry["timestamp"])
            for line in lines
            if line.entry is not None
        ]
        last = max((m for m in stamps if m is not None), default=None)
        if last is not None and moment < last:
            raise OpsError(
                f"this machine's clock reads {_instant(moment)}, before run.log's last line "
                f"({_instant(last)}); set the clock right: nothing was folded",
                path=RUN_LOG,
            )
        ordered = order(runs)
        fresh = [r for r in ordered if r.run_id not in done]
        data = [folded_line(r, moment) for r in fresh]
        size = os.path.getsize(root / RUN_LOG) if (root / RUN_LOG).exists() else 0
        if size + sum(map(len, data)) > files.MAX_BYTES:
            raise OpsError(
                f"folding {len(fresh):,} runs would take run.log past {files.MAX_BYTES:,} bytes; "
                "nothing was folded",
                path=RUN_LOG,
            )
        if data:
            runlog.append_lines_locked(root, data)
        for run in ordered:  # a fold killed here leaves runs folded already: removed next time
            os.unlink(root / run.rel)
        manifest.write(root)
        validation_md.write(root)
    return Folded(fresh, [r for r in ordered if r.run_id in done])
