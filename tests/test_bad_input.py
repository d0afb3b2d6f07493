"""Malformed and hostile input: each folder in tests/data/bad-input/ is one case.

Every case must end with its clear message and exit code, no traceback, and not one file
changed. A case's ``output`` is the exact stdout (default: none); ``stderr_contains`` is a
line that stderr must hold (default: stderr must be empty). Inputs that cannot live in git are
made from the case's ``generate:`` entries (see casetree).
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from casetree import Case, MiB, load_cases, make_repo, run_child, snapshot

from checks.main import main

CASES = load_cases("bad-input")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_bad_input(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, outside = make_repo(case, tmp_path)
    monkeypatch.chdir(root)
    before, before_outside = snapshot(root), snapshot(outside)
    code = main(case.spec["command"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert out == case.spec.get("output", "")
    if "stderr_contains" in case.spec:
        assert case.spec["stderr_contains"] in err
    else:
        assert err == ""
    assert code == case.spec["exit"]
    assert snapshot(root) == before
    assert snapshot(outside) == before_outside


def _peak_mib(argv: list[str]) -> tuple[int, float]:
    tracemalloc.start()
    try:
        code = main(argv)
        peak = tracemalloc.get_traced_memory()[1] / MiB
    finally:
        tracemalloc.stop()
    return code, peak


def _case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def test_alias_bomb_is_refused_with_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nine levels of nine aliases would expand to 387 million strings: counted, never expanded."""
    root, _ = make_repo(_case("yaml-alias-bomb"), tmp_path)
    monkeypatch.chdir(root)
    code, peak = _peak_mib(["validate", "--no-cache", "ops/shop/retros/2026-01-15.md"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "a YAML alias bomb?" in out
    assert peak < 50


def test_huge_file_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = make_repo(_case("file-of-50-mb"), tmp_path)
    monkeypatch.chdir(root)
    code, peak = _peak_mib(["validate", "--no-cache", "ops/shop/retros/2026-01-15.md"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "documents are limited to 1,048,576 bytes" in out
    assert peak < 20  # far less than the file: it was never read


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


BOUNDED = [c for c in CASES if c.spec.get("bounded")]
MAX_RSS_MIB = 200


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in BOUNDED])
def test_hostile_input_stays_within_memory(case: Case, tmp_path: Path) -> None:
    """Each case that once crashed or hung ``ops`` runs in a fresh process whose peak memory
    (its own maximum resident set) stays under 200 MB. How long each takes is measured by
    benchmarks/bench_bad_input.py (tests assert no times)."""
    root, _ = make_repo(case, tmp_path)
    child = run_child(root, case.spec["command"])
    assert "Traceback" not in child.err
    assert child.code == case.spec["exit"]
    assert child.peak < MAX_RSS_MIB * MiB


def test_the_crash_corpus_is_complete() -> None:
    assert len(BOUNDED) >= 9
