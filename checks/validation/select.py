"""Which targets the command line names: files, folders, or nothing (the whole tree)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from checks.findings import Finding
from checks.validation import targets as tg
from checks.validation.targets import Target

NOT_A_DOCUMENT = (
    "not an ops document: expected ops/<project>/project.yaml, ops/<project>/<folder>/*.md "
    "or templates/<template>.md"
)
OUTSIDE_ROOT = "is outside the repository root '{root}'; name a path inside it or change --root"


def _relative(root: Path, raw: str) -> str | None:
    """``raw`` (relative to the current directory) as a posix path inside ``root``, or None."""
    rel = os.path.relpath(os.path.abspath(raw), os.path.abspath(root)).replace(os.sep, "/")
    return None if rel == ".." or rel.startswith("../") else rel


def resolve_paths(
    root: Path, paths: Sequence[str], virtual: frozenset[str] = frozenset()
) -> tuple[list[Target], list[Finding]]:
    """The targets named on the command line; anything else is an input problem.

    ``virtual`` names files that need not exist yet (a document about to be written).
    """
    chosen: list[Target] = []
    problems: list[Finding] = []
    for raw in paths:
        rel = _relative(root, raw)
        if rel is None:
            problems.append(Finding(raw, 1, None, OUTSIDE_ROOT.format(root=root), rule="input"))
            continue
        full = root / rel
        if rel not in virtual and not full.exists() and not full.is_symlink():
            problems.append(Finding(rel, 1, None, "no such file or directory", rule="input"))
        elif full.is_dir():
            chosen.extend(
                t
                for t in tg.scan_tree(root).targets
                if rel == "." or t.rel == rel or t.rel.startswith(rel + "/")
            )
        else:
            target = tg.classify(rel)
            if target is None and tg.ignored(rel):
                continue  # as the whole-tree run does (pre-commit passes every matching file)
            if target is None:
                problems.append(Finding(rel, 1, None, NOT_A_DOCUMENT, rule="input"))
            else:
                chosen.append(target)
    return list(dict.fromkeys(chosen)), problems
