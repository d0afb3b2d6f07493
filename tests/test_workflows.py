"""The GitHub Actions workflows: valid against GitHub's schema, clean for zizmor's offline
audits, and shaped as the project promises (least privilege, pinned actions, schedules).

The logic lives in the reusable workflows (reusable-*.yml, on: workflow_call); this
repository's own workflows and the callers `ops init --ci` copies into another repository
(checks/scaffold/workflows/) only call them."""

from __future__ import annotations

import json
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
WORKFLOW_DIR = REPO / ".github/workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
REUSABLE = sorted(WORKFLOW_DIR.glob("reusable-*.yml"))
# this repository's callers, and the reusable workflow each calls
CALLERS = {
    "ops-gate.yml": "reusable-gate.yml",
    "ops-gate-comment.yml": "reusable-gate-comment.yml",
    "weekly-slo.yml": "reusable-weekly-slo.yml",
    "retros.yml": "reusable-retros.yml",
    "evidence.yml": "reusable-evidence.yml",
    "site.yml": "reusable-site.yml",
}
# the callers `ops init --ci` writes into another repository, with the placeholders it fills
SCAFFOLD = REPO / "checks/scaffold"
SCAFFOLD_CALLERS = {
    "ops-gate.yml": "reusable-gate.yml",
    "ops-gate-comment.yml": "reusable-gate-comment.yml",
    "ops-weekly-slo.yml": "reusable-weekly-slo.yml",
    "ops-retros.yml": "reusable-retros.yml",
    "ops-evidence.yml": "reusable-evidence.yml",
    "ops-site.yml": "reusable-site.yml",
}
UPSTREAM, REF = "acme/operations-protocol", "v0.3.0"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is a dev dependency (pip install -e '.[dev]')"
    return found


def _load(path: Path) -> dict[Any, Any]:
    return _parse(path.read_text(encoding="utf-8"))


def _parse(text: str) -> dict[Any, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    triggers: dict[str, Any] = workflow[True]  # YAML 1.1 reads the key `on` as true
    return triggers


def _scaffold(name: str, upstream: str = UPSTREAM, ref: str = REF) -> str:
    """A scaffold file as `ops init --ci` writes it: the placeholders filled in."""
    text = (SCAFFOLD / name).read_text(encoding="utf-8")
    return text.replace("@UPSTREAM@", upstream).replace("@REF@", ref)


def _scaffolded(root: Path, ref: str = REF) -> Path:
    """A consumer repository's tree with the scaffold callers and pre-commit config in it."""
    (root / ".github/workflows").mkdir(parents=True)
    for name in SCAFFOLD_CALLERS:
        text = _scaffold(f"workflows/{name}", ref=ref)
        (root / ".github/workflows" / name).write_text(text, encoding="utf-8")
    (root / ".pre-commit-config.yaml").write_text(
        _scaffold("pre-commit-config.yaml", ref=ref), encoding="utf-8"
    )
    return root


def _called(uses: str) -> dict[Any, Any]:
    """The reusable workflow a caller job names: a local one, or this repository's as a
    consumer names it (OWNER/NAME/.github/workflows/FILE@REF)."""
    local = re.fullmatch(r"\./\.github/workflows/(reusable-[a-z-]+\.yml)", uses)
    remote = re.fullmatch(
        rf"{re.escape(UPSTREAM)}/\.github/workflows/(reusable-[a-z-]+\.yml)@[^@\s]+", uses
    )
    match = local or remote
    assert match, f"{uses}: a reusable workflow of this repository"
    return _load(WORKFLOW_DIR / match[1])


def _zizmor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", *args],
        capture_output=True,
        text=True,
    )


def _check_against_githubs_schema(paths: list[Path]) -> None:
    result = subprocess.run(
        [
            _tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_match_githubs_schema() -> None:
    _check_against_githubs_schema(list(WORKFLOWS))


def test_zizmor_auditor_finds_nothing() -> None:
    result = _zizmor("--persona", "auditor", str(WORKFLOW_DIR))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def _where(finding: dict[str, Any]) -> str:
    return Path(finding["locations"][0]["symbolic"]["key"]["Local"]["verbatim_path"]).name


def test_the_only_findings_ignored_here_are_a_local_call_and_the_comments_trigger() -> None:
    """Each ignore comment in the workflows is for zizmor's self-repository audit (which asks
    for `$/` instead of `./`: for a reusable workflow both name the caller's own commit), but
    one: the gate comment's workflow_run trigger, whose job runs the default branch's code and
    reads the pull request's artifact as data (its own tests below)."""
    result = _zizmor("--persona", "auditor", "--no-ignores", "--format", "json", str(WORKFLOW_DIR))
    findings = json.loads(result.stdout)
    dangerous = [_where(f) for f in findings if f["ident"] == "dangerous-triggers"]
    assert dangerous == ["ops-gate-comment.yml"]
    rest = [f for f in findings if f["ident"] != "dangerous-triggers"]
    assert {f["ident"] for f in rest} <= {"self-repository"}  # (zizmor 1.30 and later)
    assert len(rest) <= len(CALLERS)


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_least_privilege_and_pinned_actions(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] == {}  # nothing by default; each job asks for its own
    for name, job in workflow["jobs"].items():
        assert job.get("name"), f"job {name} has a name"
        assert "permissions" in job, f"job {name} states its permissions"
        if "uses" in job:  # a caller job: the timeouts are the called jobs'
            assert re.fullmatch(r"\./\.github/workflows/reusable-[a-z-]+\.yml", job["uses"])
            assert (REPO / job["uses"]).is_file()
            continue
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
# What a workflow_run job may write, when it reads no secret and checks out only the default
# branch: a comment on the pull request whose run it follows (ops-gate-comment.yml).
WORKFLOW_RUN_WRITES = {"pull-requests"}


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
    in a URL; or a caller hands a called workflow every secret (secrets: inherit) or one under
    another name than its own."""
    triggers = UNSAFE_TRIGGERS & set(workflow.get(True, {}) or {})
    if triggers == {"workflow_run"} and _runs_only_the_default_branch(workflow):
        triggers = set()
    found = [f"trigger {t}" for t in sorted(triggers)]
    for name, job in workflow["jobs"].items():
        secrets = job.get("secrets")
        if secrets == "inherit":
            found.append(f"{name}: secrets: inherit")
        for key, value in (secrets if isinstance(secrets, dict) else {}).items():
            if value != f"${{{{ secrets.{key} }}}}":
                found.append(f"{name}: passes {value!r} as {key}")
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


def _runs_only_the_default_branch(workflow: dict[Any, Any]) -> bool:
    """Whether every job (a called workflow's too) reads no secret, checks out only the
    default branch, and may write only what WORKFLOW_RUN_WRITES allows: a workflow_run that
    never brings the other run's code near its token."""
    jobs = list(workflow["jobs"].values())
    jobs += [c for job in jobs if "uses" in job for c in _called(job["uses"])["jobs"].values()]
    for job in jobs:
        permissions = job.get("permissions", {})
        if not isinstance(permissions, dict) or "secrets." in yaml.safe_dump(job):
            return False
        if {
            scope for scope, level in permissions.items() if level == "write"
        } - WORKFLOW_RUN_WRITES:
            return False
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                given = step.get("with", {}) or {}
                ref = "${{ github.event.repository.default_branch }}"
                if given.get("ref") != ref or "repository" in given:
                    return False
    return True


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_no_secret_or_write_token_near_unreviewed_code(path: Path) -> None:
    assert trust_violations(_load(path)) == []


@pytest.mark.parametrize("name", sorted(SCAFFOLD_CALLERS))
def test_no_secret_near_unreviewed_code_in_the_scaffold(name: str) -> None:
    assert trust_violations(_parse(_scaffold(f"workflows/{name}"))) == []


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
  every:
    uses: ./.github/workflows/reusable-weekly-slo.yml
    secrets: inherit
  renamed:
    uses: ./.github/workflows/reusable-weekly-slo.yml
    secrets: {OPS_BOT_TOKEN: "${{ secrets.ORG_ADMIN_TOKEN }}"}
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
        "every: secrets: inherit",
        "renamed: passes '${{ secrets.ORG_ADMIN_TOKEN }}' as OPS_BOT_TOKEN",
    ]


HOSTILE_RUN = """
on: {workflow_run: {workflows: [ops-gate], types: [completed]}}
jobs:
  comment:
    permissions: {actions: read, pull-requests: write}
    steps:
      - uses: actions/checkout@x
        with: {ref: "${{ github.event.workflow_run.head_sha }}", persist-credentials: false}
      - run: pip install . && ops pr-comment
  label:
    permissions: {contents: write}
    steps:
      - uses: actions/checkout@x
        with: {ref: "${{ github.event.repository.default_branch }}"}
"""


def test_the_trust_check_catches_a_workflow_run_near_the_pull_requests_code() -> None:
    """workflow_run passes only when no job checks out anything but the default branch, reads
    a secret, or may write more than a pull request's comments."""
    workflow = yaml.safe_load(HOSTILE_RUN)
    assert trust_violations(workflow) == [
        "trigger workflow_run",
        "comment: step 1 (actions/checkout@x) can see a secret or write token after comment:"
        " step 1 (actions/checkout@x)",
        "comment: step 2 (None) can see a secret or write token after comment: step 1"
        " (actions/checkout@x)",
    ]
    del workflow["jobs"]["comment"]
    assert trust_violations(workflow) == ["trigger workflow_run"]  # contents: write
    workflow["jobs"]["label"]["permissions"] = {"pull-requests": "write"}
    assert trust_violations(workflow) == []


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


def _secrets_read(job: dict[str, Any]) -> set[str]:
    return set(re.findall(r"secrets\.([A-Za-z0-9_]+)", yaml.safe_dump(job)))


def test_secrets_live_in_environments() -> None:
    for path in WORKFLOWS:
        for name, job in _load(path)["jobs"].items():
            if "uses" in job:
                # a caller job names the secrets; the called jobs that read them run in an
                # environment, whose own secret of that name wins over the one passed
                called = _called(job["uses"])["jobs"].values()
                for secret in job.get("secrets", {}):
                    readers = [j for j in called if secret in _secrets_read(j)]
                    assert readers and all(j.get("environment") for j in readers), secret
            elif "secrets." in yaml.safe_dump(job):
                assert job.get("environment"), f"{path.name}: job {name} holds a secret"


# --- the reusable workflows and their callers -------------------------------------------------


@pytest.mark.parametrize("path", REUSABLE, ids=[p.name for p in REUSABLE])
def test_reusable_workflows_take_the_common_inputs(path: Path) -> None:
    workflow = _load(path)
    assert set(_triggers(workflow)) == {"workflow_call"}  # only ever called
    call = _triggers(workflow)["workflow_call"]
    inputs = call["inputs"]
    if path.name != "reusable-code-scanning.yml":  # the only one that runs no ops
        assert inputs["python-version"]["default"] == "3.11"
        assert inputs["ops-version"]["default"] == ""
    # the fold is the whole trail's, the comment and code scanning the whole gate's, the site
    # every project's: they pick no projects
    if path.name not in (
        "reusable-evidence.yml",
        "reusable-site.yml",
        "reusable-gate-comment.yml",
        "reusable-code-scanning.yml",
    ):
        assert inputs["projects"]["default"] == ""
    for name, spec in inputs.items():
        assert spec["type"] == "string" and spec["required"] is False, name
        assert spec.get("description"), name
    declared = call.get("secrets", {}) or {}
    assert all(spec["required"] is False for spec in declared.values())
    read = set().union(*(_secrets_read(job) for job in workflow["jobs"].values()))
    assert read == set(declared)  # every secret read is declared: a caller can pass it by name
    # setup-python takes the input; nothing interpolates an input into a shell
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "setup-python@" in step.get("uses", ""):
                assert step["with"]["python-version"] == "${{ inputs.python-version }}"
    assert workflow["concurrency"]["group"]


def _permission_union(jobs: dict[str, Any]) -> dict[str, str]:
    union: dict[str, str] = {}
    for job in jobs.values():
        for scope, level in job["permissions"].items():
            if union.get(scope) != "write":
                union[scope] = level
    return union


def _caller_contract(workflow: dict[Any, Any]) -> None:
    """What GitHub checks when the run starts (and what least privilege asks): each input
    passed is declared and each required one passed; each secret is passed by its own name
    and declared; the caller job grants what the called jobs ask for, and no more."""
    assert workflow["permissions"] == {}
    assert "concurrency" not in workflow  # the called workflow's (the same group would deadlock)
    [job] = workflow["jobs"].values()
    called = _called(job["uses"])
    call = _triggers(called)["workflow_call"]
    inputs = call.get("inputs", {})
    given = job.get("with", {}) or {}
    assert set(given) <= set(inputs)
    assert {k for k, spec in inputs.items() if spec.get("required")} <= set(given)
    assert job.get("secrets", {}) != "inherit"
    secrets = job.get("secrets", {}) or {}
    assert set(secrets) == set(call.get("secrets", {}) or {})  # each named, none left out
    assert all(value == f"${{{{ secrets.{key} }}}}" for key, value in secrets.items())
    assert job["permissions"] == _permission_union(called["jobs"])


@pytest.mark.parametrize("name", sorted(CALLERS))
def test_this_repositorys_workflows_call_the_reusable_ones(name: str) -> None:
    workflow = _load(WORKFLOW_DIR / name)
    [job] = workflow["jobs"].values()
    assert job["uses"] == f"./.github/workflows/{CALLERS[name]}"
    assert "ops-version" not in (job.get("with") or {})  # ops from this repository's checkout
    _caller_contract(workflow)


def test_every_workflow_here_is_a_caller_a_reusable_one_or_the_tests() -> None:
    # code scanning is opt-in: no caller here (docs/pull-requests.md shows the job to add)
    assert {p.name for p in WORKFLOWS} == {
        *CALLERS,
        *CALLERS.values(),
        "reusable-code-scanning.yml",
        "tests.yml",
    }
    assert not list(WORKFLOW_DIR.glob("*.yaml"))
    assert sorted(p.name for p in (SCAFFOLD / "workflows").iterdir()) == sorted(SCAFFOLD_CALLERS)


# --- the callers another repository gets (ops init --ci) ----------------------------------------


@pytest.mark.parametrize("name", sorted(SCAFFOLD_CALLERS))
def test_a_scaffold_caller_is_short_and_calls_the_release(name: str) -> None:
    raw = (SCAFFOLD / "workflows" / name).read_text(encoding="utf-8")
    assert len(raw.splitlines()) <= 15 and raw.endswith("\n")
    assert "secrets: inherit" not in raw
    reusable = SCAFFOLD_CALLERS[name]
    assert f"uses: @UPSTREAM@/.github/workflows/{reusable}@@REF@" in raw
    text = _scaffold(f"workflows/{name}")
    assert "@UPSTREAM@" not in text and "@REF@" not in text
    assert len(text.splitlines()) <= 15
    workflow = _parse(text)
    [job] = workflow["jobs"].values()
    assert job["uses"] == f"{UPSTREAM}/.github/workflows/{reusable}@{REF}"
    assert (
        job["with"]["ops-version"]
        == f"operations-protocol @ git+https://github.com/{UPSTREAM}@{REF}"
    )
    _caller_contract(workflow)
    # the same triggers as this repository's own caller, less the manual inputs
    own = _load(WORKFLOW_DIR / next(k for k, v in CALLERS.items() if v == reusable))
    assert set(_triggers(workflow)) == set(_triggers(own))
    for exact in ("schedule", "workflow_run"):
        if exact in _triggers(own):
            assert _triggers(workflow)[exact] == _triggers(own)[exact]
    if "push" in _triggers(own):
        assert set(_triggers(own)["push"]["branches"]) <= set(
            _triggers(workflow)["push"]["branches"]
        )


def test_the_scaffold_callers_match_githubs_schema(tmp_path: Path) -> None:
    root = _scaffolded(tmp_path)
    _check_against_githubs_schema(sorted((root / ".github/workflows").iterdir()))


@pytest.mark.parametrize("persona", ["regular", "auditor"])
def test_zizmor_finds_nothing_in_the_scaffold(tmp_path: Path, persona: str) -> None:
    result = _zizmor("--persona", persona, str(_scaffolded(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_the_scaffold_ignores_only_a_release_tag(tmp_path: Path) -> None:
    """A release tag is what the callers name (ops init fills @REF@ with one): the one
    finding they tell zizmor to ignore is that it is not a commit; with a commit SHA there is
    nothing to ignore."""
    tag = _zizmor(
        "--persona",
        "auditor",
        "--no-ignores",
        "--format",
        "json",
        str(_scaffolded(tmp_path / "tag")),
    )
    findings = json.loads(tag.stdout)
    unpinned = [f for f in findings if f["ident"] != "dangerous-triggers"]
    assert [f["ident"] for f in unpinned] == ["unpinned-uses"] * len(SCAFFOLD_CALLERS)
    # and the comment's trigger (reviewed: test_the_gate_comment_*)
    dangerous = [_where(f) for f in findings if f["ident"] == "dangerous-triggers"]
    assert dangerous == ["ops-gate-comment.yml"]
    sha = "0123456789abcdef0123456789abcdef01234567"
    pinned = _zizmor(
        "--persona",
        "auditor",
        "--no-ignores",
        "--format",
        "json",
        str(_scaffolded(tmp_path / "sha", ref=sha)),
    )
    found = [(f["ident"], _where(f)) for f in json.loads(pinned.stdout)]
    assert found == [("dangerous-triggers", "ops-gate-comment.yml")], pinned.stderr


def test_the_scaffold_pre_commit_config_lists_the_hooks() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    raw = (SCAFFOLD / "pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "repo: https://github.com/@UPSTREAM@\n" in raw and "rev: @REF@\n" in raw
    config = yaml.safe_load(_scaffold("pre-commit-config.yaml"))
    [repo] = config["repos"]
    assert repo["repo"] == f"https://github.com/{UPSTREAM}" and repo["rev"] == REF
    ids = [hook["id"] for hook in repo["hooks"]]
    assert sorted(ids) == sorted(hook["id"] for hook in hooks) and len(set(ids)) == len(ids)


# --- the inputs, checked in bash before they are used -------------------------------------------


def _tree(root: Path) -> Path:
    """A copy of the sample tree, committed, to run a step in."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "ops", root / "ops")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q", "-b", "main"], ["add", "ops"], ["commit", "-q", "-m", "base"]):
        subprocess.run([*git, *args], cwd=root, check=True, capture_output=True)
    return root


def _run_step(
    step: dict[str, Any], cwd: Path, fakes: tuple[str, ...] = (), /, **env: str
) -> tuple[int, str, str, list[list[str]]]:
    """Run a step's shell as the runner does (bash -eo pipefail), every env variable it names
    empty unless given; each of `fakes` is a command on PATH that only records its arguments.
    Returns the exit code, stderr, $GITHUB_OUTPUT and the recorded calls."""
    bin_dir = cwd.parent / f"{cwd.name}-bin"
    bin_dir.mkdir(exist_ok=True)
    calls = cwd.parent / f"{cwd.name}-calls"
    calls.write_text("")
    for fake in fakes:
        path = bin_dir / fake
        path.write_text(
            f"#!{sys.executable}\nimport json, os, sys\n"
            "with open(os.environ['FAKE_CALLS'], 'a') as f:\n"
            "    f.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + '\\n')\n"
        )
        path.chmod(0o755)
    output = cwd.parent / f"{cwd.name}-output"
    output.write_text("")
    given = {k: "" for k in step.get("env", {})} | env
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(cwd.parent / f"{cwd.name}-summary"),
            "FAKE_CALLS": str(calls),
            **given,
        },
        capture_output=True,
        text=True,
    )
    recorded = [json.loads(line) for line in calls.read_text().splitlines()]
    return done.returncode, done.stderr, output.read_text(), recorded


def _list_step(workflow: str) -> dict[str, Any]:
    steps = _load(WORKFLOW_DIR / workflow)["jobs"]["projects"]["steps"]
    return next(s for s in steps if s.get("id") == "list")


# valid values for every input a list step takes, so that each hostile value fails on its own
LIST_DEFAULTS = {
    "reusable-weekly-slo.yml": {"PUBLISH": "pull-request", "FOLD": "ops-evidence.yml"},
    "reusable-retros.yml": {"HORIZON": "8"},
}
NOT_A_PROJECT = ("not a list of project slugs", "not a project slug", "no ops/")
HOSTILE_INPUTS = [
    ("WANTED", 'checkout"]\nlist=["x', NOT_A_PROJECT),
    ("WANTED", "../../etc", NOT_A_PROJECT),
    ("WANTED", "nosuchproject", NOT_A_PROJECT),
    ("WANTED", "checkout nosuchproject", NOT_A_PROJECT),
    ("WANTED", "checkout\nnosuchproject", NOT_A_PROJECT),
    ("WANTED", "checkout\tcheckout", NOT_A_PROJECT),
    ("WANTED", "checkout *", NOT_A_PROJECT),
    ("WANTED", "-checkout", NOT_A_PROJECT),
    ("WANTED", "Checkout", NOT_A_PROJECT),
    ("WANTED", "a" * 64, NOT_A_PROJECT),
    ("WEEK", '2026-W47\nlist=["x"]', ("not an ISO week",)),
    ("WEEK", "$(id)", ("not an ISO week",)),
    ("HORIZON", "8\nmonth=x", ("not a number of weeks",)),
    ("HORIZON", "99", ("not a number of weeks",)),
    ("HORIZON", "0", ("not a number of weeks",)),
    ("PUBLISH", "push\nbranch=main", ("not a publish mode",)),
    ("PUBLISH", "force", ("not a publish mode",)),
    ("FOLD", "../ops-gate.yml", ("not a workflow file name",)),
    ("FOLD", "evidence.yml --ref x", ("not a workflow file name",)),
    ("FOLD", "evidence.yml\nlist=[]", ("not a workflow file name",)),
]


@pytest.mark.parametrize(
    ("workflow", "variable", "value", "said"),
    [
        (workflow, variable, value, said)
        for workflow in sorted(LIST_DEFAULTS)
        for variable, value, said in HOSTILE_INPUTS
        if variable in _list_step(workflow)["env"]
    ],
)
def test_inputs_are_checked_before_they_reach_the_outputs(
    tmp_path: Path, workflow: str, variable: str, value: str, said: tuple[str, ...]
) -> None:
    env = LIST_DEFAULTS[workflow] | {variable: value}
    code, stderr, output, _ = _run_step(_list_step(workflow), _tree(tmp_path / "t"), **env)
    assert (code, output) == (2, "")
    assert stderr.startswith(said), stderr
    assert "\n" not in stderr.rstrip("\n")  # a hostile value is quoted, never printed raw


def test_the_input_steps_list_the_projects(tmp_path: Path) -> None:
    step = _list_step("reusable-weekly-slo.yml")
    defaults = LIST_DEFAULTS["reusable-weekly-slo.yml"]
    code, stderr, output, _ = _run_step(step, _tree(tmp_path / "w"), WEEK="2026-W47", **defaults)
    outputs = dict(line.split("=", 1) for line in output.splitlines())
    assert code == 0, stderr
    assert outputs.pop("list") == '["checkout"]' and re.fullmatch(
        r"[0-9a-f]{40}", outputs.pop("sha")
    )
    assert outputs == {
        "base": "main",
        "week": "2026-W47",
        "publish": "pull-request",
        "branch": "ops/slo-2026-W47",
        "fold": "ops-evidence.yml",
    }
    # some projects: their own branch, so that a run for them never rebuilds the week's
    code, _, output, _ = _run_step(
        step,
        _tree(tmp_path / "w2"),
        WEEK="2026-W47",
        WANTED=" checkout  checkout ",
        PUBLISH="push",
        FOLD="",
    )
    outputs = dict(line.split("=", 1) for line in output.splitlines())
    assert code == 0 and outputs["list"] == '["checkout"]'
    assert (outputs["branch"], outputs["publish"], outputs["fold"]) == (
        "ops/slo-2026-W47-checkout",
        "push",
        "",
    )
    code, _, output, _ = _run_step(
        _list_step("reusable-retros.yml"), _tree(tmp_path / "r"), WANTED="checkout", HORIZON="8"
    )
    assert code == 0 and output.startswith('list=["checkout"]\nsha=')
    assert "\nbase=main\nmonth=" in output and output.endswith("horizon=8\n")


def _install_steps() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, name, step)
        for path in REUSABLE
        for name, job in _load(path)["jobs"].items()
        for step in job["steps"]
        if "OPS_VERSION" in (step.get("env") or {})
    ]


INSTALL_STEPS = _install_steps()
INSTALL_IDS = [f"{w}:{j}" for w, j, _ in INSTALL_STEPS]
PIP = ["python", "-m", "pip", "install", "--disable-pip-version-check"]


def test_every_job_that_runs_ops_installs_it_the_same_way() -> None:
    runs = {step["run"].replace("./gate", ".") for _, _, step in INSTALL_STEPS}
    assert len(runs) == 1
    assert {(w, j) for w, j, _ in INSTALL_STEPS} == {
        (path.name, name)
        for path in REUSABLE
        for name, job in _load(path)["jobs"].items()
        if any("ops " in s.get("run", "") for s in job["steps"])
    }
    for _, _, step in INSTALL_STEPS:
        assert step["env"] == {"OPS_VERSION": "${{ inputs.ops-version }}"}


HOSTILE_OPS_VERSIONS = [
    "-e .",
    "--index-url=https://evil.example/simple",
    "-roperations-protocol",
    "operations-protocol==0.2.0 --index-url=https://evil.example/simple",
    "operations-protocol==0.2.0\n--index-url=https://evil.example/simple",
    "operations-protocol==0.2.0\n",
    " operations-protocol==0.2.0",
    "\toperations-protocol",
    "operations-protocol @ -e .",
    "operations-protocol @ --pre",
    "operations-protocol @  git+https://github.com/acme/operations-protocol@v0.2.0",
    "operations-protocol\t@ git+https://github.com/acme/operations-protocol@v0.2.0",
    "operations-protocol @ git+https://github.com/acme/operations-protocol@v0.2.0 --pre",
    "operations-protocol @ git+https://x@v1 @ git+https://y@v2",
    "$(id)",
    "./vendor/ops",
]


@pytest.mark.parametrize(("workflow", "job", "step"), INSTALL_STEPS, ids=INSTALL_IDS)
@pytest.mark.parametrize("value", HOSTILE_OPS_VERSIONS)
def test_ops_version_is_checked_before_pip_sees_it(
    tmp_path: Path, workflow: str, job: str, step: dict[str, Any], value: str
) -> None:
    code, stderr, _, calls = _run_step(step, _tree(tmp_path / "t"), ("python",), OPS_VERSION=value)
    assert (code, calls) == (2, [])
    assert stderr.startswith("not a pip requirement for ops-version")
    assert "\n" not in stderr.rstrip("\n")


@pytest.mark.parametrize(("workflow", "job", "step"), INSTALL_STEPS, ids=INSTALL_IDS)
def test_ops_version_installs_ops_one_way_or_the_other(
    tmp_path: Path, workflow: str, job: str, step: dict[str, Any]
) -> None:
    tree = _tree(tmp_path / "t")
    # empty: the template's way, this checkout (in the gate, the base commit's)
    code, _, _, calls = _run_step(step, tree, ("python",), OPS_VERSION="")
    assert code == 0 and calls == [[*PIP, "./gate" if workflow == "reusable-gate.yml" else "."]]
    # a requirement: one argument, after the end of pip's options
    scaffold = _parse(_scaffold("workflows/ops-gate.yml"))["jobs"]["gate"]["with"]["ops-version"]
    for value in ("operations-protocol==0.2.0", "operations-protocol[dev]>=0.2,<0.3", scaffold):
        code, _, _, calls = _run_step(step, tree, ("python",), OPS_VERSION=value)
        assert code == 0 and calls == [[*PIP, "--", value]]


def _gate_step() -> dict[str, Any]:
    steps = _load(WORKFLOW_DIR / "reusable-gate.yml")["jobs"]["gate"]["steps"]
    return next(s for s in steps if "PROJECTS" in (s.get("env") or {}))


@pytest.mark.parametrize(
    ("variable", "value", "said"), [h for h in HOSTILE_INPUTS if h[0] == "WANTED"]
)
def test_the_gates_projects_are_checked_before_ops_runs(
    tmp_path: Path, variable: str, value: str, said: tuple[str, ...]
) -> None:
    code, stderr, _, calls = _run_step(
        _gate_step(), _tree(tmp_path / "t"), ("ops",), PROJECTS=value, BASE_SHA="abc123"
    )
    assert (code, calls) == (2, [])
    assert stderr.startswith(said), stderr


def test_the_gate_judges_the_projects_named_or_the_change(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t")
    shutil.copytree(tree / "ops/checkout", tree / "ops/payments")
    temp = tmp_path / "runner-temp"
    summary = str(tmp_path / "step-summary")
    env = {"RUNNER_TEMP": str(temp), "GITHUB_STEP_SUMMARY": summary}
    reports = [
        "--format",
        "github",
        "--report",
        f"markdown:{summary}",
        "--report",
        f"json:{temp}/ops-gate-result/gate.json",
        "--report",
        f"sarif:{temp}/ops-gate.sarif",
    ]
    code, _, _, calls = _run_step(
        _gate_step(), tree, ("ops",), PROJECTS="checkout payments", BASE_SHA="abc", **env
    )
    scope = ["--project", "checkout", "--project", "payments"]
    assert code == 0 and calls == [["ops", "gate", *scope, *reports]]
    code, _, _, calls = _run_step(_gate_step(), tree, ("ops",), BASE_SHA="abc", **env)
    assert code == 0 and calls == [["ops", "gate", "--changed-from", "abc", *reports]]
    code, _, _, calls = _run_step(_gate_step(), tree, ("ops",), **env)
    assert code == 0 and calls == [["ops", "gate", *reports]]
    assert (temp / "ops-gate-result/exit-code").read_text() == "0\n"


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_checkouts_do_not_keep_credentials(path: Path) -> None:
    for job in _load(path)["jobs"].values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


# --- each workflow's shape --------------------------------------------------------------------


def test_weekly_slo_runs_every_monday_after_the_week_ends() -> None:
    caller = _load(WORKFLOW_DIR / "weekly-slo.yml")
    triggers = _triggers(caller)
    minute, hour, _, _, weekday = triggers["schedule"][0]["cron"].split()
    assert weekday == "1" and minute not in ("0", "*")  # Monday, at an offset minute (UTC)
    assert 1 <= int(hour) <= 12  # an hour or more after the week ended: late samples are in
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"project", "week", "publish"}
    assert caller["jobs"]["slo"]["with"] == {
        "projects": "${{ inputs.project }}",
        "week": "${{ inputs.week }}",
        "publish": "${{ inputs.publish }}",
        "evidence-workflow": "evidence.yml",  # its fold; a consumer's is ops-evidence.yml
    }
    workflow = _load(WORKFLOW_DIR / "reusable-weekly-slo.yml")
    assert workflow["concurrency"] == {"group": "ops-weekly-slo", "cancel-in-progress": False}
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
    assert 'gh workflow run "$FOLD"' in runs
    # the publish job takes its mode, branch and fold from the checked outputs, not the inputs
    assert "inputs." not in yaml.safe_dump(publish["steps"][-1])


def test_the_fold_a_push_asks_for_is_a_workflow_that_can_be_asked() -> None:
    own = _load(WORKFLOW_DIR / "weekly-slo.yml")["jobs"]["slo"]["with"]["evidence-workflow"]
    assert "workflow_dispatch" in _triggers(_load(WORKFLOW_DIR / own))
    inputs = _triggers(_load(WORKFLOW_DIR / "reusable-weekly-slo.yml"))["workflow_call"]["inputs"]
    default = inputs["evidence-workflow"]["default"]
    assert default in SCAFFOLD_CALLERS
    assert "workflow_dispatch" in _triggers(_parse(_scaffold(f"workflows/{default}")))


def test_the_pull_request_gate() -> None:
    caller = _load(WORKFLOW_DIR / "ops-gate.yml")
    triggers = _triggers(caller)
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    workflow = _load(WORKFLOW_DIR / "reusable-gate.yml")
    assert (
        workflow["concurrency"]["cancel-in-progress"]
        == "${{ github.event_name == 'pull_request' }}"
    )
    assert "secrets" not in _triggers(workflow)["workflow_call"]  # the gate holds none
    job = workflow["jobs"]["gate"]
    assert job["permissions"] == {"contents": "read"} and "environment" not in job
    checkouts = [s for s in job["steps"] if "actions/checkout@" in s.get("uses", "")]
    # ops comes from the base commit (or the release ops-version names); the pull request's
    # files are only read by it
    assert [c["with"].get("ref") for c in checkouts] == [
        "${{ github.event.pull_request.base.sha || github.sha }}",
        None,
    ]
    assert checkouts[0]["if"] == "inputs.ops-version == ''" and "if" not in checkouts[1]
    assert [c["with"]["path"] for c in checkouts] == ["gate", "tree"]
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "pip install --disable-pip-version-check ./gate" in runs
    assert "pip install --disable-pip-version-check .\n" not in runs  # never the tree's
    assert [s.get("working-directory") for s in job["steps"] if "ops " in s.get("run", "")] == [
        "tree",
        "tree",
    ]
    assert 'ops gate "${scope[@]}" --format github' in runs
    assert '--report "markdown:$GITHUB_STEP_SUMMARY"' in runs
    assert 'ops evidence verify --base "$BASE_SHA" --format github' in runs
    # the comment's artifact: only on a pull request, whatever the gate said, never cancelled
    kept = [s for s in job["steps"] if "upload-artifact@" in s.get("uses", "")]
    assert [(s["with"]["name"], s["if"]) for s in kept] == [
        ("ops-gate-result", "${{ !cancelled() && github.event_name == 'pull_request' }}"),
        ("ops-gate-sarif", "${{ !cancelled() }}"),
    ]
    assert (REPO / ".github/pull_request_template.md").is_file()


def test_the_monthly_retro_workflow() -> None:
    caller = _load(WORKFLOW_DIR / "retros.yml")
    triggers = _triggers(caller)
    assert triggers["schedule"][0]["cron"].split()[2:] == ["1", "*", "*"]  # monthly
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"project", "horizon-weeks"}
    assert caller["jobs"]["retros"]["with"]["projects"] == "${{ inputs.project }}"
    workflow = _load(WORKFLOW_DIR / "reusable-retros.yml")
    assert workflow["concurrency"] == {"group": "ops-retros", "cancel-in-progress": False}
    jobs = workflow["jobs"]
    schedule = jobs["schedule"]
    assert schedule["permissions"] == {"contents": "read"} and "environment" not in schedule
    steps = {s.get("name"): s for s in schedule["steps"]}
    run = steps["Schedule the retros and create the placeholders"]["run"]
    # ops retros is scripts/schedule_retros.py, and works where ops is only installed
    assert 'ops retros --project "$PROJECT"' in run and "--dry-run" in run
    handoff = [s for s in schedule["steps"] if "upload-artifact@" in s.get("uses", "")]
    assert [s["with"]["name"] for s in handoff] == ["retros-${{ matrix.project }}"]
    publish = jobs["publish"]
    assert publish["environment"] == "ops-publish"
    assert publish["permissions"] == {"contents": "write", "pull-requests": "write"}
    runs = "\n".join(s.get("run", "") for s in publish["steps"])
    assert "gh auth setup-git" in runs and "gh pr create" in runs


def test_the_evidence_workflow_folds_on_the_default_branch() -> None:
    caller = _load(WORKFLOW_DIR / "evidence.yml")
    assert _triggers(caller)["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in _triggers(caller)
    workflow = _load(WORKFLOW_DIR / "reusable-evidence.yml")
    assert workflow["concurrency"] == {"group": "ops-evidence-fold", "cancel-in-progress": False}
    job = workflow["jobs"]["fold"]
    assert job["environment"] == "ops-publish"
    assert job["permissions"] == {"contents": "write"}
    # a push to another branch (a caller's filter naming main and master) folds nothing
    assert job["if"] == (
        "github.event_name != 'push' || "
        "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
    )
    run = "\n".join(s.get("run", "") for s in job["steps"])
    assert run.index('ops evidence verify --base "$anchor"') < run.index("ops evidence fold")
    assert run.index("ops evidence fold") < run.index("ops evidence verify --base HEAD")
    assert "git push --quiet --force origin refs/tags/ops-evidence-folded" in run
    assert run.index("ops evidence verify  ") < run.index("git push")
    assert "gh auth setup-git" in run


def _comment_job() -> dict[str, Any]:
    workflow = _load(WORKFLOW_DIR / "reusable-gate-comment.yml")
    assert list(workflow["jobs"]) == ["comment"]
    job: dict[str, Any] = workflow["jobs"]["comment"]
    return job


def test_the_gate_comment_follows_the_gate_of_a_pull_request() -> None:
    gate = _load(WORKFLOW_DIR / "ops-gate.yml")["name"]
    for caller in (
        _load(WORKFLOW_DIR / "ops-gate-comment.yml"),
        _parse(_scaffold("workflows/ops-gate-comment.yml")),
    ):
        assert _triggers(caller) == {"workflow_run": {"workflows": [gate], "types": ["completed"]}}
    assert _parse(_scaffold("workflows/ops-gate.yml"))["name"] == gate  # a consumer's gate too
    workflow = _load(WORKFLOW_DIR / "reusable-gate-comment.yml")
    # one comment job at a time for a branch; none cancelled (each edits for a newer head)
    assert workflow["concurrency"] == {
        "group": "ops-gate-comment-${{ github.event.workflow_run.head_repository.full_name }}"
        "-${{ github.event.workflow_run.head_branch }}",
        "cancel-in-progress": False,
    }
    assert _comment_job()["if"].split(" && ") == [
        "github.event_name == 'workflow_run'",
        "github.event.workflow_run.event == 'pull_request'",
        "github.event.workflow_run.conclusion != 'cancelled'",
    ]


def test_the_gate_comment_may_read_the_artifact_and_write_comments_only() -> None:
    job = _comment_job()
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert "environment" not in job and "secrets." not in yaml.safe_dump(job)
    caller = _load(WORKFLOW_DIR / "ops-gate-comment.yml")["jobs"]["comment"]
    assert caller["permissions"] == job["permissions"]


def test_the_gate_comment_never_checks_out_or_runs_the_pull_requests_code() -> None:
    steps = _comment_job()["steps"]
    checkouts = [s for s in steps if "actions/checkout@" in s.get("uses", "")]
    assert [(c["if"], c["with"]) for c in checkouts] == [
        (
            "inputs.ops-version == ''",
            {"ref": "${{ github.event.repository.default_branch }}", "persist-credentials": False},
        )
    ]
    # what the event says of the pull request reaches only the comment step, through env
    for step in steps:
        text = yaml.safe_dump({k: step.get(k) for k in ("with", "run")})
        assert "workflow_run.head" not in text and "pull_request" not in text, step
    names = [s.get("name") or s["uses"] for s in steps]
    install = names.index("Install ops (ops-version, or the default branch's)")
    [download] = [i for i, s in enumerate(steps) if "download-artifact@" in s.get("uses", "")]
    assert install < download == len(steps) - 2  # ops is installed before the artifact is there
    assert steps[download]["with"] == {
        "name": "ops-gate-result",
        "path": "${{ runner.temp }}/ops-gate-result",  # outside the checkout
        "run-id": "${{ github.event.workflow_run.id }}",
        "github-token": "${{ github.token }}",
    }
    comment = steps[-1]
    assert comment["env"] == {
        "GITHUB_TOKEN": "${{ github.token }}",
        "RESULT": "${{ runner.temp }}/ops-gate-result",
        "REPOSITORY": "${{ github.repository }}",
        "HEAD_SHA": "${{ github.event.workflow_run.head_sha }}",
        "HEAD_REPOSITORY": "${{ github.event.workflow_run.head_repository.full_name }}",
        "HEAD_BRANCH": "${{ github.event.workflow_run.head_branch }}",
        "RUN_URL": "${{ github.event.workflow_run.html_url }}",
    }


def test_the_gate_comment_passes_each_event_value_as_one_argument(tmp_path: Path) -> None:
    tree = tmp_path / "t"
    tree.mkdir()
    hostile = {
        "RESULT": "/tmp/r",
        "REPOSITORY": "acme/shop",
        "HEAD_SHA": "a" * 40,
        "HEAD_REPOSITORY": "fork/shop",
        "HEAD_BRANCH": '--repository=evil/x $(id) "; ops',  # a fork names its branch
        "RUN_URL": "https://github.com/acme/shop/actions/runs/1",
    }
    code, stderr, _, calls = _run_step(_comment_job()["steps"][-1], tree, ("ops",), **hostile)
    assert code == 0, stderr
    assert calls == [
        [
            "ops",
            "pr-comment",
            "--result=/tmp/r",
            "--repository=acme/shop",
            f"--head-sha={'a' * 40}",
            "--head-repository=fork/shop",
            '--head-branch=--repository=evil/x $(id) "; ops',
            "--run-url=https://github.com/acme/shop/actions/runs/1",
        ]
    ]


def _keep_step() -> dict[str, Any]:
    steps = _load(WORKFLOW_DIR / "reusable-gate.yml")["jobs"]["gate"]["steps"]
    return next(s for s in steps if "pull-request.json" in s.get("run", ""))


def test_the_comment_artifact_says_which_pull_request_and_how_the_gate_ended(
    tmp_path: Path,
) -> None:
    tree = _tree(tmp_path / "t")
    temp = tmp_path / "runner-temp"
    head, base = "a" * 40, "b" * 40
    env = {"RUNNER_TEMP": str(temp), "NUMBER": "17", "HEAD_SHA": head, "BASE_SHA": base}
    code, _, _, _ = _run_step(_keep_step(), tree, **env)
    assert code == 0
    result = temp / "ops-gate-result"
    assert json.loads((result / "pull-request.json").read_text()) == {
        "number": 17,
        "head_sha": head,
        "base_sha": base,
    }
    assert (result / "exit-code").read_text() == "3\n"  # the gate never got to say
    (result / "exit-code").write_text("1\n")
    assert _run_step(_keep_step(), tree, **env)[0] == 0
    assert (result / "exit-code").read_text() == "1\n"  # what the gate said is kept


def test_code_scanning_is_a_job_of_its_own_that_only_uploads() -> None:
    workflow = _load(WORKFLOW_DIR / "reusable-code-scanning.yml")
    assert set(_triggers(workflow)) == {"workflow_call"}
    assert "secrets" not in _triggers(workflow)["workflow_call"]
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {
        "contents": "read",
        "actions": "read",
        "security-events": "write",
    }
    steps = job["steps"]
    assert [s["uses"].split("@")[0] for s in steps] == [
        "actions/download-artifact",
        "github/codeql-action/upload-sarif",
    ]
    assert not any("run" in s for s in steps)  # no shell, no ops, no checkout
    assert steps[0]["with"]["name"] == "ops-gate-sarif"
    assert "head.repo.full_name == github.repository" in job["if"]  # a fork's is skipped
    # the gate keeps the SARIF it wrote for it
    gate = (WORKFLOW_DIR / "reusable-gate.yml").read_text(encoding="utf-8")
    assert '--report "sarif:$RUNNER_TEMP/ops-gate.sarif"' in gate
    assert "path: ${{ runner.temp }}/ops-gate.sarif" in gate


# --- the status site ---------------------------------------------------------------------------


def _site_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = _load(WORKFLOW_DIR / "reusable-site.yml")["jobs"]
    return jobs


def test_the_site_is_built_read_only_and_deployed_by_a_job_that_runs_no_code() -> None:
    build, deploy = _site_jobs()["build"], _site_jobs()["deploy"]
    assert build["permissions"] == {"contents": "read"} and "environment" not in build
    assert "secrets." not in yaml.safe_dump(build) and "github.token" not in yaml.safe_dump(build)
    checkout = build["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert (
        checkout["with"]["ref"]
        == "${{ github.event.repository.default_branch || github.ref_name }}"
    )
    assert build["steps"][-1]["uses"].startswith("actions/upload-pages-artifact@")
    # the deploy job holds the Pages token and nothing else: no checkout, no ops, no secret
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "secrets." not in yaml.safe_dump(deploy)
    uses = [step["uses"].split("@")[0] for step in deploy["steps"] if "uses" in step]
    assert uses == ["actions/deploy-pages"]
    runs = [step["run"] for step in deploy["steps"] if "run" in step]
    assert all("ops " not in run and "pip" not in run for run in runs)


def _site_step() -> dict[str, Any]:
    return next(s for s in _site_jobs()["build"]["steps"] if "AS_OF" in (s.get("env") or {}))


@pytest.mark.parametrize(
    "value", ["2026-11-24\n--out=ops", "$(id)", "2026-11-24 --out ops", "yesterday", "-h"]
)
def test_the_sites_as_of_is_checked_before_ops_sees_it(tmp_path: Path, value: str) -> None:
    code, stderr, _, calls = _run_step(_site_step(), _tree(tmp_path / "t"), ("ops",), AS_OF=value)
    assert (code, calls) == (2, [])
    assert stderr.startswith("not a date (YYYY-MM-DD)") and "\n" not in stderr.rstrip("\n")


def test_the_site_is_built_as_of_the_day_asked_or_today(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t")
    code, _, _, calls = _run_step(
        _site_step(), tree, ("ops",), AS_OF="2026-11-24", RUNNER_TEMP="/tmp/r"
    )
    assert code == 0
    assert calls == [["ops", "site", "--out", "/tmp/r/site", "--as-of", "2026-11-24"]]
    code, _, _, calls = _run_step(_site_step(), tree, ("ops",), AS_OF="", RUNNER_TEMP="/tmp/r")
    assert code == 0 and calls == [["ops", "site", "--out", "/tmp/r/site"]]
