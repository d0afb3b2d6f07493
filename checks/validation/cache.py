"""A cache of results, per project, outside the repository (checks.scratch).

An entry is used only when the file is unchanged and so is everything its result depends
on: the schemas, the templates, this package's code and the libraries (any change gives a
new key, and every entry is dropped). A file is unchanged when its bytes hash the same; to
avoid reading it at all, an entry also keeps the file's stat signature (size, mtime, ctime,
inode), as git's index does, but only for files last modified more than two seconds before
they were read, so that an edit in the same clock tick cannot go unnoticed. What follows from
a whole project (the cross-document findings; the gate's rule findings on a date) is kept
under the key of every file's digest: it is used again only when no file of the project, nor
anything else it depends on, changed.
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

from checks import atomic
from checks.resources import schemas_dir, templates_dir
from checks.scratch import scratch_dir

VERSION = 7  # 7: per group an index and data (with digests); memos of the cross rules, the gate
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


def code_key() -> str:
    """Changes whenever anything a single-file result depends on changes: the code, the
    schemas and templates it is installed with, and the repository's settings and templates."""
    from checks import repo

    return _code_key() + repo.active().key


@functools.cache
def _code_key() -> str:
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


def group_of(rel: str) -> str:
    """Entries are kept per project (ops/<project>/...), so one project's check loads one
    project's files; everything else (the templates) is "_other"."""
    parts = rel.split("/", 2)
    return parts[1] if parts[0] == "ops" and len(parts) > 2 else "_other"


INDEX, DATA = "index", "data"


class ProjectCache:
    """One group's cache, in two files of the scratch folder, each read only when needed:

    - ``<group>.index.json``: per file its digest (SHA-256), its own findings and its stat
      signature; and two memos: the cross-document findings of the whole group, and the rule
      findings of the project on a date, each under the key of what they were computed from.
      A run where nothing changed reads only this file;
    - ``<group>.data.json``: per file its data (front matter, project.yaml) with the digest of
      the bytes it was read from (used only while the index says the same), from which the
      cross-document rules and the gate's rules read what they need without parsing a file
      again (read when a file of the project changed, or the gate judges a new date).

    A file that is missing, from another version of ops, or not what ops writes is a miss:
    the cache only ever costs speed."""

    def __init__(self, root: Path, group: str, enabled: bool = True) -> None:
        self.group = group
        self.folder: Path | None = None
        if enabled:
            scratch = scratch_dir(root)  # None: no private cache folder; slower, never wrong
            self.folder = scratch / "validate" if scratch is not None else None
        self._parts: dict[str, dict[str, Any]] = {}

    def _read(self, part: str) -> dict[str, Any]:
        if part not in self._parts:
            self._parts[part] = self._load(part)
        return self._parts[part]

    def _load(self, part: str) -> dict[str, Any]:
        if self.folder is None:
            return {}
        try:  # our own file in a private folder: plain json (a RecursionError is a miss too)
            data = json.loads((self.folder / f"{self.group}.{part}.json").read_bytes())
        except (OSError, ValueError, RecursionError):
            return {}
        if isinstance(data, dict) and data.get("key") == code_key():
            body = data.get("body")
            if isinstance(body, dict):
                return body
        return {}

    def index(self) -> dict[str, Any]:
        """{"entries": {rel: [digest, findings, signature]}, "cross": [key, findings],
        "rules": [key, findings]}; parts missing when unknown."""
        return self._read(INDEX)

    def data(self) -> dict[str, Any]:
        return self._read(DATA)

    def save(self, part: str, body: dict[str, Any]) -> None:
        self._parts[part] = body
        if self.folder is None:
            return
        # A cache that cannot be written only costs speed.
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic.write_bytes(
                self.folder / f"{self.group}.{part}.json",
                json.dumps({"key": code_key(), "body": body}, separators=(",", ":")).encode(),
                durable=False,  # a lost cache file is only a slower next run
            )


class KnownDigests:
    """The SHA-256 of files the validation cache saw as they are now (the evidence manifest
    takes them from here instead of reading every file again)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.groups: dict[str, dict[str, Any]] = {}

    def sha256(self, rel: str, st: os.stat_result) -> str | None:
        group = group_of(rel)
        if group not in self.groups:
            self.groups[group] = ProjectCache(self.root, group).index().get("entries", {})
        entry = self.groups[group].get(rel)
        if not isinstance(entry, list) or len(entry) != 3 or entry[2] != stat_key(st):
            return None
        return str(entry[0])
