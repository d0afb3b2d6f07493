"""Many engineers at once: ten branches from one base, each doing a contributor's work with the
commands and hooks a contributor runs, merged one after another with plain `git merge` (no merge
driver, as on a hosted merge button), each merge followed by the default branch's fold. No
conflict; after each step the default branch's evidence verifies and the gate passes. A branch
that tampers with run.log, or with another branch's pending run, is caught."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from checks.main import main

REPO = Path(__file__).parent.parent
AS_OF = "2026-11-27"
PROJECT = "checkout"
P = f"ops/{PROJECT}"


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    cmd += ["-c", "commit.gpgsign=false", "-c", "merge.conflictstyle=merge", *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=check)


def ops(root: Path, *argv: str) -> int:
    return main(["--root", str(root), *argv])


def hooks(root: Path) -> None:
    """What pre-commit runs before a contributor's commit (the shipped hooks)."""
    changed = git(root, "status", "--porcelain", "--untracked-files=all").stdout.splitlines()
    records = [str(root / line[3:]) for line in changed if line[3:].startswith("ops/")]
    if records:
        assert ops(root, "validate", *records) == 0
    assert ops(root, "evidence", "verify", "--base", "HEAD") == 0


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def fold(root: Path) -> None:
    """The evidence workflow on the default branch, after a merge."""
    before = git(root, "rev-parse", "HEAD").stdout.strip()
    assert ops(root, "evidence", "fold") == 0
    assert ops(root, "evidence", "verify", "--base", "HEAD") == 0
    commit(root, "Fold the pending runs into the evidence trail")
    assert ops(root, "evidence", "verify", "--base", before) == 0
    assert ops(root, "evidence", "verify") == 0


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("GITHUB_ACTIONS", "GITHUB_HEAD_REF", "GITHUB_REF_NAME", "GIT_DIR"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "repo"
    for name in ("ops", "evidence", "templates"):
        shutil.copytree(REPO / name, root / name)
    assert not (root / ".gitattributes").exists()  # no merge driver anywhere
    git(root, "init", "-q", "-b", "main")
    # the sample's story so far, with last week's report and a run already in run.log
    assert ops(root, "slo", "--project", PROJECT, "--as-of", "2026-11-24") == 0
    assert ops(root, "evidence", "fold") == 0
    commit(root, "base")
    return root


def _incident_and_postmortem(root: Path) -> None:
    argv = ["new", "incident", "--project", PROJECT, "--as-of", AS_OF, "--id", "INC-2026-042"]
    assert ops(root, *argv, "--severity", "SEV2", "--title", "Card payments declined") == 0
    argv = ["new", "postmortem", "--project", PROJECT, "--as-of", AS_OF]
    assert ops(root, *argv, "--incident", "INC-2026-042") == 0


def _another_incident(root: Path) -> None:
    argv = ["new", "incident", "--project", PROJECT, "--as-of", AS_OF, "--id", "INC-2026-043"]
    assert ops(root, *argv, "--severity", "SEV4", "--title", "Slow search suggestions") == 0


def _security_log(root: Path) -> None:
    assert ops(root, "new", "security-log", "--project", PROJECT, "--as-of", "2026-11-25") == 0


def _dependency_log(root: Path) -> None:
    assert ops(root, "new", "dependency-log", "--project", PROJECT, "--as-of", "2026-11-26") == 0


def _edited_retro(root: Path) -> None:
    path = root / P / "retros/2026-11-12.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nAdded after the meeting.\n")
    assert ops(root, "evidence", "record", "--project", PROJECT, "--summary", "retro amended",
               "--artefact", f"{P}/retros/2026-11-12.md") == 0  # fmt: skip


def _slo_report(root: Path) -> None:
    assert ops(root, "slo", "--project", PROJECT, "--week", "2026-W46", "--as-of", AS_OF) == 0


def _new_retro(root: Path) -> None:
    argv = ["new", "retro", "--project", PROJECT, "--as-of", AS_OF, "--date", "2026-12-10"]
    assert ops(root, *argv) == 0


def _edited_incident(root: Path) -> None:
    path = root / P / "incidents/INC-2026-040.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("## Impact\n", "## Impact\n\nConfirmed by support.\n", 1))


def _exit_criteria(root: Path) -> None:
    ops(root, "exit-criteria", "--project", PROJECT, "--as-of", AS_OF)


def _manual_evidence(root: Path) -> None:
    argv = ["evidence", "record", "--project", PROJECT, "--summary", "weekly review held"]
    assert ops(root, *argv) == 0


WORK: list[Callable[[Path], None]] = [
    _incident_and_postmortem,
    _another_incident,
    _security_log,
    _dependency_log,
    _edited_retro,
    _slo_report,
    _new_retro,
    _edited_incident,
    _exit_criteria,
    _manual_evidence,
]


def test_ten_pull_requests_merge_in_any_order_without_a_conflict(base: Path) -> None:
    for index, work in enumerate(WORK):
        git(base, "checkout", "-q", "-b", f"pr-{index}", "main" if index == 0 else "pr-0~1")
        work(base)
        hooks(base)
        commit(base, work.__name__)
        assert ops(base, "evidence", "verify", "--base", "main") == 0  # the pull request's gate
        git(base, "checkout", "-q", "main")
    for order in (range(0, 10, 2), range(1, 10, 2)):  # not the order they were opened in
        for index in order:
            before = git(base, "rev-parse", "HEAD").stdout.strip()
            merged = git(base, "merge", "--no-ff", "--no-edit", f"pr-{index}", check=False)
            assert merged.returncode == 0, merged.stdout + merged.stderr
            assert "CONFLICT" not in merged.stdout
            assert ops(base, "evidence", "verify", "--base", before) == 0  # the push's gate
            fold(base)
    assert ops(base, "gate", "--as-of", AS_OF) == 0
    log = (base / "evidence/phase6/run.log").read_text(encoding="utf-8").splitlines()
    commands = sorted(json.loads(line)["command"] for line in log)
    assert commands == sorted(
        [
            "slo",  # the base's
            *["new incident", "new postmortem", "new incident", "new security-log"],
            *["new dependency-log", "evidence record", "slo", "new retro", "exit-criteria"],
            "evidence record",  # the hand-edited incident left no run: its fold rebuilt the rest
        ]
    )
    assert list((base / "evidence/phase6/pending").iterdir()) == []


def _rewrite_history(root: Path) -> None:
    path = root / "evidence/phase6/run.log"
    path.write_text(path.read_text(encoding="utf-8").replace('"result":"ok"', '"result":"failed"'))


def _append_directly(root: Path) -> None:
    path = root / "evidence/phase6/run.log"
    line = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    line |= {"run_id": "20261128T000000Z-0000abcd", "summary": "never pending"}
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n")


def _bring_back_a_folded_run(root: Path) -> None:
    """What a stacked branch brings back after its parent was squash-merged and folded."""
    path = root / "evidence/phase6/run.log"
    line = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    line.pop("folded_at")
    pending = root / "evidence/phase6/pending"
    pending.mkdir(exist_ok=True)
    (pending / f"{line['run_id']}.json").write_text(
        json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8"
    )


def _drop_anothers_run(root: Path) -> None:
    for run in (root / "evidence/phase6/pending").iterdir():
        run.unlink()


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_rewrite_history, "line 1 of run.log at {base} was edited or deleted"),
        (_append_directly, "is no run that was pending there"),
        (_drop_anothers_run, "was removed without being folded into run.log"),
        (_bring_back_a_folded_run, "is in run.log already (folded at {base}); this copy came"),
    ],
)
def test_a_branch_that_tampers_with_the_trail_is_caught(
    base: Path,
    tamper: Callable[[Path], None],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a run waits on the default branch (merged, not yet folded) when the branch starts
    _manual_evidence(base)
    commit(base, "merged, not folded yet")
    git(base, "checkout", "-q", "-b", "tamper")
    tamper(base)
    commit(base, "tamper")
    capsys.readouterr()
    assert ops(base, "evidence", "verify", "--base", "main") == 1  # the pull request's gate
    assert message.format(base="main") in capsys.readouterr().out
    git(base, "checkout", "-q", "main")
    before = git(base, "rev-parse", "HEAD").stdout.strip()
    merged = git(base, "merge", "--no-ff", "--no-edit", "tamper", check=False)
    assert merged.returncode == 0  # git merges it: only the gate can tell
    capsys.readouterr()
    assert ops(base, "evidence", "verify", "--base", before) == 1  # the push's gate
    assert message.format(base=before) in capsys.readouterr().out
