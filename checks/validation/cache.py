"""A cache of single-file results, one file per project, outside the repository.

An entry is used only when the file is unchanged and so is everything its
result depends on: the schemas, the templates, this package's code and the
libraries (any change gives a new key, and every entry is dropped). A file is
unchanged when its bytes hash the same; to avoid reading it at all, an entry
also keeps the file's stat signature (size, mtime, ctime, inode), as git's
index does, but only for files last modified more than two seconds before
they were read, so that an edit in the same clock tick cannot go unnoticed.
Cross-document rules are never cached: they run on every call.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from checks import atomic, jsonload
from checks.resources import schemas_dir, templates_dir
from checks.scratch import scratch_dir

VERSION = 5  # 5: digests are SHA-256, shared with the evidence manifest
_PACKAGE = Path(__file__).resolve().parent.parent
_LIBRARIES = ("yaml", "yaml_rs", "jsonschema", "referencing", "jsonschema_rs", "markdown_it")
RACY_NS = 2_000_000_000

Signature = list[int]


def content_hash(raw: bytes) -> str:
    """SHA-256, the manifest's hash too: a rebuild takes the hashes of unchanged files here."""
    return hashlib.sha256(raw).hexdigest()


def stat_key(st: os.stat_result) -> Signature:
    """Size, modification and change times, inode: together they change when the bytes do."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def signature(st: os.stat_result) -> Signature | None:
    """The stat signature to trust next time, or None for a file modified just now."""
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < RACY_NS:
        return None
    return stat_key(st)


@functools.cache
def code_key() -> str:
    """Changes whenever anything a single-file result depends on changes."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{VERSION} {sys.version}".encode())
    for name in _LIBRARIES:  # where each library is installed, and when it was
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None and spec.origin else name
        with contextlib.suppress(OSError):
            st = os.stat(origin)
            origin += f" {st.st_size} {st.st_mtime_ns}"
        digest.update(origin.encode())
    files = [
        *sorted(_PACKAGE.rglob("*.py")),
        *sorted(schemas_dir().glob("*.json")),
        *sorted(templates_dir().glob("*.md")),
    ]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _group(rel: str) -> str:
    """Entries are kept per project (ops/<project>/...), so one file's check loads one project."""
    parts = rel.split("/", 2)
    return parts[1] if parts[0] == "ops" and len(parts) > 2 else "_other"


class Cache:
    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.folder: Path | None = None
        if enabled:
            scratch = scratch_dir(root)  # None: no private cache folder; slower, never wrong
            self.folder = scratch / "validate" if scratch is not None else None
        self.groups: dict[str, dict[str, list[Any]]] = {}
        self.dirty: set[str] = set()

    def _entries(self, group: str) -> dict[str, list[Any]]:
        entries = self.groups.get(group)
        if entries is None:
            entries = self.groups[group] = self._load(group)
        return entries

    def _load(self, group: str) -> dict[str, list[Any]]:
        if self.folder is None:
            return {}
        try:
            data = jsonload.loads((self.folder / f"{group}.json").read_bytes())
        except (OSError, ValueError):
            return {}
        if isinstance(data, dict) and data.get("key") == code_key():
            entries = data.get("entries")
            if isinstance(entries, dict):
                return entries
        return {}

    def entry(self, rel: str) -> list[Any] | None:
        """[digest, findings, facts, signature or None] for ``rel``, if cached."""
        return self._entries(_group(rel)).get(rel)

    def sha256(self, rel: str, st: os.stat_result) -> str | None:
        """The SHA-256 of ``rel`` when an entry saw the file as ``st`` says it is now."""
        entry = self.entry(rel)
        if entry is None or entry[3] is None or entry[3] != stat_key(st):
            return None
        return str(entry[0])

    def put(
        self,
        rel: str,
        digest: str,
        findings: list[Any],
        facts: dict[str, Any],
        sig: Signature | None,
    ) -> None:
        group = _group(rel)
        self._entries(group)[rel] = [digest, findings, facts, sig]
        self.dirty.add(group)

    def save(self) -> None:
        if self.folder is None:
            return
        key = code_key()
        # A cache that cannot be written only costs speed.
        with contextlib.suppress(OSError):
            self.folder.mkdir(exist_ok=True)
            for group in sorted(self.dirty):
                data = {"key": key, "entries": self.groups[group]}
                atomic.write_bytes(
                    self.folder / f"{group}.json",
                    json.dumps(data, separators=(",", ":")).encode(),
                    durable=False,  # a lost cache file is only a slower next run
                )
