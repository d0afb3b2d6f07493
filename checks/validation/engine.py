"""Orchestration: choose targets, read them, check each (cached, in parallel), then across."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from checks.document import DocumentError, read_bytes
from checks.errors import OpsError
from checks.findings import Finding
from checks.paths import escaping_link
from checks.validation import targets as tg
from checks.validation.cache import Cache, content_hash
from checks.validation.targets import Facts, Target

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
                Finding(
                    raw,
                    1,
                    None,
                    OUTSIDE_ROOT.format(root=root),
                    rule="input",
                )
            )
            continue
        rel = os.path.normpath(rel).replace(os.sep, "/")
        if rel.startswith("../"):
            problems.append(
                Finding(
                    raw,
                    1,
                    None,
                    OUTSIDE_ROOT.format(root=root),
                    rule="input",
                )
            )
        elif rel not in virtual and not full.exists() and not full.is_symlink():
            problems.append(Finding(rel, 1, None, "no such file or directory", rule="input"))
        elif full.is_dir():
            chosen.extend(
                t
                for t in tg.scan_tree(root).targets
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


def _linked(rel: str, links: set[str]) -> bool:
    """Whether ``rel`` or one of its folders is a symlink (only those can leave the tree)."""
    if not links:
        return False
    parts = rel.split("/")
    return any("/".join(parts[:i]) in links for i in range(1, len(parts) + 1))


OUTSIDE_ROOT = "is outside the repository root '{root}'; name a path inside it or change --root"
OUTSIDE = (
    "is a symlink that points outside the repository; refusing to read it "
    "(replace it with the file itself)"
)
INSIDE_OUTSIDE = (
    "is inside {link}, a symlink that points outside the repository; refusing to read it "
    "(replace the link with the folder itself)"
)


def _load(
    root: Path, target: Target, contents: Mapping[str, bytes], links: set[str]
) -> bytes | tuple[list[Finding], Facts]:
    """The target's bytes, or its result when it cannot be read."""
    if target.rel in contents:
        return contents[target.rel]
    full = os.path.join(root, target.rel)
    link = escaping_link(root, target.rel) if _linked(target.rel, links) else None
    if link is not None:
        message = OUTSIDE if link == target.rel else INSIDE_OUTSIDE.format(link=link)
        return [Finding(target.rel, 1, None, message, rule="input")], {"parsed": False}
    try:
        return read_bytes(Path(full))
    except FileNotFoundError:
        if target.role == "project":  # reported by the cross-document rules
            return [], {"parsed": False, "present": False}
        message = "no such file"
        line = 1
    except DocumentError as e:
        message, line = e.message, e.line
    return [Finding(target.rel, line, None, message, rule="parse")], {"parsed": False}


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
    results: dict[Target, tuple[list[Finding], Facts]] = {}
    misses: list[tuple[Target, bytes, str]] = []
    for target in everything:
        loaded = _load(root, target, contents, links)
        if isinstance(loaded, tuple):
            results[target] = loaded
            continue
        digest = content_hash(loaded)
        hit = cache.get(target.rel, digest)
        if hit is not None:
            results[target] = [Finding(*f) for f in hit[1]], hit[2]
        else:
            misses.append((target, loaded, digest))
    checked = _run_checks([(t, raw) for t, raw, _ in misses])
    for (target, _, digest), (found, fact) in zip(misses, checked, strict=True):
        results[target] = found, fact
        cache.put(target.rel, digest, [list(f) for f in found], fact)
    cache.save()
    out = list(problems)
    for target in requested:
        out.extend(results[target][0])
    facts = {t: r[1] for t, r in results.items()}
    out.extend(_cross(everything, facts, {t.rel for t in requested}))
    present = sum(1 for t in requested if results[t][1].get("present", True))
    return Result(out, present)


def _cross(everything: list[Target], facts: dict[Target, Facts], wanted: set[str]) -> list[Finding]:
    from checks.validation.crossdoc import check_project

    by_project: dict[str, list[tuple[Target, Facts]]] = defaultdict(list)
    for target in everything:
        if target.project is not None:
            by_project[target.project].append((target, facts[target]))
    out: list[Finding] = []
    for project, records in sorted(by_project.items()):
        out.extend(f for f in check_project(project, records) if f.path in wanted)
    return out
