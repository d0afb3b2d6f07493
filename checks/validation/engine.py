"""Orchestration: choose targets, reuse what the cache knows, check the rest, then across."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from checks import document
from checks.document import Document, DocumentError
from checks.errors import OpsError
from checks.findings import Finding
from checks.paths import escaping_link
from checks.validation import targets as tg
from checks.validation import workers
from checks.validation.cache import Cache, content_hash, signature, stat_key
from checks.validation.select import resolve_paths
from checks.validation.targets import Facts, Target
from checks.validation.workers import Outcome, Work

OUTSIDE = (
    "is a symlink that points outside the repository; refusing to read it "
    "(replace it with the file itself)"
)
INSIDE_OUTSIDE = (
    "is inside {link}, a symlink that points outside the repository; refusing to read it "
    "(replace the link with the folder itself)"
)


class Result(NamedTuple):
    findings: list[Finding]
    checked: int


def _linked(rel: str, links: set[str]) -> bool:
    """Whether ``rel`` or one of its folders is a symlink (only those can leave the tree)."""
    if not links:
        return False
    parts = rel.split("/")
    return any("/".join(parts[:i]) in links for i in range(1, len(parts) + 1))


def _escape(root: Path, target: Target, links: set[str]) -> Outcome | None:
    link = escaping_link(root, target.rel) if _linked(target.rel, links) else None
    if link is None:
        return None
    message = OUTSIDE if link == target.rel else INSIDE_OUTSIDE.format(link=link)
    return Outcome(
        [Finding(target.rel, 1, None, message, rule="input")], {"parsed": False}, None, None
    )


def _from_cache(cache: Cache, target: Target, full: str) -> Outcome | Work:
    """The cached outcome when the file is unchanged, else the work to check it."""
    entry = cache.entry(target.rel)
    if entry is None:
        return Work(target, full)  # the worker reads it
    digest, findings, facts, sig = entry
    hit = Outcome([Finding(*f) for f in findings], facts, digest, sig)
    if sig is not None:
        try:
            st = os.stat(full)
        except OSError:
            st = None
        if st is not None and stat_key(st) == sig:
            return hit
    got = workers.read_target(target, full)
    if isinstance(got, Outcome):
        return got
    raw, st = got
    now_digest, now_sig = content_hash(raw), signature(st)
    if now_digest == digest:
        if now_sig != sig:  # same bytes, new stat (a checkout, a touch): trust it next time
            cache.put(target.rel, digest, findings, facts, now_sig)
        return hit
    return Work(target, full, raw, now_digest, now_sig)


def validate(
    root: Path,
    paths: Sequence[str] = (),
    *,
    use_cache: bool = True,
    contents: Mapping[str, bytes] | None = None,
) -> Result:
    """Validate the named paths (or the whole tree) and return every finding.

    ``contents`` maps relative paths to bytes to check instead of the files on
    disk: how ``ops new`` validates a document before it writes it.
    """
    contents = contents or {}
    if not root.is_dir():
        raise OpsError(f"repository root {root} is not a directory")
    if paths:
        requested, problems = resolve_paths(root, paths, frozenset(contents))
        links = {t.rel for t in requested}  # few files: check each one's real path
        context: list[Target] = []
        for project in sorted({t.project for t in requested if t.project}):
            scanned = tg.scan_project(root, project)
            context.extend(scanned.targets)
            links |= scanned.links
    else:
        tree = tg.scan_tree(root)
        requested, problems, links, context = tree.targets, [], tree.links, []
    everything = list(dict.fromkeys([*requested, *context]))
    cache = Cache(root, enabled=use_cache)
    results: dict[Target, Outcome] = {}
    todo: list[Work] = []
    for target in everything:
        if target.rel in contents:
            raw = contents[target.rel]
            todo.append(Work(target, "", raw, content_hash(raw)))
            continue
        known = _escape(root, target, links) or _from_cache(
            cache, target, os.path.join(root, target.rel)
        )
        if isinstance(known, Work):
            todo.append(known)
        else:
            results[target] = known
    for work, outcome in zip(todo, workers.run(todo), strict=True):
        results[work.target] = outcome
        if outcome.digest is not None and work.target.rel not in contents:
            cache.put(
                work.target.rel,
                outcome.digest,
                [list(f) for f in outcome.findings],
                outcome.facts,
                outcome.sig,
            )
    cache.save()
    out = list(problems)
    for target in requested:
        out.extend(results[target].findings)
    lines = Lines(root, contents)
    out.extend(_cross(everything, results, {t.rel for t in requested}, lines))
    present = sum(1 for t in requested if results[t].facts.get("present", True))
    return Result(out, present)


class Lines:
    """Line numbers for paths in documents, read again for the few findings that need one:
    the per-file checks keep paths, not lines, so they need not compose every document."""

    def __init__(self, root: Path, contents: Mapping[str, bytes]) -> None:
        self.root = root
        self.contents = contents
        self.docs: dict[str, Document | None] = {}

    def __call__(self, target: Target, path: list[str | int]) -> int:
        if target.rel not in self.docs:
            self.docs[target.rel] = self._read(target)
        doc = self.docs[target.rel]
        return 1 if doc is None else doc.line(path)

    def _read(self, target: Target) -> Document | None:
        try:
            raw = self.contents.get(target.rel)
            if raw is None:
                raw = document.read_file(self.root / target.rel)[0]
            text = document.decode(raw)
            if target.role == "project":
                return document.parse_yaml_file(text)
            return document.parse_front_matter(text)
        except (DocumentError, OSError):  # changed since it was checked: no line to give
            return None


def _cross(
    everything: list[Target],
    results: Mapping[Target, Outcome],
    wanted: set[str],
    lines: Lines,
) -> list[Finding]:
    from checks.validation.crossdoc import check_project

    by_project: dict[str, list[tuple[Target, Facts]]] = defaultdict(list)
    for target in everything:
        if target.project is not None:
            by_project[target.project].append((target, results[target].facts))
    out: list[Finding] = []
    for project, records in sorted(by_project.items()):
        found = check_project(project, records, lines)
        out.extend(f for f in found if f.path in wanted)
    return out


def check_before_writing(root: Path, contents: Mapping[str, bytes], what: str) -> None:
    """Refuse (OpsError) new documents that would not validate where they are to be written:
    the check ops new and the placeholders of ops retros make before writing anything."""
    if not contents:
        return
    result = validate(
        root, [str(root / rel) for rel in contents], use_cache=False, contents=contents
    )
    errors = [f for f in result.findings if f.severity == "error" and f.path in contents]
    if errors:
        details = "; ".join(f.render() for f in errors[:3])
        raise OpsError(f"{what} would not validate, nothing written: {details}")
