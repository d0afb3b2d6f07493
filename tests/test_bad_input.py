"""Malformed and hostile input: each folder in tests/data/bad-input/ is one case.

Every case must end with its clear message and exit code, no traceback, and not one file
changed. A case's ``output`` is the exact stdout (default: none); ``stderr_contains`` is a
line that stderr must hold (default: stderr must be empty).

Inputs that cannot live in git as files (a 50 MB file, a symlink out of the repository, raw
bytes) are made by the test from the case's ``generate:`` entries:

- ``{kind: text, path, parts, encoding, newline}``: ``parts`` are strings or
  ``{repeat, times}``, joined, their line ends replaced, encoded (default UTF-8, ``\n``);
- ``{kind: bytes, path, hex}``: raw bytes;
- ``{kind: big-file, path, size_mb}``: a ``---`` line, then zeros up to the size (sparse);
- ``{kind: symlink, path, target}``.

``{outside}`` in a path or a target is a folder next to the repository, holding a copy of the
base project: where a symlink can lead out of the repository, and where nothing may change.
"""

from __future__ import annotations

import os
import shutil
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from casetree import DATA, Case, build_tree, load_cases, snapshot

from checks.main import main

CASES = load_cases("bad-input")
BASE = DATA / "validate" / "_base"
MiB = 1024 * 1024


def _text(spec: dict[str, Any]) -> bytes:
    parts = (p if isinstance(p, str) else p["repeat"] * p["times"] for p in spec["parts"])
    text = "".join(parts).replace("\n", spec.get("newline", "\n"))
    return text.encode(spec.get("encoding", "utf-8"))


def _generate(spec: dict[str, Any], root: Path, outside: Path) -> None:
    path = root / spec["path"].replace("{outside}", str(outside))
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = spec["kind"]
    if kind == "text":
        path.write_bytes(_text(spec))
    elif kind == "bytes":
        path.write_bytes(bytes.fromhex(spec["hex"]))
    elif kind == "big-file":
        with open(path, "wb") as f:
            f.write(b"---\n")
            f.truncate(spec["size_mb"] * MiB)
    elif kind == "symlink":
        path.symlink_to(spec["target"].replace("{outside}", str(outside)))
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        raise ValueError(f"unknown generate kind {kind!r}")


def make_repo(case: Case, tmp_path: Path) -> tuple[Path, Path]:
    """The case's repository and, next to it, the folder its symlinks may point into."""
    outside = tmp_path / "outside"
    shutil.copytree(BASE / "ops" / "shop", outside / "shop")
    root = build_tree(case, BASE, tmp_path / "repo")
    for spec in case.spec.get("generate", []):
        _generate(spec, root, outside)
    return root, outside


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
