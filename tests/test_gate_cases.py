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
    if case.spec.get("validation_md"):  # the verdict reaches validation.md once folded
        assert main(["evidence", "fold"]) == 0
    for expected in case.spec.get("validation_md", []):
        assert expected in (root / "evidence/phase6/validation.md").read_text(encoding="utf-8")


def test_cases_exist() -> None:
    assert len(CASES) >= 12


@pytest.mark.parametrize(
    ("case_name", "limit", "expected"),
    [
        pytest.param("exception-at-the-maximum", 30, "write 2026-02-12 or earlier", id="30"),
        pytest.param("exception-one-day-past-the-maximum", 91, None, id="91"),
    ],
)
def test_a_project_sets_its_own_exception_maximum(
    case_name: str,
    limit: int,
    expected: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """vulnerability_exception_max_days in project.yaml replaces the default of 90 days."""
    case = next(c for c in CASES if c.name == case_name)
    root = build_tree(case, DATA / "validate" / "_base", tmp_path / "repo")
    with (root / "ops/shop/project.yaml").open("a", encoding="utf-8") as f:
        f.write(f"vulnerability_exception_max_days: {limit}\n")
    monkeypatch.chdir(root)
    code = main(["validate", "--no-cache", "ops/shop/security/2026-01-13.md"])
    out = capsys.readouterr().out
    assert code == (0 if expected is None else 1), out
    if expected is not None:
        assert f"an exception lasts at most {limit} days after the log" in out
        assert expected in out
