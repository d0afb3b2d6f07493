"""Checking files one by one (checks.validation.jobs spreads the projects over processes)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from typing import Any, NamedTuple

from checks.document import DocumentError, read_file
from checks.findings import Finding
from checks.tree import Target
from checks.validation.cache import Signature, content_hash, signature


class Work(NamedTuple):
    target: Target
    full: str  # where to read it
    raw: bytes | None = None  # already read (or about to be written: ops new)
    digest: str | None = None
    sig: Signature | None = None


class Outcome(NamedTuple):
    findings: list[Finding]
    data: dict[str, Any] | None  # the file's data (None: unreadable, or a template)
    digest: str | None  # None: nothing to cache (the file could not be read)
    sig: Signature | None


def read_target(target: Target, full: str) -> tuple[bytes, os.stat_result] | Outcome:
    """The file's bytes and stat, or the outcome of a file that cannot be read."""
    try:
        return read_file(full)
    except FileNotFoundError:
        message, line = "no such file (removed while ops was reading?)", 1
    except DocumentError as e:
        message, line = e.message, e.line
    finding = Finding(target.rel, line, None, message, rule="parse")
    return Outcome([finding], None, None, None)


def check_many(items: list[Work], tick: Callable[[int], None] | None = None) -> list[Outcome]:
    """Check each item (``tick(1)`` after each, when progress is shown). Automatic garbage
    collection is paused meanwhile: the batch makes millions of short-lived YAML nodes and no
    cycles, and each collection would walk every result gathered so far (a fifth of the time
    on 10,000 documents)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _check_many(items, tick)
    finally:
        if was_enabled:
            gc.enable()


def _check_many(items: list[Work], tick: Callable[[int], None] | None) -> list[Outcome]:
    from checks.validation.perfile import check

    out: list[Outcome] = []
    for work in items:
        raw, digest, sig = work.raw, work.digest, work.sig
        if raw is None:
            got = read_target(work.target, work.full)
            if isinstance(got, Outcome):
                out.append(got)
            else:
                raw, st = got
                digest, sig = content_hash(raw), signature(st)
        if raw is not None:
            findings, data = check(work.target, raw)
            out.append(Outcome(findings, data, digest, sig))
        if tick is not None:
            tick(1)
    return out
