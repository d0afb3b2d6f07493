"""The output folder: the only writer of the site.

The site is built in a new folder beside the target and swapped in at the end: a failure
leaves the previous site as it was, and a reader never sees half of one. A folder is replaced
only when ``ops site`` made it (it holds :data:`MARKER`) or when it is empty; never one inside
the repository's own folders (checks.outputs), the repository itself, or one of its parents.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import TypeVar

from checks.errors import OpsError

MARKER = ".ops-site"
MARKER_TEXT = "Made by ops site, which replaces this folder whole each time it runs.\n"
# in a folder while a build writes it, locked by that build, and gone from the site it swaps in:
# a folder that holds it unlocked is one a killed build left (a copy of a site never holds it)
BUILDING = ".ops-site-building"
ASSETS = ("style.css",)
T = TypeVar("T")


def check_target(out: Path, root: Path, option: str) -> Path:
    """The folder to replace, absolute; OpsError when it must not be."""
    from checks import outputs

    target = out.parent.resolve() / out.name if out.name not in ("", ".", "..") else out.resolve()
    _folder_or_nothing(target, option)
    outputs.check_target(str(target / "index.html"), root, option)
    top = root.resolve()
    if target == top or top.is_relative_to(target):
        raise OpsError(
            f"{option}: {target} holds the repository; the site goes in a folder of its own "
            "(the default is site/)"
        )
    _replaceable(target, option)
    return target


def _folder_or_nothing(target: Path, option: str) -> bool:
    """Whether ``target`` exists; OpsError unless it is a folder (a link is never followed)."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return False
    except OSError as e:
        raise OpsError(f"{option}: cannot look at {target}: {e.strerror}") from None
    if stat.S_ISLNK(mode):
        raise OpsError(f"{option}: {target} is a link; name the folder itself")
    if not stat.S_ISDIR(mode):
        raise OpsError(f"{option}: {target} exists and is not a folder; choose another --out")
    return True


def _replaceable(target: Path, option: str) -> None:
    """OpsError unless ``target`` is nothing, an empty folder or a site ops site made."""
    if not _folder_or_nothing(target, option):
        return
    marker = target / MARKER
    if any(target.iterdir()) and not (marker.is_file() and not marker.is_symlink()):
        raise OpsError(
            f"{option}: {target} is a folder that ops site did not make (it has no {MARKER}); "
            "ops site replaces its folder whole, so choose another --out, or empty it first"
        )


def publish(target: Path, option: str, build: Callable[[Path], T]) -> T:
    """``build(folder)`` into a new folder beside ``target``, then that folder swapped in.
    The folders an earlier build left there (killed before it could remove them) go first."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(target)
        folder, lock = _own_folder(target, ".tmp")
    except OSError as e:
        raise OpsError(f"{option}: cannot make a folder beside {target}: {e.strerror}") from None
    try:
        result = build(folder)
        os.chmod(folder, 0o755)
        os.unlink(folder / BUILDING)  # the lock stays with the descriptor until the end
        _replaceable(target, option)  # again: something may have appeared meanwhile
        _swap(folder, target)
    except OSError as e:
        raise OpsError(f"{option}: cannot write the site: {e.strerror or e}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # gone already when it was swapped in
        os.close(lock)
    return result


def _own_folder(target: Path, suffix: str) -> tuple[Path, int]:
    """A new folder beside ``target`` (``.site.<8 random characters>.tmp``) holding
    :data:`MARKER` and :data:`BUILDING`, and the latter's descriptor, locked for as long as it
    is open: the folder of a build that is running. The lock ends with the process, however it
    ends."""
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        lock = os.open(folder / BUILDING, flags, 0o644)
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(lock, f"ops site is building this folder (pid {os.getpid()})\n".encode())
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, lock


def remove_stale(target: Path) -> list[Path]:
    """Remove the folders that a build of ``target`` left beside it when it was killed: only
    those named as :func:`_own_folder` names them, that hold :data:`BUILDING` (a file, not a
    link) and whose build is no longer running (it is not locked). Never a finished site, nor
    a copy of one: they hold no BUILDING. Nothing else."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[A-Za-z0-9_]{{8}}\.(?:tmp|old)")
    removed = []
    for entry in os.scandir(target.parent):
        if pattern.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
            path = Path(entry.path)
            if _abandoned(path / BUILDING):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _abandoned(marker: Path) -> bool:
    try:
        fd = os.open(marker, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False  # none, a link, unreadable: not ours to remove
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # locked: its build is running
    finally:
        os.close(fd)
    return True


def _swap(folder: Path, target: Path) -> None:
    if not os.path.lexists(target):
        os.rename(folder, target)
        return
    old, lock = _own_folder(target, ".old")
    try:
        os.rename(target, old / "site")
        try:
            os.rename(folder, target)
        except OSError:
            os.rename(old / "site", target)  # put the previous site back
            raise
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
        os.close(lock)


def files(out: Path, pages: Mapping[str, str]) -> None:
    """Write ``pages`` (site path -> text) under ``out``, a folder this build made."""
    made: set[Path] = set()
    for path, text in sorted(pages.items()):
        full = out / path
        if full.parent not in made:
            full.parent.mkdir(parents=True, exist_ok=True)
            made.add(full.parent)
        full.write_bytes(text.encode("utf-8", "replace"))


def assets(out: Path) -> None:
    """The style sheet and .nojekyll (GitHub Pages serves the folder as it is)."""
    package = resources.files("checks.site")
    for name in ASSETS:
        (out / name).write_bytes(package.joinpath(name).read_bytes())
    (out / ".nojekyll").write_bytes(b"")
