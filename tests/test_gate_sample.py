"""The sample project as its story moves on: ops gate and ops exit-criteria on a copy of
ops/checkout, with last week's SLO report written as the weekly job would, and folded as the
default branch does after its merge."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checks.main import main

REPO = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "ops", root / "ops")
    shutil.copytree(REPO / "evidence", root / "evidence")
    assert main(["--root", str(root), "slo", "--project", "checkout", "--as-of", "2026-11-24"]) == 0
    assert main(["--root", str(root), "evidence", "fold"]) == 0  # as after the merge
    return root


def gate(root: Path, as_of: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    capsys.readouterr()
    code = main(["--root", str(root), "gate", "--as-of", as_of, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def messages(report: dict, severity: str) -> list[str]:  # type: ignore[type-arg]
    return [
        f"{f['rule']}: {f['message']}"
        for found in report["projects"].values()
        for f in found
        if f["severity"] == severity
    ]


def test_the_gate_passes_as_of_the_demo_date(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = gate(sample, "2026-11-24", capsys)
    assert code == 0, messages(report, "error")
    assert messages(report, "warning") == [
        "action-items: late: action item INC-2026-034-A2 was closed on 2026-11-06, 7 days after "
        "it was due (2026-10-30)",
        "postmortem: pending: the postmortem of INC-2026-041 is draft; it is due 2026-12-04 (10 "
        "business days after it was resolved on 2026-11-20, Europe/Berlin)",
        "action-items: late: action item RETRO-20261015-1 was closed on 2026-11-04, 6 days after "
        "it was due (2026-10-29)",
    ]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-11-30", []),  # the security log of 2026-11-23 is 7 days old: due today
        (
            "2026-12-01",
            [
                "cadence: stale: last security log 2026-11-23 is 8 days old; cadence is 7 days; "
                "add ops/checkout/security/2026-12-01.md (ops new security-log --project checkout)",
                "slo-reports: missing SLO report for 2026-W48 (Mon 2026-11-23 to Sun 2026-11-29); "
                "write it: ops slo --project checkout --week 2026-W48",
            ],
        ),
    ],
)
def test_logs_go_stale_on_the_right_day(
    sample: Path, as_of: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert messages(gate(sample, as_of, capsys)[1], "error") == expected


def test_the_retro_action_becomes_overdue_the_day_after_it_is_due(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def overdue(as_of: str) -> list[str]:
        return [m for m in messages(gate(sample, as_of, capsys)[1], "error") if "overdue" in m]

    assert overdue("2026-12-03") == []
    assert overdue("2026-12-04") == [
        "action-items: overdue: action item RETRO-20261112-1 'Post the weekly SLO report to "
        "#checkout-ops automaticall... (@jonas.weber) was due 2026-12-03, 1 day ago; close it, or "
        "agree a new due date and write it down"
    ]


def test_exit_criteria_of_the_sample(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = main(
        [
            "--root",
            str(sample),
            "exit-criteria",
            "--project",
            "checkout",
            "--as-of",
            "2026-11-24",
            "--format",
            "json",
        ]
    )
    verdict = json.loads(capsys.readouterr().out)
    assert code == 1
    assert verdict["window"] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    assert {c["name"]: c["status"] for c in verdict["criteria"]} == {
        "valid": "met",
        "slo": "met",
        "dependency-log": "met",
        "security-log": "met",
        "actions": "not-met",  # two items closed late inside the window
        "postmortems": "met",
        "vulnerabilities": "met",
    }


def test_the_repositorys_own_evidence_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    """manifest.json lists every record with its hash: a change to ops/ without
    `ops evidence manifest` (the pre-commit hook) fails here, in CI."""
    assert main(["--root", str(REPO), "evidence", "verify"]) == 0, capsys.readouterr().out


def test_an_item_closed_after_the_date_judged_was_open_then(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RETRO-20261015-1 was due 2026-10-29 and closed 2026-11-04: as of 2026-10-31 it was
    overdue, whatever the file says today."""
    code, report = gate(sample, "2026-10-31", capsys)
    assert code == 1
    overdue = [m for m in messages(report, "error") if "overdue" in m]
    assert [m.split(" was due ")[0] for m in overdue] == [
        "action-items: overdue: action item INC-2026-034-A2 'Enable redis-py health checks and "
        "reconnect to the new p... (@mara.ortiz)",
        "action-items: overdue: action item RETRO-20261015-1 'Remove or fix the 6 non-actionable "
        "pages from the last t... (@priya.nair)",
    ]
