"""project.yaml since: a new project is judged from the day it started, not before."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.main import main

SLO = """metrics:
  source: mock
  mock: {seed: pay}
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        bad: sum(increase(http_requests_total{code=~"5.."}[{{window}}]))
        total: sum(increase(http_requests_total[{{window}}]))
"""


def project(tmp_path: Path, since: str | None, slos: bool = True) -> Path:
    folder = tmp_path / "ops" / "pay"
    folder.mkdir(parents=True)
    text = 'project: pay\nname: Pay\nowners: ["@ana"]\ntimezone: UTC\n'
    text += f"since: {since}\n" if since else ""
    (folder / "project.yaml").write_text(text + (SLO if slos else ""), encoding="utf-8")
    return tmp_path


def gate(root: Path, as_of: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--root", str(root), "gate", "--no-cache", "--as-of", as_of])
    return code, capsys.readouterr().out


def test_a_new_project_passes_the_gate_on_its_first_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = gate(project(tmp_path, "2026-11-28"), "2026-11-28", capsys)
    assert code == 0, out
    assert "pay: no findings" in out


def test_without_since_a_project_with_no_logs_fails_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = gate(project(tmp_path, None), "2026-11-28", capsys)
    assert code == 1
    assert "no security log yet; cadence is 7 days" in out


def test_the_first_log_is_due_a_cadence_after_the_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, "2026-11-28")
    code, out = gate(root, "2026-12-04", capsys)
    assert code == 0
    assert (
        "ops/pay/project.yaml:1: $.since: warning: due soon: the project started on 2026-11-28; "
        "its first security log is due by 2026-12-05 (in 1 day)"
    ) in out
    code, out = gate(root, "2026-12-06", capsys)
    assert code == 1
    assert (
        "no security log since the project started on 2026-11-28 (8 days ago); cadence is 7 "
        "days, so the first was due by 2026-12-05; add ops/pay/security/2026-12-06.md"
    ) in out
    assert "dependency log" not in out  # 14 days: not due yet


def test_slo_reports_are_asked_for_from_the_first_whole_week(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Saturday 2026-11-28: the week it falls in (2026-W48) is not asked for, 2026-W49 is
    root = project(tmp_path, "2026-11-28")
    for day in ("2026-12-05", "2026-12-12"):
        (root / "ops" / "pay" / "security").mkdir(exist_ok=True)
        assert (
            main(["--root", str(root), "new", "security-log", "--project", "pay", "--date", day])
            == 0
        )
    assert (
        main(
            [
                "--root",
                str(root),
                "new",
                "dependency-log",
                "--project",
                "pay",
                "--date",
                "2026-12-12",
            ]
        )
        == 0
    )
    capsys.readouterr()
    code, out = gate(root, "2026-12-15", capsys)
    assert code == 1, out
    assert "missing SLO report for 2026-W49 (Mon 2026-11-30 to Sun 2026-12-06)" in out
    assert "missing SLO report for 2026-W50" in out
    assert "2026-W48" not in out


def test_no_slo_report_is_asked_for_a_project_without_slos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, "2026-11-30", slos=False)
    code, out = gate(root, "2026-12-02", capsys)
    assert code == 0, out
    assert "SLO report" not in out


def test_exit_criteria_do_not_count_weeks_before_the_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, "2026-11-28")
    code = main(["--root", str(root), "exit-criteria", "--project", "pay", "--as-of", "2026-12-20"])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "NOT MET  slo: 2026-W47 before the project started (2026-11-28); 2026-W48 before the "
        "project started (2026-11-28); 2026-W49 missing; 2026-W50 missing (4 consecutive PASS "
        "weeks needed; met at the earliest on 2026-12-28)"
    ) in out
    assert "on 2026-12-06 no log was within 7 days (the project started on 2026-11-28)" in out
    assert "actions: 0 due since 2026-11-28" in out


def test_a_start_in_the_future_is_an_error_and_excuses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = gate(project(tmp_path, "2099-01-01"), "2026-11-28", capsys)
    assert code == 1
    assert "$.since: since 2099-01-01 is after the date judged (2026-11-28)" in out
    assert "no security log yet; cadence is 7 days" in out


def test_moving_the_start_forward_does_not_hide_a_stale_log_or_a_missing_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, "2026-10-01")
    for kind in ("security-log", "dependency-log"):
        assert (
            main(
                [
                    "--root",
                    str(root),
                    "new",
                    kind,
                    "--project",
                    "pay",
                    "--date",
                    "2026-10-01",
                    "--as-of",
                    "2026-10-01",
                ]
            )
            == 0
        )
    assert (
        main(
            [
                "--root",
                str(root),
                "slo",
                "--project",
                "pay",
                "--week",
                "2026-W40",
                "--as-of",
                "2026-10-06",
            ]
        )
        == 0
    )
    capsys.readouterr()
    path = root / "ops/pay/project.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("since: 2026-10-01", "since: 2026-11-28"),
        encoding="utf-8",
    )
    code, out = gate(root, "2026-11-28", capsys)
    assert code == 1
    assert "stale: last security log 2026-10-01 is 58 days old" in out
    assert "stale: last dependency log 2026-10-01 is 58 days old" in out
    assert "missing SLO report for 2026-W41" in out
