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


@pytest.mark.parametrize("hook", folders("positive"))
def test_hook_passes_on_positive_examples(hook: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(DATA / "hooks" / hook["id"] / "positive", root)
    before = snapshot(root)
    proc = run_hook(hook, root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert snapshot(root) == before


@pytest.mark.parametrize("hook", folders("negative"))
def test_hook_fails_on_negative_examples(hook: dict[str, Any], tmp_path: Path) -> None:
    """pre-commit fails a hook that exits non-zero or that modifies files (a fixer)."""
    root = tmp_path / "repo"
    shutil.copytree(DATA / "hooks" / hook["id"] / "negative", root)
    before = snapshot(root)
    proc = run_hook(hook, root)
    assert "Traceback" not in proc.stderr
    assert proc.returncode != 0 or snapshot(root) != before
    if proc.returncode != 0:
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert re.search(r"^\S+:\d+: ", proc.stdout, re.MULTILINE), proc.stdout


def test_evidence_manifest_hook_repairs_what_it_flags(tmp_path: Path) -> None:
    hook = next(h for h in HOOKS if h["id"] == "ops-evidence-manifest")
    root = tmp_path / "repo"
    shutil.copytree(DATA / "hooks" / hook["id"] / "negative", root)
    run_hook(hook, root)
    second = snapshot(root)
    run_hook(hook, root)  # a second run finds nothing to do
    assert snapshot(root) == second
    verify = subprocess.run(
        [sys.executable, "-m", "checks", "evidence", "verify"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout
