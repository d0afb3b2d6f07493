"""ops followups sync against a recording server on 127.0.0.1 that plays the GitHub API."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from casetree import DATA, snapshot
from fakehttp import FakeServer, Request, answer

from checks.main import main

TOKEN = "ghp_followups_token_not_real"
BOT = {"login": "ops-bot"}  # the account the token acts as
POSTMORTEM = "ops/shop/postmortems/2026-01-07-INC-2026-001.md"
RETRO = "ops/shop/retros/2026-01-08.md"


class FakeIssues:
    """Issues of acme/shop; ``fail_after`` makes creation fail once that many exist. ``prefix``
    serves the API under a path (GitHub Enterprise Server: /api/v3), ``web`` is where issues
    are shown, ``html_url`` replaces what a created issue says it is, ``link`` is sent as the
    next page of every listing, and ``strangers`` are issues that others opened before."""

    def __init__(
        self,
        fail_after: int | None = None,
        status: int = 500,
        *,
        prefix: str = "",
        web: str = "https://github.com",
        html_url: str | None = None,
        link: str = "",
        strangers: list[dict[str, object]] | None = None,
        **headers: str,
    ) -> None:
        self.issues: list[dict[str, object]] = []
        self.before = {1: {"number": 1, "state": "closed"}}  # the base's one tracker, done
        self.fail_after, self.status, self.headers = fail_after, status, headers
        self.prefix, self.web, self.html_url, self.link = prefix, web, html_url, link
        self.strangers = strangers or []

    def __call__(self, request: Request):  # type: ignore[no-untyped-def]
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return answer(401, {"message": f"Bad credentials: {request.headers}"})
        if not request.path.startswith(self.prefix):
            return answer(404, {"message": "Not Found"})
        request = request._replace(path=request.path.removeprefix(self.prefix))
        base = "/repos/acme/shop/issues"
        if request.method == "GET" and request.path == "/user":
            return answer(200, BOT)
        if request.method == "GET" and request.path == base and self.link:
            return answer(200, self.strangers, Link=f'<{self.link}>; rel="next"')
        if request.method == "GET" and request.path == base and self.strangers:
            return answer(200, self.strangers + self.issues)
        if request.method == "GET" and request.path == base:
            label = request.query.get("labels", [None])[0]
            found = [i for i in self.issues if label is None or {"name": label} in i["labels"]]  # type: ignore[operator]
            return answer(200, found)
        if request.method == "POST" and request.path == base:
            if self.fail_after is not None and len(self.issues) >= self.fail_after:
                return answer(self.status, {"message": "try later"}, **self.headers)
            body = request.json()
            number = len(self.issues) + 100  # numbers the documents do not use yet
            issue = {
                "number": number,
                "html_url": self.html_url or f"{self.web}/acme/shop/issues/{number}",
                "title": body["title"],
                "body": body["body"],
                "labels": [{"name": name} for name in body["labels"]],
                "state": "open",
                "user": BOT,
            }
            self.issues.append(issue)
            return answer(201, issue)
        if request.method == "PATCH" and request.path.startswith(base + "/"):
            issue = self.issues[int(request.path.rsplit("/", 1)[-1]) - 100]
            issue.update(request.json())
            return answer(200, issue)
        if request.method == "GET" and request.path.startswith(base + "/"):
            number = int(request.path.rsplit("/", 1)[-1])
            if number in self.before:
                return answer(200, self.before[number])
            if 0 <= number - 100 < len(self.issues):
                return answer(200, self.issues[number - 100])
            return answer(404, {"message": "Not Found"})
        return answer(404, {"message": "Not Found"})


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(DATA / "validate/_base", root)
    project = root / "ops/shop/project.yaml"
    project.write_text(
        project.read_text() + "backlog:\n  github_repository: acme/shop\n  labels: [reliability]\n"
    )
    # Two items without a tracker: a draft postmortem's, and a scheduled retro's (with a comment).
    pm = root / POSTMORTEM
    pm.write_text(
        pm.read_text()
        .replace("status: published", "status: draft")
        .replace("    tracker: https://github.com/acme/shop/issues/2\n", ""),
    )
    retro = root / RETRO
    retro.write_text(
        retro.read_text()
        .replace("status: held", "status: scheduled  # held on Thursday")
        .replace("    tracker: https://github.com/acme/shop/issues/3\n", "")
        .replace("    status: done\n    closed: 2026-01-11\n", "    status: open\n")
    )
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")  # as in GitHub Actions
    return root


def sync(root: Path, *args: str) -> int:
    return main(
        [
            "--root",
            str(root),
            "followups",
            "sync",
            "--project",
            "shop",
            "--as-of",
            "2026-01-13",
            *args,
        ]
    )


def test_issues_are_opened_once_and_linked_changing_nothing_else(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {rel: (repo / rel).read_text() for rel in (POSTMORTEM, RETRO)}
    fake = FakeIssues()
    with FakeServer(fake) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 0
        first = capsys.readouterr().out
        assert sync(repo) == 0  # nothing left without a tracker: no request creates anything
    assert [i["title"] for i in fake.issues] == [
        "[shop] Alert on 5xx ratio",
        "[shop] Write the deploy runbook",
    ]
    assert fake.issues[0]["labels"] == [{"name": "ops-followup"}, {"name": "reliability"}]
    assert "<!-- ops-followup project=shop item=INC-2026-001-A2 -->" in str(fake.issues[0]["body"])
    assert f"https://github.com/acme/shop/blob/HEAD/{POSTMORTEM}" in str(fake.issues[0]["body"])
    assert (
        f"{POSTMORTEM}: INC-2026-001-A2 -> https://github.com/acme/shop/issues/100 (opened)"
        in first
    )
    assert [r.method for r in server.requests].count("POST") == 2
    for rel, url in ((POSTMORTEM, 100), (RETRO, 101)):
        old, new = (
            before[rel].splitlines(keepends=True),
            (repo / rel).read_text().splitlines(keepends=True),
        )
        added = [line for line in new if line not in old]
        assert added == [f"    tracker: https://github.com/acme/shop/issues/{url}\n"]
        assert [line for line in new if line not in added] == old  # byte for byte, comments too
    assert main(["--root", str(repo), "validate", str(repo / "ops")]) == 0
    assert TOKEN not in first


def test_a_failure_midway_writes_no_file_and_the_next_run_finds_the_issue(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {rel: (repo / rel).read_bytes() for rel in (POSTMORTEM, RETRO)}
    fake = FakeIssues(fail_after=1, status=403, **{"Retry-After": "60"})
    with FakeServer(fake) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 2
        err = capsys.readouterr().err
        assert (
            "GitHub API rate limit reached (POST /repos/acme/shop/issues); GitHub asks to wait "
            "60 seconds" in err
        )
        assert {rel: (repo / rel).read_bytes() for rel in before} == before  # untouched
        fake.fail_after = None
        assert sync(repo) == 0
    out = capsys.readouterr().out
    assert len(fake.issues) == 2  # the first was found again by its marker, not opened twice
    assert "INC-2026-001-A2 -> https://github.com/acme/shop/issues/100 (found)" in out
    assert "RETRO-20260108-1 -> https://github.com/acme/shop/issues/101 (opened)" in out


def test_check_reports_items_and_issues_that_disagree(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeIssues()
    with FakeServer(fake) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 0
        fake.issues[1]["state"] = "closed"  # the runbook issue was closed, the item is open
        capsys.readouterr()
        assert sync(repo, "--check") == 1
    out = capsys.readouterr().out
    assert out == (
        f"{RETRO}:9: RETRO-20260108-1 is open, but its issue "
        "https://github.com/acme/shop/issues/101 is closed: close the item or reopen the issue\n"
        "1 mismatch between action items and issues\n"
    )


def test_dry_run_asks_nothing_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    assert sync(repo, "--dry-run") == 0
    assert capsys.readouterr().out == (
        f"would open an issue for INC-2026-001-A2 ({POSTMORTEM}) in acme/shop and link it\n"
        f"would open an issue for RETRO-20260108-1 ({RETRO}) in acme/shop and link it\n"
        "2 action items without a tracker\n"
    )
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


def test_without_a_token(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    assert sync(repo) == 2
    assert "set GITHUB_TOKEN" in capsys.readouterr().err


def test_check_reports_a_tracker_that_leads_nowhere(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeIssues()
    fake.before = {}
    with FakeServer(fake) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo, "--check") == 1
    assert "INC-2026-001-A1's tracker https://github.com/acme/shop/issues/1 was not found" in (
        capsys.readouterr().out
    )


def test_a_closed_item_gets_a_closed_issue(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    retro = repo / RETRO
    retro.write_text(
        retro.read_text().replace(
            "    status: open\n", "    status: done\n    closed: 2026-01-21\n"
        )
    )
    fake = FakeIssues()
    with FakeServer(fake) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 0
        capsys.readouterr()
        assert sync(repo, "--check") == 0  # the issue and the item agree
    assert [(i["title"], i["state"]) for i in fake.issues] == [
        ("[shop] Alert on 5xx ratio", "open"),
        ("[shop] Write the deploy runbook", "closed"),
    ]


@pytest.mark.parametrize(
    ("change", "kept"),
    [
        (lambda t: t.replace("\n", "\r\n"), "CRLF line ends"),
        (lambda t: "\ufeff" + t, "a byte-order mark"),
        (lambda t: t.replace("  - id:", "- id:").replace("\n    ", "\n  "), "items at column 0"),
    ],
    ids=["crlf", "bom", "column-0"],
)
def test_documents_keep_their_form(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    change,
    kept: str,  # type: ignore[no-untyped-def]
) -> None:
    retro = repo / RETRO
    retro.write_bytes(change(retro.read_text()).encode())
    before = retro.read_bytes()
    with FakeServer(FakeIssues()) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 0, kept
    after = retro.read_bytes()
    newline = b"\r\n" if b"\r\n" in before else b"\n"
    added = [line for line in after.split(newline) if line not in before.split(newline)]
    assert len(added) == 1 and added[0].strip().startswith(
        b"tracker: https://github.com/acme/shop/issues/"
    )
    assert after.replace(added[0] + newline, b"") == before


def test_a_document_that_cannot_take_a_tracker_stops_the_run_before_any_issue(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    retro = repo / RETRO
    retro.write_text(retro.read_text().replace("    status: open", "    status:\topen"))
    fake = FakeIssues()
    with FakeServer(fake) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 2
    err = capsys.readouterr().err
    assert f"{RETRO}:" in err and "Traceback" not in err
    assert fake.issues == []  # nothing opened
    assert [r.method for r in server.requests if r.method == "POST"] == []


def test_a_token_with_a_newline_is_refused_without_showing_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret value\n")
    assert sync(repo) == 2
    out, err = capsys.readouterr()
    assert "ghp_secret" not in out + err
    assert "GITHUB_TOKEN holds spaces or control characters" in err


def test_a_429_is_a_rate_limit(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeServer(FakeIssues(fail_after=0, status=429)) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 2
    assert (
        "GitHub API rate limit reached (POST /repos/acme/shop/issues); wait a while"
        in capsys.readouterr().err
    )


def test_the_client_follows_pages() -> None:
    from checks.github import GitHub

    def pages(request: Request):  # type: ignore[no-untyped-def]
        page = int(request.query.get("page", ["1"])[0])
        link = f'<{server.url}/repos/acme/shop/issues?page=2>; rel="next"' if page == 1 else ""
        return answer(200, [{"number": page}], Link=link)

    with FakeServer(pages) as server:
        api = GitHub(server.url, TOKEN, "acme/shop")
        assert [i["number"] for i in api.pages("/repos/acme/shop/issues?per_page=1")] == [1, 2]


def test_a_document_that_cannot_be_read_is_not_skipped_silently(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    retro = repo / RETRO
    retro.write_text(
        retro.read_text().replace("status: scheduled", "status: scheduled\nstatus: held")
    )
    assert sync(repo, "--dry-run") == 2
    err = capsys.readouterr().err
    assert f"{RETRO}:6: duplicate key 'status' (first on line 5)" in err
    assert "followups sync reads every record of the project, so it stops here" in err


def test_a_secondary_rate_limit_is_recognised_by_its_message(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeIssues(fail_after=0, status=403)
    original = fake.__call__

    def secondary(request: Request):  # type: ignore[no-untyped-def]
        reply = original(request)
        if reply.status == 403:
            return answer(403, {"message": "You have exceeded a secondary rate limit."})
        return reply

    with FakeServer(secondary) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 2
    err = capsys.readouterr().err
    assert "GitHub API rate limit reached (POST /repos/acme/shop/issues); wait a while" in err
    assert "check GITHUB_TOKEN" not in err


# --- a GitHub that is not what it seems ---------------------------------------------------------


def test_a_next_page_on_another_host_is_not_followed(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The token goes to GITHUB_API_URL's origin only: a Link elsewhere is an error."""
    with FakeServer(lambda r: answer(200, [])) as elsewhere:
        fake = FakeIssues(link=f"{elsewhere.url}/repos/acme/shop/issues?page=2")
        with FakeServer(fake) as server:
            monkeypatch.setenv("GITHUB_API_URL", server.url)
            assert sync(repo) == 2
    err = capsys.readouterr().err
    assert "GitHub pointed to a page on another host; it is not followed" in err
    assert elsewhere.requests == []
    assert fake.issues == []


@pytest.mark.parametrize(
    "html_url",
    [
        pytest.param("https://evil.example/x\nstatus: open", id="newline-and-other-host"),
        pytest.param("https://github.com/mallory/shop/issues/100", id="other-repository"),
        pytest.param("https://github.com/acme/shop/issues/7", id="other-number"),
        pytest.param("https://github.com/acme/shop/pull/100", id="a-pull-request"),
    ],
)
def test_an_issue_url_that_is_not_the_issue_is_never_written(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], html_url: str
) -> None:
    before = {rel: (repo / rel).read_bytes() for rel in (POSTMORTEM, RETRO)}
    with FakeServer(FakeIssues(html_url=html_url)) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 2
    err = capsys.readouterr().err
    assert (
        "GitHub answered with an issue that is not one of acme/shop's on https://github.com" in err
    )
    assert {rel: (repo / rel).read_bytes() for rel in before} == before


def _marked(number: int, login: str, labels: list[str]) -> dict[str, object]:
    return {
        "number": number,
        "html_url": f"https://github.com/acme/shop/issues/{number}",
        "body": "<!-- ops-followup project=shop item=INC-2026-001-A2 -->",
        "user": {"login": login},
        "labels": [{"name": name} for name in labels],
        "state": "open",
    }


@pytest.mark.parametrize(
    ("stranger", "adopted"),
    [
        pytest.param(_marked(50, "mallory", []), False, id="a-strangers-issue"),
        pytest.param(
            _marked(50, "mallory", ["ops-followup"]), False, id="labelled-by-a-maintainer"
        ),
        pytest.param(_marked(50, "ops-bot", []), True, id="the-tokens-own"),
        pytest.param(
            _marked(50, "github-actions[bot]", ["ops-followup"]), True, id="the-workflows"
        ),
    ],
)
def test_an_issue_is_adopted_by_its_marker_only_when_ops_opened_it(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stranger: dict[str, object],
    adopted: bool,
) -> None:
    with FakeServer(FakeIssues(strangers=[stranger])) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 0
    out = capsys.readouterr().out
    expected = "issues/50 (found)" if adopted else "issues/100 (opened)"
    assert f"INC-2026-001-A2 -> https://github.com/acme/shop/{expected}" in out


def test_github_enterprise_server_end_to_end(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """GITHUB_API_URL https://ghe.example/api/v3 is served from https://ghe.example: the
    issues, the links in their bodies and the trackers are on that host."""
    monkeypatch.delenv("GITHUB_SERVER_URL")
    fake = FakeIssues(prefix="/api/v3")
    with FakeServer(fake) as server:
        fake.web = server.url
        monkeypatch.setenv("GITHUB_API_URL", f"{server.url}/api/v3")
        assert sync(repo) == 0
        assert sync(repo, "--check") == 0
    assert f"tracker: {server.url}/acme/shop/issues/100" in (repo / POSTMORTEM).read_text()
    assert f"{server.url}/acme/shop/blob/HEAD/{POSTMORTEM}" in str(fake.issues[0]["body"])
    assert "github.com" not in capsys.readouterr().out


def test_a_github_error_that_repeats_the_token_shows_none_of_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN + "-but-wrong")
    with FakeServer(FakeIssues()) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 2
    out, err = capsys.readouterr()
    assert "HTTP 401 Bad credentials" in err and "[redacted]" in err
    assert TOKEN not in out + err


class SameNumber(FakeIssues):
    """A server that answers every new issue with the same number (and URL)."""

    def __call__(self, request: Request):  # type: ignore[no-untyped-def]
        got = super().__call__(request)
        if request.method == "POST" and got.status == 201:
            issue = json.loads(got.body) | {"number": 100}
            issue["html_url"] = "https://github.com/acme/shop/issues/100"
            return answer(201, issue)
        return got


def test_one_issue_for_two_items_is_refused(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(repo)
    with FakeServer(SameNumber()) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert sync(repo) == 2
    assert (
        "the issue of another action item already; nothing was written" in capsys.readouterr().err
    )
    assert snapshot(repo) == before


def test_pages_without_end_are_an_error_not_a_guess(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A listing cut at 50 pages could miss the issue an item has: never open a second one."""
    stranger = {"number": 1, "title": "x", "body": "", "user": {"login": "x"}, "labels": []}
    with FakeServer(lambda r: answer(500)) as server:
        fake = FakeIssues(
            link=f"{server.url}/repos/acme/shop/issues?page=2", strangers=[stranger, "x"]
        )
        server.handler = fake
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        before = snapshot(repo)
        assert sync(repo) == 2
    assert "more than 50 pages; narrow it" in capsys.readouterr().err
    assert fake.issues == [] and snapshot(repo) == before
