"""The GitHub Actions workflows: valid against GitHub's schema, clean for zizmor's offline
audits, and shaped as the project promises (least privilege, pinned actions, schedules)."""

from __future__ import annotations

import os
import re
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


def test_zizmor_auditor_finds_nothing() -> None:
    result = subprocess.run(
        [
            _tool("zizmor"),
            "--offline",
            "--persona",
            "auditor",
            "--no-progress",
            str(REPO / ".github/workflows"),
        ],
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
        assert job.get("name"), f"job {name} has a name"
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


# --- who may run what with which secret -------------------------------------------------------

# The refs a job that holds a secret or a write token may check out: reviewed code only.
TRUSTED_REFS = {
    "${{ github.event.repository.default_branch }}",
    # a schedule's payload may lack default_branch; its ref is the default branch then
    "${{ github.event.repository.default_branch || github.ref_name }}",
    "${{ github.event.pull_request.base.sha || github.sha }}",
    # the commit a projects job resolved from the default branch (checked below)
    "${{ needs.projects.outputs.sha }}",
}
# Shell that brings other code or history into a job's tree, or puts a token where a log shows it.
FORBIDDEN_IN_PRIVILEGED_RUN = (
    "git checkout",
    "git fetch",
    "FETCH_HEAD",
    "gh pr checkout",
    "gh repo clone",
    "git clone",
    "git merge ",
    "git reset",
    "x-access-token",
    "@github.com",
    "extraheader",
)
# Triggers whose runs hold the base repository's secrets while judging a stranger's code.
UNSAFE_TRIGGERS = {"pull_request_target", "workflow_run"}


def _holds_write_token(job: dict[str, Any]) -> bool:
    permissions = job.get("permissions", {})
    if isinstance(permissions, str):
        return permissions != "read-all"
    return any(level == "write" for level in permissions.values())


def _sees_secret(step: dict[str, Any]) -> bool:
    text = yaml.safe_dump({k: step.get(k) for k in ("env", "with", "run")})
    return "secrets." in text or "github.token" in text


def trust_violations(workflow: dict[Any, Any]) -> list[str]:
    """Each way a workflow lets unreviewed code or configuration near a secret or write token:
    a step that can see one runs after a checkout of anything but the default branch or the
    base commit, or a privileged step that fetches or checks out other code, or puts a token
    in a URL."""
    found = [f"trigger {t}" for t in UNSAFE_TRIGGERS & set(workflow.get(True, {}) or {})]
    for name, job in workflow["jobs"].items():
        write = _holds_write_token(job)
        untrusted = None  # the first checkout of something unreviewed
        for index, step in enumerate(job.get("steps", [])):
            label = f"{name}: step {index + 1} ({step.get('name') or step.get('uses')})"
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                given = step.get("with", {}) or {}
                if given.get("ref") not in TRUSTED_REFS or "repository" in given:
                    untrusted = untrusted or label
            privileged = write or _sees_secret(step)
            if privileged and untrusted:
                found.append(f"{label} can see a secret or write token after {untrusted}")
            run = step.get("run", "")
            if privileged or job.get("environment"):
                found += [f"{label} runs {b!r}" for b in FORBIDDEN_IN_PRIVILEGED_RUN if b in run]
    return found


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_no_secret_or_write_token_near_unreviewed_code(path: Path) -> None:
    assert trust_violations(_load(path)) == []


HOSTILE = """
on: {push: {branches: [main]}, pull_request_target: {}}
jobs:
  report:
    permissions: {contents: read}
    steps:
      - uses: actions/checkout@x
        with: {ref: "ops/slo-2026-W47", persist-credentials: false}
      - run: ops slo --post
        env: {OPS_PROMETHEUS_TOKEN: "${{ secrets.OPS_PROMETHEUS_TOKEN }}"}
  publish:
    permissions: {contents: write}
    steps:
      - uses: actions/checkout@x
        with: {ref: "${{ github.event.repository.default_branch }}"}
      - run: git fetch origin ops/slo-2026-W47 && git checkout FETCH_HEAD
      - run: git push https://x-access-token:$T@github.com/o/r.git HEAD
  gate:
    permissions: {contents: read}
    steps:
      - uses: actions/checkout@x
      - run: pip install . && ops gate
"""


def test_the_trust_check_catches_each_way_in() -> None:
    assert trust_violations(yaml.safe_load(HOSTILE)) == [
        "trigger pull_request_target",
        "report: step 2 (None) can see a secret or write token after report: step 1"
        " (actions/checkout@x)",
        "publish: step 2 (None) runs 'git checkout'",
        "publish: step 2 (None) runs 'git fetch'",
        "publish: step 2 (None) runs 'FETCH_HEAD'",
        "publish: step 3 (None) runs 'x-access-token'",
        "publish: step 3 (None) runs '@github.com'",
    ]


def test_a_commit_handed_on_comes_from_the_default_branch() -> None:
    for path in WORKFLOWS:
        jobs = _load(path)["jobs"]
        for name, job in jobs.items():
            for step in job.get("steps", []):
                ref = (step.get("with") or {}).get("ref")
                if ref == "${{ needs.projects.outputs.sha }}":
                    assert "projects" in job["needs"], (path.name, name)
                    [checkout] = [
                        s for s in jobs["projects"]["steps"] if "checkout@" in s.get("uses", "")
                    ]
                    assert checkout["with"]["ref"] in TRUSTED_REFS - {ref}
                    assert "git rev-parse HEAD" in next(
                        s["run"] for s in jobs["projects"]["steps"] if s.get("id") == "list"
                    )


def test_secrets_live_in_environments() -> None:
    for path in WORKFLOWS:
        for name, job in _load(path)["jobs"].items():
            if "secrets." in yaml.safe_dump(job):
                assert job.get("environment"), f"{path.name}: job {name} holds a secret"


# --- each workflow's shape --------------------------------------------------------------------


def test_weekly_slo_runs_every_monday_after_the_week_ends() -> None:
    workflow = _load(REPO / ".github/workflows/weekly-slo.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    minute, hour, _, _, weekday = triggers["schedule"][0]["cron"].split()
    assert weekday == "1" and minute not in ("0", "*")  # Monday, at an offset minute (UTC)
    assert 1 <= int(hour) <= 12  # an hour or more after the week ended: late samples are in
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"project", "week", "publish"}
    jobs = workflow["jobs"]
    assert jobs["projects"]["permissions"] == {"contents": "read"}
    report = jobs["report"]
    assert report["environment"] == "ops-weekly"
    assert report["permissions"] == {"contents": "read", "issues": "write"}
    assert report["strategy"]["matrix"]["project"] == "${{ fromJSON(needs.projects.outputs.list) }}"
    steps = {s.get("name"): s for s in report["steps"]}
    post = steps["Write and post the weekly SLO report"]
    assert "--post" in post["run"]
    assert post["env"]["OPS_PROMETHEUS_TOKEN"] == "${{ secrets.OPS_PROMETHEUS_TOKEN }}"
    assert post["env"]["OPS_PROMETHEUS_URL"] == "${{ secrets.OPS_PROMETHEUS_URL }}"
    assert "OPS_BOT_TOKEN" not in yaml.safe_dump(report)  # the write token is the publisher's
    publish = jobs["publish"]
    assert publish["environment"] == "ops-publish"
    assert publish["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "actions": "write",
    }
    assert "PROMETHEUS" not in yaml.safe_dump(publish) and "SLACK" not in yaml.safe_dump(publish)
    runs = "\n".join(s.get("run", "") for s in publish["steps"])
    assert "gh auth setup-git" in runs and "gh pr create" in runs


def _run_list_step(workflow: str, tmp_path: Path, **env: str) -> tuple[int, str, str]:
    """Run a workflow's input-checking step in bash, on a copy of the sample tree."""
    step = next(
        s
        for s in _load(REPO / ".github/workflows" / workflow)["jobs"]["projects"]["steps"]
        if s.get("id") == "list"
    )
    shutil.copytree(REPO / "ops", tmp_path / "ops")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q", "-b", "main"], ["add", "ops"], ["commit", "-q", "-m", "base"]):
        subprocess.run([*git, *args], cwd=tmp_path, check=True, capture_output=True)
    output = tmp_path / "output"
    output.touch()
    given = {k: "" for k in step["env"]} | env
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), **given},
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stderr, output.read_text()


HOSTILE_INPUTS = [
    ("WANTED", 'checkout"]\nlist=["x'),
    ("WANTED", "../../etc"),
    ("WANTED", "nosuchproject"),
    ("WEEK", '2026-W47\nlist=["x"]'),
    ("WEEK", "$(id)"),
    ("HORIZON", "8\nmonth=x"),
    ("HORIZON", "99"),
    ("HORIZON", "0"),
]


def _inputs(workflow: str) -> list[str]:
    steps = _load(REPO / ".github/workflows" / workflow)["jobs"]["projects"]["steps"]
    return list(next(s["env"] for s in steps if s.get("id") == "list"))


@pytest.mark.parametrize(
    ("workflow", "variable", "value"),
    [
        (workflow, variable, value)
        for workflow in ("weekly-slo.yml", "retros.yml")
        for variable, value in HOSTILE_INPUTS
        if variable in _inputs(workflow)
    ],
)
def test_inputs_are_checked_before_they_reach_the_outputs(
    tmp_path: Path, workflow: str, variable: str, value: str
) -> None:
    defaults = {"HORIZON": "8"} if workflow == "retros.yml" else {}
    code, stderr, output = _run_list_step(workflow, tmp_path, **(defaults | {variable: value}))
    assert (code, output) == (2, "")
    assert stderr.startswith(("not a", "no ops/"))


def test_the_input_steps_list_the_projects(tmp_path: Path) -> None:
    code, _, output = _run_list_step("weekly-slo.yml", tmp_path, WEEK="2026-W47")
    lines = output.splitlines()
    assert code == 0 and lines[0] == 'list=["checkout"]' and lines[-1] == "week=2026-W47"
    assert re.fullmatch(r"sha=[0-9a-f]{40}", lines[1]) and lines[2] == "base=main"
    code, _, output = _run_list_step("retros.yml", tmp_path / "r", WANTED="checkout", HORIZON="8")
    assert code == 0 and output.startswith('list=["checkout"]\nsha=')
    assert "\nbase=main\nmonth=" in output and output.endswith("horizon=8\n")


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
    assert job["permissions"] == {"contents": "read"} and "environment" not in job
    checkouts = [s["with"] for s in job["steps"] if "actions/checkout@" in s.get("uses", "")]
    # ops comes from the base commit; the pull request's files are only read by it
    assert [c.get("ref") for c in checkouts] == [
        "${{ github.event.pull_request.base.sha || github.sha }}",
        None,
    ]
    assert [c["path"] for c in checkouts] == ["gate", "tree"]
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "pip install --disable-pip-version-check ./gate" in runs
    assert [s.get("working-directory") for s in job["steps"] if "ops " in s.get("run", "")] == [
        "tree",
        "tree",
    ]
    assert 'ops gate --changed-from "$BASE_SHA" --format markdown' in runs
    assert 'ops gate --format markdown | tee -a "$GITHUB_STEP_SUMMARY"' in runs
    assert 'ops evidence verify --base "$BASE_SHA"' in runs
    assert (REPO / ".github/pull_request_template.md").is_file()


def test_the_monthly_retro_workflow() -> None:
    workflow = _load(REPO / ".github/workflows/retros.yml")
    triggers = workflow[True]
    assert triggers["schedule"][0]["cron"].split()[2:] == ["1", "*", "*"]  # monthly
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"project", "horizon-weeks"}
    jobs = workflow["jobs"]
    schedule = jobs["schedule"]
    assert schedule["permissions"] == {"contents": "read"} and "environment" not in schedule
    steps = {s.get("name"): s for s in schedule["steps"]}
    run = steps["Schedule the retros and create the placeholders"]["run"]
    assert "scripts/schedule_retros.py --project" in run and "--dry-run" in run
    handoff = [s for s in schedule["steps"] if "upload-artifact@" in s.get("uses", "")]
    assert [s["with"]["name"] for s in handoff] == ["retros-${{ matrix.project }}"]
    publish = jobs["publish"]
    assert publish["environment"] == "ops-publish"
    assert publish["permissions"] == {"contents": "write", "pull-requests": "write"}
    runs = "\n".join(s.get("run", "") for s in publish["steps"])
    assert "gh auth setup-git" in runs and "gh pr create" in runs


def test_the_evidence_workflow_folds_on_the_default_branch() -> None:
    workflow = _load(REPO / ".github/workflows/evidence.yml")
    assert workflow[True]["push"]["branches"] == ["main"]
    assert workflow["concurrency"] == {"group": "evidence-fold", "cancel-in-progress": False}
    job = workflow["jobs"]["fold"]
    assert job["environment"] == "ops-publish"
    assert job["permissions"] == {"contents": "write"}
    run = "\n".join(s.get("run", "") for s in job["steps"])
    assert run.index('ops evidence verify --base "$anchor"') < run.index("ops evidence fold")
    assert run.index("ops evidence fold") < run.index("ops evidence verify --base HEAD")
    assert "git push --quiet --force origin refs/tags/ops-evidence-folded" in run
    assert run.index("ops evidence verify  ") < run.index("git push")
    assert "gh auth setup-git" in run
