"""A private scratch folder per repository, outside it: the validation cache and the run.log lock.

It lives in the user's cache (``$XDG_CACHE_HOME``, default ``~/.cache``), keyed by the
repository's real path. Outside the repository, so that a pull request can neither plant a
cache that hides an error nor a symlink that redirects our writes, and no consumer
repository ever sees a stray file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from checks.errors import OpsError

APP = "operations-protocol"


def scratch_dir(root: Path) -> Path:
    key = hashlib.blake2b(os.path.realpath(root).encode(), digest_size=8).hexdigest()
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates = [
        Path(cache_home) / APP / key,
        Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}" / key,
    ]
    for path in candidates:
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            continue
        return path
    raise OpsError(
        f"cannot create a scratch folder in {cache_home} or {tempfile.gettempdir()}; "
        "set XDG_CACHE_HOME to a writable folder"
    )
