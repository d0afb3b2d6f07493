"""ops slo --post: the job summary, Slack, and the GitHub tracking issue (a recording
server on 127.0.0.1 stands in for api.github.com and the Slack webhook)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakehttp import FakeServer, Request, answer

from checks.main import main

PROJECT_YAML = """\
project: shop
name: Shop
owners: ["@sre"]
timezone: UTC
backlog:
  github_repository: acme/shop
metrics:
  source: mock
  mock:
    bad_weeks: ["2026-W46"]
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        bad: sum(increase(errors_total[{{window}}]))
        total: sum(increase(requests_total[{{window}}]))
"""
TOKEN = "ghp_not_a_real_token_0123456789"
WEBHOOK_SECRET = "T000/B000/XXXXsecretXXXX"
BOT = {"login": "ops-bot"}  # the account the token acts as


class FakeGitHub:
    """Issues and comments of one repository, as the REST API answers them."""

    def __init__(self) -> None:
        self.issues: list[dict[str, object]] = []
        self.comments: dict[int, list[dict[str, object]]] = {}
        self.slack: list[object] = []

    def __call__(self, request: Request):  # type: ignore[no-untyped-def]
        if request.path == f"/services/{WEBHOOK_SECRET}":
            self.slack.append(request.json())
            return answer(200, raw=b"ok")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return answer(401, {"message": "Bad credentials"})
        base = "/repos/acme/shop/issues"
        if request.method == "GET" and request.path == "/user":
            return answer(200, BOT)
        if request.method == "GET" and request.path == base:
            wanted = request.query.get("labels", [""])[0]
            found = [i for i in self.issues if {"name": wanted} in i["labels"]]  # type: ignore[operator]
            return answer(200, found)
        if request.method == "POST" and request.path == base:
            body = request.json()
            number = len(self.issues) + 1
            issue = {
                "number": number,
                "title": body["title"],
                "labels": [{"name": name} for name in body["labels"]],
                "html_url": f"https://github.com/acme/shop/issues/{number}",
                "user": BOT,
            }
            self.issues.append(issue)
            self.comments[number] = []
            return answer(201, issue)
        if request.method == "GET" and request.path.endswith("/comments"):
            number = int(request.path.split("/")[-2])
            return answer(200, self.comments[number])
        if request.method == "POST" and request.path.endswith("/comments"):
            number = int(request.path.split("/")[-2])
            comment = {
                "id": 100 + sum(len(c) for c in self.comments.values()),
                "body": request.json()["body"],
                "user": BOT,
            }
            self.comments[number].append(comment)
            return answer(201, comment)
        if request.method == "PATCH" and "/issues/comments/" in request.path:
            ident = int(request.path.rsplit("/", 1)[-1])
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == ident:
                        comment["body"] = request.json()["body"]
                        return answer(200, comment)
        return answer(404, {"message": "Not Found"})


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")  # as in GitHub Actions
    (tmp_path / "ops/shop").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    return tmp_path


def test_post_everywhere_and_edit_the_weeks_comment_on_a_rerun(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    github = FakeGitHub()
    summary = repo / "summary.md"
    with FakeServer(github) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{server.url}/services/{WEBHOOK_SECRET}")
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        argv = ["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W46", "--post"]
        assert main(argv) == 0
        assert main(argv) == 0  # the same week again: the comment is edited, not added
        assert main([*argv[:-2], "2026-W47", "--post"]) == 0
    out, err = capsys.readouterr()
    assert [i["title"] for i in github.issues] == ["SLO status: shop"]  # opened once
    comments = github.comments[1]
    assert len(comments) == 2  # one per week
    assert "<!-- ops-slo project=shop week=2026-W46 -->" in str(comments[0]["body"])
    assert "SLO status shop 2026-W46: FAIL" in str(comments[0]["body"])
    assert "SLO status shop 2026-W47: PASS" in str(comments[1]["body"])
    assert github.slack == [
        {"text": "❌ SLO status shop 2026-W46: FAIL (availability)"},
        {"text": "❌ SLO status shop 2026-W46: FAIL (availability)"},
        {"text": "✅ SLO status shop 2026-W47: PASS"},
    ]
    text = summary.read_text(encoding="utf-8")
    assert text.count("### ❌ SLO status shop 2026-W46: FAIL") == 2
    assert "| availability | 99.9 % |" in text
    assert "posted: job summary\nposted: Slack\nposted: GitHub issue acme/shop#1\n" in out
    for secret in (TOKEN, WEBHOOK_SECRET):
        assert secret not in out + err
        assert all(secret not in p.read_text() for p in repo.rglob("*") if p.is_file())


def test_a_refused_token_is_explained_without_showing_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeServer(FakeGitHub()) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_TOKEN", "wrong-token-value")
        code = main(
            ["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W46", "--post"]
        )
    out, err = capsys.readouterr()
    assert code == 2
    assert (
        "GitHub API GET /repos/acme/shop/issues: HTTP 401 Bad credentials (check GITHUB_TOKEN"
        in err
    )
    assert "wrong-token-value" not in out + err
    assert (repo / "ops/shop/slo/2026-W46.md").is_file()  # the report is written before posting


def slo(repo: Path, *args: str) -> int:
    return main(["--root", str(repo), "slo", "--project", "shop", *args])


def test_without_settings_nothing_is_posted(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("GITHUB_TOKEN", "SLACK_WEBHOOK_URL", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    assert slo(repo, "--week", "2026-W46", "--post") == 0
    assert "posted" not in capsys.readouterr().out


def test_markdown_and_json_output(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert slo(repo, "--week", "2026-W46", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reports"][0]["status"] == "FAIL"
    assert data["reports"][0]["slos"] == {"availability": "FAIL"}
    assert slo(repo, "--week", "2026-W46", "--format", "markdown") == 0
    assert "### ❌ SLO status shop 2026-W46: FAIL" in capsys.readouterr().out


def test_strict_exits_1_on_a_failed_week(repo: Path) -> None:
    assert slo(repo, "--week", "2026-W46", "--strict") == 1
    assert slo(repo, "--week", "2026-W47", "--strict") == 0


def test_the_posts_link_to_the_projects_page_on_the_status_site(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    github = FakeGitHub()
    summary = repo / "summary.md"
    with FakeServer(github) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{server.url}/services/{WEBHOOK_SECRET}")
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        monkeypatch.setenv("OPS_SITE_URL", "https://acme.github.io/ops")
        assert slo(repo, "--week", "2026-W46", "--post") == 0
    assert github.slack == [
        {
            "text": "❌ SLO status shop 2026-W46: FAIL (availability) "
            "<https://acme.github.io/ops/shop/|status site>"
        }
    ]
    link = "Status site: [shop](https://acme.github.io/ops/shop/)"
    assert link in summary.read_text(encoding="utf-8")
    assert link in str(github.comments[1][0]["body"])


@pytest.mark.parametrize(
    "value",
    [
        "https://user:hunter2-secret@acme.github.io/ops/",
        "javascript:alert(1)",
        "acme.github.io/ops",
        "https://acme.github.io/ops/|click here",
        "https://acme.github.io/ops/> <https://evil.example",
        "https://acme.github.io/ops/?token=hunter2-secret",
        "ftp://acme.github.io/ops/",
    ],
)
def test_a_site_address_that_is_not_one_is_refused_before_anything_is_posted(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    github = FakeGitHub()
    summary = repo / "summary.md"
    with FakeServer(github) as server:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{server.url}/services/{WEBHOOK_SECRET}")
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        monkeypatch.setenv("OPS_SITE_URL", value)
        assert slo(repo, "--week", "2026-W46", "--post") == 2
    out, err = capsys.readouterr()
    assert "OPS_SITE_URL is not the status site's address" in err
    assert "nothing was posted" in err and "Traceback" not in err
    assert "hunter2" not in out + err
    assert github.slack == [] and not summary.exists()
    assert (repo / "ops/shop/slo/2026-W46.md").is_file()  # the report itself is written


def test_the_summaries_show_the_budget_over_the_slos_time_window(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    config = repo / "ops/shop/project.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "    time_window: {rolling: 28d}\n", encoding="utf-8"
    )
    assert slo(repo, "--weeks", "2026-W43..2026-W46") == 0  # the window's weeks have data
    capsys.readouterr()
    assert slo(repo, "--week", "2026-W46", "--format", "json") == 0
    [report] = json.loads(capsys.readouterr().out)["reports"]
    window = report["budget_windows"]["availability"]
    assert (window["window"], window["start"], window["end"]) == (
        "the last 28 days",
        "2026-10-19",
        "2026-11-16",
    )
    assert window["status"] in ("PASS", "FAIL")
    assert isinstance(window["error_budget_remaining"], float)
    assert slo(repo, "--week", "2026-W46", "--format", "markdown") == 0
    text = capsys.readouterr().out
    assert "| SLO | Objective | SLI | Budget left | Window budget left | Status |" in text
    assert f"{window['error_budget_remaining'] * 100:.2f} % of the last 28 days |" in text
