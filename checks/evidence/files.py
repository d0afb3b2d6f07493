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
