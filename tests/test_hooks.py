"""The hooks other repositories consume: each hook's ``entry`` over positive and negative folders.

This runs the hooks as pre-commit would (entry + matching files, in the
repository's root), without pre-commit's network install step.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from casetree import DATA, snapshot

REPO = Path(__file__).parent.parent
HOOKS: list[dict[str, Any]] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())


def run_hook(hook: dict[str, Any], root: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(hook["entry"]) + list(hook.get("args", []))
    assert argv[0] == "ops"
    argv = [sys.executable, "-m", "checks", *argv[1:]]
    if hook.get("pass_filenames", True):
        pattern = re.compile(hook.get("files", ""))
        files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        argv += [f for f in files if pattern.search(f)]
    return subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)


def folders(kind: str) -> list[Any]:
    return [pytest.param(h, id=f"{h['id']}-{kind}") for h in HOOKS]


def test_manifest_declares_the_required_hooks() -> None:
    ids = {h["id"] for h in HOOKS}
    assert {"ops-validate", "ops-check-schemas", "ops-evidence-manifest"} <= ids
    for hook in HOOKS:
        assert hook["language"] == "python"
        assert hook["entry"].startswith("ops ")


def example(hook: dict[str, Any], kind: str, root: Path) -> None:
    """The hook's example at ``root``: a git repository whose last commit is ``base/`` (when the
    hook has one), with the ``positive/`` or ``negative/`` change on top, as pre-commit sees it."""
    folder = DATA / "hooks" / hook["id"]
    if (folder / "base").is_dir():
        shutil.copytree(folder / "base", root)
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
            subprocess.run([*git, *args], cwd=root, check=True, capture_output=True)
    shutil.copytree(folder / kind, root, dirs_exist_ok=True)


@pytest.mark.parametrize("hook", folders("positive"))
def test_hook_passes_on_positive_examples(hook: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "repo"
    example(hook, "positive", root)
    before = snapshot(root)
    proc = run_hook(hook, root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert snapshot(root) == before


@pytest.mark.parametrize("hook", folders("negative"))
def test_hook_fails_on_negative_examples(hook: dict[str, Any], tmp_path: Path) -> None:
    """pre-commit fails a hook that exits non-zero or that modifies files (a fixer)."""
    root = tmp_path / "repo"
    example(hook, "negative", root)
    before = snapshot(root)
    proc = run_hook(hook, root)
    assert "Traceback" not in proc.stderr
    assert proc.returncode != 0 or snapshot(root) != before
    if proc.returncode != 0:
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert re.search(r"^\S+:\d+: ", proc.stdout, re.MULTILINE), proc.stdout


def test_the_evidence_hook_says_what_to_restore_and_writes_nothing(tmp_path: Path) -> None:
    hook = next(h for h in HOOKS if h["id"] == "ops-evidence-manifest")
    root = tmp_path / "repo"
    example(hook, "negative", root)
    before = snapshot(root)
    proc = run_hook(hook, root)
    assert proc.returncode == 1
    assert (
        "evidence/phase6/manifest.json:1: changed since HEAD: it is derived, and only the default"
        " branch's `ops evidence fold` rebuilds it, so that pull requests never conflict on it;"
        " restore it (git checkout HEAD -- evidence/phase6/manifest.json, or delete it if it is"
        " new)"
    ) in proc.stdout.splitlines()
    assert snapshot(root) == before


CONFIG: dict[str, Any] = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
PATHS = [
    "ops/shop/project.yaml",
    "ops/shop/incidents/INC-2026-001.md",
    "ops/shop/postmortems/2026-01-07-INC-2026-001.md",
    "ops/shop/slo/2026-W02.md",
    "ops/shop/postmortem/2026-01-07-INC-2026-001.md",
    "ops/shop/Postmortems/2026-01-07-INC-2026-001.md",
    "ops/shop/notes/deep/INC-2026-001.md",
    "ops/shop/INC-2026-001.md",
    "ops/shop/incidents/INC-2026-001.markdown",
    "ops/shop/incidents/graph.png",
    "ops/shop/postmortems/.draft.md",
    "ops/shop/calendar/other.ics",
    "ops/shop/openslo/notes.txt",
    "ops/INC-2026-001.md",
    "ops/Shop/incidents/INC-2026-001.md",
    "ops/shop/incidents/README.md",
    "ops/shop/calendar/retros.ics",
    "templates/Postmortem_Template.md",
    "templates/NOTES.md",
    "docs/ops/INC-2026-001.md",
]


@pytest.mark.parametrize("path", PATHS)
def test_the_validate_hook_passes_every_file_the_tree_judges(path: str) -> None:
    """pre-commit gives ops validate every file that checks.tree calls a record or a problem:
    a file in the wrong place must reach the check that says so."""
    from checks import tree
    from checks.findings import Finding

    hook = next(h for h in HOOKS if h["id"] == "ops-validate")
    inside = path.startswith(("ops/", "templates/"))
    placed = tree.place(tuple(path.split("/")), "file") if inside else None
    judged = isinstance(placed, tree.Target | Finding)
    assert not judged or re.search(hook["files"], path)
    assert {"file", "symlink"} <= set(hook["types_or"])  # a symlink under ops/ is an error too


def test_this_repository_runs_the_hook_as_it_ships() -> None:
    local = {h["id"]: h for repo in CONFIG["repos"] for h in repo["hooks"]}
    shipped = next(h for h in HOOKS if h["id"] == "ops-validate")
    assert local["ops-validate"]["files"] == shipped["files"]
    assert local["ops-validate"]["types_or"] == shipped["types_or"]
