"""Adopting Operations Protocol from scratch, as a new team would, in a repository that is not
this one: the release wheel installed in a clean virtual environment, ``ops init --ci``, a first
incident and postmortem, the pre-commit hooks pinned to this repository's commit, the gate on
day one, the caller workflows, and a template of the team's own.

Slow (a wheel build, two virtual environments and a pre-commit install: about a minute): it
needs PyPI, or the index pip is configured with, as ``make test`` does for its own install.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from checks import __version__

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
UPSTREAM = "acme/operations-protocol"

pytestmark = pytest.mark.slow


def run(
    argv: list[str | Path], cwd: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    if check:
        assert proc.returncode == 0, f"{argv}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `python -m build` makes, installed alone in a new virtual environment: the
    `ops` a team gets (schemas, templates and scaffold inside the package)."""
    work = tmp_path_factory.mktemp("release")
    run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", work / "dist"],
        REPO,
    )
    wheels = list((work / "dist").glob("*.whl"))
    assert [w.name for w in wheels] == [f"operations_protocol-{__version__}-py3-none-any.whl"]
    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv], work)
    run(
        [
            venv / "bin" / "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            wheels[0],
        ],
        work,
    )
    return venv / "bin" / "ops"


def git(root: Path, *args: str) -> str:
    base = [
        "git",
        "-c",
        "user.name=Ana",
        "-c",
        "user.email=ana@example.com",
        "-c",
        "commit.gpgsign=false",
    ]
    return run([*base, *args], root).stdout.strip()


def fill(path: Path, publish: bool) -> None:
    """The postmortem written: every placeholder replaced (or, hastily, left), published with
    an action item linked to its issue."""
    text = path.read_text(encoding="utf-8")
    if publish:
        text = re.sub(r"\[TODO(: [^\]]*)?\]", "Written in the review.", text)
    text = text.replace("status: draft", "status: published\npublished: 2026-11-28")
    text = text.replace(
        "action_items: []",
        "action_items:\n"
        "  - id: INC-2026-001-A1\n"
        "    title: Alert on failed card payments\n"
        '    owner: "@ana"\n'
        "    due: 2026-12-12\n"
        "    status: open\n"
        "    tracker: https://github.com/acme/payments/issues/1\n",
        1,
    )
    path.write_text(text, encoding="utf-8")


def test_a_new_team_goes_from_an_empty_repository_to_a_green_gate(
    installed: Path, tmp_path: Path
) -> None:
    ops = installed
    assert run([ops, "--version"], tmp_path).stdout.strip() == f"ops {__version__}"
    root = tmp_path / "payments-ops"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")

    # 1. ops init --ci: the project, the evidence trail, pre-commit and the caller workflows
    out = run(
        [
            ops,
            "init",
            "--project",
            "payments",
            "--name",
            "Payments",
            "--owner",
            "@ana",
            "--timezone",
            "Europe/Lisbon",
            "--ci",
            "--upstream",
            UPSTREAM,
        ],
        root,
    ).stdout
    for name in (
        "ops/payments/project.yaml",
        ".pre-commit-config.yaml",
        ".github/workflows/ops-gate.yml",
        ".github/workflows/ops-gate-comment.yml",
        ".github/workflows/ops-weekly-slo.yml",
        ".github/workflows/ops-retros.yml",
        ".github/workflows/ops-evidence.yml",
    ):
        assert f"created {name}" in out, out
    project = (root / "ops/payments/project.yaml").read_text(encoding="utf-8")
    schema_url = (
        f"https://raw.githubusercontent.com/{UPSTREAM}/v{__version__}/schemas/project.schema.json"
    )
    assert project.startswith(f"# yaml-language-server: $schema={schema_url}\n")
    assert "checkout" not in project

    # 2. the caller workflows: short, schema-valid, zizmor-clean, secrets by name only
    workflows = sorted((root / ".github/workflows").glob("*.yml"))
    # the gate, its comment, the weekly SLO, the retros, the fold, the status site
    assert len(workflows) == 6
    for workflow in workflows:
        text = workflow.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 15, workflow.name
        assert "secrets: inherit" not in text
        assert f"uses: {UPSTREAM}/.github/workflows/reusable-" in text
        assert f"@v{__version__}" in text
    run([BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows], root)
    zizmor = run(
        [BIN / "zizmor", "--offline", "--persona", "auditor", root / ".github/workflows"],
        root,
        check=False,
    )
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr
    assert "No findings" in zizmor.stdout + zizmor.stderr

    # 3. the hooks, pinned to this repository's commit instead of the upstream tag
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [hooks] = config["repos"]
    assert hooks["repo"] == f"https://github.com/{UPSTREAM}"
    assert hooks["rev"] == f"v{__version__}"
    hooks["repo"], hooks["rev"] = str(REPO), git(REPO, "rev-parse", "HEAD")
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache")}
    env["PATH"] = f"{installed.parent}{os.pathsep}{env.get('PATH', '')}"
    pre_commit = [BIN / "pre-commit", "run", "--color", "never"]
    run([BIN / "pre-commit", "install"], root, env=env)
    # the first commit goes through the hooks: ops init's files, and its run in pending/
    git(root, "add", "-A")
    commit = ["git", "-c", "user.name=Ana", "-c", "user.email=ana@example.com", "commit", "-q"]
    first = run([*commit, "-m", "Operations records for payments"], root, False, env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "ops validate" in first.stdout + first.stderr  # the hooks ran
    assert git(root, "status", "--porcelain") == ""

    # 4. a first incident and its postmortem
    incident_of = [ops, "new", "incident", "--project", "payments"]
    run(
        [
            *incident_of,
            "--title",
            "Card payments failed",
            "--severity",
            "SEV1",
            "--service",
            "payments-api",
        ],
        root,
    )
    run([ops, "new", "postmortem", "--project", "payments", "--incident", "INC-2026-001"], root)
    [postmortem] = (root / "ops/payments/postmortems").glob("*.md")
    incident = (root / "ops/payments/incidents/INC-2026-001.md").read_text(encoding="utf-8")
    assert "services: [payments-api]" in incident and "checkout" not in incident

    # a hasty postmortem, published with its placeholders: the hook blocks the commit
    draft = postmortem.read_text(encoding="utf-8")
    fill(postmortem, publish=False)
    git(root, "add", "-A")
    blocked = run([*commit, "-m", "Postmortem INC-2026-001"], root, False, env)
    assert blocked.returncode == 1
    said = blocked.stdout + blocked.stderr  # git shows the hooks' output on stderr
    assert "ops validate" in said and "Failed" in said
    assert "still holds the template's placeholder" in said
    assert git(root, "rev-list", "--count", "HEAD") == "1"  # nothing was committed

    # the postmortem written: the hooks pass, the gate passes on the project's first day
    refused = run(
        [ops, "new", "postmortem", "--project", "payments", "--incident", "INC-2026-001"],
        root,
        check=False,
    )
    assert refused.returncode == 2 and "refusing to overwrite" in refused.stderr
    postmortem.write_text(draft, encoding="utf-8")
    fill(postmortem, publish=True)
    git(root, "add", "-A")
    run([*pre_commit, "--files", postmortem.relative_to(root)], root, env=env)
    run([*commit, "-m", "Postmortem INC-2026-001"], root, env=env)
    run([ops, "validate"], root)
    gate = run([ops, "gate"], root)
    assert "gate passed: 1 project" in gate.stdout
    # what the pull-request gate runs: the change since the first commit only adds runs
    run([ops, "evidence", "verify", "--base", "HEAD~1"], root)

    # 5. the team's own template: an extra section ops new writes and validate requires
    (root / "templates").mkdir()
    packaged = next((installed.parent.parent / "lib").glob("python3*/site-packages/checks"))
    template = (packaged / "_data/templates/Postmortem_Template.md").read_text(encoding="utf-8")
    (root / "templates/Postmortem_Template.md").write_text(
        template + "\n## Customer Communication\n\n[TODO: who told customers what, when]\n",
        encoding="utf-8",
    )
    run([*incident_of, "--title", "Refunds slow", "--severity", "SEV2"], root)
    run([ops, "new", "postmortem", "--project", "payments", "--incident", "INC-2026-002"], root)
    second = next(p for p in (root / "ops/payments/postmortems").glob("*INC-2026-002.md"))
    assert "## Customer Communication" in second.read_text(encoding="utf-8")
    failed = run([ops, "validate", postmortem.relative_to(root)], root, check=False)
    assert failed.returncode == 1
    assert (  # the first one lacks the team's section now
        "missing section '## Customer Communication' (a postmortem has the sections of "
        "templates/Postmortem_Template.md)"
    ) in failed.stdout


def test_a_repository_made_from_this_one_starts_its_own_projects(tmp_path: Path) -> None:
    """Way (a): a copy of this repository, the sample replaced by the team's project: the
    first commit passes the evidence check (records removed, runs added), and the default
    branch's fold completes the trail."""
    root = tmp_path / "ops-repo"
    run(["git", "clone", "-q", REPO, root], tmp_path)
    ops = [sys.executable, "-m", "checks"]
    git(root, "rm", "-r", "-q", "ops/checkout")
    out = run([*ops, "init", "--project", "payments", "--owner", "@ana"], root).stdout
    assert "created ops/payments/project.yaml" in out
    project = (root / "ops/payments/project.yaml").read_text(encoding="utf-8")
    assert project.startswith("# yaml-language-server: $schema=../../schemas/project.schema.json\n")
    git(root, "add", "-A")
    run([*ops, "evidence", "verify", "--base", "HEAD"], root)  # what the hook and the PR check
    assert "gate passed: 1 project" in run([*ops, "gate", "--base", "HEAD"], root).stdout
    git(root, "commit", "-q", "-m", "Our projects")
    run([*ops, "evidence", "fold"], root)
    run([*ops, "evidence", "verify"], root)
