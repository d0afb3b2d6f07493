"""Orchestration: choose targets (checks.tree), reuse what the cache knows, check the rest,
then across each project."""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from checks import progress, tree
from checks.errors import OpsError
from checks.findings import Finding, capped
from checks.repo import SETTINGS_FILE
from checks.tree import Target
from checks.validation import jobs

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
    judge: frozenset[str] = frozenset()  # projects whose operating rules ``check`` judges


class Result(NamedTuple):
    findings: list[Finding]
    checked: int
    judged: Mapping[str, list[Finding]] = MappingProxyType({})  # project -> the rules' findings
    data: Mapping[str, Any] = MappingProxyType({})  # with keep_data: rel -> the file's data


# --- what to check ----------------------------------------------------------------------------


def everything(root: Path, found: tree.Tree | None = None) -> Selection:
    """All of ops/ and templates/: what ``ops validate`` checks when no path is given
    (``found``: the scan of ops/, when the caller made it already)."""
    ops, templates = found or tree.scan(root), tree.scan(root, (tree.templates_folder(),))
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


def _is_template(rel: str) -> bool:
    from checks.kinds import BY_TEMPLATE

    parts = rel.split("/")
    return len(parts) == 2 and parts[0] == tree.templates_folder() and parts[1] in BY_TEMPLATE


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
        if rel in (".", SETTINGS_FILE) or _is_template(rel):
            # the settings and the templates apply to every document: check everything
            whole = everything(root)
            requested += whole.requested
            problems += whole.problems
            openslo += whole.openslo
            continue
        parts = tuple(rel.split("/"))
        if parts[0] not in ("ops", tree.templates_folder()):
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


def check(
    root: Path,
    selection: Selection,
    *,
    use_cache: bool = True,
    contents: Mapping[str, bytes] | None = None,
    judge: dt.date | None = None,
    keep_data: bool = False,
) -> Result:
    """Every finding for the selection: its problems, the requested files' own findings, and
    the cross-document findings that fall on requested files. With ``judge``, each project of
    the selection is also judged by the operating rules on that date (Result.judged)."""
    contents = contents or {}
    if not root.is_dir():
        raise OpsError(f"repository root {root} is not a directory")
    requested = {t.rel for t in selection.requested}
    groups: dict[str, list[Target]] = defaultdict(list)
    for target in dict.fromkeys([*selection.requested, *selection.context]):
        groups[target.project or jobs.OTHER].append(target)
    for slug in selection.judge:
        groups.setdefault(slug, [])
    work = [
        jobs.Job(
            group,
            tuple(targets),
            frozenset(t.rel for t in targets if t.rel in requested),
            judge if group in selection.judge else None,
            keep_data,
        )
        for group, targets in sorted(groups.items())
    ]
    out = list(selection.problems)
    judged: dict[str, list[Finding]] = {}
    data: dict[str, Any] = {}
    with progress.bar(sum(len(job.targets) for job in work), "documents read") as shown:
        finished = jobs.run(root, work, use_cache=use_cache, contents=contents, shown=shown)
    for done in finished:
        out += done.findings
        data.update(done.data or {})
        if done.judged is not None:
            judged[done.group] = done.judged
        elif done.unjudged is not None:
            judged[done.group] = [done.unjudged]
    out.extend(_openslo_findings(root, selection.openslo))
    return Result(capped(out), len(requested) + len(selection.openslo), judged, data)


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


def _openslo_findings(root: Path, rels: Sequence[str]) -> list[Finding]:
    """What is wrong with the OpenSLO files asked for, read with the rest of their project's."""
    from checks.slo import openslo

    wanted = set(rels)
    out: list[Finding] = []
    for project in sorted({rel.split("/")[1] for rel in rels}):
        out += [f for f in openslo.read(root, project).problems if f.path in wanted]
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
