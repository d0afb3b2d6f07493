"""``ops validate`` end to end: each folder in tests/data/validate/ is one case."""

from __future__ import annotations

from pathlib import Path

import pytest
from casetree import DATA, Case, build_tree, load_cases, snapshot

from checks.main import main

CASES = load_cases("validate")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_validate_case(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_tree(case, DATA / "validate" / "_base", tmp_path / "repo")
    monkeypatch.chdir(root)
    before = snapshot(root)
    code = main(["validate", "--no-cache", *case.spec.get("args", [])])
    out, err = capsys.readouterr()
    assert out == case.spec["output"]
    assert code == case.spec["exit"]
    assert "Traceback" not in err
    assert snapshot(root) == before


def test_cases_exist() -> None:
    assert len(CASES) >= 10
