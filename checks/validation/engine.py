"""Orchestration: choose targets, read them, check each (cached, in parallel), then across."""

from __future__ import annotations

import functools
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from checks.document import DocumentError, read_bytes
from checks.errors import OpsError
from checks.findings import Finding
from checks.validation import targets as tg
from checks.validation.cache import Cache, content_hash
from checks.validation.targets import Target

PARALLEL_MIN = 400  # below this, starting workers costs more than it saves


class Result(NamedTuple):
    findings: list[Finding]
    checked: int


def resolve_paths(
    root: Path, paths: Sequence[str], virtual: frozenset[str] = frozenset()
) -> tuple[list[Target], list[Finding]]:
    """The targets named on the command line; anything else is an input problem.

    ``virtual`` names files that need not exist yet (a document about to be written).
    """
    chosen: list[Target] = []
    problems: list[Finding] = []
    for raw in paths:
        path = Path(raw)
        full = path if path.is_absolute() else Path.cwd() / path
        try:
            rel = full.absolute().relative_to(root.absolute()).as_posix()
        except ValueError:
            problems.append(
                Finding(raw, 1, None, f"is outside the repository root {root}", rule="input")
            )
            continue
        rel = os.path.normpath(rel).replace(os.sep, "/")
        if rel.startswith("../"):
            problems.append(
                Finding(raw, 1, None, f"is outside the repository root {root}", rule="input")
            )
        elif rel not in virtual and not full.exists() and not full.is_symlink():
            problems.append(Finding(rel, 1, None, "no such file or directory", rule="input"))
        elif full.is_dir():
            chosen.extend(
                t
                for t in tg.tree_targets(root)
                if rel in (".", "") or t.rel == rel or t.rel.startswith(rel + "/")
            )
        else:
            target = tg.classify(rel)
            if target is None:
                problems.append(
                    Finding(
                        rel,
                        1,
                        None,
                        "not an ops document: expected ops/<project>/project.yaml"
                        ", ops/<project>/<folder>/*.md or templates/<template>.md",
                        rule="input",
                    )
                )
            else:
                chosen.append(target)
    return list(dict.fromkeys(chosen)), problems


@functools.cache
def _inside(root: Path, directory: Path) -> bool:
    return directory.resolve().is_relative_to(root.resolve())


def _outside(root: Path, path: Path) -> bool:
    """True when ``path`` (through a symlink, or a symlinked folder) leaves the repository."""
    if path.is_symlink():
        return not path.resolve().is_relative_to(root.resolve())
    return not _inside(root, path.parent)


def _check_many(items: list[tuple[Target, bytes]]) -> list[tuple[list[Finding], dict[str, Any]]]:
    from checks.validation import perfile

    return [perfile.check(target, raw) for target, raw in items]


def _run_checks(items: list[tuple[Target, bytes]]) -> list[tuple[list[Finding], dict[str, Any]]]:
    workers = min(os.cpu_count() or 1, 4)
    if len(items) < PARALLEL_MIN or workers < 2:
        return _check_many(items)
    chunks = [items[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(_check_many, chunks))
    # undo the round-robin split, keeping the input order
    out: list[tuple[list[Finding], dict[str, Any]]] = [([], {})] * len(items)
    for w, part in enumerate(parts):
        for j, result in enumerate(part):
            out[w + j * workers] = result
    return out


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
        context = [
            t
            for p in sorted({t.project for t in requested if t.project})
            for t in tg.project_targets(root, p)
        ]
    else:
        requested, problems = tg.tree_targets(root), []
        context = []
    everything = list(dict.fromkeys([*requested, *context]))
    cache = Cache(root, enabled=use_cache)
    facts: dict[Target, dict[str, Any]] = {}
    findings: dict[Target, list[Finding]] = {}
    misses: list[tuple[Target, bytes, str]] = []
    for target in everything:
        full = root / target.rel
        if target.rel in contents:
            raw = contents[target.rel]
            misses.append((target, raw, content_hash(raw)))
            continue
        if target.role == "project" and not full.exists() and not full.is_symlink():
            facts[target] = {"parsed": False, "present": False}
            continue
        if _outside(root, full):
            findings[target] = [
                Finding(
                    target.rel,
                    1,
                    None,
                    "is a symlink that points outside the repository; "
                    "refusing to read it (replace it with the file itself)",
                    rule="input",
                )
            ]
            facts[target] = {"parsed": False}
            continue
        try:
            raw = read_bytes(full)
        except DocumentError as e:
            findings[target] = [Finding(target.rel, e.line, None, e.message, rule="parse")]
            facts[target] = {"parsed": False}
            continue
        digest = content_hash(raw)
        hit = cache.get(target.rel, digest)
        if hit is not None:
            findings[target] = [Finding(*f) for f in hit[1]]
            facts[target] = hit[2]
        else:
            misses.append((target, raw, digest))
    results = _run_checks([(t, raw) for t, raw, _ in misses])
    for (target, _, digest), (found, fact) in zip(misses, results, strict=True):
        findings[target], facts[target] = found, fact
        cache.put(target.rel, digest, [list(f) for f in found], fact)
    cache.save()
    out = list(problems)
    for target in requested:
        out.extend(findings.get(target, []))
    out.extend(_cross(everything, facts, {t.rel for t in requested}))
    checked = sum(1 for t in requested if facts.get(t, {}).get("present", True))
    return Result(out, checked)


def _cross(
    everything: list[Target], facts: dict[Target, dict[str, Any]], wanted: set[str]
) -> list[Finding]:
    from checks.validation.crossdoc import check_project

    by_project: dict[str, list[tuple[Target, dict[str, Any]]]] = defaultdict(list)
    for target in everything:
        if target.project is not None:
            by_project[target.project].append((target, facts.get(target, {"parsed": False})))
    out: list[Finding] = []
    for project, records in sorted(by_project.items()):
        out.extend(f for f in check_project(project, records) if f.path in wanted)
    return out
