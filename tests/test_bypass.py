"""Ways around the gate, tried as an attacker would: each folder in tests/data/bypass/ is a
tree laid over the base project (with the files git cannot hold made by ``generate:``), an
as-of date, and exactly what ``ops validate`` and ``ops gate`` say about it.

Whatever validate rejects, the gate rejects: no case may leave the gate passing while validate
fails on the same tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from casetree import Case, load_cases, make_repo, snapshot

from checks.main import main

CASES = load_cases("bypass")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_bypass(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, outside = make_repo(case, tmp_path)
    monkeypatch.chdir(root)
    main(["evidence", "manifest"])  # as a contributor's pre-commit hook would
    capsys.readouterr()
    before, before_outside = snapshot(root), snapshot(outside)
    validated = run(["validate", "--no-cache"], capsys)
    gated = run(["gate", "--as-of", case.spec["as_of"]], capsys)
    assert validated == (case.spec["validate"]["exit"], case.spec["validate"]["output"])
    assert gated == (case.spec["gate"]["exit"], case.spec["gate"]["output"])
    assert validated[0] == 0 or gated[0] != 0, "validate rejects the tree, the gate passes it"
    assert snapshot(root) == before
    assert snapshot(outside) == before_outside


def test_every_case_fails_the_gate() -> None:
    """Each case is a way around the gate: the gate must stop every one."""
    assert [c.name for c in CASES if c.spec["gate"]["exit"] == 0] == []


def test_cases_exist() -> None:
    assert len(CASES) >= 30


UNREADABLE = "ops/shop/incidents/INC-2026-002.md"


@pytest.mark.parametrize(
    ("argv", "exit_code", "expected"),
    [
        pytest.param(
            ["validate"], 1, f"{UNREADABLE}:1: cannot read: Permission denied", id="validate"
        ),
        pytest.param(
            ["gate", "--as-of", "2026-01-12"],
            1,
            f"    {UNREADABLE}:1: cannot read: Permission denied",
            id="gate",
        ),
        pytest.param(
            ["evidence", "verify"],
            1,
            f"{UNREADABLE}:1: cannot read: Permission denied; fix its permissions",
            id="evidence-verify",
        ),
        pytest.param(
            ["evidence", "manifest"],
            2,
            f"ops: error: {UNREADABLE}: cannot read: Permission denied; fix its permissions",
            id="evidence-manifest",
        ),
    ],
)
def test_a_record_nobody_may_read(
    argv: list[str], exit_code: int, expected: str, tmp_path: Path
) -> None:
    """A record without read permission is an error in every command: never a traceback,
    never a pass. Root reads anything, so as root the command runs in a user namespace of its
    own (``unshare -U``), where the file's permission bits apply to it as to anyone."""
    import os
    import shutil
    import subprocess
    import sys

    from casetree import BASE

    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    assert main(["--root", str(root), "evidence", "manifest"]) == 0
    shutil.copy(root / "ops/shop/incidents/INC-2026-001.md", root / UNREADABLE)
    (root / UNREADABLE).chmod(0)
    command = [sys.executable, "-m", "checks", *argv]
    if os.geteuid() == 0:
        command = ["unshare", "--user", *command]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)
    assert "Traceback" not in done.stderr
    assert done.returncode == exit_code, done.stdout + done.stderr
    assert expected in (done.stdout + done.stderr).splitlines()


def test_a_folder_nobody_may_list(tmp_path: Path) -> None:
    """A record folder that cannot be listed hides its records: an error, not an empty folder."""
    import os
    import shutil
    import subprocess
    import sys

    from casetree import BASE

    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    (root / "ops/shop/incidents").chmod(0)
    command = [sys.executable, "-m", "checks", "validate", "--no-cache"]
    if os.geteuid() == 0:
        command = ["unshare", "--user", *command]
    try:
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    finally:
        (root / "ops/shop/incidents").chmod(0o755)
    assert "Traceback" not in done.stderr
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ops/shop/incidents:1: cannot be read: Permission denied" in done.stdout.splitlines()
