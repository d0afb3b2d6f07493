"""Paths we write to: never through a symlink that leads out of the repository."""

from __future__ import annotations

import os
from pathlib import Path

from checks.errors import OpsError


def within(path: str, real_root: str) -> bool:
    return path == real_root or path.startswith(real_root.rstrip(os.sep) + os.sep)


def escaping_link(root: Path, rel: str) -> str | None:
    """The first component of ``rel`` that is a symlink out of the repository, or None."""
    real_root = os.path.realpath(root)
    parts = rel.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        full = os.path.join(root, prefix)
        if os.path.islink(full) and not within(os.path.realpath(full), real_root):
            return prefix
    return None


def writable(root: Path, rel: str) -> Path:
    """``root / rel``, refusing (OpsError) a path that a symlink leads out of the repository."""
    link = escaping_link(root, rel)
    if link is not None:
        raise OpsError(
            "is a symlink that points outside the repository; refusing to write through it",
            path=link,
        )
    return root / rel
