"""The evidence trail: run.log, manifest.json, validation.md and `ops evidence`."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checks.evidence import manifest, runlog, validation_md
from checks.evidence.record import record
from checks.main import main

RUN_LOG = "evidence/phase6/run.log"
MANIFEST = "evidence/phase6/manifest.json"
VALIDATION_MD = "evidence/phase6/validation.md"
NOW = dt.datetime(2026, 11, 23, 6, 0, 0, tzinfo=dt.UTC)
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
    ".gitattributes": "evidence/phase6/run.log merge=union\n",
}


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A git hook running the tests must not point git at its own repository.
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GITHUB_ACTIONS", "GITHUB_ACTOR"):
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
    commit(repo, "initial")
    return repo


def ops(root: Path, *args: str) -> int:
    return main(["--root", str(root), "evidence", *args])


def entry(summary: str, **extra: Any) -> dict[str, Any]:
    base = {
        "timestamp": "2026-11-23T06:00:00Z",
        "tool": "ops",
        "version": "0.1.0",
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


def _append_many(root: str, worker: int) -> None:
    for i in range(25):
        runlog.append(Path(root), entry(f"worker {worker} run {i}"))


def test_concurrent_appends_from_several_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path), w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]

    lines = runlog.read(tmp_path)
    assert [x.error for x in lines] == [None] * 100
    summaries = {x.entry["summary"] for x in lines if x.entry}
    assert summaries == {f"worker {w} run {i}" for w in range(4) for i in range(25)}


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
    assert made == {
        "timestamp": "2026-11-23T06:00:00Z",
        "tool": "ops",
        "version": "0.1.0",
        "project": "demo",
        "command": "exit-criteria",
        "result": "failed",
        "summary": "not yet",
        "artefacts": [{"path": "ops/demo/incidents/INC-2026-001.md", "sha256": SHA_A}],
        "git_commit": git(root, "rev-parse", "HEAD").strip(),
        "actor": "tester",
        "ci_run_url": None,
        "as_of": "2026-11-23",
    }


def test_make_entry_outside_a_repository_has_no_commit(tmp_path: Path) -> None:
    made = runlog.make_entry(tmp_path, command="c", project=None, result="ok", summary="s")
    assert made["git_commit"] is None


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


# --- manifest.json --------------------------------------------------------------------------


def test_manifest_indexes_artefacts_with_kind_project_and_date(root: Path) -> None:
    doc = json.loads((root / MANIFEST).read_text())
    assert [(a["path"], a["kind"], a["project"], a["date"]) for a in doc["artefacts"]] == [
        ("ops/demo/calendar/retros.ics", "calendar", "demo", None),
        ("ops/demo/dependencies/2026-11-18.md", "dependency-log", "demo", "2026-11-18"),
        ("ops/demo/incidents/INC-2026-001.md", "incident", "demo", None),
        ("ops/demo/postmortems/2026-11-04-INC-2026-001.md", "postmortem", "demo", "2026-11-04"),
        ("ops/demo/project.yaml", "project", "demo", None),
        ("ops/demo/retros/2026-11-20.md", "retro", "demo", "2026-11-20"),
        ("ops/demo/security/2026-11-19.md", "security-log", "demo", "2026-11-19"),
        ("ops/demo/slo/2026-W47.md", "slo-report", "demo", "2026-W47"),
    ]


def test_manifest_is_one_entry_per_line(tmp_path: Path) -> None:
    (tmp_path / "ops/demo/retros").mkdir(parents=True)
    (tmp_path / "ops/demo/retros/2026-11-20.md").write_text("a")
    (tmp_path / "ops/demo/project.yaml").write_text("a")
    common = f'"project": "demo", "sha256": "{SHA_A}"'
    assert manifest.build(tmp_path).decode() == (
        '{"version": 1, "artefacts": [\n'
        f'{{"date": null, "kind": "project", "path": "ops/demo/project.yaml", {common}}},\n'
        f'{{"date": "2026-11-20", "kind": "retro",'
        f' "path": "ops/demo/retros/2026-11-20.md", {common}}}\n'
        "]}\n"
    )


def test_manifest_of_an_empty_tree(tmp_path: Path) -> None:
    assert manifest.build(tmp_path) == b'{"version": 1, "artefacts": [\n]}\n'


def test_manifest_rebuild_is_byte_identical(root: Path) -> None:
    before = (root / MANIFEST).read_bytes()
    assert manifest.write(root) is False
    assert (root / MANIFEST).read_bytes() == before


def test_manifest_changes_when_a_file_changes(root: Path) -> None:
    before = (root / MANIFEST).read_bytes()
    (root / "ops/demo/slo/2026-W47.md").write_text("a")
    assert manifest.write(root) is True
    after = (root / MANIFEST).read_bytes()
    assert after != before
    changed = [x for x in after.decode().splitlines() if x not in before.decode().splitlines()]
    assert changed == [
        f'{{"date": "2026-W47", "kind": "slo-report", "path": "ops/demo/slo/2026-W47.md",'
        f' "project": "demo", "sha256": "{SHA_A}"}}'
    ]


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
    )
    newer = entry(
        "verdict",
        command="exit-criteria",
        as_of="2026-11-23",
        timestamp="2026-11-23T06:00:00Z",
        criteria=[criterion("slo", "met", "2 weeks PASS")],
    )
    # Union merges can put a newer line first: the timestamp decides.
    lines = runlog.parse((line(newer) + line(older) + "oops\n").encode())
    assert validation_md.render(lines) == (
        "# Phase 6 validation\n"
        "\n"
        "_Generated by `ops` from `evidence/phase6/run.log`. Do not edit this file by hand:"
        " `ops evidence manifest` rebuilds it._\n"
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
        "| Time | Command | Project | Result | Summary | Actor |\n"
        "|---|---|---|---|---|---|\n"
        "| 2026-11-23T06:00:00Z | exit-criteria | demo | ok | verdict | tester |\n"
        "| 2026-11-16T06:00:00Z | exit-criteria | demo | ok | verdict | tester |\n"
    )


def test_validation_md_escapes_pipes_and_keeps_20_runs() -> None:
    text = "".join(
        line(entry(f"run {i} | piped", timestamp=f"2026-11-23T06:00:{i:02d}Z")) for i in range(25)
    )
    rendered = validation_md.render(runlog.parse(text.encode()))
    rows = [x for x in rendered.splitlines() if x.startswith("| 2026")]
    assert len(rows) == 20
    assert rows[0] == "| 2026-11-23T06:00:24Z | slo | demo | ok | run 24 \\| piped | tester |"
    assert "_No verdict recorded yet._" in rendered


# --- ops evidence verify --------------------------------------------------------------------


def test_verify_passes_on_a_clean_tree(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ops(root, "verify", "--base", "main") == 0
    assert capsys.readouterr().out == "2 evidence files checked: all valid\n"


def _edit_first_line(root: Path) -> None:
    path = root / RUN_LOG
    path.write_text(path.read_text().replace("week 47", "week 46"))


def _delete_first_line(root: Path) -> None:
    path = root / RUN_LOG
    path.write_text(line(entry("later")))


def _append_bad_json(root: Path) -> None:
    with (root / RUN_LOG).open("a") as f:
        f.write('{"tool": "ops",\n')


def _change_artefact(root: Path) -> None:
    (root / "ops/demo/slo/2026-W47.md").write_text("changed\n")


def _add_artefact(root: Path) -> None:
    (root / "ops/demo/retros/2026-12-04.md").write_text("new\n")


def _remove_artefact(root: Path) -> None:
    (root / "ops/demo/retros/2026-11-20.md").unlink()


def _reorder_manifest(root: Path) -> None:
    path = root / MANIFEST
    doc = json.loads(path.read_text())
    path.write_text(json.dumps({"version": 1, "artefacts": doc["artefacts"][::-1]}, indent=2))


def _break_manifest_schema(root: Path) -> None:
    path = root / MANIFEST
    path.write_text(path.read_text().replace('"kind": "retro"', '"kind": "retro", "x": 1'))


REBUILD = "run `ops evidence manifest` to rebuild it"
RESTORE = "git checkout main -- evidence/phase6/run.log"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _edit_first_line,
            f"{RUN_LOG}:1: line 1 of run.log at main was edited or deleted; run.log is"
            f" append-only: restore it ({RESTORE}) and append instead",
            id="edited-line",
        ),
        pytest.param(
            _delete_first_line,
            f"{RUN_LOG}:1: line 1 of run.log at main was edited or deleted; run.log is"
            f" append-only: restore it ({RESTORE}) and append instead",
            id="deleted-line",
        ),
        pytest.param(
            _append_bad_json,
            f"{RUN_LOG}:2: line is not valid JSON: Expecting property name enclosed in double"
            " quotes",
            id="bad-json",
        ),
        pytest.param(
            _change_artefact,
            f"{MANIFEST}:9: $.artefacts[7]: ops/demo/slo/2026-W47.md changed since the manifest"
            f" was built (sha256 differs); {REBUILD}",
            id="stale-hash",
        ),
        pytest.param(
            _add_artefact,
            f"{MANIFEST}:1: ops/demo/retros/2026-12-04.md is not in the manifest; {REBUILD}",
            id="not-in-manifest",
        ),
        pytest.param(
            _remove_artefact,
            f"{MANIFEST}:7: $.artefacts[5]: ops/demo/retros/2026-11-20.md is listed but no such"
            f" artefact exists under ops/<project>/; {REBUILD}",
            id="listed-but-gone",
        ),
        pytest.param(
            _reorder_manifest,
            f"{MANIFEST}:1: not in canonical form; run `ops evidence manifest`",
            id="not-canonical",
        ),
        pytest.param(
            _break_manifest_schema,
            f"{MANIFEST}:7: $.artefacts[5]: Additional properties are not allowed ('x' was"
            f" unexpected); {REBUILD}",
            id="manifest-schema",
        ),
    ],
)
def test_verify_reports_each_problem(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Path], None],
    expected: str,
) -> None:
    change(root)
    assert ops(root, "verify", "--base", "main") == 1
    assert capsys.readouterr().out.splitlines() == [
        expected,
        "2 evidence files checked: 1 error in 1 file",
    ]


def test_verify_reports_as_json(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _append_bad_json(root)
    assert ops(root, "verify", "--format", "json") == 1
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["path"], finding["line"], finding["rule"]) == (RUN_LOG, 2, "evidence")


def test_verify_accepts_a_union_merge(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runlog.append(root, entry("main before"))
    commit(root)
    git(root, "checkout", "-q", "-b", "feature")
    runlog.append(root, entry("feature run"))
    commit(root)
    git(root, "checkout", "-q", "main")
    runlog.append(root, entry("main after"))
    commit(root)
    git(root, "checkout", "-q", "feature")
    git(root, "merge", "-q", "--no-edit", "main")

    summaries = [x.entry["summary"] for x in runlog.read(root) if x.entry]
    assert summaries == ["week 47", "main before", "feature run", "main after"]
    assert ops(root, "verify", "--base", "main") == 0
    assert capsys.readouterr().out == "2 evidence files checked: all valid\n"


def test_verify_flags_a_line_added_with_an_earlier_date(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runlog.append(root, entry("on main", timestamp="2026-11-24T06:00:00Z"))
    commit(root)
    git(root, "checkout", "-q", "-b", "feature")
    runlog.append(root, entry("same second", timestamp="2026-11-24T06:00:00Z"))
    runlog.append(root, entry("backdated", timestamp="2026-11-20T09:30:00Z"))
    runlog.append(root, entry("later", timestamp="2026-11-25T06:00:00Z"))

    assert ops(root, "verify", "--base", "main") == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{RUN_LOG}:4: $.timestamp: line 4 was added since main but is dated"
        " 2026-11-20T09:30:00Z, before the last line run.log had there (2026-11-24T06:00:00Z);"
        " run.log only grows forward in time: remove the line and run the command again",
        "2 evidence files checked: 1 error in 1 file",
    ]


def test_verify_without_run_log_at_the_base(tmp_path: Path) -> None:
    (tmp_path / "ops/demo").mkdir(parents=True)
    (tmp_path / "ops/demo/project.yaml").write_text("a")
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path)
    git(tmp_path, "tag", "before-evidence")
    record(tmp_path, command="slo", project="demo", result="ok", summary="first")
    commit(tmp_path)
    assert ops(tmp_path, "verify", "--base", "before-evidence") == 0


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


def test_record_appends_and_rebuilds(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
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
    assert capsys.readouterr().out == (
        "recorded in evidence/phase6/run.log: evidence record for demo (failed)\n"
        f"  ops/demo/incidents/INC-2026-001.md  sha256 {SHA_A}\n"
        "rebuilt evidence/phase6/manifest.json and evidence/phase6/validation.md\n"
    )
    after = (root / RUN_LOG).read_bytes()
    assert after.startswith(before)
    [added] = runlog.parse(after[len(before) :])
    assert added.entry is not None
    assert (added.entry["summary"], added.entry["result"]) == ("restored from backup", "failed")
    assert (
        "| evidence record | demo | failed | restored from backup | tester |"
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


def test_no_secret_lands_in_the_evidence(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "secret-value")
    monkeypatch.setenv("PROMETHEUS_PASSWORD", "secret-value")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/ops")
    monkeypatch.setenv("GITHUB_RUN_ID", "7")
    assert ops(root, "record", "--project", "demo", "--summary", "in ci") == 0
    for rel in (RUN_LOG, MANIFEST, VALIDATION_MD):
        assert "secret-value" not in (root / rel).read_text()
    [*_, last] = runlog.read(root)
    assert last.entry is not None
    assert last.entry["ci_run_url"] == "https://github.com/acme/ops/actions/runs/7"


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
    manifest_before = (root / MANIFEST).read_bytes()
    assert ops(root, "manifest", "--check") == 1
    assert capsys.readouterr().out == (
        f"{MANIFEST}: out of date; run `ops evidence manifest` and commit it\n"
        f"{VALIDATION_MD}: out of date; run `ops evidence manifest` and commit it\n"
    )
    assert (root / MANIFEST).read_bytes() == manifest_before
    assert (root / VALIDATION_MD).read_text() == "edited by hand\n"


def test_manifest_rebuilds(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _add_artefact(root)
    assert ops(root, "manifest") == 0
    assert ops(root, "manifest") == 0
    assert capsys.readouterr().out == (
        f"{MANIFEST}: rebuilt\n{VALIDATION_MD}: unchanged\n"
        f"{MANIFEST}: unchanged\n{VALIDATION_MD}: unchanged\n"
    )
    assert ops(root, "verify") == 0


def test_the_next_run_removes_what_a_killed_run_left(root: Path) -> None:
    folder = root / "evidence/phase6"
    left = [folder / ".manifest.json.k2j4_x.tmp", folder / ".validation.md.9qz1.tmp"]
    for path in left:
        path.write_text("half a file")
    other = folder / ".notes.tmp"  # not a file ops writes: not ops's to remove
    other.write_text("mine")

    record(root, command="slo", project="demo", result="ok", summary="again", now=NOW)

    assert [p.exists() for p in left] == [False, False]
    assert other.read_text() == "mine"
    assert ops(root, "verify") == 0


def test_git_ignores_the_temporary_files_of_a_killed_run() -> None:
    repo = Path(__file__).resolve().parent.parent
    names = [
        "evidence/phase6/.manifest.json.k2j4_x.tmp",
        "ops/checkout/slo/.2026-W47.md.abc.tmp",
    ]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *names], cwd=repo, capture_output=True, text=True
    )
    assert done.stdout.splitlines() == names
