"""The validation cache speeds up repeated runs and never hides an error."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from casetree import DATA

from checks.main import main
from checks.validation import cache, workers

BASE = DATA / "validate" / "_base"
RETRO = "ops/shop/retros/2026-01-08.md"
HOUR_AGO = time.time() - 3600


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    for path in root.rglob("*"):
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    # Copying just now set every ctime to now; trust signatures at once, unless a test
    # restores the two-second window.
    monkeypatch.setattr(cache, "RACY_NS", 0)
    monkeypatch.chdir(root)
    return root


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["validate", *args])
    return code, capsys.readouterr().out


def cache_files(xdg: Path) -> list[Path]:
    return sorted(xdg.rglob("validate/*.json"))


def test_a_warm_run_reads_no_document(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert validate(capsys) == (0, "7 documents checked: all valid\n")
    opened: list[str] = []
    real = workers.read_target
    monkeypatch.setattr(workers, "read_target", lambda t, f: opened.append(f) or real(t, f))
    assert validate(capsys) == (0, "7 documents checked: all valid\n")
    assert opened == []


def test_an_edit_with_the_same_size_and_restored_mtime_is_seen(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert validate(capsys)[0] == 0
    path = repo / RETRO
    text = path.read_text()
    path.write_text(text.replace("due: 2026-01-22", "due: 2026-02-30"))  # same size
    os.utime(path, (HOUR_AGO, HOUR_AGO))  # mtime as before; ctime cannot be put back
    code, out = validate(capsys)
    assert code == 1
    assert f"{RETRO}:12: $.action_items[0].due: '2026-02-30' is not a valid date" in out


def test_a_file_changed_within_two_seconds_keeps_no_signature(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    _private_cache: Path,
) -> None:
    monkeypatch.setattr(cache, "RACY_NS", 2_000_000_000)
    later = time.time() + 3600  # everything else looks long settled
    for path in repo.rglob("*.md"):
        os.utime(path, (later, later))
    path = repo / RETRO
    path.write_text(path.read_text())  # modified just now
    assert validate(capsys)[0] == 0
    entries = json.loads((cache_files(_private_cache)[0]).read_text())["entries"]
    assert entries[RETRO][3] is None  # so the next run reads and hashes it again


def test_entries_are_used_and_dropped_when_the_code_changes(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    _private_cache: Path,
) -> None:
    validate(capsys)
    # Plant a finding in the cache: a warm run reports it, which shows the cache is used ...
    shop = next(p for p in cache_files(_private_cache) if p.name == "shop.json")
    data = json.loads(shop.read_text())
    data["entries"][RETRO][1] = [[RETRO, 1, None, "planted", "schema", "error"]]
    shop.write_text(json.dumps(data))
    assert validate(capsys) == (1, f"{RETRO}:1: planted\n7 documents checked: 1 error in 1 file\n")
    # ... and a new key (schemas, templates, code or libraries changed) drops every entry.
    cache.code_key.cache_clear()
    monkeypatch.setattr(cache, "VERSION", cache.VERSION + 1)
    assert validate(capsys) == (0, "7 documents checked: all valid\n")


def test_a_corrupt_cache_is_ignored(
    repo: Path, capsys: pytest.CaptureFixture[str], _private_cache: Path
) -> None:
    validate(capsys)
    for path in cache_files(_private_cache):
        path.write_bytes(b"\x00not json")
    assert validate(capsys) == (0, "7 documents checked: all valid\n")


def test_no_cache_neither_reads_nor_writes(
    repo: Path, capsys: pytest.CaptureFixture[str], _private_cache: Path
) -> None:
    assert validate(capsys, "--no-cache")[0] == 0
    assert cache_files(_private_cache) == []


def test_workers_give_the_same_findings_in_the_same_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    shutil.copytree(
        DATA / "validate" / "postmortem-with-mistakes" / "tree", root, dirs_exist_ok=True
    )
    monkeypatch.chdir(root)
    serial = validate(capsys, "--no-cache")
    monkeypatch.setattr(workers, "PARALLEL_MIN", 1)  # every run now splits across processes
    assert validate(capsys, "--no-cache") == serial
    assert serial[0] == 1 and serial[1].count("\n") == 9
