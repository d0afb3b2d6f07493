"""The output folder: the only writer of the site.

The site is built in a new folder beside the target and swapped in at the end: a failure
leaves the previous site as it was, and a reader never sees half of one. A folder is replaced
only when ``ops site`` made it (it holds :data:`MARKER`) or when it is empty; never one inside
the repository's own folders (checks.outputs), the repository itself, or one of its parents.
"""

from __future__ import annotations

import contextlib
import os
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
    """``build(folder)`` into a new folder beside ``target``, then that folder swapped in."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as e:
        raise OpsError(f"{option}: cannot make a folder beside {target}: {e.strerror}") from None
    try:
        result = build(folder)
        (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        os.chmod(folder, 0o755)
        _replaceable(target, option)  # again: something may have appeared meanwhile
        _swap(folder, target)
    except OSError as e:
        raise OpsError(f"{option}: cannot write the site: {e.strerror or e}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # gone already when it was swapped in
    return result


def _swap(folder: Path, target: Path) -> None:
    if not os.path.lexists(target):
        os.rename(folder, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
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
