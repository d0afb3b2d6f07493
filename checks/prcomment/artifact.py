"""What the pull request's gate left (the artifact ``ops-gate-result``), read as hostile data.

A fork's pull request runs its own copy of the workflow, so every byte of the artifact may
be an attacker's: each file is a regular file (never a link), read up to a bound, UTF-8, JSON
nested no deeper than its form needs, and checked field by field. ``pull-request.json`` that
cannot be read is an error (no pull request to comment on); a ``gate.json`` that cannot be read
is an outcome of its own, which the comment reports.

- ``pull-request.json``: ``{"number": N, "head_sha": SHA, "base_sha": SHA}``;
- ``exit-code``: the gate's exit code (0 passed, 1 failed, anything else: it did not finish);
- ``gate.json``: what ``ops gate --format json`` printed (missing when the gate did not finish).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from checks import jsonload
from checks.document import DocumentError, read_file
from checks.errors import OpsError
from checks.findings import Finding, counted, shorten

GATE, PULL, EXIT = "gate.json", "pull-request.json", "exit-code"
MAX_GATE = 8 * 1024 * 1024
MAX_PULL = 4 * 1024
MAX_EXIT = 16
SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 object names
# what ops gate names its groups: a project's slug, or where a finding outside any project is
PROJECT = re.compile(r"[a-z0-9][a-z0-9-]{0,62}|\((?:evidence|repository|templates)\)")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class PullRequest(NamedTuple):
    number: int
    head_sha: str
    base_sha: str


class Gate(NamedTuple):
    as_of: str
    projects: tuple[tuple[str, tuple[Finding, ...]], ...]


@dataclass(frozen=True)
class Outcome:
    """``passed`` or ``failed`` (with the gate's findings), ``unfinished`` (no verdict: the gate
    crashed or was stopped; its exit code when known) or ``unreadable`` (and why)."""

    kind: Literal["passed", "failed", "unfinished", "unreadable"]
    gate: Gate | None = None
    exit_code: int | None = None
    reason: str = ""


class Result(NamedTuple):
    pull: PullRequest
    outcome: Outcome


class Unreadable(ValueError):
    """A file of the artifact that is not what the gate writes; the message says where."""


def read(folder: Path) -> Result:
    """The artifact in ``folder``; OpsError when it names no pull request that can be read."""
    if not folder.is_dir():
        raise OpsError(
            f"--result {folder}: not a folder; download the artifact ops-gate-result into one"
        )
    try:
        pull = _pull_request(_file(folder, PULL, MAX_PULL))
    except Unreadable as e:
        raise OpsError(f"{e}; it names no pull request to comment on", path=str(folder)) from None
    return Result(pull, outcome(folder))


def outcome(folder: Path) -> Outcome:
    """The gate's verdict, as far as the artifact can be trusted to say it."""
    try:
        code = _exit_code(_file(folder, EXIT, MAX_EXIT))
        raw = _file(folder, GATE, MAX_GATE) if code in (0, 1) else None
        if code is None or raw is None:
            return Outcome("unfinished", exit_code=code)
        gate = _gate(raw, code)
    except Unreadable as e:
        return Outcome("unreadable", reason=str(e))
    return Outcome("passed" if code == 0 else "failed", gate=gate, exit_code=code)


def _file(folder: Path, name: str, limit: int) -> bytes | None:
    """The bytes of a regular file of the artifact, None when it is missing."""
    try:
        raw, _ = read_file(
            folder / name, limit, "at most {max} bytes are read (more than the gate writes)"
        )
    except FileNotFoundError:
        return None
    except DocumentError as e:
        why = "is a symlink, not a regular file" if e.reason == "link" else e.message
        raise Unreadable(f"{name}: {why}") from None
    return raw


def _json(raw: bytes, name: str, depth: int) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Unreadable(f"{name}: not UTF-8 (byte 0x{raw[e.start]:02x} at {e.start:,})") from None
    try:
        return jsonload.loads(text, depth, unique_keys=True)
    except ValueError as e:  # JSONDecodeError, TooDeep, DuplicateKey, an integer too long
        raise Unreadable(f"{name}: not JSON as ops writes it ({getattr(e, 'msg', e)})") from None


def _pull_request(raw: bytes | None) -> PullRequest:
    if raw is None:
        raise Unreadable(f"{PULL} is missing")
    doc = _json(raw, PULL, 1)
    number = _field(doc, "number", int, PULL)
    if not 0 < number < 2**31:
        raise Unreadable(f"{PULL}: $.number: {shorten(number)} is not a pull request's number")
    head, base = (_field(doc, key, str, PULL) for key in ("head_sha", "base_sha"))
    for key, sha in (("head_sha", head), ("base_sha", base)):
        if not SHA.fullmatch(sha):
            raise Unreadable(f"{PULL}: $.{key}: {shorten(sha)} is not a commit's SHA")
    return PullRequest(number, head, base)


def _exit_code(raw: bytes | None) -> int | None:
    if raw is None:
        return None
    text = raw.decode("ascii", "replace").strip()
    if not text.isdigit() or not text.isascii() or int(text) > 255:
        raise Unreadable(f"{EXIT}: {shorten(text, 20)} is not an exit code")
    return int(text)


_TYPES = {str: "a string", int: "an integer", bool: "true or false", dict: "an object"}


def _field(doc: Any, key: str, kind: type, name: str, at: str = "$") -> Any:
    """``doc[key]`` of the file ``name``, which must be of ``kind`` (an integer is never true or
    false); ``at`` is where ``doc`` is in the file."""
    if not isinstance(doc, dict):
        raise Unreadable(f"{name}: {at}: not a JSON object")
    if key not in doc:
        raise Unreadable(f"{name}: {at}.{key} is missing")
    value = doc[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Unreadable(f"{name}: {at}.{key}: {shorten(value, 40)} is not {_TYPES[kind]}")
    return value


def _gate(raw: bytes, code: int) -> Gate:
    doc = _json(raw, GATE, 4)  # the document, projects, a project's findings, a finding
    as_of = _field(doc, "as_of", str, GATE)
    if not DATE.fullmatch(as_of):
        raise Unreadable(f"{GATE}: $.as_of: {shorten(as_of, 40)} is not a date")
    ok = _field(doc, "ok", bool, GATE)
    errors, warnings = _field(doc, "errors", int, GATE), _field(doc, "warnings", int, GATE)
    projects = []
    for name, found in _field(doc, "projects", dict, GATE).items():
        if not PROJECT.fullmatch(name):
            raise Unreadable(f"{GATE}: $.projects: {shorten(name, 40)} is not a project's name")
        if not isinstance(found, list):
            raise Unreadable(f"{GATE}: $.projects.{name}: not a list of findings")
        findings = [_finding(item, f"$.projects.{name}[{i}]") for i, item in enumerate(found)]
        projects.append((name, tuple(findings)))
    everything = [f for _, found in projects for f in found]
    held = (
        sum(counted(f) for f in everything if f.severity == "error"),
        sum(1 for f in everything if f.severity == "warning"),
    )
    if held != (errors, warnings):
        raise Unreadable(
            f"{GATE}: it counts {errors:,} errors and {warnings:,} warnings; its findings are "
            f"{held[0]:,} errors and {held[1]:,} warnings"
        )
    if ok != (errors == 0) or ok != (code == 0):
        raise Unreadable(
            f"{GATE}: $.ok is {str(ok).lower()} with {errors:,} errors, and the gate exited {code}"
        )
    return Gate(as_of, tuple(projects))


def _finding(item: Any, at: str) -> Finding:
    path, message, rule = (_field(item, key, str, GATE, at) for key in ("path", "message", "rule"))
    line = _field(item, "line", int, GATE, at)
    if not 0 <= line < 2**31:
        raise Unreadable(f"{GATE}: {at}.line: {shorten(line)} is not a line number")
    json_path = item.get("json_path")
    if json_path is not None and not isinstance(json_path, str):
        raise Unreadable(f"{GATE}: {at}.json_path: {shorten(json_path, 40)} is not a string")
    severity = _field(item, "severity", str, GATE, at)
    if severity not in ("error", "warning"):
        raise Unreadable(f"{GATE}: {at}.severity: {shorten(severity, 40)} is not error or warning")
    return Finding(path, line, json_path, message, rule, severity)
