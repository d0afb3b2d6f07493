"""A team's own templates (templates/, or the folder .ops.yaml names) and fields (.ops.yaml):
what ops new fills, what validate requires, and what its messages name."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.main import main
from checks.resources import templates_dir

EXTRA = "\n## Customer Communication\n\nWho told customers what, and when.\n"


def ops(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    assert (
        ops(tmp_path, "init", "--project", "pay", "--owner", "@ana", "--as-of", "2026-11-20") == 0
    )
    return tmp_path


def team_template(root: Path, name: str, text: str, folder: str = "templates") -> Path:
    path = root / folder / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def packaged(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")


def new_incident(root: Path, as_of: str | None = "2026-11-20") -> int:
    day = ["--as-of", as_of] if as_of else []
    return ops(
        root, "new", "incident", "--project", "pay", "--title", "Slow", "--severity", "SEV3", *day
    )


def new_postmortem(root: Path) -> Path:
    assert (
        ops(
            root,
            "new",
            "incident",
            "--project",
            "pay",
            "--title",
            "Card payments failed",
            "--severity",
            "SEV1",
            "--date",
            "2026-11-20",
            "--as-of",
            "2026-11-20",
        )
        == 0
    )
    assert (
        ops(
            root,
            "new",
            "postmortem",
            "--project",
            "pay",
            "--incident",
            "INC-2026-001",
            "--date",
            "2026-11-21",
            "--as-of",
            "2026-11-21",
        )
        == 0
    )
    return root / "ops/pay/postmortems/2026-11-21-INC-2026-001.md"


def test_the_packaged_templates_apply_without_a_team_template(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = new_postmortem(repo)
    path.write_text(
        path.read_text(encoding="utf-8").replace("## Root Cause", "## Cause"), encoding="utf-8"
    )
    capsys.readouterr()
    assert ops(repo, "validate", str(path)) == 1
    assert (
        "missing section '## Root Cause' (a postmortem has the sections of the packaged "
        "Postmortem_Template.md)"
    ) in capsys.readouterr().out


def test_a_team_section_is_in_new_documents_and_required(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team_template(repo, "Postmortem_Template.md", packaged("Postmortem_Template.md") + EXTRA)
    path = new_postmortem(repo)
    text = path.read_text(encoding="utf-8")
    assert "## Customer Communication" in text
    capsys.readouterr()
    assert ops(repo, "validate") == 0, capsys.readouterr().out
    path.write_text(text.replace("## Customer Communication", "## Comms"), encoding="utf-8")
    assert ops(repo, "validate", str(path)) == 1
    assert (
        "missing section '## Customer Communication' (a postmortem has the sections of "
        "templates/Postmortem_Template.md)"
    ) in capsys.readouterr().out


def test_a_seed_section_stays_required_unless_a_setting_says_otherwise(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    without = packaged("Postmortem_Template.md").split("## Lessons Learned")[0]
    template = team_template(repo, "Postmortem_Template.md", without)
    capsys.readouterr()
    assert ops(repo, "validate") == 1
    out = capsys.readouterr().out
    assert "templates/Postmortem_Template.md" in out
    assert "missing section '## Lessons Learned'" in out
    (repo / ".ops.yaml").write_text(
        "sections:\n  postmortem:\n    optional: [Lessons Learned]\n", encoding="utf-8"
    )
    assert ops(repo, "validate") == 0, capsys.readouterr().out
    path = new_postmortem(repo)
    assert "## Lessons Learned" not in path.read_text(encoding="utf-8")
    assert template.is_file()


def test_the_templates_folder_can_be_named_in_the_settings(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".ops.yaml").write_text("templates: ops-templates\n", encoding="utf-8")
    team_template(
        repo,
        "Postmortem_Template.md",
        packaged("Postmortem_Template.md") + EXTRA,
        folder="ops-templates",
    )
    path = new_postmortem(repo)
    assert "## Customer Communication" in path.read_text(encoding="utf-8")
    broken = repo / "ops-templates" / "Incident_Template.md"
    broken.write_text("---\nkind: incident\n---\n", encoding="utf-8")
    capsys.readouterr()
    assert ops(repo, "validate") == 1  # the folder's templates are checked as templates/ are
    assert "ops-templates/Incident_Template.md" in capsys.readouterr().out


def test_a_team_field_is_required_and_checked(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".ops.yaml").write_text(
        "fields:\n"
        "  incident:\n"
        "    properties:\n"
        "      customer_impact:\n"
        "        description: Customers who saw the failure.\n"
        "        type: integer\n"
        "        minimum: 0\n"
        "    required: [customer_impact]\n",
        encoding="utf-8",
    )
    incident = packaged("Incident_Template.md").replace(
        "services: [checkout-api]\n", "services: []\ncustomer_impact: 0\n"
    )
    team_template(repo, "Incident_Template.md", incident)
    assert new_incident(repo) == 0
    path = repo / "ops/pay/incidents/INC-2026-001.md"
    text = path.read_text(encoding="utf-8")
    assert "customer_impact: 0\n" in text
    capsys.readouterr()
    assert ops(repo, "validate") == 0, capsys.readouterr().out
    path.write_text(text.replace("customer_impact: 0\n", "customer_impact: -3\n"), encoding="utf-8")
    assert ops(repo, "validate", str(path)) == 1
    assert "$.customer_impact: -3 is less than the minimum of 0" in capsys.readouterr().out
    path.write_text(text.replace("customer_impact: 0\n", ""), encoding="utf-8")
    assert ops(repo, "validate", str(path)) == 1
    assert "customer_impact" in capsys.readouterr().out


def test_new_incidents_carry_nothing_of_the_sample(repo: Path) -> None:
    assert new_incident(repo) == 0
    text = (repo / "ops/pay/incidents/INC-2026-001.md").read_text(encoding="utf-8")
    assert "services: []\n" in text
    assert "checkout" not in text


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("colour: blue\n", ".ops.yaml:1: $.colour: unknown key 'colour'"),
        (
            "templates: ../elsewhere\n",
            ".ops.yaml:1: $.templates: '../elsewhere' must be the name of one folder",
        ),
        ("templates: ops\n", ".ops.yaml:1: $.templates:"),
        (
            "sections:\n  postmortem:\n    optional: [Epilogue]\n",
            "'Epilogue' is not a section of the packaged Postmortem_Template.md",
        ),
        (
            "fields:\n  incident:\n    properties:\n      severity: {type: string}\n",
            ".ops.yaml:4: $.fields.incident.properties.severity: incident documents have a "
            "field 'severity' already",
        ),
        (
            "fields:\n  incident:\n    properties:\n      x: {type: object}\n",
            ".ops.yaml:4: $.fields.incident.properties.x.type:",
        ),
        (
            "fields:\n  incident:\n    properties:\n      x: {$ref: 'https://evil.example/s'}\n",
            ".ops.yaml:4: $.fields.incident.properties.x['$ref']: 'https://evil.example/s' is "
            "not one of",
        ),
        (
            "fields:\n  incident:\n    required: [nope]\n",
            "$.fields.incident.required[0]: 'nope' is not one of the fields",
        ),
        ("fields: [\n", ".ops.yaml:"),
        ("templates: OPS\n", ".ops.yaml: $.templates: 'OPS' is a folder ops uses"),
        ("templates: nothere\n", ".ops.yaml: $.templates: the folder nothere/ does not exist"),
        (
            "fields:\n  incident:\n    properties:\n      x: {type: string, pattern: '^(?=a)b$'}\n",
            ".ops.yaml:4: $.fields.incident.properties.x.pattern: '^(?=a)b$' is not a pattern team "
            "fields can use",
        ),
        (
            "fields:\n  incident:\n    properties:\n      x: {type: string, pattern: '['}\n",
            ".ops.yaml:4: $.fields.incident.properties.x.pattern: '[' is not a pattern team "
            "fields can use: it must be a valid regular expression",
        ),
    ],
)
def test_a_bad_settings_file_stops_every_command_with_its_line(
    repo: Path, capsys: pytest.CaptureFixture[str], settings: str, message: str
) -> None:
    (repo / ".ops.yaml").write_text(settings, encoding="utf-8")
    capsys.readouterr()
    for command in (["validate"], ["gate"], ["new", "security-log", "--project", "pay"]):
        assert ops(repo, *command) == 2, command
        err = capsys.readouterr().err
        assert message in err, err
        assert "Traceback" not in err
    assert not (repo / "ops/pay/security").exists()


def test_a_linked_settings_file_or_template_is_refused(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path_factory.mktemp("outside") / "secret.md"
    secret.write_text("---\ntoken: hunter2\n---\n## Secret\n", encoding="utf-8")
    (repo / ".ops.yaml").symlink_to(secret)
    assert ops(repo, "validate") == 2
    err = capsys.readouterr().err
    assert ".ops.yaml:" in err and "hunter2" not in err
    (repo / ".ops.yaml").unlink()
    (repo / "templates").mkdir()
    (repo / "templates" / "Postmortem_Template.md").symlink_to(secret)
    assert ops(repo, "validate") == 2
    err = capsys.readouterr().err
    assert "templates/Postmortem_Template.md" in err and "hunter2" not in err


def test_a_team_pattern_cannot_make_validation_hang(repo: Path) -> None:
    """^(a+)+$ against a line of a's and a '!' backtracks for ever in Python's re: a team's
    patterns are matched in linear time, so validate ends (the timeout only guards a hang)."""
    import subprocess
    import sys

    (repo / ".ops.yaml").write_text(
        "fields:\n  incident:\n    properties:\n      code: {type: string, pattern: '^(a+)+$'}\n",
        encoding="utf-8",
    )
    assert new_incident(repo) == 0
    path = repo / "ops/pay/incidents/INC-2026-001.md"
    text = path.read_text(encoding="utf-8").replace("services: []\n", "services: []\ncode: aaa\n")
    path.write_text(text, encoding="utf-8")
    assert ops(repo, "validate") == 0
    path.write_text(text.replace("code: aaa", "code: " + "a" * 5000 + "!"), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "checks", "--root", str(repo), "validate", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "$.code: 'aaaa" in proc.stdout and "does not match '^(a+)+$'" in proc.stdout


def test_validating_the_settings_file_validates_everything(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pre-commit hook passes .ops.yaml when it changes: every document is checked again
    under the new settings (here, a field every incident now needs)."""
    assert new_incident(repo) == 0
    (repo / ".ops.yaml").write_text(
        "fields:\n  incident:\n    properties:\n      team: {type: string}\n    required: [team]\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert ops(repo, "validate", str(repo / ".ops.yaml")) == 1
    out = capsys.readouterr().out
    assert "ops/pay/incidents/INC-2026-001.md:2: $.team: missing required key 'team'" in out


def test_a_linked_templates_folder_is_refused(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "Postmortem_Template.md").write_text(
        packaged("Postmortem_Template.md") + EXTRA, encoding="utf-8"
    )
    (repo / "templates").symlink_to(outside, target_is_directory=True)
    assert ops(repo, "validate") == 2
    assert "templates: is a symlink; the templates folder is a folder of the repository" in (
        capsys.readouterr().err
    )


def test_a_team_template_without_front_matter_is_named_by_ops_new(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team_template(repo, "Incident_Template.md", "## Summary\n")
    capsys.readouterr()
    assert new_incident(repo, as_of=None) == 2
    err = capsys.readouterr().err
    assert err.startswith("ops: error: templates/Incident_Template.md:1: ")
    assert "Traceback" not in err
    assert not (repo / "ops/pay/incidents").exists()


def test_a_changed_template_validates_every_document_of_its_kind(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the pre-commit hook runs when a template changes: the documents the new section
    now applies to are checked too, not only the template."""
    path = new_postmortem(repo)
    team_template(repo, "Postmortem_Template.md", packaged("Postmortem_Template.md") + EXTRA)
    capsys.readouterr()
    assert ops(repo, "validate", str(repo / "templates/Postmortem_Template.md")) == 1
    assert f"{path.relative_to(repo)}:" in capsys.readouterr().out


def test_a_packaged_section_the_team_template_leaves_out_names_where_it_comes_from(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    without = packaged("Postmortem_Template.md").split("## Lessons Learned")[0]
    team_template(repo, "Postmortem_Template.md", without)
    capsys.readouterr()
    assert ops(repo, "validate") == 1
    assert (
        "missing section '## Lessons Learned' (a postmortem has the sections of the packaged "
        "Postmortem_Template.md, which templates/Postmortem_Template.md leaves out; list it "
        "under sections.postmortem.optional in .ops.yaml to stop requiring it)"
    ) in capsys.readouterr().out


def test_a_team_template_has_at_most_100_sections(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    many = "".join(f"\n## Section {i}\n\nText.\n" for i in range(101))
    team_template(repo, "Postmortem_Template.md", packaged("Postmortem_Template.md") + many)
    capsys.readouterr()
    assert ops(repo, "validate") == 2
    assert "templates/Postmortem_Template.md: has 108 sections; a template has at most 100" in (
        capsys.readouterr().err
    )
