"""The GitHub Actions workflows: valid against GitHub's schema, clean for zizmor's offline
audits, and shaped as the project promises (least privilege, pinned actions, schedules)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).parent.parent
WORKFLOWS = sorted((REPO / ".github/workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is a dev dependency (pip install -e '.[dev]')"
    return found


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_workflows_match_githubs_schema() -> None:
    result = subprocess.run(
        [
            _tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing() -> None:
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", str(REPO / ".github/workflows")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_least_privilege_and_pinned_actions(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] == {}  # nothing by default; each job asks for its own
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {name} states its permissions"
        assert "timeout-minutes" in job, f"job {name} has a timeout"
        for step in job.get("steps", []):
            uses = step.get("uses")
            if uses:
                ref = uses.split("@", 1)[1]
                assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), uses
            run = step.get("run", "")
            assert "${{" not in run, f"{name}: expressions reach run: through env, not inline"
            assert "secrets." not in run


def test_weekly_slo_runs_every_monday_after_the_week_ends() -> None:
    workflow = _load(REPO / ".github/workflows/weekly-slo.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    minute, hour, _, _, weekday = triggers["schedule"][0]["cron"].split()
    assert weekday == "1" and minute not in ("0", "*")  # Monday, at an offset minute (UTC)
    assert 1 <= int(hour) <= 12  # an hour or more after the week ended: late samples are in
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"project", "week", "publish"}
    report = workflow["jobs"]["report"]
    assert report["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "issues": "write",
    }
    assert report["strategy"]["matrix"]["project"] == "${{ fromJSON(needs.projects.outputs.list) }}"
    steps = {s.get("name"): s for s in report["steps"]}
    post = steps["Write and post the weekly SLO report"]
    assert "--post" in post["run"]
    assert post["env"]["PROMETHEUS_TOKEN"] == "${{ secrets.PROMETHEUS_TOKEN }}"
    assert "gh pr create" in steps["Commit the report and its evidence"]["run"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_checkouts_do_not_keep_credentials(path: Path) -> None:
    for job in _load(path)["jobs"].values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_the_pull_request_gate() -> None:
    workflow = _load(REPO / ".github/workflows/ops-gate.yml")
    triggers = workflow[True]
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    assert (
        workflow["concurrency"]["cancel-in-progress"]
        == "${{ github.event_name == 'pull_request' }}"
    )
    job = workflow["jobs"]["gate"]
    assert job["permissions"] == {"contents": "read"}
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "pre-commit run --show-diff-on-failure --from-ref" in runs
    assert 'set -o pipefail\nops gate --format markdown | tee -a "$GITHUB_STEP_SUMMARY"' in runs
    assert 'ops evidence verify --base "$BASE_SHA"' in runs
    assert (REPO / ".github/pull_request_template.md").is_file()


def test_the_monthly_retro_workflow() -> None:
    workflow = _load(REPO / ".github/workflows/retros.yml")
    triggers = workflow[True]
    assert triggers["schedule"][0]["cron"].split()[2:] == ["1", "*", "*"]  # monthly
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"project", "horizon-weeks"}
    job = workflow["jobs"]["schedule"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    steps = {s.get("name"): s for s in job["steps"]}
    assert (
        "scripts/schedule_retros.py --project"
        in steps["Schedule the retros and create the placeholders"]["run"]
    )
    artifact = steps["Keep the calendar as an artifact"]
    assert artifact["uses"].startswith("actions/upload-artifact@")
    assert artifact["with"]["path"] == "ops/${{ matrix.project }}/calendar/retros.ics"
    assert "gh pr create" in steps["Propose the placeholders and the calendar"]["run"]
