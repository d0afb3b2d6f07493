"""Checking files one by one, in this process and in worker processes.

A worker reads the files it is given, so that document bytes cross between
processes only for the few files the parent had to read to compare with the
cache; the parent checks a share itself instead of waiting.
"""

from __future__ import annotations

import gc
import os
from typing import NamedTuple

from checks.document import DocumentError, read_file
from checks.findings import Finding
from checks.tree import Target
from checks.validation.cache import Signature, content_hash, signature
from checks.validation.crossdoc import Facts

PARALLEL_MIN = 400  # below this, starting a worker costs more than it saves


class Work(NamedTuple):
    target: Target
    full: str  # where to read it
    raw: bytes | None = None  # already read (or about to be written: ops new)
    digest: str | None = None
    sig: Signature | None = None


class Outcome(NamedTuple):
    findings: list[Finding]
    facts: Facts
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
    return Outcome([finding], {"parsed": False}, None, None)


def check_many(items: list[Work]) -> list[Outcome]:
    """Check each item. Automatic garbage collection is paused meanwhile: the batch makes
    millions of short-lived YAML nodes and no cycles, and each collection would walk every
    result gathered so far (a fifth of the time on 10,000 documents)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _check_many(items)
    finally:
        if was_enabled:
            gc.enable()


def _check_many(items: list[Work]) -> list[Outcome]:
    from checks.validation.perfile import check

    out: list[Outcome] = []
    for work in items:
        raw, digest, sig = work.raw, work.digest, work.sig
        if raw is None:
            got = read_target(work.target, work.full)
            if isinstance(got, Outcome):
                out.append(got)
                continue
            raw, st = got
            digest, sig = content_hash(raw), signature(st)
        findings, facts = check(work.target, raw)
        out.append(Outcome(findings, facts, digest, sig))
    return out


def run(items: list[Work]) -> list[Outcome]:
    """``check_many`` over all items, split across the machine's cores when there are many."""
    processes = min(os.cpu_count() or 1, 4)
    if len(items) < PARALLEL_MIN or processes < 2:
        return check_many(items)
    from concurrent.futures import ProcessPoolExecutor

    from checks.validation.perfile import prepare

    prepare()  # compile once here; forked workers inherit it
    chunks = [items[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(max_workers=processes - 1) as pool:
        futures = [pool.submit(check_many, chunk) for chunk in chunks[1:]]
        parts = [check_many(chunks[0]), *(f.result() for f in futures)]
    out: list[Outcome | None] = [None] * len(items)
    for first, part in enumerate(parts):  # undo the round-robin split
        out[first::processes] = part
    return [o for o in out if o is not None]
