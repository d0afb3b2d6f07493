"""``ops gate`` and ``ops exit-criteria`` end to end: each folder in tests/data/gate/ is a
scenario (a tree laid over tests/data/validate/_base, the as-of date in the command, and
exactly what the user sees)."""

from __future__ import annotations

from pathlib import Path

import pytest
from casetree import DATA, Case, build_tree, load_cases, snapshot

from checks.main import main

CASES = load_cases("gate")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_gate_case(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_tree(case, DATA / "validate" / "_base", tmp_path / "repo")
    monkeypatch.chdir(root)
    if case.spec.get("evidence", True):  # a consistent evidence trail, as a real repository has
        assert main(["evidence", "manifest"]) == 0
    capsys.readouterr()
    before = snapshot(root)
    code = main(case.spec["command"])
    out, err = capsys.readouterr()
    assert out == case.spec["output"]
    assert code == case.spec["exit"]
    assert "Traceback" not in err
    if case.spec["command"][0] == "gate":
        assert snapshot(root) == before  # the gate only reads
    for expected in case.spec.get("validation_md", []):
        assert expected in (root / "evidence/phase6/validation.md").read_text(encoding="utf-8")


def test_cases_exist() -> None:
    assert len(CASES) >= 12


def test_a_record_linked_from_outside_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A symlink out of the repository is refused, as ops validate refuses it: the gate reports
    it instead of judging what it points to."""
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(DATA / "validate" / "_base", root)
    outside = tmp_path / "outside.md"
    shutil.copy(root / "ops/shop/security/2026-01-06.md", outside)
    (root / "ops/shop/security/2026-01-07.md").symlink_to(outside)
    monkeypatch.chdir(root)
    assert main(["evidence", "manifest"]) == 0
    capsys.readouterr()
    assert main(["gate", "--as-of", "2026-01-08"]) == 1
    assert (
        "ops/shop/security/2026-01-07.md:1: cannot be read; run: ops validate "
        "ops/shop/security/2026-01-07.md" in capsys.readouterr().out
    )
