"""ops slo as a user meets it: which week, what is kept, what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_slo_post import PROJECT_YAML

from checks.main import main


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "ops/shop").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    return tmp_path


def slo(repo: Path, *args: str) -> int:
    return main(["--root", str(repo), "slo", "--project", "shop", *args])


def test_the_default_week_is_the_last_complete_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert slo(repo, "--as-of", "2026-11-23") == 0  # a Monday: the week that ended at 00:00
    assert capsys.readouterr().out == "ops/shop/slo/2026-W47.md: PASS, written\n"
    assert slo(repo, "--as-of", "2026-11-22") == 0  # a Sunday: W47 is not over
    assert capsys.readouterr().out == "ops/shop/slo/2026-W46.md: FAIL (availability), written\n"


def test_new_data_updates_the_numbers_and_keeps_the_notes(repo: Path) -> None:
    assert slo(repo, "--week", "2026-W46") == 0
    path = repo / "ops/shop/slo/2026-W46.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("<!-- Add context", "- INC-1 took the API down.\n<!-- Add context"),
        encoding="utf-8",
    )
    project = repo / "ops/shop/project.yaml"
    project.write_text(
        PROJECT_YAML.replace('bad_weeks: ["2026-W46"]', "bad_weeks: []"), encoding="utf-8"
    )
    assert slo(repo, "--week", "2026-W46") == 0
    updated = path.read_text(encoding="utf-8")
    assert "status: PASS" in updated
    assert updated.endswith(
        "## Notes\n\n- INC-1 took the API down.\n"
        "<!-- Add context: incidents, releases, known gaps in the data. -->\n"
    )


def test_an_unreadable_report_is_not_overwritten(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo / "ops/shop/slo/2026-W46.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\nkind: slo-report\nweek: [\n---\n## Notes\nmine\n", encoding="utf-8")
    before = path.read_bytes()
    assert slo(repo, "--week", "2026-W46") == 2
    err = capsys.readouterr().err
    assert "ops/shop/slo/2026-W46.md:4: YAML syntax error" in err
    assert "keeps its Notes, so it must be readable: fix it, or delete it to start again" in err
    assert path.read_bytes() == before


def test_weeks_that_have_not_ended_are_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert slo(repo, "--week", "2099-W01") == 2
    assert "week 2099-W01 has not ended yet" in capsys.readouterr().err
    assert not (repo / "ops/shop/slo").exists()


@pytest.mark.parametrize("week", ["2026-W54", "2026-47", "last"])
def test_bad_weeks(repo: Path, week: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert slo(repo, "--week", week) == 2
    assert f"'{week}' is not an ISO week such as 2026-W47" in capsys.readouterr().err


def test_a_range_of_weeks_and_its_evidence(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert slo(repo, "--weeks", "2026-W45..2026-W47") == 0
    assert sorted(p.name for p in (repo / "ops/shop/slo").iterdir()) == [
        "2026-W45.md",
        "2026-W46.md",
        "2026-W47.md",
    ]
    [file] = (repo / "evidence/phase6/pending").iterdir()
    entry = json.loads(file.read_text())
    assert entry["command"] == "slo"
    assert entry["summary"].startswith(
        "3 of 3 weekly reports written (2026-W45 PASS, 2026-W46 FAIL"
    )
    assert [a["path"] for a in entry["artefacts"]] == [
        f"ops/shop/slo/2026-W4{i}.md" for i in (5, 6, 7)
    ]
    assert main(["--root", str(repo), "validate", str(repo / "ops")]) == 0


def test_the_script_is_the_same_command(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "monitor_slo", Path(__file__).parent.parent / "scripts/monitor_slo.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--project", "shop", "--week", "2026-W47", "--root", str(repo)]) == 0
    assert capsys.readouterr().out == "ops/shop/slo/2026-W47.md: PASS, written\n"


def test_notes_under_a_heading_written_another_way_are_kept(repo: Path) -> None:
    assert slo(repo, "--week", "2026-W46") == 0
    path = repo / "ops/shop/slo/2026-W46.md"
    text = path.read_text(encoding="utf-8").replace("## Notes\n", "##  Notes ##\n- mine\n")
    path.write_text(text, encoding="utf-8")
    (repo / "ops/shop/project.yaml").write_text(
        PROJECT_YAML.replace('["2026-W46"]', "[]"), encoding="utf-8"
    )
    assert slo(repo, "--week", "2026-W46") == 0
    assert "## Notes\n\n- mine\n" in path.read_text(encoding="utf-8")


def test_a_report_without_notes_is_not_rewritten(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert slo(repo, "--week", "2026-W46") == 0
    path = repo / "ops/shop/slo/2026-W46.md"
    path.write_text(
        path.read_text(encoding="utf-8").split("## Notes")[0] + "My own words.\n", encoding="utf-8"
    )
    before = path.read_bytes()
    assert slo(repo, "--week", "2026-W46") == 2
    assert "has no '## Notes' section" in capsys.readouterr().err
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "9999-W52"], "'9999-W52' is not an ISO week"),
        (["--as-of", "0001-01-03"], "--as-of '0001-01-03' is not a valid date"),
    ],
)
def test_dates_at_the_ends_of_the_calendar(
    repo: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert slo(repo, *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_an_unwritable_job_summary_is_a_clear_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(repo / "no/such/folder/summary.md"))
    for name in ("GITHUB_TOKEN", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    assert slo(repo, "--week", "2026-W46", "--post") == 2
    assert "cannot append to $GITHUB_STEP_SUMMARY" in capsys.readouterr().err
    assert (repo / "ops/shop/slo/2026-W46.md").is_file()


def test_a_project_yaml_window_only_in_a_comment_is_an_error_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The schema's pattern finds {{window}} anywhere; in a comment it is no range, and the
    query would count a per-second rate, not the week's events."""
    from checks.main import main

    (tmp_path / "ops/shop").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(
        "project: shop\nname: Shop\nowners: ['@sre']\ntimezone: UTC\nslos:\n"
        "  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n"
        "        bad: sum(increase(errors_total[{{window}}]))\n"
        "        total: 'sum(rate(requests_total[5m])) # was [{{window}}]'\n",
        encoding="utf-8",
    )
    assert main(["--root", str(tmp_path), "validate", "--no-cache"]) == 1
    assert (
        "ops/shop/project.yaml:11: $.slos[0].sli.ratio.total: {{window}} stands only in a "
        "comment or a label value here"
    ) in capsys.readouterr().out
