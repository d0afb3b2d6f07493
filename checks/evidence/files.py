"""Where the evidence lives, and how a file is hashed."""

from __future__ import annotations

import hashlib
from pathlib import Path

# Posix paths relative to the repository root: also what messages show.
EVIDENCE_DIR = "evidence/phase6"
RUN_LOG = f"{EVIDENCE_DIR}/run.log"
MANIFEST = f"{EVIDENCE_DIR}/manifest.json"
VALIDATION_MD = f"{EVIDENCE_DIR}/validation.md"


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


MAX_BYTES = 100 * 1024 * 1024  # run.log grows by a line per run; this is decades of runs


def read(root: Path, rel: str) -> bytes | None:
    """An evidence file's bytes, or None when it does not exist yet. Like a record, it must be a
    regular file (never read through a link, never a pipe) of a bounded size: OpsError else."""
    from checks.document import DocumentError, read_file
    from checks.errors import OpsError

    try:
        return read_file(root / rel, MAX_BYTES, "evidence files are limited to {max} bytes")[0]
    except FileNotFoundError:
        return None
    except DocumentError as e:
        raise OpsError(e.message, path=rel) from None
