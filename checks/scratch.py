"""A private scratch folder per repository, outside it: the validation cache.

It lives in the user's cache (``$XDG_CACHE_HOME``, default ``~/.cache``), keyed by the
repository's real path. Outside the repository, so that a pull request can neither plant a
cache that hides an error nor a symlink that redirects our writes, and no consumer
repository ever sees a stray file.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

APP = "operations-protocol"


def scratch_dir(root: Path) -> Path | None:
    """The folder, or None when no private writable one can be had (then nothing is cached)."""
    key = hashlib.blake2b(os.path.realpath(root).encode(), digest_size=8).hexdigest()
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates = [
        Path(cache_home) / APP / key,
        Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}" / key,
    ]
    for path in candidates:
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            if _private(path.parent) and _private(path):
                return path
        except OSError:
            continue
    return None


def _private(path: Path) -> bool:
    """Ours alone: not a symlink, owned by us, writable by nobody else (the /tmp fallback)."""
    st = os.lstat(path)
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022
