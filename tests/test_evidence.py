"""The evidence trail: run.log, manifest.json, validation.md and `ops evidence`."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import re
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checks import __version__, repo
from checks.errors import OpsError
from checks.evidence import manifest, pending, runlog, validation_md
from checks.evidence.record import record
from checks.main import main

RUN_LOG = "evidence/phase6/run.log"
MANIFEST = "evidence/phase6/manifest.json"
SHARD = "evidence/phase6/manifest/demo"
VALIDATION_MD = "evidence/phase6/validation.md"
PENDING = "evidence/phase6/pending"
NOW = dt.datetime(2026, 11, 23, 6, 0, 0, tzinfo=dt.UTC)
FOLDED = dt.datetime(2026, 11, 23, 6, 5, 0, tzinfo=dt.UTC)
SHA_A = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"  # sha256(b"a")

FILES = {
    "ops/demo/project.yaml": "project: demo\n",
    "ops/demo/incidents/INC-2026-001.md": "incident\n",
    "ops/demo/postmortems/2026-11-04-INC-2026-001.md": "postmortem\n",
    "ops/demo/retros/2026-11-20.md": "retro\n",
    "ops/demo/dependencies/2026-11-18.md": "deps\n",
    "ops/demo/security/2026-11-19.md": "security\n",
    "ops/demo/slo/2026-W47.md": "slo\n",
    "ops/demo/calendar/retros.ics": "BEGIN:VCALENDAR\n",
    "ops/demo/notes/2026-13-45-not-a-date.txt": "other\n",
    "ops/demo/.hidden.md": "hidden\n",
    "ops/demo/.ops-cache/x.json": "{}\n",
    "ops/README.md": "not in a project folder\n",
    "templates/Retro_Template.md": "template\n",
}


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A git hook running the tests must not point git at its own repository.
    for name in (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GITHUB_ACTIONS",
        "GITHUB_ACTOR",
        "GITHUB_HEAD_REF",
        "GITHUB_REF_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("USER", "tester")


def git(root: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    cmd += ["-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True).stdout


def commit(root: Path, message: str = "c") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A repository with one project, its evidence built, and one commit."""
    repo = tmp_path / "repo"
    for rel, text in FILES.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    record(repo, command="slo", project="demo", result="ok", summary="week 47", now=NOW)
    pending.fold(repo, FOLDED)
    commit(repo, "initial")
    return repo


def ops(root: Path, *args: str) -> int:
    return main(["--root", str(root), "evidence", *args])


def entry(summary: str, **extra: Any) -> dict[str, Any]:
    base = {
        "timestamp": "2026-11-23T06:00:00Z",
        "tool": "ops",
        "version": __version__,
        "project": "demo",
        "command": "slo",
        "result": "ok",
        "summary": summary,
        "artefacts": [],
        "git_commit": None,
        "actor": "tester",
        "ci_run_url": None,
    }
    return base | extra


def line(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def run(summary: str, timestamp: str = "2026-11-24T06:00:00Z", **extra: Any) -> dict[str, Any]:
    """A run as a command makes it: with its own id (its pending file's name)."""
    stamp = timestamp.replace("-", "").replace(":", "")
    ident = f"{stamp}-{zlib.crc32(summary.encode()):08x}"
    return entry(summary, timestamp=timestamp, run_id=ident) | extra


def add_pending(root: Path, data: dict[str, Any]) -> str:
    return pending.write(root, data)


def snapshot_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def folded_lines(root: Path) -> list[dict[str, Any]]:
    return [x.entry for x in runlog.read(root) if x.entry is not None]


# --- run.log --------------------------------------------------------------------------------


def test_append_writes_valid_lines_and_never_rewrites(tmp_path: Path) -> None:
    runlog.append(tmp_path, entry("one"))
    before = (tmp_path / RUN_LOG).read_bytes()
    runlog.append(tmp_path, entry("two ünïcode"))
    after = (tmp_path / RUN_LOG).read_bytes()

    assert after.startswith(before)
    assert after.decode() == line(entry("one")) + line(entry("two ünïcode"))
    assert [(x.number, x.entry, x.error) for x in runlog.read(tmp_path)] == [
        (1, entry("one"), None),
        (2, entry("two ünïcode"), None),
    ]


def test_append_refuses_an_invalid_entry(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"invalid run.log entry: \$\.result: 'maybe' is not one"):
        runlog.append(tmp_path, entry("x", result="maybe"))
    assert not (tmp_path / RUN_LOG).exists()


def test_append_ends_a_line_that_lost_its_newline(tmp_path: Path) -> None:
    path = tmp_path / RUN_LOG
    path.parent.mkdir(parents=True)
    path.write_text(line(entry("one")).rstrip("\n"))
    runlog.append(tmp_path, entry("two"))
    assert path.read_text() == line(entry("one")) + line(entry("two"))


def test_make_entry_fills_in_the_context(root: Path) -> None:
    (root / "ops/demo/incidents/INC-2026-001.md").write_text("a")
    made = runlog.make_entry(
        root,
        command="exit-criteria",
        project="demo",
        result="failed",
        summary="not yet",
        artefacts=[
            Path("ops/demo/incidents/INC-2026-001.md"),
            root / "ops/demo/slo/../incidents/INC-2026-001.md",  # the same file: listed once
        ],
        as_of="2026-11-23",
        now=dt.datetime(2026, 11, 23, 7, 0, 0, 900000, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    )
    run_id = made.pop("run_id")
    assert re.fullmatch(r"20261123T060000Z-[0-9a-f]{8}", run_id)
    assert made == {
        "timestamp": "2026-11-23T06:00:00Z",
        "tool": "ops",
        "version": __version__,
        "project": "demo",
        "command": "exit-criteria",
        "result": "failed",
        "summary": "not yet",
        "artefacts": [{"path": "ops/demo/incidents/INC-2026-001.md", "sha256": SHA_A}],
        "git_commit": git(root, "rev-parse", "HEAD").strip(),
        "actor": "tester",
        "ci_run_url": None,
        "branch": "main",
        "as_of": "2026-11-23",
    }


def test_make_entry_outside_a_repository_has_no_commit_nor_branch(tmp_path: Path) -> None:
    made = runlog.make_entry(tmp_path, command="c", project=None, result="ok", summary="s")
    assert (made["git_commit"], made["branch"]) == (None, None)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, "main", id="git"),
        pytest.param(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_HEAD_REF": "fix-retro",
                "GITHUB_REF_NAME": "7/merge",
            },
            "fix-retro",
            id="pull-request",
        ),
        pytest.param(
            {"GITHUB_ACTIONS": "true", "GITHUB_HEAD_REF": "", "GITHUB_REF_NAME": "main"},
            "main",
            id="push",
        ),
    ],
)
def test_branch(root: Path, env: dict[str, str], expected: str) -> None:
    assert runlog.branch(root, env) == expected


def test_a_detached_head_has_no_branch(root: Path) -> None:
    git(root, "checkout", "-q", "--detach")
    assert runlog.branch(root, {}) is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, None, id="not-in-ci"),
        pytest.param(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_SERVER_URL": "https://github.com/",
                "GITHUB_REPOSITORY": "acme/ops",
                "GITHUB_RUN_ID": "42",
            },
            "https://github.com/acme/ops/actions/runs/42",
            id="github-actions",
        ),
        pytest.param(
            {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/ops", "GITHUB_RUN_ID": "42"},
            None,
            id="incomplete",
        ),
    ],
)
def test_ci_run_url(env: dict[str, str], expected: str | None) -> None:
    assert runlog.ci_run_url(env) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"GITHUB_ACTOR": "octocat", "USER": "root"}, "octocat", id="github-actor"),
        pytest.param({"USER": "alice"}, "alice", id="user"),
    ],
)
def test_actor(env: dict[str, str], expected: str) -> None:
    assert runlog.actor(env) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("not json", "1: line is not valid JSON: Expecting value", id="not-json"),
        pytest.param("[1]", "1: line is not a JSON object", id="not-object"),
        pytest.param("", "1: line is empty; every line is one JSON object", id="empty"),
        pytest.param(
            line(entry("x", result="maybe")).strip(),
            "1: $.result: 'maybe' is not one of ['ok', 'failed', 'error']",
            id="schema",
        ),
        pytest.param(
            line(entry("x", timestamp="2026-11-23 06:00")).strip(),
            "1: $.timestamp: '2026-11-23 06:00' must be an RFC 3339 UTC instant such as"
            " 2026-11-23T06:00:00Z",
            id="x-message",
        ),
    ],
)
def test_read_reports_bad_lines(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / RUN_LOG).parent.mkdir(parents=True)
    (tmp_path / RUN_LOG).write_text(text + "\n")
    [got] = runlog.read(tmp_path)
    where = f"{got.json_path}: " if got.json_path else ""
    assert (got.entry, f"{got.number}: {where}{got.error}") == (None, expected)


# --- pending runs ---------------------------------------------------------------------------


def test_a_run_is_written_to_a_file_of_its_own(root: Path) -> None:
    derived = {p: (root / p).read_bytes() for p in (RUN_LOG, MANIFEST, VALIDATION_MD)}
    made = record(root, command="slo", project="demo", result="ok", summary="again", now=NOW)
    [file] = sorted((root / PENDING).iterdir())
    assert file.name == f"{made['run_id']}.json"
    assert file.read_text() == line(made)
    assert {p: (root / p).read_bytes() for p in derived} == derived  # nothing shared touched


def _record_many(root: str, worker: int) -> None:
    for i in range(25):
        record(Path(root), command="slo", project="demo", result="ok", summary=f"{worker} {i}")


def test_runs_from_several_processes_never_collide(root: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_record_many, args=(str(root), w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    runs, problems = pending.scan(root)
    assert problems == []
    assert {r.entry["summary"] for r in runs} == {f"{w} {i}" for w in range(4) for i in range(25)}


def test_fold_appends_the_runs_in_the_order_they_ran(root: Path) -> None:
    later = add_pending(root, run("later", "2026-11-24T08:00:00Z"))
    add_pending(root, run("earlier", "2026-11-24T07:00:00Z"))
    before = (root / RUN_LOG).read_bytes()
    moment = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)

    folded = pending.fold(root, moment)

    assert [r.entry["summary"] for r in folded.appended] == ["earlier", "later"]
    after = (root / RUN_LOG).read_bytes()
    assert after.startswith(before)
    added = folded_lines(root)[-2:]
    assert [(e["summary"], e["folded_at"]) for e in added] == [
        ("earlier", "2026-11-25T09:00:00Z"),
        ("later", "2026-11-25T09:00:00Z"),
    ]
    assert not (root / later).exists() and list((root / PENDING).iterdir()) == []
    assert (
        "| 2026-11-24T08:00:00Z | slo | demo | ok | later | tester | local |"
        in (root / VALIDATION_MD).read_text()
    )
    assert ops(root, "verify") == 0
    assert pending.fold(root, moment) == ([], [])  # nothing left: nothing changes
    assert (root / RUN_LOG).read_bytes() == after


def test_fold_refuses_a_bad_run_and_writes_nothing(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = add_pending(root, run("fine"))
    (root / PENDING / "20261124T060000Z-0000000a.json").write_text("{not json\n")
    before = {p: (root / p).read_bytes() for p in (RUN_LOG, MANIFEST, VALIDATION_MD, good)}
    assert ops(root, "fold") == 2
    assert capsys.readouterr().err == (
        f"ops: error: {PENDING}/20261124T060000Z-0000000a.json: line is not valid JSON: "
        "Expecting property name enclosed in double quotes; nothing was folded: fix or remove it "
        "first\n"
    )
    assert {p: (root / p).read_bytes() for p in before} == before


def test_a_fold_killed_after_appending_does_not_append_twice(root: Path) -> None:
    rel = add_pending(root, run("once"))
    raw = (root / rel).read_bytes()
    pending.fold(root, FOLDED)
    (root / rel).write_bytes(raw)  # as if killed before the file was removed
    pending.fold(root, FOLDED)
    assert [e["summary"] for e in folded_lines(root)].count("once") == 1
    assert not (root / rel).exists()


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        pytest.param(
            "notes.txt",
            "x",
            "is not a pending run (a regular file named <run_id>.json); only ops"
            " writes here: remove it",
            id="stray-file",
        ),
        pytest.param(
            "20261124T060000Z-0000000b.json",
            line(run("a")) + line(run("b")),
            "holds 2 lines; a pending run is one run.log line",
            id="two-lines",
        ),
        pytest.param(
            "20261124T060000Z-0000000c.json",
            line(run("a", folded_at="2026-11-24T07:00:00Z", run_id="20261124T060000Z-0000000c")),
            "a pending run has no folded_at: it is set when the run is folded",
            id="already-folded",
        ),
        pytest.param(
            "20261124T060000Z-0000000d.json",
            line(run("a")),
            "$.run_id: its run_id '20261124T060000Z-",
            id="name-is-not-its-id",
        ),
        pytest.param(
            "20261124T060000Z-0000000e.json",
            line(run("a", result="maybe") | {"run_id": "20261124T060000Z-0000000e"}),
            "$.result: 'maybe' is not one of",
            id="invalid-run",
        ),
    ],
)
def test_verify_names_each_bad_pending_run(
    root: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    (root / PENDING).mkdir(exist_ok=True)
    (root / PENDING / name).write_text(text)
    assert ops(root, "verify") == 1
    out = capsys.readouterr().out
    assert f"{PENDING}/{name}:1: " in out and message in out


def test_a_link_in_pending_is_refused(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / PENDING).mkdir(exist_ok=True)
    (root / PENDING / "20261124T060000Z-0000000f.json").symlink_to(root / RUN_LOG)
    assert ops(root, "verify") == 1
    assert "is not a pending run" in capsys.readouterr().out
    assert ops(root, "fold") == 2


def test_a_run_dated_in_the_future_is_refused(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_pending(root, run("ahead", "2099-01-01T00:00:00Z"))
    assert ops(root, "verify") == 1
    assert "the run is dated 2099-01-01T00:00:00Z, in the future" in capsys.readouterr().out


# --- the manifest ---------------------------------------------------------------------------


def test_manifest_indexes_artefacts_in_shards_by_project_and_year(root: Path) -> None:
    index = json.loads((root / MANIFEST).read_text())
    assert [(s["path"], s["project"], s["count"]) for s in index["shards"]] == [
        (f"{SHARD}/2026.json", "demo", 5),
        (f"{SHARD}/undated.json", "demo", 3),
    ]
    listed = [
        (a["path"], a["kind"], a["project"], a["date"])
        for s in index["shards"]
        for a in json.loads((root / s["path"]).read_text())["artefacts"]
    ]
    assert listed == [
        ("ops/demo/dependencies/2026-11-18.md", "dependency-log", "demo", "2026-11-18"),
        ("ops/demo/postmortems/2026-11-04-INC-2026-001.md", "postmortem", "demo", "2026-11-04"),
        ("ops/demo/retros/2026-11-20.md", "retro", "demo", "2026-11-20"),
        ("ops/demo/security/2026-11-19.md", "security-log", "demo", "2026-11-19"),
        ("ops/demo/slo/2026-W47.md", "slo-report", "demo", "2026-W47"),
        ("ops/demo/calendar/retros.ics", "calendar", "demo", None),
        ("ops/demo/incidents/INC-2026-001.md", "incident", "demo", None),
        ("ops/demo/project.yaml", "project", "demo", None),
    ]


def test_a_shard_is_one_entry_per_line(tmp_path: Path) -> None:
    (tmp_path / "ops/demo/retros").mkdir(parents=True)
    (tmp_path / "ops/demo/retros/2026-11-20.md").write_text("a")
    (tmp_path / "ops/demo/project.yaml").write_text("a")
    built = manifest.build(tmp_path)
    common = f'"project": "demo", "sha256": "{SHA_A}"'
    assert built[f"{SHARD}/2026.json"].decode() == (
        '{"version": 2, "project": "demo", "artefacts": [\n'
        f'{{"date": "2026-11-20", "kind": "retro",'
        f' "path": "ops/demo/retros/2026-11-20.md", {common}}}\n'
        "]}\n"
    )
    assert list(built) == [f"{SHARD}/2026.json", f"{SHARD}/undated.json", MANIFEST]


def test_manifest_of_an_empty_tree(tmp_path: Path) -> None:
    assert manifest.build(tmp_path) == {MANIFEST: b'{"version": 2, "shards": [\n]}\n'}


def test_manifest_rebuild_is_byte_identical(root: Path) -> None:
    before = {p.name: p.read_bytes() for p in (root / "evidence").rglob("*") if p.is_file()}
    assert manifest.write(root) is False
    assert {p.name: p.read_bytes() for p in (root / "evidence").rglob("*") if p.is_file()} == before


def test_a_change_rewrites_its_shard_and_the_index_only(root: Path) -> None:
    undated = (root / SHARD / "undated.json").read_bytes()
    before = (root / SHARD / "2026.json").read_text().splitlines()
    (root / "ops/demo/slo/2026-W47.md").write_text("a")
    assert manifest.write(root) is True
    after = (root / SHARD / "2026.json").read_text().splitlines()
    assert [x for x in after if x not in before] == [
        f'{{"date": "2026-W47", "kind": "slo-report", "path": "ops/demo/slo/2026-W47.md",'
        f' "project": "demo", "sha256": "{SHA_A}"}}'
    ]
    assert (root / SHARD / "undated.json").read_bytes() == undated


def test_a_shard_of_nothing_is_removed(root: Path) -> None:
    for rel in ("incidents/INC-2026-001.md", "calendar/retros.ics"):
        (root / "ops/demo" / rel).unlink()
    (root / "ops/demo/project.yaml").unlink()
    (root / "ops/demo/project.yaml").write_text("a")  # undated: still one
    (root / "ops/other").mkdir()
    (root / "ops/other/project.yaml").write_text("a")
    manifest.write(root)
    shutil_rm = sorted(
        p.relative_to(root).as_posix() for p in (root / SHARD).parent.rglob("*.json")
    )
    assert shutil_rm == [
        f"{SHARD}/2026.json",
        f"{SHARD}/undated.json",
        "evidence/phase6/manifest/other/undated.json",
    ]
    (root / "ops/other/project.yaml").unlink()
    (root / "ops/other").rmdir()
    manifest.write(root)
    assert not (root / "evidence/phase6/manifest/other").exists()


def test_hashes_come_from_the_validation_cache_when_it_saw_the_file(
    root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("checks.validation.cache.RACY_NS", 0)  # trust files changed just now
    path = root / "ops/demo/incidents/INC-2026-001.md"
    main(["--root", str(root), "validate"])  # fills the cache (the files are old enough)
    reads: list[str] = []
    real = manifest.read_file

    def counting(p: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(str(p))
        return real(p, *args, **kwargs)

    monkeypatch.setattr(manifest, "read_file", counting)
    # as ops does for every command: the repository's settings apply (the cache's key)
    monkeypatch.setattr(repo, "_active", repo.load(root))
    built = manifest.build(root)
    assert str(path) not in reads  # known to the cache
    assert any(r.endswith("calendar/retros.ics") for r in reads)  # not a record: read
    assert built[MANIFEST] == (root / MANIFEST).read_bytes()


# --- validation.md --------------------------------------------------------------------------


def test_validation_md_shows_the_latest_verdict_per_criterion() -> None:
    def criterion(name: str, status: str, evidence: str) -> dict[str, str]:
        return {"name": name, "status": status, "evidence": evidence}

    older = entry(
        "verdict",
        command="exit-criteria",
        as_of="2026-11-16",
        timestamp="2026-11-16T06:00:00Z",
        criteria=[criterion("slo", "not-met", "1 week | of 2"), criterion("logs", "met", "ok")],
        ci_run_url="https://github.com/acme/ops/actions/runs/1",
        branch="main",
    )
    newer = entry(
        "verdict",
        command="exit-criteria",
        as_of="2026-11-23",
        timestamp="2026-11-23T06:00:00Z",
        criteria=[criterion("slo", "met", "2 weeks PASS")],
        branch="fix-slo",
    )
    # A run made on a branch is folded later than a newer one: when it ran decides.
    lines = runlog.parse((line(newer) + line(older) + "oops\n").encode())
    assert validation_md.render(lines) == (
        "# Phase 6 validation\n"
        "\n"
        "_Generated by `ops` from `evidence/phase6/run.log`. Do not edit this file by hand:"
        " `ops evidence fold` rebuilds it on the default branch._\n"
        "\n"
        "**1 line of run.log is invalid and left out: run `ops evidence verify`.**\n"
        "\n"
        "## Latest verdicts\n"
        "\n"
        "### demo\n"
        "\n"
        "| Criterion | Status | Evidence | As of | Recorded |\n"
        "|---|---|---|---|---|\n"
        "| slo | met | 2 weeks PASS | 2026-11-23 | 2026-11-23T06:00:00Z |\n"
        "| logs | met | ok | 2026-11-16 | 2026-11-16T06:00:00Z |\n"
        "\n"
        "## Recent runs\n"
        "\n"
        "| Time | Command | Project | Result | Summary | Actor | Where |\n"
        "|---|---|---|---|---|---|---|\n"
        "| 2026-11-23T06:00:00Z | exit-criteria | demo | ok | verdict | tester | local, fix-slo |\n"
        "| 2026-11-16T06:00:00Z | exit-criteria | demo | ok | verdict | tester | CI, main |\n"
    )


def test_validation_md_escapes_pipes_and_keeps_20_runs() -> None:
    text = "".join(
        line(entry(f"run {i} | piped", timestamp=f"2026-11-23T06:00:{i:02d}Z")) for i in range(25)
    )
    rendered = validation_md.render(runlog.parse(text.encode()))
    rows = [x for x in rendered.splitlines() if x.startswith("| 2026")]
    assert len(rows) == 20
    assert (
        rows[0] == "| 2026-11-23T06:00:24Z | slo | demo | ok | run 24 \\| piped | tester | local |"
    )
    assert "_No verdict recorded yet._" in rendered


# --- ops evidence verify: the default branch ------------------------------------------------


def test_verify_passes_after_a_fold(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ops(root, "verify") == 0
    assert capsys.readouterr().out == "2 evidence files checked: all valid\n"


def _change_artefact(root: Path) -> None:
    (root / "ops/demo/slo/2026-W47.md").write_text("changed\n")


def _add_artefact(root: Path) -> None:
    (root / "ops/demo/retros/2026-12-04.md").write_text("new\n")


def _remove_artefact(root: Path) -> None:
    (root / "ops/demo/retros/2026-11-20.md").unlink()


def _reorder_shard(root: Path) -> None:
    path = root / SHARD / "2026.json"
    doc = json.loads(path.read_text())
    path.write_text(json.dumps(doc | {"artefacts": doc["artefacts"][::-1]}, indent=2))


def _break_shard_schema(root: Path) -> None:
    path = root / SHARD / "2026.json"
    path.write_text(path.read_text().replace('"kind": "retro"', '"kind": "retro", "x": 1'))


def _edit_validation_md(root: Path) -> None:
    (root / VALIDATION_MD).write_text("all green\n")


def _append_bad_json(root: Path) -> None:
    with (root / RUN_LOG).open("a") as f:
        f.write('{"tool": "ops",\n')


FOLD = "run `ops evidence fold` (the default branch's evidence workflow does, after each merge)"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _append_bad_json,
            [
                f"{RUN_LOG}:2: line is not valid JSON: Expecting property name enclosed in double"
                " quotes",
                f"{VALIDATION_MD}:1: is not what {RUN_LOG} gives; {FOLD}",
            ],
            id="bad-json",
        ),
        pytest.param(
            _change_artefact,
            [
                f"{SHARD}/2026.json:6: ops/demo/slo/2026-W47.md changed since the manifest was"
                f" built (sha256 differs); {FOLD}"
            ],
            id="stale-hash",
        ),
        pytest.param(
            _add_artefact,
            [f"{MANIFEST}:1: ops/demo/retros/2026-12-04.md is not in the manifest; {FOLD}"],
            id="not-in-manifest",
        ),
        pytest.param(
            _remove_artefact,
            [
                f"{SHARD}/2026.json:4: ops/demo/retros/2026-11-20.md is listed but no such"
                f" artefact exists under ops/<project>/; {FOLD}"
            ],
            id="listed-but-gone",
        ),
        pytest.param(
            _reorder_shard,
            [f"{MANIFEST}:2: {SHARD}/2026.json changed since the index was built; {FOLD}"],
            id="not-canonical",
        ),
        pytest.param(
            _break_shard_schema,
            [
                f"{MANIFEST}:2: {SHARD}/2026.json changed since the index was built; {FOLD}",
                f"{SHARD}/2026.json:4: $.artefacts[2]: Additional properties are not allowed ('x'"
                f" was unexpected); {FOLD}",
            ],
            id="shard-schema",
        ),
        pytest.param(
            _edit_validation_md,
            [f"{VALIDATION_MD}:1: is not what {RUN_LOG} gives; {FOLD}"],
            id="validation-md-edited",
        ),
    ],
)
def test_verify_reports_each_problem(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Path], None],
    expected: list[str],
) -> None:
    change(root)
    assert ops(root, "verify") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == expected
    assert out[-1].startswith("2 evidence files checked: ")


def test_verify_reports_as_json(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _append_bad_json(root)
    assert ops(root, "verify", "--format", "json") == 1
    finding = json.loads(capsys.readouterr().out)["findings"][0]
    assert (finding["path"], finding["line"], finding["rule"]) == (RUN_LOG, 2, "evidence")


def test_the_gate_on_a_branch_only_warns_that_the_manifest_lags(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from checks.evidence.verify import verify

    _add_artefact(root)
    found = verify(root, coverage="warning")
    assert [(f.severity, f.message.split(";")[0]) for f in found] == [
        ("warning", "ops/demo/retros/2026-12-04.md is not in the manifest")
    ]


# --- ops evidence verify --base: a pull request, a push, a fold ------------------------------

RESTORE = "git checkout main -- {}"


def branch_with(root: Path, change: Callable[[Path], None]) -> None:
    git(root, "checkout", "-q", "-b", "feature")
    change(root)
    commit(root, "feature")


def test_a_branch_that_adds_runs_and_records_passes(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def work(r: Path) -> None:
        _add_artefact(r)
        record(r, command="new", project="demo", result="ok", summary="retro")

    branch_with(root, work)
    assert ops(root, "verify", "--base", "main") == 0
    assert capsys.readouterr().out == "3 evidence files checked: all valid\n"


def _edit_first_line(root: Path) -> None:
    path = root / RUN_LOG
    path.write_text(path.read_text().replace("week 47", "week 46"))


def _delete_first_line(root: Path) -> None:
    (root / RUN_LOG).write_text("")


def _append_directly(root: Path) -> None:
    runlog.append(root, run("straight into run.log"))


def _append_the_first_again(root: Path) -> None:
    path = root / RUN_LOG
    first = path.read_text().splitlines()[0]
    with path.open("a") as f:
        f.write(
            first.replace(
                '"folded_at":"2026-11-23T06:05:00Z"', '"folded_at":"2026-11-24T06:05:00Z"'
            )
            + "\n"
        )


def _rebuild_derived(root: Path) -> None:
    _add_artefact(root)
    manifest.write(root)


def _edit_a_pending_run(root: Path) -> None:
    path = root / PENDING / "x"
    [path] = (root / PENDING).iterdir()
    path.write_text(path.read_text().replace("waiting", "edited"))


def _drop_a_pending_run(root: Path) -> None:
    [path] = (root / PENDING).iterdir()
    path.unlink()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _edit_first_line,
            f"{RUN_LOG}:1: line 1 of run.log at main was edited or deleted (or a line was put"
            " before it); run.log only grows at its end: restore it"
            f" ({RESTORE.format(RUN_LOG)}) and fold again",
            id="edited-line",
        ),
        pytest.param(
            _delete_first_line,
            f"{RUN_LOG}:1: line 1 of run.log at main was edited or deleted (or a line was put"
            " before it); run.log only grows at its end: restore it"
            f" ({RESTORE.format(RUN_LOG)}) and fold again",
            id="deleted-line",
        ),
        pytest.param(
            _append_the_first_again,
            f"{RUN_LOG}:2: line 2 is run {{first}} again: a run is folded once; remove the line",
            id="a-run-twice",
        ),
        pytest.param(
            _append_directly,
            f"{RUN_LOG}:2: line 2 was added since main but is no run that was pending there:"
            " run.log grows only by `ops evidence fold` on the default branch; commands write"
            f" their runs to {PENDING}/, which is what a pull request adds",
            id="appended-directly",
        ),
        pytest.param(
            _rebuild_derived,
            f"{MANIFEST}:1: changed since main: it is derived, and only the default branch's"
            " `ops evidence fold` rebuilds it, so that pull requests never conflict on it; restore"
            f" it ({RESTORE.format(MANIFEST)}, or delete it if it is new)",
            id="manifest-rebuilt-in-a-branch",
        ),
    ],
)
def test_a_branch_that_touches_the_trail_is_caught(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Path], None],
    expected: str,
) -> None:
    first = json.loads((root / RUN_LOG).read_text().splitlines()[0])["run_id"]
    branch_with(root, change)
    assert ops(root, "verify", "--base", "main") == 1
    assert expected.format(first=first) in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(_edit_a_pending_run, "this pending run changed since main", id="edited"),
        pytest.param(
            _drop_a_pending_run,
            "this run was pending at main and was removed without being folded into run.log",
            id="dropped",
        ),
    ],
)
def test_a_branch_that_touches_anothers_pending_run_is_caught(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Path], None],
    expected: str,
) -> None:
    rel = add_pending(root, run("waiting"))
    commit(root, "a run waits")
    branch_with(root, change)
    assert ops(root, "verify", "--base", "main") == 1
    assert f"{rel}:1: {expected}" in capsys.readouterr().out


def test_a_fold_on_the_default_branch_passes(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_artefact(root)
    add_pending(root, run("merged from a branch", "2026-11-20T06:00:00Z"))  # ran long ago
    commit(root, "merge")
    pending.fold(root, dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC))
    assert ops(root, "verify", "--base", "HEAD") == 0
    commit(root, "fold")
    assert ops(root, "verify", "--base", "HEAD~1") == 0
    assert ops(root, "verify") == 0


def test_a_fold_that_leaves_the_manifest_stale_is_caught(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_pending(root, run("merged"))
    commit(root, "merge")
    pending.fold(root, dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC))
    _add_artefact(root)
    assert ops(root, "verify", "--base", "HEAD") == 1
    assert "ops/demo/retros/2026-12-04.md is not in the manifest" in capsys.readouterr().out


def test_a_fold_with_a_clock_gone_back_writes_nothing(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_pending(root, run("merged"))
    before = snapshot_of(root)
    with pytest.raises(OpsError, match="this machine's clock reads 2026-11-01T06:00:00Z, before"):
        pending.fold(root, dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC))
    assert snapshot_of(root) == before


def test_a_line_dated_before_the_last_one_is_caught(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rel = add_pending(root, run("merged"))
    commit(root, "merge")
    (root / rel).unlink()  # folded by hand, with a clock gone back
    line = run("merged") | {"folded_at": "2026-11-01T06:00:00Z"}
    with (root / RUN_LOG).open("a") as f:
        f.write(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n")
    manifest.write(root)
    validation_md.write(root)
    assert ops(root, "verify", "--base", "HEAD") == 1
    assert (
        f"{RUN_LOG}:2: $.folded_at: line 2 was added since HEAD but is dated 2026-11-01T06:00:00Z,"
        " before the last line run.log had there (2026-11-23T06:05:00Z); run.log only grows"
        " forward in time: remove the line and fold again"
    ) in capsys.readouterr().out


def test_a_fold_dated_in_the_future_is_caught(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_pending(root, run("merged"))
    pending.fold(root, dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    assert ops(root, "verify") == 1
    assert "folded at 2099-01-01T00:00:00Z, in the future" in capsys.readouterr().out


def test_a_run_that_comes_back_after_a_squash_merge_is_removed_by_the_fold(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = json.loads((root / RUN_LOG).read_text().splitlines()[0])
    first.pop("folded_at")
    (root / PENDING / f"{first['run_id']}.json").write_text(line(first))
    commit(root, "a stacked branch merged")
    log = (root / RUN_LOG).read_bytes()
    capsys.readouterr()
    assert ops(root, "fold") == 0
    assert "removed 1 pending file(s) of runs run.log held already" in capsys.readouterr().out
    assert (root / RUN_LOG).read_bytes() == log
    assert ops(root, "verify", "--base", "HEAD") == 0


def test_the_pre_commit_check_in_a_repository_without_a_commit(tmp_path: Path) -> None:
    (tmp_path / "ops/demo").mkdir(parents=True)
    (tmp_path / "ops/demo/project.yaml").write_text("a")
    git(tmp_path, "init", "-q", "-b", "main")
    record(tmp_path, command="new", project="demo", result="ok", summary="first")
    assert ops(tmp_path, "verify", "--base", "HEAD") == 0


def test_verify_refuses_an_unknown_base(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ops(root, "verify", "--base", "nope") == 2
    assert capsys.readouterr().err == (
        "ops: error: --base nope: no such branch, tag or commit; fetch it first"
        " (for example: git fetch origin main) or name an existing ref\n"
    )


def test_verify_base_outside_a_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ops(tmp_path, "verify", "--base", "main") == 2
    assert capsys.readouterr().err == (
        f"ops: error: {tmp_path} is not a git repository; --base needs one\n"
    )


def test_verify_base_without_git(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(root / "no-such-dir"))
    assert ops(root, "verify", "--base", "main") == 2
    assert capsys.readouterr().err == (
        "ops: error: cannot run git (No such file or directory); --base needs git\n"
    )


# --- ops evidence record --------------------------------------------------------------------


def test_record_writes_a_pending_run(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "ops/demo/incidents/INC-2026-001.md").write_text("a")
    before = (root / RUN_LOG).read_bytes()
    code = ops(
        root,
        "record",
        "--project",
        "demo",
        "--summary",
        "restored from backup",
        "--artefact",
        "ops/demo/incidents/INC-2026-001.md",
        "--result",
        "failed",
    )
    assert code == 0
    [run] = pending.scan(root)[0]
    assert capsys.readouterr().out == (
        f"recorded in {run.rel}: evidence record for demo (failed); folded into {RUN_LOG} on the"
        " default branch\n"
        f"  ops/demo/incidents/INC-2026-001.md  sha256 {SHA_A}\n"
    )
    assert (run.entry["summary"], run.entry["result"]) == ("restored from backup", "failed")
    assert (root / RUN_LOG).read_bytes() == before
    assert ops(root, "fold") == 0
    assert (
        "| evidence record | demo | failed | restored from backup | tester | local, main |"
        in (root / VALIDATION_MD).read_text()
    )
    assert ops(root, "verify") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--project", "demo", "--summary", "x", "--artefact", "escape"],
            "escape: resolves outside the repository; only files inside it can be evidence",
            id="symlink-escape",
        ),
        pytest.param(
            ["--project", "demo", "--summary", "x", "--artefact", "ops/demo/missing.md"],
            "ops/demo/missing.md: does not exist or is not a file",
            id="missing-artefact",
        ),
        pytest.param(
            ["--project", "Demo", "--summary", "x"],
            "--project 'Demo' is not a project slug"
            " (lowercase letters, digits and '-', at most 63 characters)",
            id="bad-slug",
        ),
        pytest.param(
            ["--project", "other", "--summary", "x"],
            "ops/other/ does not exist; is --project spelled right?",
            id="unknown-project",
        ),
        pytest.param(
            ["--project", "demo", "--summary", " "], "--summary must not be empty", id="no-summary"
        ),
    ],
)
def test_record_refuses(
    root: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    outside = root.parent / "secret.txt"
    outside.write_text("outside")
    (root / "escape").symlink_to(outside)
    before = {p: (root / p).read_bytes() for p in (RUN_LOG, MANIFEST, VALIDATION_MD)}

    assert ops(root, "record", *args) == 2
    assert capsys.readouterr().err == f"ops: error: {message}\n"
    assert {p: (root / p).read_bytes() for p in before} == before
    assert list((root / PENDING).iterdir()) == []


def test_no_secret_lands_in_the_evidence(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "secret-value")
    monkeypatch.setenv("OPS_PROMETHEUS_PASSWORD", "secret-value")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/ops")
    monkeypatch.setenv("GITHUB_RUN_ID", "7")
    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    assert ops(root, "record", "--project", "demo", "--summary", "in ci") == 0
    assert ops(root, "fold") == 0
    for path in (root / "evidence").rglob("*"):
        if path.is_file():
            assert "secret-value" not in path.read_text()
    last = folded_lines(root)[-1]
    assert (last["ci_run_url"], last["branch"]) == (
        "https://github.com/acme/ops/actions/runs/7",
        "main",
    )


# --- ops evidence manifest ------------------------------------------------------------------


def test_manifest_check_passes_when_up_to_date(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ops(root, "manifest", "--check") == 0
    assert capsys.readouterr().out == f"{MANIFEST} and {VALIDATION_MD} are up to date\n"


def test_manifest_check_fails_and_writes_nothing(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_artefact(root)
    (root / VALIDATION_MD).write_text("edited by hand\n")
    before = {p: p.read_bytes() for p in (root / "evidence").rglob("*") if p.is_file()}
    assert ops(root, "manifest", "--check") == 1
    assert capsys.readouterr().out == (
        f"{SHARD}/2026.json: out of date; run `ops evidence manifest` and commit it\n"
        f"{MANIFEST}: out of date; run `ops evidence manifest` and commit it\n"
        f"{VALIDATION_MD}: out of date; run `ops evidence manifest` and commit it\n"
    )
    assert {p: p.read_bytes() for p in (root / "evidence").rglob("*") if p.is_file()} == before


def test_manifest_rebuilds(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _add_artefact(root)
    assert ops(root, "manifest") == 0
    assert ops(root, "manifest") == 0
    assert capsys.readouterr().out == (
        f"{MANIFEST}: rebuilt\n{VALIDATION_MD}: unchanged\n"
        f"{MANIFEST}: unchanged\n{VALIDATION_MD}: unchanged\n"
    )
    assert ops(root, "verify") == 0


# --- what a killed run leaves ---------------------------------------------------------------


def test_the_next_fold_removes_what_a_killed_run_left(root: Path) -> None:
    folder = root / "evidence/phase6"
    left = [
        folder / ".manifest.json.k2j4_x.tmp",
        folder / ".validation.md.9qz1.tmp",
        root / SHARD / ".2026.json.abc.tmp",
    ]
    for path in left:
        path.write_text("half a file")
    (root / PENDING).mkdir(exist_ok=True)
    young = root / PENDING / ".20261124T060000Z-0000000a.json.x1.tmp"  # maybe being written
    old = root / PENDING / ".20261124T060000Z-0000000b.json.x2.tmp"
    young.write_text("half")
    old.write_text("half")
    os.utime(old, (1, 1))
    other = folder / ".notes.tmp"  # not a file ops writes: not ops's to remove
    other.write_text("mine")

    pending.fold(root, FOLDED)

    assert [p.exists() for p in [*left, young, old]] == [False, False, False, True, False]
    assert other.read_text() == "mine"
    assert ops(root, "verify") == 0


def test_git_ignores_the_temporary_files_of_a_killed_run() -> None:
    repo = Path(__file__).resolve().parent.parent
    names = [
        "evidence/phase6/.manifest.json.k2j4_x.tmp",
        "evidence/phase6/pending/.20261124T060000Z-0000000a.json.x1.tmp",
        "ops/checkout/slo/.2026-W47.md.abc.tmp",
    ]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *names], cwd=repo, capture_output=True, text=True
    )
    assert done.stdout.splitlines() == names


def test_validation_md_shows_a_summary_as_written_never_as_markdown() -> None:
    sly = entry("see [the fix](https://evil.example) by @acme/admins <img src=x> `code` | cell")
    rendered = validation_md.render(runlog.parse(line(sly).encode()))
    row = next(x for x in rendered.splitlines() if x.startswith("| 2026"))
    assert row == (
        "| 2026-11-23T06:00:00Z | slo | demo | ok | see \\[the fix\\](https://evil.example) by"
        " \\@acme/admins \\<img src=x\\> \\`code\\` \\| cell | tester | local |"
    )


def test_every_shard_and_the_index_match_their_schemas(root: Path) -> None:
    from checks.schemas import validator

    for rel, data in manifest.build(root).items():
        schema = manifest.SCHEMA if rel == MANIFEST else manifest.SHARD_SCHEMA
        assert list(validator(schema).iter_errors(json.loads(data))) == [], rel


def test_a_file_that_is_no_part_of_the_trail_is_an_error(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "evidence/phase6/notes.json").write_text("{}")
    assert ops(root, "verify") == 1
    assert (
        "evidence/phase6/notes.json:1: is no part of the evidence trail" in capsys.readouterr().out
    )


def test_a_line_with_a_key_twice_is_refused(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (root / RUN_LOG).open("a") as f:
        f.write('{"result":"ok","result":"failed"}\n')
    assert ops(root, "verify") == 1
    assert (
        f"{RUN_LOG}:2: line is not a run.log entry: the key 'result' appears twice in one object"
    ) in capsys.readouterr().out


def test_a_change_that_adds_too_many_runs_is_refused(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def flood(r: Path) -> None:
        for i in range(1001):
            add_pending(r, run(f"run {i}") | {"run_id": f"20261124T060000Z-{i:08x}"})

    branch_with(root, flood)
    assert ops(root, "verify", "--base", "main") == 1
    assert (f"{PENDING}:1: this change adds 1,001 runs (") in capsys.readouterr().out


def test_a_summary_too_long_is_refused(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ops(root, "record", "--project", "demo", "--summary", "x" * 4001) == 2
    assert capsys.readouterr().err == (
        "ops: error: --summary is 4,001 characters; a run's is at most 4,000\n"
    )


def test_a_pending_run_too_large_is_refused(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / PENDING).mkdir(exist_ok=True)
    big = run("x") | {"run_id": "20261124T060000Z-00000bbb", "summary": "x" * 3000}
    big["artefacts"] = [{"path": f"ops/demo/{i}.md", "sha256": "0" * 64} for i in range(1000)]
    (root / PENDING / "20261124T060000Z-00000bbb.json").write_text(line(big) * 3)
    assert ops(root, "verify") == 1
    assert "evidence files are limited to 262,144 bytes" in capsys.readouterr().out
