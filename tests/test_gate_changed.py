"""`ops gate --changed-from REF`: a pull request is judged on the projects it touches; a change
to anything shared (a template, the code, a workflow) judges every project."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from casetree import DATA

from checks.main import main

AS_OF = "2026-01-12"


def git(root: Path, *args: str) -> None:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    subprocess.run(cmd, cwd=root, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(DATA / "validate/_base", root)
    other = root / "ops/other"
    shutil.copytree(root / "ops/shop", other)
    for path in other.rglob("*"):
        if path.is_file():
            path.write_text(path.read_text().replace("shop", "other"))
    assert main(["--root", str(root), "evidence", "fold"]) == 0
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def judged(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, set[str]]:
    capsys.readouterr()
    code = main(["--root", str(root), "gate", "--as-of", AS_OF, "--format", "json", *args])
    report = json.loads(capsys.readouterr().out)
    return code, set(report["projects"])


def test_a_change_to_one_project_judges_that_project(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    incident = repo / "ops/other/incidents/INC-2026-001.md"
    incident.write_text(incident.read_text().replace("severity: SEV2", "severity: SEV9"))
    assert judged(repo, capsys) == (1, {"shop", "other"})
    code, projects = judged(repo, capsys, "--changed-from", "main")
    assert (code, projects) == (1, {"other"})


def test_nothing_changed_judges_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert judged(repo, capsys, "--changed-from", "main") == (0, set())


def test_a_new_file_counts_and_so_does_a_committed_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "ops/shop/incidents/INC-2026-009.md").write_text("not a record\n")
    assert judged(repo, capsys, "--changed-from", "main") == (1, {"shop"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "x")
    assert judged(repo, capsys, "--changed-from", "main") == (1, {"shop"})


def test_a_shared_file_judges_every_project(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/x.yml").write_text("on: push\n")
    assert judged(repo, capsys, "--changed-from", "main") == (0, {"shop", "other"})


def test_runs_added_alone_judge_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["--root", str(repo), "evidence", "record", "--project", "shop", "--summary", "x"])
        == 0
    )
    assert judged(repo, capsys, "--changed-from", "main") == (0, set())


def test_an_unknown_ref_is_a_clear_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo), "gate", "--changed-from", "nope"]) == 2
    assert capsys.readouterr().err == (
        "ops: error: --changed-from nope: no such branch, tag or commit; fetch it first (for"
        " example: git fetch origin main) or name an existing ref\n"
    )


def test_a_project_moved_to_a_bad_name_judges_everything(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "mv", "ops/other", "ops/Other")
    code, projects = judged(repo, capsys, "--changed-from", "main")
    assert code == 1 and projects == {"shop", "(repository)"}  # "Other" is no project slug


def test_a_folder_of_a_monorepo(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--root may be a folder of a larger repository: paths are taken from there."""
    top = repo.parent / "mono"
    top.mkdir()
    shutil.move(str(repo), top / "ops-records")
    root = top / "ops-records"
    shutil.rmtree(root / ".git")
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "base")
    incident = root / "ops/other/incidents/INC-2026-001.md"
    incident.write_text(incident.read_text().replace("severity: SEV2", "severity: SEV9"))
    assert judged(root, capsys, "--changed-from", "main") == (1, {"other"})
    assert main(["--root", str(root), "evidence", "verify", "--base", "HEAD"]) == 0
