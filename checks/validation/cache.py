"""A content-hash cache of single-file results.

An entry is used only when the file's bytes, its path, the schemas, the
templates, this package's code and the library versions are all unchanged:
any of those changing gives a new key, and the whole cache is dropped.
Cross-document rules are never cached: they run on every call.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from checks import atomic
from checks.errors import OpsError
from checks.resources import schemas_dir, templates_dir
from checks.scratch import scratch_dir

CACHE_FILE = "validate.json"
_PACKAGE = Path(__file__).resolve().parent.parent


def content_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


@functools.cache
def code_key() -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(sys.version.encode())
    for dist in ("PyYAML", "jsonschema", "referencing"):
        try:
            digest.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(dist.encode())
    files = [
        *sorted(_PACKAGE.rglob("*.py")),
        *sorted(schemas_dir().glob("*.json")),
        *sorted(templates_dir().glob("*.md")),
    ]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class Cache:
    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.path = Path(os.devnull)
        if enabled:
            try:
                self.path = scratch_dir(root) / CACHE_FILE
            except OpsError:  # no writable cache folder: slower, never wrong
                enabled = False
        self.enabled = enabled
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("key") == code_key():
            entries = data.get("entries")
            if isinstance(entries, dict):
                self.entries = entries

    def get(self, rel: str, digest: str) -> list[Any] | None:
        entry = self.entries.get(rel)
        if entry is not None and entry[0] == digest:
            return entry
        return None

    def put(self, rel: str, digest: str, findings: list[Any], facts: dict[str, Any]) -> None:
        self.entries[rel] = [digest, findings, facts]
        self.dirty = True

    def save(self) -> None:
        if not (self.enabled and self.dirty):
            return
        data = {"key": code_key(), "entries": self.entries}
        # A cache that cannot be written (read-only checkout) only costs speed.
        with contextlib.suppress(OSError):
            atomic.write_bytes(self.path, json.dumps(data, separators=(",", ":")).encode())
