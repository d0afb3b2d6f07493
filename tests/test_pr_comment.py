"""ops pr-comment: the pull request gate's verdict as one comment, against a recording server on
127.0.0.1 that plays the GitHub API. The artifact is written as the gate writes it
(checks.commands.gate.write), then made hostile the ways a fork's pull request could."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fakehttp import Answer, FakeServer, Request, answer

from checks.commands import gate
from checks.findings import Finding
from checks.main import main
from checks.prcomment import render
from checks.prcomment.artifact import Gate, Outcome

TOKEN = "ghp_prcomment_token_not_real"
HEAD = "3f1c2ab9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3"
NEWER = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
BASE = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
RUN_URL = "https://github.com/acme/shop/actions/runs/42"
BOT = {"login": "github-actions[bot]"}
MARKER = "<!-- ops-gate-comment -->"

STALE = Finding(
    "ops/shop/security/2026-01-05.md",
    4,
    "$.date",
    "stale: last security log 2026-01-05 is 8 days old; one was due by 2026-01-12",
    "cadence",
)
LATE = Finding(
    "ops/shop/retros/2026-01-08.md",
    10,
    "$.action_items[0]",
    "late: action item RETRO-20260108-1 was closed on 2026-01-12, 2 days after it was due",
    "action-items",
    "warning",
)
UNLINKED = Finding(
    "ops/pay/postmortems/2026-01-07-INC-2026-001.md",
    21,
    "$.action_items[1].tracker",
    "action item INC-2026-001-A2 has no tracker; link its backlog issue",
    "action-items",
)


def _pull(
    head: str = HEAD, branch: str = "fix-cadence", fork: str = "ana/shop", base: str = "acme/shop"
) -> dict[str, Any]:
    return {
        "number": 7,
        "base": {"sha": BASE, "repo": {"full_name": base}},
        "head": {"sha": head, "ref": branch, "repo": {"full_name": fork}},
    }


class FakeGitHub:
    """Pull request #7 of acme/shop and its comments, served ``page_size`` to a page;
    ``refuse`` answers every request of that method with (status, message)."""

    def __init__(self, pull: dict[str, Any] | None = None, page_size: int = 100) -> None:
        self.pulls = {7: pull or _pull()}
        self.comments: list[dict[str, Any]] = []
        self.page_size = page_size
        self.refuse: dict[str, tuple[int, str]] = {}

    def comment(self, body: str, user: dict[str, str] = BOT) -> dict[str, Any]:
        made = {"id": 9000 + len(self.comments), "body": body, "user": user}
        self.comments.append(made)
        return made

    def __call__(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return answer(401, {"message": f"Bad credentials: {request.headers}"})
        if request.method in self.refuse:
            status, message = self.refuse[request.method]
            return answer(status, {"message": message})
        path, method = request.path, request.method
        if match := re.fullmatch(r"/repos/acme/shop/pulls/([0-9]+)", path):
            found = self.pulls.get(int(match[1]))
            return answer(200, found) if found else answer(404, {"message": "Not Found"})
        if re.fullmatch(r"/repos/acme/shop/issues/7/comments", path) and method == "POST":
            return answer(201, self.comment(request.json()["body"]))
        if re.fullmatch(r"/repos/acme/shop/issues/7/comments", path):
            page = int(request.query.get("page", ["1"])[0])
            start = (page - 1) * self.page_size
            headers = {}
            if start + self.page_size < len(self.comments):
                url = f"http://{request.headers['host']}{path}?per_page=100&page={page + 1}"
                headers["Link"] = f'<{url}>; rel="next"'
            return answer(200, self.comments[start : start + self.page_size], **headers)
        if match := re.fullmatch(r"/repos/acme/shop/issues/comments/([0-9]+)", path):
            [found] = [c for c in self.comments if c["id"] == int(match[1])]
            found["body"] = request.json()["body"]
            return answer(200, found)
        return answer(404, {"message": "Not Found"})


def write_result(
    folder: Path,
    results: dict[str, list[Finding]] | None,
    code: int | None = 1,
    head: str = HEAD,
    number: int = 7,
) -> Path:
    """The artifact as reusable-gate.yml leaves it; ``results`` None: no gate.json."""
    folder.mkdir(parents=True, exist_ok=True)
    if results is not None:
        out = io.StringIO()
        gate.write(results, dt.date(2026, 1, 13), "json", out)
        (folder / "gate.json").write_text(out.getvalue(), encoding="utf-8")
    if code is not None:
        (folder / "exit-code").write_text(f"{code}\n", encoding="utf-8")
    pull = {"number": number, "head_sha": head, "base_sha": BASE}
    (folder / "pull-request.json").write_text(json.dumps(pull) + "\n", encoding="utf-8")
    return folder


def comment(result: Path, *extra: str, head: str = HEAD) -> int:
    return main(
        [
            "pr-comment",
            f"--result={result}",
            "--repository=acme/shop",
            f"--head-sha={head}",
            "--head-repository=ana/shop",
            "--head-branch=fix-cadence",
            f"--run-url={RUN_URL}",
            *extra,
        ]
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    github = FakeGitHub()
    with FakeServer(github) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        github.server = server  # type: ignore[attr-defined]
        yield github


def _writes(fake: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.server.requests if r.method != "GET"]


FAILING = (
    f"{MARKER}\n"
    "### ❌ ops gate failed on 3f1c2ab: 1 error, 1 warning\n"
    "\n"
    "| Project | Verdict |\n"
    "|---|---|\n"
    "| shop | ❌ 1 error, 1 warning |\n"
    "\n"
    "**shop**\n"
    "\n"
    "- ❌ ops/shop/security/2026-01-05.md:4 — stale: last security log 2026-01-05 is 8 days "
    "old; one was due by 2026-01-12 (cadence)\n"
    "- ⚠️ ops/shop/retros/2026-01-08.md:10 — late: action item RETRO-20260108-1 was closed on "
    "2026-01-12, 2 days after it was due (action-items)\n"
    "\n"
    f"As of 2026-01-13; [the run]({RUN_URL}). This comment is updated on every push.\n"
)
RESOLVED = (
    f"{MARKER}\n✅ ops gate passes on 9e8d7c6 — the findings reported earlier are resolved "
    f"([the run]({RUN_URL})).\n"
)


# --- one comment, created once and edited ------------------------------------------------------


def test_a_failing_run_comments_once_and_the_next_push_edits_that_comment(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert comment(write_result(tmp_path / "r1", {"shop": [STALE, LATE]})) == 0
    assert capsys.readouterr().out == "acme/shop#7: commented\n"
    assert [c["body"] for c in fake.comments] == [FAILING]
    # the next push: the same pull request at a newer head, two projects failing now
    fake.pulls[7] = _pull(head=NEWER)
    second = write_result(tmp_path / "r2", {"pay": [UNLINKED], "shop": [STALE]}, head=NEWER)
    assert comment(second, head=NEWER) == 0
    assert capsys.readouterr().out == "acme/shop#7: edited the comment (9000)\n"
    assert _writes(fake) == [
        ("POST", "/repos/acme/shop/issues/7/comments"),
        ("PATCH", "/repos/acme/shop/issues/comments/9000"),
    ]
    [edited] = fake.comments
    assert edited["body"] == (
        f"{MARKER}\n"
        "### ❌ ops gate failed on 9e8d7c6: 2 errors, 0 warnings\n"
        "\n"
        "| Project | Verdict |\n"
        "|---|---|\n"
        "| pay | ❌ 1 error, 0 warnings |\n"
        "| shop | ❌ 1 error, 0 warnings |\n"
        "\n"
        "<details><summary>pay: 1 error, 0 warnings</summary>\n"
        "\n"
        "- ❌ ops/pay/postmortems/2026-01-07-INC-2026-001.md:21 — action item INC-2026-001-A2 "
        "has no tracker; link its backlog issue (action-items)\n"
        "\n"
        "</details>\n"
        "\n"
        "<details><summary>shop: 1 error, 0 warnings</summary>\n"
        "\n"
        "- ❌ ops/shop/security/2026-01-05.md:4 — stale: last security log 2026-01-05 is 8 days "
        "old; one was due by 2026-01-12 (cadence)\n"
        "\n"
        "</details>\n"
        "\n"
        f"As of 2026-01-13; [the run]({RUN_URL}). This comment is updated on every push.\n"
    )


def test_a_run_again_with_the_same_verdict_changes_nothing(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = write_result(tmp_path / "r", {"shop": [STALE, LATE]})
    assert comment(result) == 0
    assert comment(result) == 0  # "Re-run jobs" on the same commit
    assert capsys.readouterr().out.splitlines()[-1] == (
        "acme/shop#7: the comment says this already (comment 9000)"
    )
    assert _writes(fake) == [("POST", "/repos/acme/shop/issues/7/comments")]


def test_the_comment_is_resolved_when_the_gate_passes(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert comment(write_result(tmp_path / "r1", {"shop": [STALE, LATE]})) == 0
    fake.pulls[7] = _pull(head=NEWER)
    passing = write_result(tmp_path / "r2", {"shop": [LATE]}, code=0, head=NEWER)
    assert comment(passing, head=NEWER) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "acme/shop#7: edited the comment (9000), resolved"
    )
    assert [c["body"] for c in fake.comments] == [RESOLVED]


def test_a_pull_request_that_always_passed_gets_no_comment(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert comment(write_result(tmp_path / "r", {"shop": [LATE]}, code=0)) == 0
    assert capsys.readouterr().out == (
        "acme/shop#7: the gate passes and there is no comment of github-actions[bot] to resolve\n"
    )
    assert _writes(fake) == [] and fake.comments == []


def test_a_comment_with_the_marker_by_someone_else_is_never_edited(
    fake: Any, tmp_path: Path
) -> None:
    theirs = fake.comment(f"{MARKER}\nlooks like the bot's", {"login": "mallory"})
    quoted = fake.comment(f"> {MARKER}\nquoting it", BOT)  # the marker, not at the start
    assert comment(write_result(tmp_path / "r", {"shop": [STALE, LATE]})) == 0
    assert _writes(fake) == [("POST", "/repos/acme/shop/issues/7/comments")]
    assert theirs["body"] == f"{MARKER}\nlooks like the bot's"
    assert quoted["body"] == f"> {MARKER}\nquoting it"
    assert fake.comments[-1]["body"] == FAILING


def test_the_comment_is_found_on_a_later_page(fake: Any, tmp_path: Path) -> None:
    fake.page_size = 100
    for n in range(130):
        fake.comment(f"comment {n}", {"login": f"reviewer{n}"})
    ours = fake.comment(f"{MARKER}\nan earlier verdict")
    assert comment(write_result(tmp_path / "r", {"shop": [STALE, LATE]})) == 0
    pages = [r.query.get("page") for r in fake.server.requests if r.path.endswith("/7/comments")]
    assert pages == [None, ["2"]]
    assert _writes(fake) == [("PATCH", f"/repos/acme/shop/issues/comments/{ours['id']}")]
    assert ours["body"] == FAILING


def test_a_gate_that_did_not_finish_says_so(fake: Any, tmp_path: Path) -> None:
    assert comment(write_result(tmp_path / "r", None, code=3)) == 0
    assert [c["body"] for c in fake.comments] == [
        f"{MARKER}\n### ⚠️ ops gate did not finish on 3f1c2ab (exit 3)\n\n"
        f"See [the run]({RUN_URL}).\n"
    ]


@pytest.mark.parametrize(
    ("results", "code", "said"),
    [
        pytest.param(None, 1, " (exit 1)", id="no-gate-json"),
        pytest.param({"shop": [STALE]}, 2, " (exit 2)", id="exit-2"),
        pytest.param({"shop": [STALE]}, None, "", id="no-exit-code"),
    ],
)
def test_no_verdict_is_a_gate_that_did_not_finish(
    fake: Any,
    tmp_path: Path,
    results: dict[str, list[Finding]] | None,
    code: int | None,
    said: str,
) -> None:
    assert comment(write_result(tmp_path / "r", results, code=code)) == 0
    [made] = fake.comments
    assert made["body"].splitlines()[1] == f"### ⚠️ ops gate did not finish on 3f1c2ab{said}"


# --- the pull request must be the run's ---------------------------------------------------------


def test_a_head_that_moved_on_is_left_to_the_newer_run(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.pulls[7] = _pull(head=NEWER)  # pushed again while this run went on
    assert comment(write_result(tmp_path / "r", {"shop": [STALE]})) == 0
    assert capsys.readouterr().out == (
        "acme/shop#7 has moved on from 3f1c2ab: the newer push's run comments; nothing done\n"
    )
    assert _writes(fake) == []


@pytest.mark.parametrize(
    ("pull", "said"),
    [
        pytest.param(
            _pull(base="evil/shop"),
            "pull-request.json names #7, a pull request into evil/shop, not acme/shop; "
            "nothing is done",
            id="another-repository",
        ),
        pytest.param(
            _pull(branch="main", fork="acme/shop"),
            "pull-request.json names #7, the pull request of acme/shop:main; the run was for "
            "ana/shop:fix-cadence: the artifact names another pull request, nothing is done",
            id="another-branch",
        ),
        pytest.param(
            _pull(fork="mallory/shop"),
            "pull-request.json names #7, the pull request of mallory/shop:fix-cadence; the run "
            "was for ana/shop:fix-cadence: the artifact names another pull request, nothing is "
            "done",
            id="another-fork",
        ),
        pytest.param(
            None,
            "pull-request.json names #7, which is no pull request of acme/shop; nothing is done",
            id="no-such-pull-request",
        ),
    ],
)
def test_a_number_that_is_not_the_runs_pull_request_is_refused(
    fake: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pull: dict[str, Any] | None,
    said: str,
) -> None:
    if pull is None:
        del fake.pulls[7]
    else:
        fake.pulls[7] = pull
    assert comment(write_result(tmp_path / "r", {"shop": [STALE]})) == 2
    assert capsys.readouterr().err == f"ops: error: {said}\n"
    assert _writes(fake) == []


def test_an_artifact_of_another_commit_is_refused_before_asking_github(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert comment(write_result(tmp_path / "r", {"shop": [STALE]}, head=NEWER)) == 2
    assert capsys.readouterr().err == (
        "ops: error: pull-request.json is for commit 9e8d7c6b5a4f, the run for 3f1c2ab9d8e7: "
        "not this run's artifact; nothing is done\n"
    )
    assert fake.server.requests == []


# --- a hostile artifact -------------------------------------------------------------------------

HOSTILE = "ping @org/team </details> ![x](http://evil.example/a.png) #12 www.evil.example"


def test_hostile_text_can_mention_link_or_close_nothing(fake: Any, tmp_path: Path) -> None:
    finding = Finding("ops/shop/@team_x.md", 3, None, HOSTILE, "[rule](http://x)")
    assert comment(write_result(tmp_path / "r", {"shop": [finding]})) == 0
    [made] = fake.comments
    assert made["body"].splitlines()[9] == (
        r"- ❌ ops/shop/\@&#8203;team\_x.md:3 — ping \@&#8203;org/team \</details\> "
        r"\!\[x\](http:&#8203;//evil.example/a.png) #&#8203;12 www&#8203;.evil.example "
        r"(\[rule\](http:&#8203;//x))"
    )
    assert made["body"].count("</details>") == 0


def test_a_megabyte_message_shows_its_first_500_characters(fake: Any, tmp_path: Path) -> None:
    finding = STALE._replace(message="x" * 1_000_000)
    assert comment(write_result(tmp_path / "r", {"shop": [finding]})) == 0
    [made] = fake.comments
    assert made["body"].splitlines()[9] == (
        f"- ❌ ops/shop/security/2026-01-05.md:4 — {'x' * 499}… (cadence)"
    )


def _tree(tmp_path: Path) -> Path:
    return write_result(tmp_path / "r", {"shop": [STALE]})


def _replace_gate(tmp_path: Path, data: bytes) -> Path:
    result = _tree(tmp_path)
    (result / "gate.json").write_bytes(data)
    return result


def _gate_doc(**changes: Any) -> bytes:
    out = io.StringIO()
    gate.write({"shop": [STALE]}, dt.date(2026, 1, 13), "json", out)
    doc = json.loads(out.getvalue())
    for key, value in changes.items():
        if key == "finding":
            doc["projects"]["shop"][0].update(value)
        else:
            doc[key] = value
    return json.dumps(doc).encode()


def _symlinked(tmp_path: Path) -> Path:
    result = _tree(tmp_path)
    (result / "gate.json").unlink()
    (result / "gate.json").symlink_to("/etc/passwd")
    return result


UNREADABLE = [
    pytest.param(
        lambda t: _symlinked(t), "gate.json: is a symlink, not a regular file", id="symlink"
    ),
    pytest.param(
        lambda t: _replace_gate(t, _gate_doc(finding={"message": "x" * 10_000_000})),
        "gate.json: file is 10,000,222 bytes; at most 8,388,608 bytes are read (more than the "
        "gate writes)",
        id="10-MB-message",
    ),
    pytest.param(
        lambda t: _replace_gate(t, b'{"projects": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        "gate.json: not JSON as ops writes it (nested more than 4 levels deep)",
        id="deep",
    ),
    pytest.param(
        lambda t: _replace_gate(t, b'{"as_of": "2026-01-13", "ok": \xff}'),
        "gate.json: not UTF-8 (byte 0xff at 30)",
        id="not-utf-8",
    ),
    pytest.param(
        lambda t: _replace_gate(t, b'{"ok": false, "ok": true}'),
        "gate.json: not JSON as ops writes it (the key 'ok' appears twice in one object)",
        id="duplicate-key",
    ),
    pytest.param(lambda t: _replace_gate(t, b"[]"), "gate.json: $: not a JSON object", id="a-list"),
    pytest.param(
        lambda t: _replace_gate(t, _gate_doc(finding={"line": "4"})),
        "gate.json: $.projects.shop[0].line: '4' is not an integer",
        id="line-a-string",
    ),
    pytest.param(
        lambda t: _replace_gate(t, _gate_doc(finding={"line": True})),
        "gate.json: $.projects.shop[0].line: True is not an integer",
        id="line-a-bool",
    ),
    pytest.param(
        lambda t: _replace_gate(t, _gate_doc(finding={"severity": "info"})),
        "gate.json: $.projects.shop[0].severity: 'info' is not error or warning",
        id="severity",
    ),
    pytest.param(
        lambda t: _replace_gate(t, _gate_doc(finding={"message": 12})),
        "gate.json: $.projects.shop[0].message: 12 is not a string",
        id="message-a-number",
    ),
    pytest.param(
        lambda t: _replace_gate(t, _gate_doc(ok=1)),
        "gate.json: $.ok: 1 is not true or false",
        id="ok-a-number",
    ),
    pytest.param(
        lambda t: _replace_gate(t, _gate_doc(projects={"<img src=x>": []})),
        "gate.json: $.projects: '<img src=x>' is not a project's name",
        id="project-name",
    ),
    pytest.param(
        lambda t: _replace_gate(t, _gate_doc(ok=True, errors=0)),
        "gate.json: it counts 0 errors and 0 warnings; its findings are 1 errors and 0 warnings",
        id="counts-hide-an-error",
    ),
    pytest.param(
        lambda t: write_result(t / "r", {"shop": [LATE]}, code=1),
        "gate.json: $.ok is true with 0 errors, and the gate exited 1",
        id="ok-but-exit-1",
    ),
    pytest.param(
        lambda t: write_result(t / "r", {"shop": [STALE]}, code=0),
        "gate.json: $.ok is false with 1 errors, and the gate exited 0",
        id="errors-but-exit-0",
    ),
]


@pytest.mark.parametrize(("make", "reason"), UNREADABLE)
def test_a_gate_result_that_cannot_be_read_is_said_on_the_pull_request_and_fails(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, reason: str
) -> None:
    assert comment(make(tmp_path)) == 2
    out, err = capsys.readouterr()
    assert out == "acme/shop#7: commented\n"
    assert err == f"ops: error: the gate's result cannot be read: {reason}\n"
    [made] = fake.comments
    lines = made["body"].splitlines()
    assert lines[1] == "### ⚠️ ops gate: the result of the run on 3f1c2ab could not be read"
    assert lines[3] == render.inert(reason, render.MAX_MESSAGE)
    assert "root:" not in made["body"]  # nothing of /etc/passwd


def _pull_request_json(tmp_path: Path, data: bytes | None) -> Path:
    result = _tree(tmp_path)
    if data is None:
        (result / "pull-request.json").unlink()
    else:
        (result / "pull-request.json").write_bytes(data)
    return result


@pytest.mark.parametrize(
    ("data", "said"),
    [
        pytest.param(None, "pull-request.json is missing", id="missing"),
        pytest.param(
            b'{"number": "7", "head_sha": "%s", "base_sha": "%s"}' % (HEAD.encode(), BASE.encode()),
            "pull-request.json: $.number: '7' is not an integer",
            id="number-a-string",
        ),
        pytest.param(
            b'{"number": true, "head_sha": "x", "base_sha": "x"}',
            "pull-request.json: $.number: True is not an integer",
            id="number-a-bool",
        ),
        pytest.param(
            b'{"number": -7, "head_sha": "x", "base_sha": "x"}',
            "pull-request.json: $.number: -7 is not a pull request's number",
            id="number-negative",
        ),
        pytest.param(
            b'{"number": 7, "head_sha": "main; rm -rf /", "base_sha": "x"}',
            "pull-request.json: $.head_sha: 'main; rm -rf /' is not a commit's SHA",
            id="head-not-a-sha",
        ),
        pytest.param(
            b'{"number": 7, "head_sha": {"a": 1}, "base_sha": "x"}',
            "pull-request.json: not JSON as ops writes it (nested more than 1 levels deep)",
            id="nested",
        ),
        pytest.param(
            b" " * 5000,
            "pull-request.json: file is 5,000 bytes; at most 4,096 bytes are read (more than the "
            "gate writes)",
            id="large",
        ),
    ],
)
def test_a_pull_request_json_that_cannot_be_read_stops_before_github(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes | None, said: str
) -> None:
    result = _pull_request_json(tmp_path, data)
    assert comment(result) == 2
    err = capsys.readouterr().err
    assert err == f"ops: error: {result}: {said}; it names no pull request to comment on\n"
    assert fake.server.requests == []


def test_a_symlinked_pull_request_json_is_not_followed(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _tree(tmp_path)
    elsewhere = write_result(tmp_path / "elsewhere", None)
    (result / "pull-request.json").unlink()
    (result / "pull-request.json").symlink_to(elsewhere / "pull-request.json")
    assert comment(result) == 2
    assert "pull-request.json: is a symlink, not a regular file" in capsys.readouterr().err
    assert fake.server.requests == []


def test_a_result_folder_that_is_not_there_is_named(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert comment(tmp_path / "nowhere") == 2
    assert capsys.readouterr().err == (
        f"ops: error: --result {tmp_path / 'nowhere'}: not a folder; download the artifact "
        "ops-gate-result into one\n"
    )


# --- GitHub refuses; the token --------------------------------------------------------------------


def test_a_403_names_the_permission_and_never_the_token(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.refuse["POST"] = (403, f"Resource not accessible by integration ({TOKEN})")
    assert comment(write_result(tmp_path / "r", {"shop": [STALE]})) == 1
    out, err = capsys.readouterr()
    assert err == (
        "ops: error: GitHub API POST /repos/acme/shop/issues/7/comments: HTTP 403 Resource not "
        "accessible by integration ([redacted]) (check GITHUB_TOKEN and its permissions: "
        "pull-requests: write)\n"
    )
    assert TOKEN not in out + err


def test_a_wrong_token_is_refused_and_never_shown(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_another_token_value")
    assert comment(write_result(tmp_path / "r", {"shop": [STALE]})) == 1
    out, err = capsys.readouterr()
    assert err.startswith("ops: error: GitHub API GET /repos/acme/shop/pulls/7: HTTP 401 ")
    assert "ghp_another_token_value" not in out + err
    assert TOKEN not in out + err


def test_a_rate_limit_says_when_to_try_again(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.refuse["GET"] = (429, "slow down")
    assert comment(write_result(tmp_path / "r", {"shop": [STALE]})) == 1
    assert capsys.readouterr().err == (
        "ops: error: GitHub API rate limit reached (GET /repos/acme/shop/pulls/7); wait a while; "
        "run again then (what is done stays done)\n"
    )


def test_no_token_is_refused_before_asking_github(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    assert comment(write_result(tmp_path / "r", {"shop": [STALE]})) == 2
    assert capsys.readouterr().err == (
        "ops: error: set GITHUB_TOKEN (a token that may write pull requests' comments)\n"
    )
    assert fake.server.requests == []


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--head-sha", "HEAD", "--head-sha 'HEAD' must be a commit's full SHA in lowercase hex"),
        ("--repository", "acme", "--repository 'acme' must be OWNER/NAME of a GitHub repository"),
        (
            "--run-url",
            "javascript:alert(1)",
            "--run-url 'javascript:alert(1)' must be an http(s) URL without spaces or brackets",
        ),
        (
            "--run-url",
            "https://x/a) ![i](https://evil",
            "--run-url 'https://x/a) ![i](https://evil' must be an http(s) URL without spaces "
            "or brackets",
        ),
        ("--author", "@bot", "--author '@bot' must be a GitHub login such as github-actions[bot]"),
        ("--head-branch", "a\nb", "--head-branch 'a\\nb' must be a branch name"),
    ],
)
def test_bad_arguments_are_refused(
    fake: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    said: str,
) -> None:
    assert comment(write_result(tmp_path / "r", {"shop": [STALE]}), f"{option}={value}") == 2
    assert capsys.readouterr().err == f"ops: error: {said}\n"
    assert fake.server.requests == []


# --- the body, alone ---------------------------------------------------------------------------


def _failed(projects: dict[str, list[Finding]]) -> Outcome:
    gate_ = Gate("2026-01-13", tuple((name, tuple(found)) for name, found in projects.items()))
    return Outcome("failed", gate=gate_, exit_code=1)


def test_more_than_ten_findings_are_collapsed() -> None:
    many = [STALE._replace(line=n) for n in range(1, 12)]
    text = render.body(_failed({"shop": many}), HEAD, RUN_URL)
    assert "<details><summary>shop: 11 errors, 0 warnings</summary>\n\n- ❌" in text
    assert text.count("\n- ❌ ") == 11 and text.count("</details>") == 1


def test_errors_come_before_warnings() -> None:
    text = render.body(_failed({"shop": [LATE, STALE]}), HEAD, RUN_URL)
    assert text.index("- ❌") < text.index("- ⚠️")


def test_a_long_result_is_cut_under_githubs_limit_with_a_pointer_to_the_run() -> None:
    # each message as long as it is shown, each character escaped and defused
    findings = [STALE._replace(line=n, message="@" * 2_000) for n in range(5_000)]
    text = render.body(_failed({"shop": findings, "pay": [UNLINKED]}), HEAD, RUN_URL)
    assert len(text.encode("utf-8")) < render.LIMIT
    shown = text.count("\n- ❌ ")
    assert 0 < shown < 5_000
    assert text.endswith(
        f"</details>\n\n… and {5_001 - shown:,} more; see [the run]({RUN_URL}).\n\n"
        f"As of 2026-01-13; [the run]({RUN_URL}). This comment is updated on every push.\n"
    )
    assert text.count("<details>") == text.count("</details>")


def test_the_table_names_a_hundred_projects_then_counts_the_rest() -> None:
    projects = {f"p{n:03d}": [] for n in range(150)} | {"shop": [STALE]}
    lines = render.body(_failed(projects), HEAD, RUN_URL).splitlines()
    rows = [line for line in lines if line.startswith("| p")]
    assert len(rows) == 100 and rows[0] == "| p000 | ✅ passed |"
    assert "| … and 51 more | see the run |" in lines


def test_the_reason_a_result_is_unreadable_is_inert() -> None:
    outcome = Outcome("unreadable", reason="gate.json: $.projects: '@org/x' is not a name")
    assert render.body(outcome, HEAD, RUN_URL).splitlines()[3] == (
        r"gate.json: $.projects: '\@&#8203;org/x' is not a name"
    )


def test_the_documented_comments_are_what_ops_writes() -> None:
    doc = (Path(__file__).parent.parent / "docs/pr-comment.md").read_text(encoding="utf-8")
    failing, resolved = re.findall(r"```markdown\n(.*?)```", doc, re.DOTALL)[:2]
    evidence = Finding(
        "evidence/phase6/run.log",
        12,
        None,
        "line 12 was changed; run.log is append-only",
        "evidence",
    )
    projects = {
        "checkout": [
            STALE._replace(path="ops/checkout/security/2026-01-05.md"),
            LATE._replace(path="ops/checkout/retros/2026-01-08.md"),
        ],
        "payments": [],
        "(evidence)": [evidence],
    }
    assert failing == render.body(_failed(projects), HEAD, RUN_URL)
    passed = Outcome("passed", gate=Gate("2026-01-14", ()), exit_code=0)
    assert resolved == render.body(passed, NEWER, RUN_URL.replace("42", "43"))


# --- found by the attack review -----------------------------------------------------------------


def test_a_comment_deleted_between_listing_and_editing_is_made_again(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert comment(write_result(tmp_path / "r1", {"shop": [STALE, LATE]})) == 0
    served = fake.server.handler

    def deleted_on_edit(request: Request) -> Answer:
        if request.method == "PATCH":  # someone deleted it after ops listed the comments
            fake.comments.clear()
            return answer(404, {"message": "Not Found"})
        return served(request)

    fake.server.handler = deleted_on_edit
    fake.pulls[7] = _pull(head=NEWER)
    again = write_result(tmp_path / "r2", {"shop": [STALE]}, head=NEWER)
    assert comment(again, head=NEWER) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "acme/shop#7: the comment was deleted meanwhile; commented again"
    )
    assert [c["body"].splitlines()[1] for c in fake.comments] == [
        "### ❌ ops gate failed on 9e8d7c6: 1 error, 0 warnings"
    ]


def test_gh_references_and_runner_commands_stay_inert(fake: Any, tmp_path: Path) -> None:
    finding = STALE._replace(message="see GH-26 and gh-3 ##[stop-commands]x")
    assert comment(write_result(tmp_path / "r", {"shop": [finding]})) == 0
    [made] = fake.comments
    assert made["body"].splitlines()[9] == (
        r"- ❌ ops/shop/security/2026-01-05.md:4 — see GH&#8203;-26 and gh&#8203;-3 "
        r"#\\#\[stop-commands\]x (cadence)"
    )


def test_a_count_of_five_thousand_digits_is_no_crash(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = STALE._replace(message="... and " + "9" * 5000 + " more problems from here on")
    result = write_result(tmp_path / "r", {"shop": [huge]})
    assert comment(result) == 0
    assert "Traceback" not in capsys.readouterr().err
    [made] = fake.comments
    assert made["body"].splitlines()[1] == "### ❌ ops gate failed on 3f1c2ab: 1 error, 0 warnings"


def test_a_project_name_with_a_runner_command_is_refused_inert(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _replace_gate(tmp_path, _gate_doc(projects={"##[stop-commands]t0k3n": []}))
    assert comment(result) == 2
    err = capsys.readouterr().err
    assert "##[" not in err
    assert "'#\\#[stop-commands]t0k3n' is not a project's name" in err


def test_a_comment_github_will_not_edit_is_a_refusal_not_an_edit(
    fake: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert comment(write_result(tmp_path / "r1", {"shop": [STALE, LATE]})) == 0
    fake.refuse["PATCH"] = (404, "Not Found")  # listed, but not ours to edit any more
    fake.pulls[7] = _pull(head=NEWER)
    again = write_result(tmp_path / "r2", {"shop": [STALE]}, head=NEWER)
    assert comment(again, head=NEWER) == 1
    err = capsys.readouterr().err
    assert err == (
        "ops: error: GitHub API PATCH comment 9000: HTTP 404 while the comment is listed "
        "(check GITHUB_TOKEN and its permissions: pull-requests: write)\n"
    )
    assert [c["body"] for c in fake.comments] == [FAILING]  # unchanged, and said so
    assert [m for m, _ in _writes(fake)].count("POST") == 1


def test_a_password_is_taken_out_before_a_long_message_is_cut(fake: Any, tmp_path: Path) -> None:
    finding = STALE._replace(message="x" * 470 + " https://alice:supersecretpassword@h.example/x")
    assert comment(write_result(tmp_path / "r", {"shop": [finding]})) == 0
    [made] = fake.comments
    assert "supersec" not in made["body"]
    assert "https:&#8203;//\\[redacted\\]\\@&#8203;h.example… (cadence)" in made["body"]
