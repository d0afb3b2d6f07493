"""Servers that misbehave on purpose (tests/hostile.py, on 127.0.0.1): ``ops slo`` ends each
run with a clear error within timeout_seconds + 5 s and 200 MB, shows no secret in stdout,
stderr or any file, and changes no file. Each run is a child process: a hang fails the test
when the guard runs out, and its memory is its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import hostile
import pytest
from casetree import MiB, run_child, snapshot
from fakehttp import FakeServer, answer

TIMEOUT = 2  # timeout_seconds in project.yaml: each case must end within TIMEOUT + 5 s
TOKEN = "OPS-prometheus-token-0123456789"
WEBHOOK_KEY = "T000/B000/hostileWebhookKey"
PROJECT_YAML = f"""\
project: shop
name: Shop
owners: ["@sre"]
timezone: UTC
metrics:
  source: prometheus
  prometheus:
    url_env: OPS_PROMETHEUS_URL
    bearer_token_env: OPS_PROMETHEUS_TOKEN
    timeout_seconds: {TIMEOUT}
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        bad: sum(increase(errors_total[{{{{window}}}}]))
        total: sum(increase(requests_total[{{{{window}}}}]))
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "ops/shop").mkdir(parents=True)
    (root / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    return root


def slo(root: Path, url: str, *extra: str, **env: str) -> tuple[int, str]:
    child = run_child(
        root,
        ["slo", "--project", "shop", "--week", "2026-W46", *extra],
        {"OPS_PROMETHEUS_URL": url, "OPS_PROMETHEUS_TOKEN": TOKEN, **env},
        timeout=TIMEOUT + 5,
    )
    assert child.peak < 200 * MiB
    assert "Traceback" not in child.err
    return child.code, child.out + child.err


def no_secret_anywhere(root: Path, output: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in output
        for path in root.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        pytest.param(hostile.trickle, "no complete answer in time", id="trickle"),
        pytest.param(hostile.silent, "in time", id="no-answer"),
        pytest.param(hostile.huge, "sent more than 2,097,152 bytes", id="300-mb-body"),
        pytest.param(hostile.deep_json, "not the API's JSON", id="deep-json"),
        pytest.param(
            hostile.echo, "unauthorized: Authorization: Bearer [redacted] GET", id="token-echo"
        ),
        pytest.param(
            hostile.redirect, "a redirect to another host, which is not followed", id="redirect"
        ),
    ],
)
def test_a_hostile_prometheus_ends_the_run_cleanly(
    repo: Path, mode: hostile.Mode, message: str
) -> None:
    before = snapshot(repo)
    with hostile.HostileServer(mode) as server:
        code, output = slo(repo, server.url)
    assert code == 2
    assert f"Prometheus at {server.url}/api/v1/query" in output
    assert message in output
    no_secret_anywhere(repo, output, TOKEN)
    assert snapshot(repo) == before  # no report, no evidence


def test_the_echoed_token_is_redacted(repo: Path) -> None:
    with hostile.HostileServer(hostile.echo) as server:
        _, output = slo(repo, server.url)
    assert "Authorization: Bearer [redacted]" in output


def test_a_slack_webhook_that_echoes_its_url_shows_no_key(repo: Path) -> None:
    (repo / "ops/shop/project.yaml").write_text(
        PROJECT_YAML.replace("source: prometheus", "source: mock"), encoding="utf-8"
    )
    with FakeServer(lambda r: answer(500, raw=f"no such hook: {r.path}".encode())) as server:
        webhook = f"{server.url}/services/{WEBHOOK_KEY}"
        code, output = slo(repo, server.url, "--post", SLACK_WEBHOOK_URL=webhook)
    assert code == 2
    assert "the Slack webhook (SLACK_WEBHOOK_URL) answered HTTP 500" in output
    no_secret_anywhere(repo, output, WEBHOOK_KEY, webhook)
    [run] = (repo / "evidence/phase6/pending").iterdir()  # the report was written: its run says
    assert '"result":"failed"' in run.read_text() and "posting failed" in run.read_text()


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        pytest.param(
            "    url_env: OPS_PROMETHEUS_URL\n    bearer_token_env: GITHUB_TOKEN\n",
            "$.metrics.prometheus.bearer_token_env: 'GITHUB_TOKEN' must be the name of an "
            "environment variable that starts with OPS_",
            id="github-token-as-bearer",
        ),
        pytest.param(
            "    url: http://127.0.0.1:9/collect\n    bearer_token_env: OPS_PROMETHEUS_TOKEN\n",
            "$.metrics.prometheus: a credential goes only to a URL that the operators set "
            "outside the repository",
            id="url-in-the-file-with-a-token",
        ),
        pytest.param(
            "    url_env: OPS_PROMETHEUS_TOKEN\n",
            "$.metrics.prometheus.url_env: 'OPS_PROMETHEUS_TOKEN' must be the name of an "
            "environment variable that starts with OPS_ and ends with URL",
            id="token-as-url",
        ),
        pytest.param(
            "    url_env: OPS_PROMETHEUS_URL\n    headers_env: {Authorization: OPS_BOT_TOKEN}\n",
            "'OPS_BOT_TOKEN' must be the name of an environment variable that starts with OPS_ "
            "(not OPS_BOT_TOKEN",
            id="bot-token-as-header",
        ),
        pytest.param(
            "    url_env: OPS_PROMETHEUS_URL\n    headers_env: {hOst: OPS_PROMETHEUS_TOKEN}\n",
            "'hOst' must be an X- header (such as X-Scope-OrgID) or Authorization",
            id="token-as-host-header",
        ),
        pytest.param(
            "    url: https://ops:hunter2@prom.example.com\n",
            "must be an http(s) URL without a user name or password",
            id="password-in-the-file",
        ),
    ],
)
def test_a_project_yaml_cannot_aim_a_secret(repo: Path, settings: str, reason: str) -> None:
    """The repository chooses neither the credential nor where it goes: validate explains,
    ops slo refuses before any request."""
    text = PROJECT_YAML.replace(
        "    url_env: OPS_PROMETHEUS_URL\n    bearer_token_env: OPS_PROMETHEUS_TOKEN\n", settings
    )
    (repo / "ops/shop/project.yaml").write_text(text, encoding="utf-8")
    validated = run_child(repo, ["validate"])
    assert validated.code == 1
    assert reason in validated.out
    with FakeServer(lambda r: answer(200, {})) as server:
        code, output = slo(repo, server.url, GITHUB_TOKEN="ghs_job_token_must_stay_home")
    assert code == 2 and reason.split(": ", 1)[-1][:40] in output
    assert server.requests == []
    assert "ghs_job_token_must_stay_home" not in output


def test_a_copy_of_the_sample_is_unaffected(tmp_path: Path) -> None:
    """The sample project names only OPS_ variables: it validates as it is."""
    root = tmp_path / "repo"
    shutil.copytree(Path(__file__).parent.parent / "ops", root / "ops")
    assert run_child(root, ["validate"]).code == 0


# --- GitHub: the same client, the same bounds -------------------------------------------------

GITHUB_TOKEN = "ghs_hostileGitHubToken0123456789"


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the sample project: three action items without an issue, a 2 s GitHub budget."""
    root = tmp_path / "repo"
    shutil.copytree(Path(__file__).parent.parent / "ops", root / "ops")
    shutil.copytree(Path(__file__).parent.parent / "evidence", root / "evidence")
    project = root / "ops/checkout/project.yaml"
    text = project.read_text(encoding="utf-8")
    project.write_text(
        text.replace(
            "  github_repository: acme/checkout\n",
            f"  github_repository: acme/checkout\n  timeout_seconds: {TIMEOUT}\n",
        ),
        encoding="utf-8",
    )
    return root


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        pytest.param(hostile.trickle, "no complete answer in time", id="trickle"),
        pytest.param(hostile.silent, "in time", id="no-answer"),
        pytest.param(hostile.huge, "sent more than 16,777,216 bytes", id="300-mb-body"),
        pytest.param(hostile.deep_json, "nested more than 64 levels deep", id="deep-json"),
        pytest.param(hostile.echo, "HTTP 401 (check GITHUB_TOKEN", id="token-echo"),
        pytest.param(
            hostile.redirect, "a redirect to another host, which is not followed", id="redirect"
        ),
    ],
)
def test_a_hostile_github_ends_followups_sync_cleanly(
    sample: Path, mode: hostile.Mode, message: str
) -> None:
    before = snapshot(sample)
    with hostile.HostileServer(mode) as server:
        child = run_child(
            sample,
            ["followups", "sync", "--project", "checkout", "--as-of", "2026-11-24"],
            {
                "GITHUB_API_URL": server.url,
                "GITHUB_SERVER_URL": "",
                "GITHUB_TOKEN": GITHUB_TOKEN,
            },
            timeout=TIMEOUT + 5,
        )
    output = child.out + child.err
    assert child.code == 2, output
    assert child.peak < 200 * MiB
    assert "Traceback" not in output
    assert "GitHub API" in output and message in output
    no_secret_anywhere(sample, output, GITHUB_TOKEN)
    assert snapshot(sample) == before  # no tracker written, no evidence


# --- parsers that disagree, encodings, sizes and sums ------------------------------------------


def test_a_redirect_that_parsers_read_differently_is_not_followed(repo: Path) -> None:
    """http://127.0.0.1:OTHER\\@127.0.0.1:SELF/x: urllib's parser sees SELF, urllib3's OTHER."""
    with hostile.HostileServer(hostile.echo) as other:
        port = other.url.rsplit(":", 1)[1]
        mode = hostile.redirect_to(f"http://127.0.0.1:{port}\\@{{host}}/api/v1/query")
        with hostile.HostileServer(mode) as server:
            code, output = slo(repo, server.url)
    assert code == 2
    assert "not followed" in output
    assert other.requests == []  # the token never left for the other port
    no_secret_anywhere(repo, output, TOKEN)


def test_a_next_page_that_parsers_read_differently_is_not_followed(sample: Path) -> None:
    with hostile.HostileServer(hostile.echo) as other:
        port = other.url.rsplit(":", 1)[1]
        mode = hostile.link_to(f"http://127.0.0.1:{port}\\@{{host}}/repos/acme/checkout/issues")
        with hostile.HostileServer(mode) as server:
            child = run_child(
                sample,
                ["followups", "sync", "--project", "checkout", "--as-of", "2026-11-24"],
                {
                    "GITHUB_API_URL": server.url,
                    "GITHUB_SERVER_URL": "",
                    "GITHUB_TOKEN": GITHUB_TOKEN,
                },
                timeout=TIMEOUT + 5,
            )
    assert child.code == 2
    assert "another host" in child.err
    assert other.requests == []
    no_secret_anywhere(sample, child.out + child.err, GITHUB_TOKEN)


def test_basic_auth_echoed_back_is_redacted(repo: Path) -> None:
    text = PROJECT_YAML.replace(
        "    bearer_token_env: OPS_PROMETHEUS_TOKEN\n",
        "    username_env: OPS_PROMETHEUS_USER\n    password_env: OPS_PROMETHEUS_PASSWORD\n",
    )
    (repo / "ops/shop/project.yaml").write_text(text, encoding="utf-8")
    import base64

    password = "s3cr3t-pass-987"
    encoded = base64.b64encode(f"svc-metrics:{password}".encode()).decode()
    with hostile.HostileServer(hostile.echo) as server:
        code, output = slo(
            repo,
            server.url,
            OPS_PROMETHEUS_USER="svc-metrics",
            OPS_PROMETHEUS_PASSWORD=password,
        )
    assert code == 2 and "Authorization: Basic [redacted]" in output
    no_secret_anywhere(repo, output, password, encoded)


def test_a_token_echoed_encoded_or_split_is_redacted(repo: Path) -> None:
    with hostile.HostileServer(hostile.echo_encoded) as server:
        code, output = slo(repo, server.url)
    assert code == 2
    assert "bad credentials [redacted] or rather [redacted]" in output
    no_secret_anywhere(repo, output, TOKEN, TOKEN[: len(TOKEN) // 2], TOKEN[len(TOKEN) // 2 :])


def test_a_huge_error_message_is_cut_short(repo: Path) -> None:
    with hostile.HostileServer(hostile.huge_error) as server:
        code, output = slo(repo, server.url)
    assert code == 2
    assert len(output) < 1000 and "unauthorized: xxx" in output and "..." in output


def test_many_slow_answers_end_within_the_runs_budget(repo: Path) -> None:
    """Each answer comes within timeout_seconds; together they would not: the run's budget
    (ten timeouts) ends it."""
    more = "".join(
        f"  - name: availability-{i}\n    objective: 99.9\n    sli:\n      ratio:\n"
        "        bad: sum(increase(errors_total[{{window}}]))\n"
        "        total: sum(increase(requests_total[{{window}}]))\n"
        for i in range(8)
    )
    text = PROJECT_YAML.replace(f"timeout_seconds: {TIMEOUT}", "timeout_seconds: 0.6") + more
    (repo / "ops/shop/project.yaml").write_text(text, encoding="utf-8")
    with hostile.HostileServer(hostile.slow_ok(0.35)) as server:
        code, output = slo(repo, server.url)  # 144 queries, 8 at a time: over 6 s unbounded
    assert code == 2
    assert "took longer than 6 s together, the budget of one run" in output
    assert len(server.requests) < 144


def test_a_compressed_answer_is_capped_as_it_expands(repo: Path) -> None:
    hostile.gzip_bomb_ready()
    with hostile.HostileServer(hostile.gzip_bomb) as server:
        code, output = slo(repo, server.url)
    assert code == 2
    assert "sent more than 2,097,152 bytes" in output


def test_a_backlog_repository_cannot_climb_out_of_repos(repo: Path) -> None:
    """'../..' would turn /repos/../../issues into /issues on the API host."""
    text = PROJECT_YAML + "backlog:\n  github_repository: ../..\n"
    (repo / "ops/shop/project.yaml").write_text(text, encoding="utf-8")
    validated = run_child(repo, ["validate"])
    assert validated.code == 1
    assert "$.backlog.github_repository: '../..' must be owner/name (neither . nor ..)" in (
        validated.out
    )
