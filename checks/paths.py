"""Paths we write to: never through a symlink, wherever it leads.

Under ops/ nothing may be a symlink (checks.tree); the evidence files are written like records.
A link inside the repository would let a pull request turn a write meant for run.log into one
into a record (or out of the repository), so no component of a path we write may be one.
"""

from __future__ import annotations

import os
from pathlib import Path

from checks.errors import OpsError


def within(path: str, real_root: str) -> bool:
    return path == real_root or path.startswith(real_root.rstrip(os.sep) + os.sep)


def first_link(root: Path, rel: str) -> str | None:
    """The first component of ``rel`` (under ``root``) that is a symlink, or None."""
    parts = rel.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if os.path.islink(os.path.join(root, prefix)):
            return prefix
    return None


def writable(root: Path, rel: str) -> Path:
    """``root / rel``, refusing (OpsError) a path with a symlink anywhere under ``root``."""
    link = first_link(root, rel)
    if link is not None:
        raise OpsError(
            "is a symlink; ops writes only regular files in regular folders: replace it with "
            "the file or folder itself",
            path=link,
        )
    return root / rel
