"""ops init: a project a new team can start from, written once and never overwritten."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from checks.main import main


def ops(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_init_writes_a_valid_project_that_passes_the_gate_on_day_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = ops(
        repo,
        "init",
        "--project",
        "payments",
        "--name",
        "Payments API",
        "--owner",
        "@ana",
        "--owner",
        "@ben",
        "--timezone",
        "Europe/Lisbon",
        "--as-of",
        "2026-11-28",
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "created ops/payments/project.yaml" in out.out
    text = (repo / "ops/payments/project.yaml").read_text(encoding="utf-8")
    assert 'project: payments\nname: Payments API\nowners: ["@ana", "@ben"]\n' in text
    assert "timezone: Europe/Lisbon\n" in text
    assert "since: 2026-11-28\n" in text
    # every setting is there, at its default, commented with its meaning
    for setting in (
        "severity_scale",
        "required_at_or_above",
        "dependency_log_days",
        "security_log_days",
        "max_open_days",
        "vulnerability_sla_days",
        "vulnerability_exception_max_days",
        "slo_consecutive_weeks",
        "retros:",
        "oncall:",
        "backlog:",
        "metrics:",
        "slos:",
    ):
        assert f"# {setting}" in text or f"#   {setting}" in text, setting
    assert "checkout" not in text  # nothing of the sample
    attributes = (repo / ".gitattributes").read_text(encoding="utf-8")
    assert "evidence/phase6/** -text\nops/** text eol=lf\n" in attributes
    # its run waits in pending/ like every run (a change only adds runs) ...
    assert len(list((repo / "evidence/phase6/pending").glob("*.json"))) == 1
    assert not (repo / "evidence/phase6/run.log").exists()
    assert ops(repo, "validate") == 0
    assert ops(repo, "gate", "--as-of", "2026-11-28", "--base", "HEAD") == 0
    assert "gate passed: 1 project as of 2026-11-28" in capsys.readouterr().out
    # ... until the default branch folds it: the trail starts there
    assert ops(repo, "evidence", "fold") == 0
    for name in ("run.log", "manifest.json", "validation.md"):
        assert (repo / "evidence/phase6" / name).is_file(), name
    assert ops(repo, "evidence", "verify") == 0


def test_uncommented_defaults_are_valid(repo: Path) -> None:
    """What a team gets by removing the '# ' of a setting is a valid project.yaml."""
    assert ops(repo, "init", "--project", "pay", "--as-of", "2026-11-28") == 0
    path = repo / "ops/pay/project.yaml"
    setting = re.compile(r"# ([a-z_]+:( |$)|  )")  # a commented setting, not prose
    body = "\n".join(
        line[2:] if setting.match(line) else line
        for line in path.read_text(encoding="utf-8").splitlines()
    )
    assert "\nslos:\n" in body and "\n# Weekly SLOs" in body
    path.write_text(body + "\n", encoding="utf-8")
    assert ops(repo, "validate", str(path)) == 0, body


def test_init_twice_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ops(repo, "init", "--project", "pay", "--as-of", "2026-11-28") == 0
    (repo / "ops/pay/project.yaml").write_text(
        (repo / "ops/pay/project.yaml").read_text(encoding="utf-8") + "# ours\n",
        encoding="utf-8",
    )
    before = tree(repo)
    capsys.readouterr()
    assert ops(repo, "init", "--project", "pay", "--name", "Other", "--as-of", "2026-12-01") == 0
    assert tree(repo) == before
    assert "kept ops/pay/project.yaml (it exists; ops init never overwrites)" in (
        capsys.readouterr().out
    )


def test_a_second_project_adds_a_run_and_keeps_the_trail(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ops(repo, "init", "--project", "pay", "--as-of", "2026-11-28") == 0
    assert ops(repo, "evidence", "fold") == 0
    log = (repo / "evidence/phase6/run.log").read_bytes()
    assert ops(repo, "init", "--project", "search", "--as-of", "2026-11-28") == 0
    assert (repo / "evidence/phase6/run.log").read_bytes() == log  # folded on the default branch
    assert len(list((repo / "evidence/phase6/pending").glob("*.json"))) == 1


def test_values_are_written_as_given_and_never_read_again(repo: Path) -> None:
    """A name that looks like a placeholder, or YAML, stays that name; a slug YAML would read
    as null or a number stays a string; an owner named twice is one owner."""
    assert (
        ops(
            repo,
            "init",
            "--project",
            "null",
            "--name",
            "@OWNERS@ #1: *x",
            "--owner",
            "@a",
            "--owner",
            "@a",
            "--as-of",
            "2026-11-28",
        )
        == 0
    )
    text = (repo / "ops/null/project.yaml").read_text(encoding="utf-8")
    assert 'project: "null"\n' in text
    assert 'name: "@OWNERS@ #1: *x"\n' in text
    assert 'owners: ["@a"]\n' in text
    assert ops(repo, "validate") == 0


def test_a_project_yaml_that_would_not_validate_is_not_written(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ops(repo, "init", "--project", "pay", "--timezone", "posixrules") == 2
    err = capsys.readouterr().err
    assert "the new ops/pay/project.yaml would not validate, nothing written" in err
    assert "$.timezone: 'posixrules' is not a valid time zone" in err
    assert tree(repo) == {}


@pytest.mark.parametrize("blocker", ["ops", "ops/pay", "evidence/phase6/pending", ".github"])
def test_a_file_where_a_folder_goes_is_refused_before_anything_is_written(
    repo: Path, capsys: pytest.CaptureFixture[str], blocker: str
) -> None:
    (repo / blocker).parent.mkdir(parents=True, exist_ok=True)
    (repo / blocker).write_text("in the way\n", encoding="utf-8")
    before = tree(repo)
    args = ["--ci", "--upstream", "acme/operations-protocol"]
    assert ops(repo, "init", "--project", "pay", *args) == 2
    err = capsys.readouterr().err
    assert "is not a folder; ops init needs it to be one" in err and "Traceback" not in err
    assert tree(repo) == before


def test_a_folder_where_a_file_goes_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "ops/pay/project.yaml").mkdir(parents=True)
    assert ops(repo, "init", "--project", "pay") == 2
    assert "ops/pay/project.yaml: exists and is not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--project", "Pay"], "--project 'Pay' is not a project slug"),
        (["--project", "pay", "--timezone", "Mars/Olympus"], "is not an IANA time zone"),
        (["--project", "pay", "--owner", "ana"], "--owner 'ana' must be a handle"),
        (["--project", "pay", "--ci"], "--ci needs --upstream OWNER/NAME"),
        (["--project", "pay", "--ci", "--upstream", "a/b c"], "must be OWNER/NAME"),
        (["--project", "pay", "--ci", "--upstream", "a/b", "--ref", "v1\n"], "--ref"),
        (["--project", "pay", "--since", "2026-02-30"], "--since"),
        (["--project", "pay", "--since", "2099-01-01"], "--since 2099-01-01 is after today"),
        (["--project", "pay", "--name", "Pay\u2028cadence: {x: 1}"], "--name must be one line"),
        (["--project", "pay", "--name", "Pay\x01"], "--name must be one line"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert ops(repo, "init", *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert tree(repo) == {}


def test_a_symlinked_project_folder_is_refused(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (repo / "ops").mkdir()
    (repo / "ops" / "pay").symlink_to(elsewhere, target_is_directory=True)
    assert ops(repo, "init", "--project", "pay") == 2
    assert "is a symlink" in capsys.readouterr().err
    assert list(elsewhere.iterdir()) == []


def test_an_existing_gitattributes_is_kept_and_what_it_lacks_is_said(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".gitattributes").write_text("*.png binary\nops/** text eol=lf\n", encoding="utf-8")
    assert ops(repo, "init", "--project", "pay") == 0
    assert (repo / ".gitattributes").read_text(encoding="utf-8") == (
        "*.png binary\nops/** text eol=lf\n"
    )
    err = capsys.readouterr().err
    assert "note: add evidence/phase6/** -text to .gitattributes" in err


def test_ci_is_written_at_the_top_of_the_repository_only(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "src" / "deep").mkdir(parents=True)
    args = ["init", "--project", "pay", "--ci", "--upstream", "acme/operations-protocol"]
    assert ops(repo / "src" / "deep", *args) == 2
    assert "run ops init there" in capsys.readouterr().err
    assert tree(repo) == {}


CALLERS = [
    ".github/workflows/ops-gate.yml",
    ".github/workflows/ops-gate-comment.yml",
    ".github/workflows/ops-weekly-slo.yml",
    ".github/workflows/ops-retros.yml",
    ".github/workflows/ops-evidence.yml",
    ".github/workflows/ops-site.yml",
]


def test_ci_writes_pre_commit_and_the_six_callers_once(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["init", "--project", "pay", "--ci", "--upstream", "acme/operations-protocol"]
    assert ops(repo, *args, "--ref", "v9.9.9") == 0
    created = [line for line in capsys.readouterr().out.splitlines() if line.startswith("created")]
    assert created == [
        "created ops/pay/project.yaml",
        "created .gitattributes",
        "created .pre-commit-config.yaml",
        *(f"created {name}" for name in CALLERS),
    ]
    assert sorted(p.name for p in (repo / ".github/workflows").iterdir()) == sorted(
        name.rsplit("/", 1)[1] for name in CALLERS
    )
    comment = (repo / ".github/workflows/ops-gate-comment.yml").read_text(encoding="utf-8")
    assert (
        "uses: acme/operations-protocol/.github/workflows/reusable-gate-comment.yml@v9.9.9"
    ) in comment
    assert "@UPSTREAM@" not in comment and "@REF@" not in comment
    before = tree(repo)
    assert ops(repo, *args, "--ref", "v9.9.9") == 0
    assert tree(repo) == before
    out = capsys.readouterr().out
    kept = [
        name for name in CALLERS if f"kept {name} (it exists; ops init never overwrites)" in out
    ]
    assert kept == CALLERS


def test_an_existing_pre_commit_config_is_kept_and_what_it_lacks_is_said(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    args = ["init", "--project", "pay", "--ci", "--upstream", "acme/operations-protocol"]
    assert ops(repo, *args) == 0
    out = capsys.readouterr()
    assert "kept .pre-commit-config.yaml" in out.out
    assert (
        "note: .pre-commit-config.yaml has no ops-validate, ops-check-schemas, "
        "ops-evidence-manifest"
    ) in out.err
    assert "recorded the run in evidence/phase6/pending/" in out.out
    assert (repo / ".pre-commit-config.yaml").read_text(encoding="utf-8") == "repos: []\n"
