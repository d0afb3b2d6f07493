"""Orchestration: choose targets (checks.tree), reuse what the cache knows, check the rest,
then across each project."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from checks import document, tree
from checks.document import Document, DocumentError
from checks.errors import OpsError
from checks.findings import Finding, capped
from checks.tree import Target
from checks.validation import workers
from checks.validation.cache import Cache, content_hash, signature, stat_key
from checks.validation.crossdoc import Facts
from checks.validation.workers import Outcome, Work

NOT_A_DOCUMENT = (
    "not an ops document: expected ops/<project>/project.yaml, ops/<project>/<folder>/*.md "
    "or templates/<template>.md"
)
OUTSIDE_ROOT = "is outside the repository root '{root}'; name a path inside it or change --root"


class Selection(NamedTuple):
    requested: list[Target]  # whose findings are reported
    context: list[Target]  # read too, for the cross-document rules of their projects
    problems: list[Finding]  # entries that are errors in themselves (and command-line problems)
    openslo: tuple[str, ...] = ()  # OpenSLO files to check (not records: read per project)


class Result(NamedTuple):
    findings: list[Finding]
    checked: int


# --- what to check ----------------------------------------------------------------------------


def everything(root: Path, found: tree.Tree | None = None) -> Selection:
    """All of ops/ and templates/: what ``ops validate`` checks when no path is given
    (``found``: the scan of ops/, when the caller made it already)."""
    ops, templates = found or tree.scan(root), tree.scan(root, ("templates",))
    return Selection(
        ops.targets + templates.targets, [], ops.problems + templates.problems, _openslo(ops)
    )


def _openslo(*found: tree.Tree) -> tuple[str, ...]:
    return tuple(k.rel for f in found for k in f.known if k.what == tree.OPENSLO)


def projects(root: Path, slugs: Iterable[str]) -> Selection:
    """Whole projects (``ops gate --project``, ``ops exit-criteria``)."""
    found = [tree.scan_project(root, slug) for slug in slugs]
    return Selection(
        [t for f in found for t in f.targets],
        [],
        [p for f in found for p in f.problems],
        _openslo(*found),
    )


def named(root: Path, paths: Sequence[str], virtual: frozenset[str] = frozenset()) -> Selection:
    """The files and folders named on the command line, each placed by checks.tree.

    ``virtual`` names files that need not exist yet (a document about to be written).
    """
    requested: list[Target] = []
    problems: list[Finding] = []
    openslo: list[str] = []
    for raw in paths:
        rel = _relative(root, raw)
        if rel is None:
            problems.append(Finding(raw, 1, None, OUTSIDE_ROOT.format(root=root), rule="input"))
            continue
        if rel == ".":
            whole = everything(root)
            requested += whole.requested
            problems += whole.problems
            openslo += whole.openslo
            continue
        parts = tuple(rel.split("/"))
        if parts[0] not in ("ops", "templates"):
            exists = tree.entry_type(str(root / rel)) is not None
            message = NOT_A_DOCUMENT if exists else "no such file or directory"
            problems.append(Finding(rel, 1, None, message, rule="input"))
            continue
        blocked = tree.obstacle(root, "/".join(parts[:-1])) if len(parts) > 1 else None
        if blocked is not None:
            problems.append(blocked)
            continue
        what = "file" if rel in virtual else tree.entry_type(str(root / rel))
        if what is None or (raw.endswith("/") and what != "dir"):  # "file/" names no file
            problems.append(Finding(rel, 1, None, "no such file or directory", rule="input"))
        elif what == "dir":
            found = tree.scan(root, parts)
            requested += found.targets
            problems += found.problems
            openslo += _openslo(found)
        else:
            placed = tree.place(parts, what)
            if isinstance(placed, Target):
                requested.append(placed)
            elif isinstance(placed, Finding):
                problems.append(placed)
            elif isinstance(placed, tree.Known) and placed.what == tree.OPENSLO:
                openslo.append(placed.rel)
    requested = list(dict.fromkeys(requested))
    context: list[Target] = []
    for project in sorted({t.project for t in requested if t.project}):
        found = tree.scan_project(root, project)
        context += found.targets
        missing = tree.missing_project_file(project)
        if missing in found.problems:  # every record of the project is judged without it
            problems.append(missing)
    return Selection(
        requested, context, list(dict.fromkeys(problems)), tuple(dict.fromkeys(openslo))
    )


def _relative(root: Path, raw: str) -> str | None:
    """``raw`` (relative to the current directory) as a posix path inside ``root``, or None.

    A path through a symlink to the repository (a shell's logical working directory) is
    inside it too; a symlink below the root is never resolved (checks.tree reports it)."""
    absolute = os.path.abspath(raw)
    rel = os.path.relpath(absolute, os.path.abspath(root))
    if rel == ".." or rel.startswith(".." + os.sep):
        real_root, ancestor = os.path.realpath(root), absolute
        while os.path.dirname(ancestor) != ancestor:
            ancestor = os.path.dirname(ancestor)
            if os.path.realpath(ancestor) == real_root:
                rel = os.path.relpath(absolute, ancestor)
                break
        else:
            return None
    return rel.replace(os.sep, "/")


# --- checking ---------------------------------------------------------------------------------


def _from_cache(cache: Cache, target: Target, full: str) -> Outcome | Work:
    """The cached outcome when the file is unchanged, else the work to check it."""
    entry = cache.entry(target.rel)
    if entry is None:
        return Work(target, full)  # the worker reads it
    digest, findings, facts, sig = entry
    hit = Outcome([Finding(*f) for f in findings], facts, digest, sig)
    if sig is not None:
        try:
            st = os.lstat(full)
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


def check(
    root: Path,
    selection: Selection,
    *,
    use_cache: bool = True,
    contents: Mapping[str, bytes] | None = None,
) -> Result:
    """Every finding for the selection: its problems, the requested files' own findings, and
    the cross-document findings that fall on requested files."""
    contents = contents or {}
    if not root.is_dir():
        raise OpsError(f"repository root {root} is not a directory")
    requested = selection.requested
    everything_read = list(dict.fromkeys([*requested, *selection.context]))
    cache = Cache(root, enabled=use_cache)
    results: dict[Target, Outcome] = {}
    todo: list[Work] = []
    for target in everything_read:
        if target.rel in contents:
            raw = contents[target.rel]
            todo.append(Work(target, "", raw, content_hash(raw)))
            continue
        known = _from_cache(cache, target, os.path.join(root, target.rel))
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
    out = list(selection.problems)
    for target in requested:
        out.extend(results[target].findings)
    lines = Lines(root, contents)
    out.extend(_cross(everything_read, results, {t.rel for t in requested}, lines))
    out.extend(_openslo_findings(root, selection.openslo))
    return Result(capped(out), len(requested) + len(selection.openslo))


def validate(
    root: Path,
    paths: Sequence[str] = (),
    *,
    use_cache: bool = True,
    contents: Mapping[str, bytes] | None = None,
) -> Result:
    """``ops validate``: the named paths, or the whole tree.

    ``contents`` maps relative paths to bytes to check instead of the files on
    disk: how ``ops new`` validates a document before it writes it.
    """
    if not root.is_dir():
        raise OpsError(f"repository root {root} is not a directory")
    selection = named(root, paths, frozenset(contents or {})) if paths else everything(root)
    return check(root, selection, use_cache=use_cache, contents=contents)


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
            return document.parse(target.role, document.decode(raw))
        except (DocumentError, OSError):  # changed since it was checked: no line to give
            return None


def _cross(
    everything_read: list[Target],
    results: Mapping[Target, Outcome],
    wanted: set[str],
    lines: Lines,
) -> list[Finding]:
    from checks.validation.crossdoc import check_project

    by_project: dict[str, list[tuple[Target, Facts]]] = defaultdict(list)
    for target in everything_read:
        if target.project is not None:
            by_project[target.project].append((target, results[target].facts))
    out: list[Finding] = []
    for project, records in sorted(by_project.items()):
        found = check_project(project, records, lines)
        out.extend(f for f in found if f.path in wanted)
    return out


def _openslo_findings(root: Path, rels: Sequence[str]) -> list[Finding]:
    """What is wrong with the OpenSLO files asked for, read with the rest of their project's."""
    from checks.slo import openslo

    wanted = set(rels)
    out: list[Finding] = []
    for project in sorted({rel.split("/")[1] for rel in rels}):
        out += [f for f in openslo.read(root, project)[1] if f.path in wanted]
    return out


def _errors(findings: Iterable[Finding]) -> set[tuple[str, str | None, str]]:
    return {(f.path, f.json_path, f.message) for f in findings if f.severity == "error"}


def check_before_writing(root: Path, contents: Mapping[str, bytes], what: str) -> None:
    """Refuse (OpsError) new documents that would not validate where they are to be written,
    alone or together with the documents already there (a second postmortem for an incident):
    the check ops new and the placeholders of ops retros make before writing anything."""
    if not contents:
        return
    new = named(root, [str(root / rel) for rel in contents], frozenset(contents))
    slugs = sorted({t.project for t in new.requested if t.project})
    before = projects(root, slugs)
    after = Selection(list(dict.fromkeys(before.requested + new.requested)), [], new.problems)
    known = _errors(check(root, before).findings)
    added = [
        f
        for f in check(root, after, contents=contents).findings
        if f.severity == "error" and (f.path, f.json_path, f.message) not in known
    ]
    if added:
        details = "; ".join(f.render() for f in added[:3])
        raise OpsError(f"{what} would not validate, nothing written: {details}")
