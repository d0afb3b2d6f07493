"""``ops new dependency-log --from-git A..C``: the updates of a real git history, each with
the commit that made it; a bad range or a broken lockfile writes nothing."""

from __future__ import annotations

import gc
import shutil
import subprocess
import weakref
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from casetree import DATA, snapshot

from checks import lockfiles
from checks.lockfiles import cargo
from checks.lockfiles import git as from_git
from checks.main import main

BASE = DATA / "validate" / "_base"
LOCKS = DATA / "lockfiles"
LOG = "ops/shop/dependencies/2026-03-05.md"


def git(root: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return done.stdout.decode().strip()


def commit(root: Path, message: str, files: dict[str, Path | bytes]) -> str:
    for rel, source in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source if isinstance(source, bytes) else source.read_bytes())
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """A: the three lockfiles as before; B: requirements.txt and package-lock.json updated;
    C: Cargo.lock updated."""
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    git(root, "init", "-q", "-b", "main")
    a = commit(
        root,
        "A",
        {
            "requirements.txt": LOCKS / "requirements/before/requirements.txt",
            "web/package-lock.json": LOCKS / "npm/before/package-lock.json",
            "Cargo.lock": LOCKS / "cargo/before/Cargo.lock",
        },
    )
    b = commit(
        root,
        "B",
        {
            "requirements.txt": LOCKS / "requirements/after/requirements.txt",
            "web/package-lock.json": LOCKS / "npm/after/package-lock.json",
            "README.md": b"not a lockfile\n",
        },
    )
    c = commit(root, "C", {"Cargo.lock": LOCKS / "cargo/after/Cargo.lock"})
    monkeypatch.chdir(root)
    return root, [a, b, c]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def new_log(capsys: pytest.CaptureFixture[str], spec: str) -> tuple[int, str, str]:
    options = ["--project", "shop", "--date", "2026-03-05", f"--from-git={spec}"]
    return run(capsys, "new", "dependency-log", *options)


def front_matter(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text().split("---\n")[1])
    assert isinstance(data, dict)
    return data


def test_the_log_names_each_update_and_its_commit(
    repo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, (a, b, c) = repo
    code, out, _ = new_log(capsys, f"{a[:10]}..main")
    assert (code, out) == (0, f"created {LOG}\n")
    data = front_matter(root / LOG)
    assert data["window"] == f"{a[:10]}..main"
    shown = [
        (u["package"], u["ecosystem"], u.get("from"), u.get("to"), u["change"], u["commit"])
        for u in data["updates"]  # type: ignore[attr-defined]
    ]
    assert shown == [
        ("certifi", "pypi", "2024.2.2", "2024.7.4", "minor", b),
        ("idna", "pypi", "3.6", "3.7", "minor", b),
        ("pyyaml", "pypi", "6.0.1", "6.0.2", "patch", b),
        ("requests", "pypi", "2.31.0", "2.32.3", "minor", b),
        ("six", "pypi", "1.16.0", None, "removed", b),
        ("urllib3", "pypi", None, "2.2.2", "added", b),
        ("@types/node", "npm", "20.11.5", "22.0.0", "major", b),
        ("express", "npm", "4.18.2", "4.19.2", "minor", b),
        ("lodash", "npm", "4.17.21", None, "removed", b),
        ("typescript", "npm", None, "5.4.5", "added", b),
        ("serde", "cargo", "1.0.196", "1.0.197", "patch", c),
        ("syn", "cargo", "2.0.48", "2.0.52", "patch", c),
    ]
    assert data["updates"][6]["notes"] == "lockfile web/package-lock.json"  # type: ignore[index]
    body = (root / LOG).read_text().split("## Updates", 1)[1]
    assert f"| certifi | pypi | 2024.2.2 | 2024.7.4 | minor | commit {b[:12]} |" in body
    assert f"| six | pypi | 1.16.0 |  | removed | commit {b[:12]} |" in body
    assert "| requests | pypi | 2.32.3 | 2.32.4 |" not in body  # the template's example row
    assert run(capsys, "validate", LOG)[0] == 0


def test_one_commit_range_takes_only_its_changes(
    repo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, (_, b, c) = repo
    assert new_log(capsys, f"{b}..{c}")[0] == 0
    updates = front_matter(root / LOG)["updates"]
    assert [u["package"] for u in updates] == ["serde", "syn"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(
            "main",
            "ops: error: --from-git 'main' must be REV1..REV2, such as v1.4.0..HEAD\n",
            id="not-a-range",
        ),
        pytest.param(
            "main...HEAD",
            "ops: error: --from-git 'main...HEAD' must be REV1..REV2, such as v1.4.0..HEAD\n",
            id="three-dots",
        ),
        pytest.param(
            "--output=x..HEAD",
            "ops: error: --from-git '--output=x..HEAD' must be REV1..REV2, such as v1.4.0..HEAD\n",
            id="option-as-ref",
        ),
        pytest.param(
            "v9.9.9..main",
            "ops: error: --from-git v9.9.9..main: 'v9.9.9' is no branch, tag or commit here; "
            "fetch it first (for example: git fetch --tags) or name an existing one\n",
            id="unknown-ref",
        ),
        pytest.param(
            "main..main~2",
            "ops: error: --from-git main..main~2 holds no commits; name the older commit first "
            "(REV1..REV2)\n",
            id="reversed",
        ),
    ],
)
def test_a_bad_range_writes_nothing(
    repo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str], spec: str, message: str
) -> None:
    root, _ = repo
    before = snapshot(root)
    assert new_log(capsys, spec) == (2, "", message)
    assert snapshot(root) == before


def test_a_broken_lockfile_writes_nothing(
    repo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, (a, _, _) = repo
    bad = commit(root, "D", {"Cargo.lock": LOCKS / "_bad/cargo-truncated/Cargo.lock"})
    before = snapshot(root)
    code, out, err = new_log(capsys, f"{a}..HEAD")
    assert (code, out) == (2, "")
    assert err == (
        "ops: error: Cargo.lock:16: expected Cargo's Cargo.lock (version 3 or 4, or the "
        "unversioned older format); invalid TOML (Invalid value (at end of document)) (the file "
        "in commit "
        f"{bad[:12]}; nothing written)\n"
    )
    assert snapshot(root) == before


def test_from_git_is_only_for_dependency_logs(
    repo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "new", "retro", "--project", "shop", "--from-git", "a..b")
    assert (code, err) == (2, "ops: error: --from-git is for ops new dependency-log only\n")


def test_outside_a_git_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "plain"
    shutil.copytree(BASE, root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    code, _, err = new_log(capsys, "a..b")
    assert code == 2
    assert err.endswith("is not a git repository; --from-git needs one\n")


def test_only_the_last_reading_of_each_lockfile_is_kept(
    repo: tuple[Path, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Eight more commits, each pinning one more package in requirements.txt: were every
    # reading kept, they would all be alive when the last is read.
    root, (a, _, _) = repo
    pins = (LOCKS / "requirements/after/requirements.txt").read_bytes()
    for i in range(8):
        pins += f"extra{i}==1.0.0\n".encode()
        commit(root, f"D{i}", {"requirements.txt": pins})

    class Reading(dict[tuple[str, str], frozenset[str]]):
        pass  # a dict that weak references can follow

    real = lockfiles.read
    made: list[weakref.ref[Reading]] = []
    alive: list[int] = []

    def read(module: ModuleType, data: bytes) -> lockfiles.Versions:
        gc.collect()
        alive.append(sum(ref() is not None for ref in made))
        found = Reading(real(module, data))
        made.append(weakref.ref(found))
        return found

    monkeypatch.setattr(lockfiles, "read", read)
    assert new_log(capsys, f"{a}..HEAD")[0] == 0
    assert len(made) == 4 + 2 + 8  # B: two files before and after, C: one, D0-D7: the after
    assert max(alive) <= 3  # one per lockfile path: requirements, package-lock, Cargo


def _sizes(*paths: str) -> int:
    return sum((LOCKS / p).stat().st_size for p in paths)


def test_a_range_over_the_read_bound_is_split_before_the_commit_that_went_over(
    repo: tuple[Path, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, (a, _, c) = repo
    read_in_b = _sizes(
        "requirements/before/requirements.txt",
        "requirements/after/requirements.txt",
        "npm/before/package-lock.json",
        "npm/after/package-lock.json",
    )
    monkeypatch.setattr(from_git, "MAX_READ", read_in_b)  # C's Cargo.lock goes over
    before = snapshot(root)
    code, out, err = new_log(capsys, f"{a[:10]}..main")
    assert (code, out) == (2, "")
    assert err == (
        f"ops: error: --from-git {a[:10]}..main: its lockfiles add up to more than {read_in_b:,} "
        f"bytes to read (reached at Cargo.lock in commit {c[:12]}): too much for one log; split it "
        f"before commit {c[:12]}: {a[:10]}..{c[:12]}~1 and {c[:12]}~1..main\n"
    )
    assert snapshot(root) == before


def test_a_commit_alone_over_the_read_bound_is_skipped_by_starting_after_it(
    repo: tuple[Path, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, (a, b, _) = repo
    monkeypatch.setattr(from_git, "MAX_READ", 100)
    code, _, err = new_log(capsys, f"{a}..main")
    assert code == 2
    assert err == (
        f"ops: error: --from-git {a}..main: its lockfiles add up to more than 100 bytes to "
        f"read (reached at requirements.txt in commit {b[:12]}): too much for one log; commit "
        f"{b[:12]} alone is over: start the range after it ({b[:12]}..main) and say in the "
        "log's Summary what that commit brought in\n"
    )


def test_too_many_updates_split_before_the_commit_that_went_over(
    repo: tuple[Path, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, (a, _, c) = repo
    monkeypatch.setattr(from_git, "MAX_UPDATES", 11)  # B has 10, C 2 more
    before = snapshot(root)
    code, out, err = new_log(capsys, f"{a}..main")
    assert (code, out) == (2, "")
    assert err == (
        f"ops: error: --from-git {a}..main holds more than 11 dependency updates: too many to "
        f"review in one log; split it before commit {c[:12]}: {a}..{c[:12]}~1 and "
        f"{c[:12]}~1..main\n"
    )
    assert snapshot(root) == before


def test_a_lockfile_added_whole_names_its_commit_and_a_range_after_it(
    repo: tuple[Path, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, _ = repo
    added = commit(root, "D", {"app/Cargo.lock": LOCKS / "cargo/after/Cargo.lock"})
    commit(root, "E", {"app/Cargo.lock": LOCKS / "cargo/before/Cargo.lock"})
    locked = lockfiles.read(cargo, (LOCKS / "cargo/after/Cargo.lock").read_bytes())
    count = sum(len(versions) for versions in locked.values())  # each one added
    monkeypatch.setattr(from_git, "MAX_UPDATES", count - 1)
    code, _, err = new_log(capsys, f"{git_rev(root, 'HEAD~2')}..HEAD")
    assert code == 2
    assert err == (
        f"ops: error: --from-git {git_rev(root, 'HEAD~2')}..HEAD holds more than {count - 1} "
        f"dependency updates ({count} in app/Cargo.lock: a lockfile added whole?): too many "
        f"to review in one log; commit {added[:12]} alone is over: start the range after it "
        f"({added[:12]}..HEAD) and say in the log's Summary what that commit brought in\n"
    )
    # the way out it names works: the commits after it make a log
    assert new_log(capsys, f"{added[:12]}..HEAD")[0] == 0


def git_rev(root: Path, rev: str) -> str:
    return git(root, "rev-parse", "--short=12", rev)
