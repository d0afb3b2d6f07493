"""``ops evidence verify``: the evidence trail is valid, only grew, and covers the tree.

Three questions, asked by three callers:

- **Integrity** (always): every run.log line and every pending run is a valid run, none dated in
  the future; the manifest's index and shards are valid and agree with each other.
- **Coverage** (``ops evidence verify``, on the default branch): the manifest lists every
  artefact with its current hash and validation.md is what run.log gives; an error otherwise.
  ``ops gate`` asks it too, as a warning: on a branch the derived files are the default
  branch's, rebuilt there after merge.
- **The change since a base** (``--base REF``, for pull requests, pushes and the fold): every
  line run.log had at the merge base is still there in order; every line added is a run that was
  pending there and was folded (its file removed, its entry unchanged but for ``folded_at``), no
  earlier than the base's last line; no pending run of the base was edited or dropped; and the
  derived files are the base's, untouched, unless the change folds, when they must cover the
  tree. That is what lets any number of pull requests merge without a conflict: they only add
  files of their own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from checks import jsonload
from checks.dates import parse_instant
from checks.errors import OpsError
from checks.evidence import files, manifest, pending, runlog, validation_md
from checks.evidence.files import (
    EVIDENCE_DIR,
    MANIFEST,
    PENDING_DIR,
    RUN_LOG,
    SHARD_DIR,
    VALIDATION_MD,
    sha256_bytes,
)
from checks.findings import Finding, json_path
from checks.schemas import fast_validator, validator

FOLD = "run `ops evidence fold` (the default branch's evidence workflow does, after each merge)"
ON_A_BRANCH = (
    "the default branch's `ops evidence fold` rebuilds it after merge (nothing to do on a branch)"
)
FUTURE_GRACE = dt.timedelta(hours=1)  # clocks that run ahead (the times are UTC)


def _finding(rel: str, line: int, message: str, path: str | None = None, **kw: Any) -> Finding:
    return Finding(rel, line, path, message, rule="evidence", **kw)


# --- integrity ------------------------------------------------------------------------------


def line_findings(lines: list[runlog.LogLine], now: dt.datetime) -> list[Finding]:
    out = []
    seen: set[str] = set()
    for line in lines:
        if line.error is not None:
            out.append(_finding(RUN_LOG, line.number, line.error, line.json_path))
            continue
        assert line.entry is not None
        out += [
            _future_finding(RUN_LOG, line.number, line.entry, k) for k in _future(line.entry, now)
        ]
        run_id = line.entry.get("run_id")
        if isinstance(run_id, str) and run_id in seen:
            out.append(
                _finding(RUN_LOG, line.number, f"run {run_id} is in run.log twice", "$.run_id")
            )
        seen.add(str(run_id))
    return out


def _future(entry: Mapping[str, Any], now: dt.datetime) -> list[str]:
    """The keys of ``entry`` (timestamp, folded_at) dated after now."""
    return [
        key
        for key in ("timestamp", "folded_at")
        if (moment := parse_instant(entry.get(key))) is not None and moment > now + FUTURE_GRACE
    ]


def _future_finding(rel: str, line: int, entry: Mapping[str, Any], key: str) -> Finding:
    what = "dated" if key == "timestamp" else "folded at"
    return _finding(
        rel,
        line,
        f"the run is {what} {entry[key]}, in the future: a run is recorded when it ran and "
        "folded when it was folded (one dated ahead would stay the latest, and block every fold "
        "until then)",
        f"$.{key}",
    )


def pending_findings(root: Path, now: dt.datetime) -> tuple[list[pending.Run], list[Finding]]:
    runs, problems = pending.scan(root)
    problems += [_future_finding(r.rel, 1, r.entry, k) for r in runs for k in _future(r.entry, now)]
    return runs, problems


KNOWN = {"run.log", "manifest.json", "validation.md", "manifest", "pending", ".gitkeep"}


def stray_findings(root: Path) -> list[Finding]:
    """Anything in evidence/phase6/ that is no part of the trail: nothing checks what it says,
    so nothing may stand there (a temporary file of a killed write is git's to ignore)."""
    try:
        names = sorted(os.listdir(root / EVIDENCE_DIR))
    except OSError:
        return []
    return [
        _finding(
            f"{EVIDENCE_DIR}/{name}",
            1,
            "is no part of the evidence trail (run.log, manifest.json and manifest/, "
            "validation.md, pending/); keep other files elsewhere",
        )
        for name in names
        if name not in KNOWN and not (name.startswith(".") and name.endswith(".tmp"))
    ]


class Manifest(NamedTuple):
    """The manifest files as they are: path -> bytes (the index and the shards it finds)."""

    files: dict[str, bytes]
    listed: list[dict[str, Any]]  # every entry of every shard, in shard order
    lines: dict[str, int]  # path of an artefact -> its line in its shard
    shard_of: dict[str, str]  # path of an artefact -> its shard


def load_manifest(root: Path, missing: str = "error") -> Manifest | list[Finding]:
    """Read and check the index and its shards; the findings when they are not a manifest
    (a missing one is of severity ``missing``)."""
    try:
        data = files.read(root, MANIFEST)
    except OpsError as e:
        return [_finding(MANIFEST, 1, e.message)]
    if data is None:
        advice = ON_A_BRANCH if missing == "warning" else FOLD
        return [_finding(MANIFEST, 1, f"file is missing; {advice}", severity=missing)]
    index = _json(MANIFEST, data)
    if isinstance(index, Finding):
        return [index]
    found = _schema(MANIFEST, manifest.SCHEMA, index, data)
    if found:
        return found
    out = Manifest({MANIFEST: data}, [], {}, {})
    problems: list[Finding] = []
    for number, shard in enumerate(index["shards"], 2):
        rel = shard["path"]
        try:
            raw = files.read(root, rel)
        except OpsError as e:
            problems.append(_finding(rel, 1, e.message))
            continue
        if raw is None:
            problems.append(_finding(MANIFEST, number, f"lists {rel}, which is missing; {FOLD}"))
            continue
        if sha256_bytes(raw) != shard["sha256"]:
            problems.append(
                _finding(MANIFEST, number, f"{rel} changed since the index was built; {FOLD}")
            )
        doc = _json(rel, raw)
        if isinstance(doc, Finding):
            problems.append(doc)
            continue
        schema = _schema(rel, manifest.SHARD_SCHEMA, doc, raw)
        if schema:
            problems += schema
            continue
        out.files[rel] = raw
        for line, item in zip(
            _entry_lines(raw, len(doc["artefacts"])), doc["artefacts"], strict=True
        ):
            out.listed.append(item)
            out.lines[item["path"]] = line
            out.shard_of[item["path"]] = rel
    try:
        extra = [rel for rel in manifest.existing_shards(root) if rel not in out.files]
    except OpsError as e:
        return [*problems, _finding(e.path or SHARD_DIR, 1, e.message)]
    listed = {s["path"] for s in index["shards"]}
    problems += [
        _finding(rel, 1, f"is a shard the index does not list; {FOLD}")
        for rel in extra
        if rel not in listed
    ]
    return problems or out


def _json(rel: str, data: bytes) -> Any:
    try:
        return jsonload.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return _finding(rel, 1, f"not valid UTF-8; {FOLD}")
    except json.JSONDecodeError as e:
        return _finding(rel, e.lineno, f"not valid JSON: {e.msg}; {FOLD}")
    except ValueError as e:  # nested too deeply
        return _finding(rel, 1, f"not a manifest: {e}; {FOLD}")


def _schema(rel: str, schema: str, doc: Any, data: bytes) -> list[Finding]:
    if fast_validator(schema).is_valid(doc):  # compiled; python-jsonschema only explains
        return []
    errors = list(validator(schema).iter_errors(doc))
    out = []
    for error in errors[:10]:
        where = list(error.absolute_path)
        line = 1
        if len(where) > 1 and isinstance(where[1], int):  # an entry: one per line, after line 1
            line = where[1] + 2
        out.append(_finding(rel, line, f"{runlog.error_message(error)}; {FOLD}", json_path(where)))
    return out


def _entry_lines(data: bytes, count: int) -> list[int]:
    """The line each entry stands on: one per line after the first (1 for all otherwise)."""
    lines = data.decode("utf-8").splitlines()
    return list(range(2, count + 2)) if len(lines) == count + 2 else [1] * count


# --- coverage -------------------------------------------------------------------------------


def coverage_findings(
    root: Path, found: Manifest, runs: list[pending.Run], severity: str = "error"
) -> list[Finding]:
    """The manifest lists every artefact as it is, and validation.md is what run.log gives."""
    try:
        built = manifest.build(root)
        current = {item["path"]: item for item in manifest.entries(root)}
    except OpsError as e:  # a file under ops/ that cannot be hashed
        return [_finding(e.path or MANIFEST, e.line or 1, e.message)]
    advice = ON_A_BRANCH if severity == "warning" else FOLD
    out: list[Finding] = []
    seen: set[str] = set()
    for item in found.listed:
        path = item["path"]
        where, line = found.shard_of[path], found.lines[path]
        now = current.get(path)
        if path in seen:
            message: str | None = f"{path} is listed twice; {advice}"
        elif now is None:
            message = f"{path} is listed but no such artefact exists under ops/<project>/; {advice}"
        elif now["sha256"] != item["sha256"]:
            message = f"{path} changed since the manifest was built (sha256 differs); {advice}"
        elif now != item or manifest.shard_path(str(now["project"]), now["date"]) != where:
            message = f"kind, project or date of {path} does not match its place; {advice}"
        else:
            message = None
        seen.add(path)
        if message:
            out.append(_finding(where, line, message, severity=severity))
    for path in sorted(current.keys() - seen):
        out.append(
            _finding(MANIFEST, 1, f"{path} is not in the manifest; {advice}", severity=severity)
        )
    if not out and any(found.files.get(rel) != data for rel, data in built.items()):
        out.append(_finding(MANIFEST, 1, f"not in canonical form; {advice}", severity=severity))
    md = validation_md.render(runlog.read(root)).encode("utf-8")
    if files.read(root, VALIDATION_MD) != md:
        out.append(
            _finding(VALIDATION_MD, 1, f"is not what {RUN_LOG} gives; {advice}", severity=severity)
        )
    return out


# --- the change since a base ----------------------------------------------------------------


def _git(root: Path, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            input=data,
            stdin=None if data is not None else subprocess.DEVNULL,
            check=False,
        )
    except OSError as e:
        raise OpsError(f"cannot run git ({e.strerror}); --base needs git") from None


def git_output(root: Path, *args: str) -> list[str]:
    """The NUL-separated paths a git command prints (``-z``); OpsError when it fails."""
    done = _git(root, *args)
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OpsError(f"git {args[0]} failed: {reason[-1] if reason else done.returncode}")
    return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def base_commit(root: Path, base: str, option: str = "--base") -> str | None:
    """The merge base of ``base`` and HEAD (or ``base`` itself when there is none); None for
    ``HEAD`` in a repository without a commit yet (everything is new)."""
    if _git(root, "rev-parse", "--git-dir").returncode != 0:
        raise OpsError(f"{root} is not a git repository; {option} needs one")
    resolved = None
    if not base.startswith("-"):  # never let a ref be read as an option
        done = _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
        resolved = done.stdout.decode().strip() if done.returncode == 0 else None
    if not resolved:
        if base == "HEAD" and _git(root, "rev-parse", "--verify", "--quiet", "HEAD").returncode:
            return None  # no commit yet
        raise OpsError(
            f"{option} {base}: no such branch, tag or commit; fetch it first"
            " (for example: git fetch origin main) or name an existing ref"
        )
    done = _git(root, "merge-base", resolved, "HEAD")
    merge_base = done.stdout.decode().strip() if done.returncode == 0 else ""
    return merge_base or resolved


def files_at(root: Path, commit: str | None) -> dict[str, bytes]:
    """Every file under evidence/phase6/ at ``commit`` (path -> bytes), in one git call."""
    if commit is None:
        return {}
    # --root may be a folder of the repository (a monorepo): paths are git's, from its top
    prefix = _git(root, "rev-parse", "--show-prefix").stdout.decode().strip()
    listed = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix + EVIDENCE_DIR)
    entries = [e for e in listed.stdout.split(b"\0") if e]
    blobs: list[tuple[str, str]] = []
    for entry in entries:
        meta, _, name = entry.partition(b"\t")
        _mode, kind, sha = meta.split(b" ")
        if kind == b"blob":
            path = name.decode("utf-8", "surrogateescape").removeprefix(prefix)
            blobs.append((path, sha.decode()))
    if not blobs:
        return {}
    done = _git(root, "cat-file", "--batch", data=b"".join(s.encode() + b"\n" for _, s in blobs))
    out: dict[str, bytes] = {}
    at = 0
    for rel, _sha in blobs:
        header_end = done.stdout.index(b"\n", at)
        size = int(done.stdout[at:header_end].split(b" ")[2])
        out[rel] = done.stdout[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
    return out


def _recorded(entry: Mapping[str, Any]) -> dt.datetime | None:
    """When a line entered run.log: when it was folded, or (older lines) when it ran."""
    return parse_instant(entry.get("folded_at") or entry.get("timestamp"))


def _prefix(old: list[bytes], new: list[bytes]) -> int | None:
    """The first line (1-based) of ``old`` that ``new`` does not hold at the same place, or None
    when ``old`` is a prefix of ``new``: run.log only ever grows at its end (linear: a check
    that matched lines anywhere took minutes on a rewritten log of 40,000 lines)."""
    for number, (a, b) in enumerate(zip(old, new, strict=False), 1):  # new may be longer
        if a != b:
            return number
    return len(new) + 1 if len(new) < len(old) else None


def _unfolded(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "folded_at"}


def change_findings(
    root: Path, base: str, current_log: bytes, runs: list[pending.Run]
) -> tuple[list[Finding], bool]:
    """What the change since ``base`` did wrong to the trail, and whether it folds."""
    commit = base_commit(root, base)
    before = files_at(root, commit)
    restore = f"git checkout {base} -- {{path}}"
    old = runlog.split_lines(before.get(RUN_LOG, b""))
    new = runlog.split_lines(current_log)
    out: list[Finding] = []
    first_changed = _prefix(old, new)
    if first_changed is not None:
        out.append(
            _finding(
                RUN_LOG,
                first_changed,
                f"line {first_changed} of run.log at {base} was edited or deleted (or a line was"
                " put before it); run.log only grows at its end: restore it"
                f" ({restore.format(path=RUN_LOG)}) and fold again",
            )
        )
        return out + _pending_changes(before, runs, base, restore, set(), set()), False
    old_runs = {
        str(e["run_id"]): _unfolded(e)
        for e in (runlog.parse_line(1, raw).entry for raw in old)
        if e is not None and "run_id" in e
    }
    was_pending = _pending_at(before)
    by_id = {run.run_id: run for run in was_pending.values()}
    now_pending = {run.rel: run for run in runs}
    folded: set[str] = set()
    seen: set[str] = set()
    last = next((t for t in map(_line_recorded, reversed(old)) if t is not None), None)
    for number in range(len(old) + 1, len(new) + 1):
        line = runlog.parse_line(number, new[number - 1])
        if line.entry is None:
            continue  # line_findings reports it
        run_id = str(line.entry.get("run_id"))
        run = by_id.get(run_id)
        if run_id in old_runs or run_id in seen:
            out.append(
                _finding(
                    RUN_LOG,
                    number,
                    f"line {number} is run {run_id} again: a run is folded once; remove the line",
                )
            )
        elif run is None or run.rel in now_pending or run.entry != _unfolded(line.entry):
            out.append(
                _finding(
                    RUN_LOG,
                    number,
                    f"line {number} was added since {base} but is no run that was pending there: "
                    "run.log grows only by `ops evidence fold` on the default branch; commands "
                    f"write their runs to {PENDING_DIR}/, which is what a pull request adds",
                )
            )
        else:
            folded.add(run.rel)
            when = _recorded(line.entry)
            if last is not None and when is not None and when < last[0]:
                out.append(
                    _finding(
                        RUN_LOG,
                        number,
                        f"line {number} was added since {base} but is dated {_shown(line.entry)}, "
                        f"before the last line run.log had there ({last[1]}); run.log only grows "
                        "forward in time: remove the line and fold again",
                        "$.folded_at" if "folded_at" in line.entry else "$.timestamp",
                    )
                )
        seen.add(run_id)
    # a pending run whose run already is in run.log (a squash merge brings it back): folding
    # removes its file and appends nothing
    done_before = {rel for rel, run in was_pending.items() if old_runs.get(run.run_id) == run.entry}
    out += _pending_changes(before, runs, base, restore, folded | done_before, set(old_runs))
    derived = _derived_changes(root, before, base)
    # A fold: runs that were pending went into run.log, or the change touches no record (a fold
    # with no runs rebuilds the manifest after a hand edit). Its derived files must then cover
    # the tree; a change to records leaves them as they were.
    folds = bool(folded) or (bool(derived) and not _changed_outside_evidence(root, commit))
    if not folds:
        out += derived
    return out, folds


MAX_NEW_RUNS = 1000  # in one change; a day of a large team's runs is a few dozen
MAX_NEW_BYTES = 8 * 1024 * 1024  # of new pending runs in one change: run.log stays bounded


def _pending_at(before: Mapping[str, bytes]) -> dict[str, pending.Run]:
    return {
        rel: parsed
        for rel, raw in before.items()
        if rel.startswith(PENDING_DIR + "/")
        and not isinstance(parsed := pending.parse(rel, raw), Finding)
    }


def _pending_changes(
    before: Mapping[str, bytes],
    runs: list[pending.Run],
    base: str,
    restore: str,
    removed_ok: set[str],
    in_log: set[str],
) -> list[Finding]:
    """No pending run of the base edited, or dropped unless folded (or folded already); no new
    one that is a run run.log holds; not more new runs than a change may bring."""
    out = []
    was_pending = _pending_at(before)
    now_pending = {run.rel: run for run in runs}
    for rel, run in sorted(was_pending.items()):
        if rel in now_pending and now_pending[rel].raw != run.raw:
            out.append(
                _finding(
                    rel,
                    1,
                    f"this pending run changed since {base}; a run is never edited: restore it "
                    f"({restore.format(path=rel)})",
                )
            )
        elif rel not in now_pending and rel not in removed_ok:
            out.append(
                _finding(
                    rel,
                    1,
                    f"this run was pending at {base} and was removed without being folded into "
                    f"run.log: restore it ({restore.format(path=rel)})",
                )
            )
    added = [run for rel, run in sorted(now_pending.items()) if rel not in before]
    for run in added:
        if run.run_id in in_log:
            out.append(
                _finding(
                    run.rel,
                    1,
                    f"run {run.run_id} is in run.log already (folded at {base}); this copy came "
                    "back with a merge: remove the file",
                )
            )
    size = sum(len(run.raw) for run in added)
    if len(added) > MAX_NEW_RUNS or size > MAX_NEW_BYTES:
        out.append(
            _finding(
                PENDING_DIR,
                1,
                f"this change adds {len(added):,} runs ({size:,} bytes); one change adds at most "
                f"{MAX_NEW_RUNS:,} runs and {MAX_NEW_BYTES:,} bytes: run.log keeps every one",
            )
        )
    return out


def _changed_outside_evidence(root: Path, commit: str | None) -> bool:
    """Whether a record changed since ``commit`` (tracked or new): the derived files are built
    from ops/ and run.log alone, so a change to neither is a fold, whatever else it holds."""
    if commit is not None:
        diff = _git(root, "diff", "--name-only", "--no-renames", commit, "--", "ops")
        if diff.returncode != 0 or diff.stdout.strip():
            return True
    new = _git(root, "ls-files", "--others", "--exclude-standard", "--", "ops")
    return new.returncode != 0 or bool(new.stdout.strip())


def _line_recorded(raw: bytes) -> tuple[dt.datetime, str] | None:
    entry = runlog.parse_line(1, raw).entry
    moment = _recorded(entry) if entry is not None else None
    return (moment, _shown(entry)) if moment is not None and entry is not None else None


def _shown(entry: Mapping[str, Any]) -> str:
    return str(entry.get("folded_at") or entry.get("timestamp"))


def _derived_changes(root: Path, before: Mapping[str, bytes], base: str) -> list[Finding]:
    """Each derived file that is not the base's, byte for byte."""
    derived_before = {rel: data for rel, data in before.items() if _derived(rel)}
    now: dict[str, bytes | None] = {}
    try:
        shard_paths = manifest.existing_shards(root)
    except OpsError as e:
        return [_finding(e.path or SHARD_DIR, 1, e.message)]
    for rel in sorted({*derived_before, MANIFEST, VALIDATION_MD, *shard_paths}):
        try:
            now[rel] = files.read(root, rel)
        except OpsError as e:
            return [_finding(rel, 1, e.message)]
    out = []
    for rel, data in sorted(now.items()):
        if data != derived_before.get(rel):
            out.append(
                _finding(
                    rel,
                    1,
                    f"changed since {base}: it is derived, and only the default branch's `ops "
                    "evidence fold` rebuilds it, so that pull requests never conflict on it; "
                    f"restore it (git checkout {base} -- {rel}, or delete it if it is new)",
                )
            )
    return out


def _derived(rel: str) -> bool:
    return rel in (MANIFEST, VALIDATION_MD) or rel.startswith(SHARD_DIR + "/")


# --- all of it ------------------------------------------------------------------------------


def verify(
    root: Path,
    base: str | None = None,
    *,
    coverage: str = "error",
    now: dt.datetime | None = None,
) -> list[Finding]:
    """Every problem with the evidence trail (reads only). OpsError for a bad ``base``.

    ``coverage``: "error" (``ops evidence verify``), "warning" (``ops gate`` on a branch) or
    "none"; with ``base``, the change since it decides instead (coverage is required of a
    change that folds).
    """
    moment = now or dt.datetime.now(dt.UTC)
    try:
        current = files.read(root, RUN_LOG) or b""
    except OpsError as e:
        return [_finding(RUN_LOG, 1, e.message)]
    findings = line_findings(runlog.parse(current), moment) + stray_findings(root)
    runs, problems = pending_findings(root, moment)
    findings += problems
    folds = False
    if base is not None:
        changed, folds = change_findings(root, base, current, runs)
        findings += changed
    wanted = "error" if folds else ("none" if base is not None else coverage)
    if wanted == "none":  # the runs only (the gate; a change that leaves the manifest as it was)
        return findings
    loaded = load_manifest(root, "warning" if wanted == "warning" else "error")
    if isinstance(loaded, list):
        return findings + loaded
    if wanted != "none":
        findings += coverage_findings(root, loaded, runs, wanted)
    return findings


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
