"""evidence/phase6/run.log: one JSON line per run, appended under a file lock, never rewritten.

A run is made here (:func:`make_entry`), written to evidence/phase6/pending/ by
:mod:`checks.evidence.pending`, and appended to run.log when the default branch folds it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
import secrets
import stat
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from checks import __version__, jsonload
from checks.errors import OpsError
from checks.evidence.files import EVIDENCE_DIR, RUN_LOG, sha256_file
from checks.findings import json_path
from checks.paths import within, writable
from checks.schemas import fast_validator, validator

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

SCHEMA = "run-log-entry.schema.json"
LOCK_TIMEOUT_SECONDS = 120


class LogLine(NamedTuple):
    """A run.log line: ``entry`` when it is a valid entry, else ``error`` (and its JSON path)."""

    number: int  # 1-based
    text: str
    entry: dict[str, Any] | None
    error: str | None
    json_path: str | None = None


# --- the entry ------------------------------------------------------------------------------


def _git_line(root: Path, *args: str) -> str | None:
    """The one line a git command prints in ``root``; None without git, a repository, or an
    answer (an unborn HEAD, a detached one)."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError:
        return None
    line = done.stdout.strip()
    return line if done.returncode == 0 and line else None


def git_commit(root: Path) -> str | None:
    """``git rev-parse HEAD`` in ``root``; None without git, a repository or a first commit."""
    return _git_line(root, "rev-parse", "--verify", "--quiet", "HEAD")


def git_toplevel(root: Path) -> Path | None:
    """The top of the git repository ``root`` is in; None without git or a repository."""
    line = _git_line(root, "rev-parse", "--show-toplevel")
    return Path(line) if line else None


def actor(environ: Mapping[str, str] = os.environ) -> str | None:
    """Who ran the command: GITHUB_ACTOR, else USER, else the login name."""
    for name in ("GITHUB_ACTOR", "USER"):
        if environ.get(name):
            return environ[name]
    try:
        return getpass.getuser() or None
    except Exception:  # getuser raises KeyError or OSError when no name is known
        return None


def branch(root: Path, environ: Mapping[str, str] = os.environ) -> str | None:
    """The branch the command runs on: the pull request's head branch or the pushed branch in
    GitHub Actions, else git's current branch; None when detached or unknown."""
    if environ.get("GITHUB_ACTIONS") == "true":
        for name in ("GITHUB_HEAD_REF", "GITHUB_REF_NAME"):
            if environ.get(name, "").strip():
                return environ[name].strip()
    return _git_line(root, "symbolic-ref", "--quiet", "--short", "HEAD")


def new_run_id(moment: dt.datetime) -> str:
    """``20261124T060000Z-1a2b3c4d``: when, and 32 random bits, so that runs on any number of
    branches never share a name."""
    return f"{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def ci_run_url(environ: Mapping[str, str] = os.environ) -> str | None:
    """The GitHub Actions run's URL when running there, else None."""
    if environ.get("GITHUB_ACTIONS") != "true":
        return None
    server = environ.get("GITHUB_SERVER_URL", "").rstrip("/")
    repo, run_id = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
    if not (server.startswith(("https://", "http://")) and repo and run_id):
        return None
    return f"{server}/{repo}/actions/runs/{run_id}"


def artefact_path(root: Path, path: Path | str) -> str:
    """``path`` (relative to ``root`` or absolute) as a posix path relative to root.

    Symlinks are resolved: a file whose real location is outside the repository is refused.
    """
    given = Path(path)
    shown = given.as_posix()
    real_root = root.resolve()
    real = (given if given.is_absolute() else root / given).resolve()
    if not within(str(real), str(real_root)):
        raise OpsError(
            "resolves outside the repository; only files inside it can be evidence", path=shown
        )
    if not real.is_file():
        raise OpsError("does not exist or is not a file", path=shown)
    return real.relative_to(real_root).as_posix()


def make_entry(
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
    """One run.log entry. Reads only GITHUB_ACTOR, USER, and the GITHUB_* run coordinates."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    paths = list(dict.fromkeys(artefact_path(root, p) for p in artefacts))
    real_root = root.resolve()
    entry: dict[str, Any] = {
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": "ops",
        "version": __version__,
        "project": project,
        "command": command,
        "result": result,
        "summary": summary,
        "artefacts": [{"path": p, "sha256": sha256_file(real_root / p)} for p in paths],
        "git_commit": git_commit(root),
        "actor": actor(),
        "ci_run_url": ci_run_url(),
        "branch": branch(root),
        "run_id": new_run_id(moment),
    }
    if as_of is not None:
        entry["as_of"] = as_of
    if criteria is not None:
        entry["criteria"] = criteria
    return entry


# --- validation -----------------------------------------------------------------------------


def schema_error(value: Any) -> ValidationError | None:
    """The most relevant reason ``value`` is not a valid entry, or None."""
    if fast_validator(SCHEMA).is_valid(value):  # compiled; python-jsonschema only explains
        return None
    from jsonschema.exceptions import best_match

    error: ValidationError | None = best_match(validator(SCHEMA).iter_errors(value))
    return error


def error_message(error: ValidationError) -> str:
    """The schema's own wording (``x-message``) when it has one."""
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    return f"{error.instance!r} {custom}" if isinstance(custom, str) else error.message


# --- appending ------------------------------------------------------------------------------


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold an exclusive lock on the evidence folder for the duration of the block.

    The lock (flock) is on the folder that holds run.log and its derived files, so every
    process that writes the evidence excludes every other, whoever runs it, and no lock file
    is left behind in the repository.
    """
    folder = writable(root, EVIDENCE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OpsError(
                        f"could not lock {RUN_LOG} within {LOCK_TIMEOUT_SECONDS} s; "
                        "is another ops run stuck?"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def encode(entry: dict[str, Any]) -> bytes:
    """``entry`` as one run.log line; ValueError when it is not a valid entry."""
    error = schema_error(entry)
    if error is not None:
        where = json_path(list(error.absolute_path))
        raise ValueError(f"invalid run.log entry: {where}: {error.message}")
    text = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"invalid run.log entry: not encodable as UTF-8: {e}") from None


def append_locked(root: Path, entry: dict[str, Any]) -> None:
    """Append ``entry``; the caller holds :func:`locked`."""
    append_lines_locked(root, [encode(entry)])


def append_lines_locked(root: Path, lines: Sequence[bytes]) -> None:
    """Append encoded lines in one write; the caller holds :func:`locked`."""
    line = b"".join(lines)
    path = writable(root, RUN_LOG)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # never through a link (written in since the check above), never into a pipe
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as e:
        raise OpsError(f"cannot append: {e.strerror or e}", path=RUN_LOG) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise OpsError("is not a regular file (a pipe, socket or device?)", path=RUN_LOG)
    with os.fdopen(fd, "r+b") as f:
        if st.st_size > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                # A hand edit lost the final newline: end that line, never rewrite it.
                line = b"\n" + line
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def append(root: Path, entry: dict[str, Any]) -> None:
    """Validate ``entry`` (ValueError if invalid), then append it as one line under the lock."""
    encode(entry)  # fail before taking the lock
    with locked(root):
        append_locked(root, entry)


# --- reading --------------------------------------------------------------------------------


def split_lines(data: bytes) -> list[bytes]:
    """The lines of ``data`` without their newlines (a missing final newline is tolerated)."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def parse_line(number: int, raw: bytes) -> LogLine:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return LogLine(number, raw.decode("utf-8", "replace"), None, "line is not valid UTF-8")
    if not text.strip():
        return LogLine(number, text, None, "line is empty; every line is one JSON object")
    try:
        value = jsonload.loads(text, unique_keys=True)
    except (jsonload.TooDeep, jsonload.DuplicateKey) as e:
        return LogLine(number, text, None, f"line is not a run.log entry: {e}")
    except ValueError as e:
        msg = getattr(e, "msg", str(e))
        return LogLine(number, text, None, f"line is not valid JSON: {msg}")
    if not isinstance(value, dict):
        return LogLine(number, text, None, "line is not a JSON object")
    error = schema_error(value)
    if error is not None:
        return LogLine(
            number, text, None, error_message(error), json_path(list(error.absolute_path))
        )
    return LogLine(number, text, value, None)


def parse(data: bytes) -> list[LogLine]:
    return [parse_line(n, raw) for n, raw in enumerate(split_lines(data), 1)]


def read(root: Path) -> list[LogLine]:
    """Every line of run.log (none when it does not exist yet)."""
    from checks.evidence import files

    data = files.read(root, RUN_LOG)
    return [] if data is None else parse(data)
