"""Where the evidence lives, and how a file is hashed.

The trail has two parts. What people and CI run leaves one file per run in ``pending/``: a new
file with a name of its own, so that any number of branches add runs without ever touching the
same file. ``ops evidence fold`` (the default branch's evidence workflow, after each merge)
appends the pending runs to ``run.log`` and rebuilds what is derived from the trail and the tree:
``manifest.json`` (an index of shards under ``manifest/``) and ``validation.md``. Only the default
branch changes those, so pull requests never conflict on them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# Posix paths relative to the repository root: also what messages show.
EVIDENCE_DIR = "evidence/phase6"
RUN_LOG = f"{EVIDENCE_DIR}/run.log"
MANIFEST = f"{EVIDENCE_DIR}/manifest.json"
SHARD_DIR = f"{EVIDENCE_DIR}/manifest"
VALIDATION_MD = f"{EVIDENCE_DIR}/validation.md"
PENDING_DIR = f"{EVIDENCE_DIR}/pending"
DERIVED = (MANIFEST, VALIDATION_MD)  # and the shards under SHARD_DIR


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


MAX_BYTES = 100 * 1024 * 1024  # run.log grows by a line per run; this is decades of runs


def read(root: Path, rel: str, max_bytes: int = MAX_BYTES) -> bytes | None:
    """An evidence file's bytes, or None when it does not exist yet. Like a record, it must be a
    regular file (never read through a link, never a pipe) of a bounded size: OpsError else."""
    from checks.document import DocumentError, read_file
    from checks.errors import OpsError

    try:
        return read_file(root / rel, max_bytes, "evidence files are limited to {max} bytes")[0]
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise OpsError("a folder on its path is a file", path=rel) from None
    except DocumentError as e:
        raise OpsError(e.message, path=rel) from None
