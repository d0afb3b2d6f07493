"""The dependency updates of a range of commits, from the lockfiles each commit changed.

The range's commits are walked oldest first along the first parent (a merge counts as the
commit that brought its branch in); each lockfile a commit changed is read before and after
it, and the difference is that commit's updates. Blobs are read by their ids (``git
cat-file``), never from the working tree, so only what git holds is read.

What a range costs is bounded: only the last reading of each lockfile is kept in memory, the
bytes parsed over the range are capped (``MAX_READ``), and so are its commits and updates;
each refusal names the commit where the range went over and how to narrow it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from checks import lockfiles
from checks.errors import OpsError
from checks.lockfiles.base import FormatError, Versions
from checks.lockfiles.diff import NOT_COMPARABLE, Update, diff

MAX_COMMITS = 5000
MAX_UPDATES = 2000  # a log longer than this is not reviewed: split the range
MAX_READ = 512 * 1024 * 1024  # lockfile bytes parsed over one range: bounds time and memory
TIMEOUT = 120  # seconds, for each git command
_NO_BLOB = "0" * 40
_FILE_MODES = ("100644", "100755")


class _Reader:
    """Lockfile blobs read and parsed, with what that costs bounded.

    Only the last reading of each path is kept: along the first parent, a commit's "before"
    of a path is the "after" of the last commit that changed it, so it is reused rather than
    parsed again, and older readings are dropped. The bytes parsed over the whole range are
    counted and capped at ``MAX_READ``.
    """

    def __init__(self, root: Path, spec: str) -> None:
        self.root = root
        self.spec = spec
        self.opened: str | None = None  # the first commit whose lockfiles were read
        self.last: dict[str, tuple[str, Versions]] = {}  # path -> (blob, its reading)
        self.parsed = 0  # bytes

    def before(
        self, path: str, module: ModuleType, blob: str, commit: str, parent: str | None
    ) -> Versions:
        kept = self.last.get(path)
        if kept is not None and kept[0] == blob:
            return kept[1]
        return self._read(path, module, blob, commit, parent or commit)

    def after(self, path: str, module: ModuleType, blob: str, commit: str) -> Versions:
        self.last.pop(path, None)  # dropped before the next reading is made
        found = self._read(path, module, blob, commit, commit)
        if blob != _NO_BLOB:
            self.last[path] = (blob, found)
        return found

    def _read(self, path: str, module: ModuleType, blob: str, commit: str, at: str) -> Versions:
        """``blob``, the file ``path`` in commit ``at``, read for the updates of ``commit``."""
        if blob == _NO_BLOB:
            return {}
        size = int(_out(self.root, "cat-file", "-s", blob))
        if size > lockfiles.MAX_BYTES:
            limit = lockfiles.MAX_BYTES // (1024 * 1024)
            raise OpsError(f"is larger than {limit} MiB in commit {at[:12]}; not read", path=path)
        self.parsed += size
        self.opened = self.opened or commit
        if self.parsed > MAX_READ:
            raise OpsError(
                f"--from-git {self.spec}: its lockfiles add up to more than "
                f"{_size(MAX_READ)} to read (reached at {path} in commit "
                f"{commit[:12]}): too much for one log; "
                + _way_out(self.spec, commit, alone=commit == self.opened)
            )
        return _parsed(module, _out(self.root, "cat-file", "blob", blob), path, at)


def updates(root: Path, spec: str) -> list[dict[str, Any]]:
    """The updates of ``spec`` (``REV1..REV2``) as dependency-log entries, oldest first."""
    start, end = _range(root, spec)
    commits = _commits(root, start, end, spec)
    reader = _Reader(root, spec)
    out: list[dict[str, Any]] = []
    for commit, parent in commits:
        found: list[dict[str, Any]] = []  # this commit's
        for path, module, old, new in _changed(root, commit, parent):
            changes = diff(
                reader.before(path, module, old, commit, parent),
                reader.after(path, module, new, commit),
            )
            found += [entry(u, commit, path) for u in changes]
            if len(out) + len(found) > MAX_UPDATES:
                alone = len(found) > MAX_UPDATES
                why = f" ({len(changes)} in {path}: a lockfile added whole?)" if alone else ""
                raise OpsError(
                    f"--from-git {spec} holds more than {MAX_UPDATES} dependency updates{why}:"
                    " too many to review in one log; " + _way_out(spec, commit, alone=alone)
                )
        out += found
    return out


def _size(count: int) -> str:
    """A byte count as the messages show it: in MiB when it is whole MiB."""
    mib = 1024 * 1024
    return f"{count // mib} MiB" if count >= mib and not count % mib else f"{count:,} bytes"


def _way_out(spec: str, commit: str, *, alone: bool) -> str:
    """How to narrow ``spec`` around ``commit``, the commit where it went over a bound: split
    it before that commit or, when the commit alone is over, start the range after it."""
    first, last = spec.split("..")
    short = commit[:12]
    if alone:
        return (
            f"commit {short} alone is over: start the range after it ({short}..{last}) and "
            "say in the log's Summary what that commit brought in"
        )
    return f"split it before commit {short}: {first}..{short}~1 and {short}~1..{last}"


def entry(update: Update, commit: str, path: str) -> dict[str, Any]:
    """One dependency-log ``updates`` item."""
    item: dict[str, Any] = {"package": update.package, "ecosystem": update.ecosystem}
    if update.old is not None:
        item["from"] = update.old
    if update.new is not None:
        item["to"] = update.new
    item["change"] = update.change
    item["commit"] = commit
    note = f"lockfile {path}" + (f"; {NOT_COMPARABLE}" if update.note else "")
    item["notes"] = note
    return item


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=root,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=TIMEOUT,
            check=False,
        )
    except OSError as e:
        raise OpsError(f"cannot run git ({e.strerror}); --from-git needs git") from None
    except subprocess.TimeoutExpired:
        raise OpsError(f"git {args[0]} took more than {TIMEOUT} seconds; stopped") from None


def _out(root: Path, *args: str) -> bytes:
    done = _git(root, *args)
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OpsError(f"git {args[0]} failed: {reason[-1] if reason else done.returncode}")
    return done.stdout


def _range(root: Path, spec: str) -> tuple[str, str]:
    """The two commits of ``REV1..REV2``; OpsError saying what is wrong otherwise."""
    parts = spec.split("..")
    if len(parts) != 2 or not all(parts) or any(p.startswith(("-", ".")) for p in parts):
        raise OpsError(f"--from-git {spec!r} must be REV1..REV2, such as v1.4.0..HEAD")
    if _git(root, "rev-parse", "--git-dir").returncode != 0:
        raise OpsError(f"{root} is not a git repository; --from-git needs one")
    resolved = []
    for rev in parts:
        done = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if done.returncode != 0:
            raise OpsError(
                f"--from-git {spec}: {rev!r} is no branch, tag or commit here; fetch it first "
                "(for example: git fetch --tags) or name an existing one"
            )
        resolved.append(done.stdout.decode().strip())
    return resolved[0], resolved[1]


def _commits(root: Path, start: str, end: str, spec: str) -> list[tuple[str, str | None]]:
    """(commit, first parent or None) of the range, oldest first."""
    count = int(_out(root, "rev-list", "--first-parent", "--count", end, f"^{start}"))
    if count == 0:
        raise OpsError(
            f"--from-git {spec} holds no commits; name the older commit first (REV1..REV2)"
        )
    if count > MAX_COMMITS:
        raise OpsError(f"--from-git {spec} holds {count} commits, more than {MAX_COMMITS}")
    lines = _out(root, "rev-list", "--first-parent", "--reverse", "--parents", end, f"^{start}")
    out: list[tuple[str, str | None]] = []
    for line in lines.decode().split("\n"):
        if line:
            shas = line.split()
            out.append((shas[0], shas[1] if len(shas) > 1 else None))
    return out


def _changed(
    root: Path, commit: str, parent: str | None
) -> Iterator[tuple[str, ModuleType, str, str]]:
    """(path, format, old blob, new blob) of each lockfile ``commit`` changed."""
    base = [parent, commit] if parent else ["--root", commit]
    raw = _out(root, "diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", *base)
    fields = raw.split(b"\0")
    for meta, name in zip(fields[0::2], fields[1::2], strict=False):
        path = name.decode("utf-8", "surrogateescape")
        module = lockfiles.format_for(path)
        if module is None:
            continue
        old_mode, new_mode, old, new = meta.decode().lstrip(":").split()[:4]
        for mode, blob in ((old_mode, old), (new_mode, new)):
            if blob != _NO_BLOB and mode not in _FILE_MODES:
                raise OpsError(
                    f"is not a regular file in commit {commit[:12]} (git mode {mode}); "
                    "ops reads lockfiles only as files",
                    path=path,
                )
        yield path, module, old, new


def _parsed(module: ModuleType, data: bytes, path: str, commit: str) -> Versions:
    """``data`` read as ``module``'s format; OpsError naming the file, line and commit."""
    try:
        return lockfiles.read(module, data)
    except FormatError as e:
        raise OpsError(
            f"expected {module.EXPECTED}; {e.message} (the file in commit {commit[:12]}; "
            "nothing written)",
            path=path,
            line=e.line,
        ) from None
