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
from checks.validation import cache, jobs, workers

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


def index_of(xdg: Path, group: str) -> Path:
    return next(p for p in cache_files(xdg) if p.name == f"{group}.index.json")


def test_a_warm_run_reads_no_document(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert validate(capsys) == (0, "7 documents checked: all valid\n")
    opened: list[str] = []
    real = workers.read_target
    spy = lambda t, f: opened.append(f) or real(t, f)  # noqa: E731
    monkeypatch.setattr(workers, "read_target", spy)
    monkeypatch.setattr(jobs, "read_target", spy)
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
    entries = json.loads(index_of(_private_cache, "shop").read_text())["body"]["entries"]
    assert entries[RETRO][2] is None  # so the next run reads and hashes it again


def test_entries_are_used_and_dropped_when_the_code_changes(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    _private_cache: Path,
) -> None:
    validate(capsys)
    # Plant a finding in the cache: a warm run reports it, which shows the cache is used ...
    shop = index_of(_private_cache, "shop")
    data = json.loads(shop.read_text())
    data["body"]["entries"][RETRO][1] = [[RETRO, 1, None, "planted", "schema", "error"]]
    shop.write_text(json.dumps(data))
    assert validate(capsys) == (1, f"{RETRO}:1: planted\n7 documents checked: 1 error in 1 file\n")
    # ... and a new key (schemas, templates, code or libraries changed) drops every entry.
    cache._code_key.cache_clear()
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
    shutil.copytree(root / "ops/shop", root / "ops/copy")  # a second project: a second job
    monkeypatch.chdir(root)
    serial = validate(capsys, "--no-cache")
    monkeypatch.setattr(jobs, "PARALLEL_MIN", 1)  # every run now splits across processes
    assert validate(capsys, "--no-cache") == serial
    assert validate(capsys) == serial  # and so does a cache written by several processes
    assert validate(capsys) == serial
    assert serial[0] == 1 and "ops/copy/" in serial[1] and "ops/shop/" in serial[1]


def test_a_project_where_nothing_changed_is_not_judged_again(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cross-document rules and the gate's rules run again only when a file changed."""
    from checks import rules
    from checks.validation import crossdoc

    assert main(["gate", "--as-of", "2026-01-12"]) == 0
    calls: list[str] = []
    real_cross, real_judge = crossdoc.check_project, rules.judge
    monkeypatch.setattr(
        crossdoc, "check_project", lambda *a: calls.append("cross") or real_cross(*a)
    )
    monkeypatch.setattr(rules, "judge", lambda *a: calls.append("judge") or real_judge(*a))
    first = capsys.readouterr().out
    assert main(["gate", "--as-of", "2026-01-12"]) == 0
    assert capsys.readouterr().out == first and calls == []
    assert main(["gate", "--as-of", "2026-01-13"]) == 0  # another day: judged again
    assert calls == ["judge"]
    (repo / RETRO).write_text((repo / RETRO).read_text() + "\nMore notes.\n")
    assert main(["gate", "--as-of", "2026-01-13"]) == 0  # a file changed: both again
    assert calls == ["judge", "cross", "judge"]
