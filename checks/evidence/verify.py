"""``ops evidence verify``: run.log is valid and append-only, manifest.json matches the tree."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

from checks import jsonload
from checks.dates import parse_instant
from checks.errors import OpsError
from checks.evidence import files, manifest, runlog
from checks.evidence.files import MANIFEST, RUN_LOG
from checks.findings import Finding, json_path
from checks.schemas import validator

REBUILD = "run `ops evidence manifest` to rebuild it"


def _log_finding(line: int, message: str, path: str | None = None) -> Finding:
    return Finding(RUN_LOG, line, path, message, rule="evidence")


def _manifest_finding(line: int, message: str, path: str | None = None) -> Finding:
    return Finding(MANIFEST, line, path, message, rule="evidence")


# --- run.log --------------------------------------------------------------------------------


def line_findings(lines: list[runlog.LogLine]) -> list[Finding]:
    return [
        _log_finding(line.number, line.error, line.json_path)
        for line in lines
        if line.error is not None
    ]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, stdin=subprocess.DEVNULL, check=False
        )
    except OSError as e:
        raise OpsError(f"cannot run git ({e.strerror}); --base needs git") from None


def base_commit(root: Path, base: str) -> str:
    """The merge base of ``base`` and HEAD (or ``base`` itself when there is none)."""
    if _git(root, "rev-parse", "--git-dir").returncode != 0:
        raise OpsError(f"{root} is not a git repository; --base needs one")
    resolved = None
    if not base.startswith("-"):  # never let a ref be read as an option
        done = _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
        resolved = done.stdout.decode().strip() if done.returncode == 0 else None
    if not resolved:
        raise OpsError(
            f"--base {base}: no such branch, tag or commit; fetch it first"
            " (for example: git fetch origin main) or name an existing ref"
        )
    done = _git(root, "merge-base", resolved, "HEAD")
    merge_base = done.stdout.decode().strip() if done.returncode == 0 else ""
    return merge_base or resolved


def match(old: list[bytes], new: list[bytes]) -> tuple[list[int], list[int]]:
    """Match ``old`` in order against ``new``: the 1-based numbers of the ``old`` lines that are
    not, in order, a subsequence of ``new`` (removed or edited), and of the ``new`` lines that
    match no ``old`` line (appended)."""
    missing, matched, j = [], set(), 0
    for number, line in enumerate(old, 1):
        k = j
        while k < len(new) and new[k] != line:
            k += 1
        if k == len(new):
            missing.append(number)
        else:
            matched.add(k)
            j = k + 1
    return missing, [k + 1 for k in range(len(new)) if k not in matched]


def removed_lines(old: list[bytes], new: list[bytes]) -> list[int]:
    """1-based numbers of the ``old`` lines that are not, in order, a subsequence of ``new``."""
    return match(old, new)[0]


def _timestamp(raw: bytes) -> tuple[dt.datetime, str] | None:
    """A valid line's instant (and its text), or None."""
    entry = runlog.parse_line(1, raw).entry
    moment = parse_instant(entry["timestamp"]) if entry is not None else None
    return (moment, entry["timestamp"]) if moment is not None and entry is not None else None


def append_only_findings(root: Path, base: str, current: bytes) -> list[Finding]:
    """Every line run.log had at ``base`` is still there, in the same order, and every line
    added since is dated no earlier than the base's last line."""
    commit = base_commit(root, base)
    done = _git(root, "cat-file", "blob", f"{commit}:{RUN_LOG}")
    if done.returncode != 0:
        return []  # no run.log at the base: nothing to compare
    restore = f"git checkout {base} -- {RUN_LOG}"
    old, new = runlog.split_lines(done.stdout), runlog.split_lines(current)
    missing, appended = match(old, new)
    findings = [
        _log_finding(
            number,
            f"line {number} of run.log at {base} was edited or deleted; run.log is"
            f" append-only: restore it ({restore}) and append instead",
        )
        for number in missing
    ]
    last = next((t for t in map(_timestamp, reversed(old)) if t is not None), None)
    if last is None:
        return findings
    for number in appended:
        stamp = _timestamp(new[number - 1])
        if stamp is not None and stamp[0] < last[0]:
            findings.append(
                _log_finding(
                    number,
                    f"line {number} was added since {base} but is dated {stamp[1]}, before the"
                    f" last line run.log had there ({last[1]}); run.log only grows forward in"
                    " time: remove the line and run the command again",
                    "$.timestamp",
                )
            )
    return findings


# --- manifest.json --------------------------------------------------------------------------


def entry_lines(text: str, count: int) -> list[int]:
    """The line each artefact entry stands on (1 for all when the layout is not one per line)."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip().rstrip(",")
        if not (stripped.startswith("{") and stripped.endswith("}")):
            continue
        try:
            value = jsonload.loads(stripped)
        except ValueError:
            continue
        if isinstance(value, dict) and "path" in value:
            found.append(number)
    return found if len(found) == count else [1] * count


def _load_manifest(root: Path) -> tuple[bytes, Any] | Finding:
    try:
        data = files.read(root, MANIFEST)
    except OpsError as e:
        return _manifest_finding(1, e.message)
    if data is None:
        return _manifest_finding(1, "file is missing; run `ops evidence manifest` to build it")
    try:
        return data, jsonload.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return _manifest_finding(1, f"not valid UTF-8; {REBUILD}")
    except json.JSONDecodeError as e:
        return _manifest_finding(e.lineno, f"not valid JSON: {e.msg}; {REBUILD}")
    except ValueError as e:  # nested too deeply
        return _manifest_finding(1, f"not a manifest: {e}; {REBUILD}")


def _entry_finding(item: dict[str, Any], actual: dict[str, Any] | None) -> str | None:
    path = item["path"]
    if actual is None:
        return f"{path} is listed but no such artefact exists under ops/<project>/; {REBUILD}"
    if actual["sha256"] != item["sha256"]:
        return f"{path} changed since the manifest was built (sha256 differs); {REBUILD}"
    if actual != item:
        return f"kind, project or date of {path} does not match its place in ops/; {REBUILD}"
    return None


def _schema_findings(doc: Any, lines: list[int]) -> list[Finding]:
    def line_of(where: list[str | int]) -> int:
        index = where[1] if len(where) > 1 and where[0] == "artefacts" else None
        return lines[index] if isinstance(index, int) and index < len(lines) else 1

    errors = validator(manifest.SCHEMA).iter_errors(doc)
    return [
        _manifest_finding(
            line_of(list(e.absolute_path)),
            f"{runlog.error_message(e)}; {REBUILD}",
            json_path(list(e.absolute_path)),
        )
        for e in errors
    ]


def _content_findings(listed: list[dict[str, Any]], lines: list[int], root: Path) -> list[Finding]:
    current = {item["path"]: item for item in manifest.entries(root)}
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, item in enumerate(listed):
        where = f"$.artefacts[{index}]"
        if item["path"] in seen:
            message: str | None = f"{item['path']} is listed twice; {REBUILD}"
        else:
            message = _entry_finding(item, current.get(item["path"]))
        seen.add(item["path"])
        if message:
            findings.append(_manifest_finding(lines[index], message, where))
    for path in sorted(current.keys() - seen):
        findings.append(_manifest_finding(1, f"{path} is not in the manifest; {REBUILD}"))
    return findings


def manifest_findings(root: Path) -> list[Finding]:
    """manifest.json is valid, lists every artefact with its current hash, and is canonical."""
    try:
        return _manifest_findings(root)
    except OpsError as e:  # a file under ops/ that cannot be hashed
        return [Finding(e.path or MANIFEST, e.line or 1, None, e.message, rule="evidence")]


def _manifest_findings(root: Path) -> list[Finding]:
    loaded = _load_manifest(root)
    if isinstance(loaded, Finding):
        return [loaded]
    data, doc = loaded
    artefacts = doc.get("artefacts") if isinstance(doc, dict) else None
    lines = entry_lines(data.decode("utf-8"), len(artefacts) if isinstance(artefacts, list) else 0)
    findings = _schema_findings(doc, lines)
    if findings:
        return findings
    findings = _content_findings(doc["artefacts"], lines, root)
    if not findings and data != manifest.build(root):
        message = "not in canonical form; run `ops evidence manifest`"
        findings.append(_manifest_finding(1, message))
    return findings


def verify(root: Path, base: str | None = None) -> list[Finding]:
    """Every problem with the evidence trail (reads only). OpsError for a bad ``base``."""
    try:
        current = files.read(root, RUN_LOG) or b""
    except OpsError as e:
        return [_log_finding(1, e.message), *manifest_findings(root)]
    findings = line_findings(runlog.parse(current))
    if base is not None:
        findings += append_only_findings(root, base, current)
    return findings + manifest_findings(root)
