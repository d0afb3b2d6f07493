"""ops import security: scanner reports and Dependabot alerts into the security log, as a user
sees it (the written log, the messages, the exit code)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from casetree import BASE, DATA
from fakehttp import FakeServer, Request, answer

from checks.main import main

FIXTURES = DATA / "import" / "security"
REPORTS = {
    "trivy": "trivy/report.json",
    "grype": "grype/report.json",
    "osv-scanner": "osv-scanner/report.json",
    "pip-audit": "pip-audit/report.json",
    "npm-audit": "npm-audit/report.json",
    "github-dependabot": "github-dependabot/alerts.json",
}
LOG = "ops/shop/security/2026-01-13.md"
TOKEN = "ghp_import_token_not_real"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    return root


def run(root: Path, tool: str, report: str | Path | None, *extra: str) -> int:
    args = ["--root", str(root), "import", "security", "--project", "shop", "--from", tool]
    if report is not None:
        args.append(str(report))
    return main([*args, "--as-of", "2026-01-13", *extra])


def findings(root: Path, rel: str = LOG) -> dict[str, dict[str, object]]:
    from checks import document

    data = document.parse_front_matter((root / rel).read_text()).data
    return {f["id"]: f for f in data["findings"]}


# --- golden results and idempotence ---------------------------------------------------------


@pytest.mark.parametrize("tool", [pytest.param(t, id=t) for t in REPORTS])
def test_each_tool_gives_its_golden_log_and_a_second_run_changes_nothing(
    repo: Path, tool: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(repo, tool, FIXTURES / REPORTS[tool]) == 0
    written = (repo / LOG).read_bytes()
    golden = FIXTURES / tool / "expected.md"
    if os.environ.get("OPS_REGENERATE_GOLDEN"):
        golden.write_bytes(written)
    assert written.decode() == golden.read_text()
    assert run(repo, tool, FIXTURES / REPORTS[tool]) == 0
    assert (repo / LOG).read_bytes() == written
    out = capsys.readouterr().out
    assert "0 new, 0 updated, 0 fixed" in out.splitlines()[-1]
    assert out.splitlines()[-1].endswith("; unchanged")
    assert main(["--root", str(repo), "validate"]) == 0


def test_the_summary_names_what_changed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(repo, "trivy", FIXTURES / REPORTS["trivy"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "new: CVE-2024-5535, CVE-2024-35195, CVE-2011-3374, TEMP-0841856-B18BAF",
        "ops/shop/security/2026-01-13.md: 4 new, 0 updated, 0 fixed from trivy "
        "(4 vulnerabilities reported)",
    ]


def test_standard_input_is_read_with_a_dash(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    data = (FIXTURES / REPORTS["npm-audit"]).read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert run(repo, "npm-audit", "-") == 0
    assert set(findings(repo)) == {
        "GHSA-abcd-efgh-ijkm",
        "GHSA-grv7-fg5c-xmjg",
        "GHSA-952p-6rrq-rcjv",
    }


# --- merging --------------------------------------------------------------------------------


def test_one_cve_from_two_scanners_is_one_finding_with_both_sources_and_aliases(
    repo: Path,
) -> None:
    assert run(repo, "trivy", FIXTURES / REPORTS["trivy"]) == 0
    assert run(repo, "grype", FIXTURES / REPORTS["grype"]) == 0
    requests = findings(repo)["CVE-2024-35195"]
    assert requests["sources"] == ["trivy", "grype"]
    assert requests["aliases"] == ["GHSA-9wx4-h78v-vm56"]
    assert requests["package"] == "requests"
    assert [f for f in findings(repo) if "35195" in f or "9wx4" in f] == ["CVE-2024-35195"]
    openssl = findings(repo)["CVE-2024-5535"]  # critical in trivy, Negligible in grype's Debian
    assert (openssl["severity"], openssl["source_severity"]) == ("critical", "CRITICAL")
    assert openssl["package"] == "libssl3, openssl"


def test_the_id_a_finding_first_had_is_kept(repo: Path) -> None:
    """Dependabot names the advisory by its GHSA id; trivy by the CVE: the GHSA stays."""
    assert run(repo, "github-dependabot", FIXTURES / REPORTS["github-dependabot"]) == 0
    assert run(repo, "trivy", FIXTURES / REPORTS["trivy"]) == 0
    found = findings(repo)
    assert "CVE-2024-35195" in found  # Dependabot gives the CVE too: it is the id
    assert found["CVE-2024-35195"]["sources"] == ["trivy", "github-dependabot"]


def _trivy_without(tmp_path: Path, *ids: str) -> Path:
    report = json.loads((FIXTURES / REPORTS["trivy"]).read_text())
    for result in report["Results"]:
        if "Vulnerabilities" in result:
            result["Vulnerabilities"] = [
                v for v in result["Vulnerabilities"] if v["VulnerabilityID"] not in ids
            ]
    path = tmp_path / "later.json"
    path.write_text(json.dumps(report))
    return path


def test_first_seen_dates_are_kept_across_three_imports(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = FIXTURES / REPORTS["trivy"]
    assert run(repo, "trivy", report, "--date", "2026-01-13") == 0
    assert run(repo, "trivy", report, "--date", "2026-01-20", "--as-of", "2026-01-20") == 0
    assert run(repo, "trivy", report, "--date", "2026-01-27", "--as-of", "2026-01-27") == 0
    last = findings(repo, "ops/shop/security/2026-01-27.md")
    assert {f["discovered"] for i, f in last.items() if i != "GHSA-abcd-efgh-ijkm"} == {
        "2026-01-13"
    }
    # and the gate judges the SLA from the first day: 14 days after 2026-01-13
    capsys.readouterr()
    main(["--root", str(repo), "gate", "--project", "shop", "--as-of", "2026-01-27"])
    assert "outstanding: CVE-2024-5535" not in capsys.readouterr().out
    assert main(["--root", str(repo), "gate", "--project", "shop", "--as-of", "2026-01-28"]) == 1
    assert (
        "outstanding: CVE-2024-5535 (critical, 'libssl3, openssl') discovered 2026-01-13 is 15 "
        "days old, past its 14-day SLA" in capsys.readouterr().out
    )


def test_an_earlier_log_that_named_an_alias_sets_the_discovery(repo: Path) -> None:
    earlier = repo / "ops/shop/security/2026-01-06.md"
    earlier.write_text(
        earlier.read_text().replace(
            "findings:\n",
            "findings:\n  - id: GHSA-9wx4-h78v-vm56\n    package: requests\n    severity: medium\n"
            "    discovered: 2026-01-04\n    status: fixed\n    fixed: 2026-01-05\n",
        )
    )
    assert run(repo, "grype", FIXTURES / REPORTS["grype"]) == 0  # GHSA-9wx4-... and its CVE
    again = findings(repo)["CVE-2024-35195"]
    assert (again["discovered"], again["status"]) == ("2026-01-04", "open")
    assert again["aliases"] == ["GHSA-9wx4-h78v-vm56"]


def test_a_finding_that_disappears_is_fixed_on_the_import_day(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(repo, "trivy", FIXTURES / REPORTS["trivy"]) == 0
    later = _trivy_without(tmp_path, "CVE-2011-3374")
    assert run(repo, "trivy", later, "--date", "2026-01-20", "--as-of", "2026-01-20") == 0
    apt = findings(repo, "ops/shop/security/2026-01-20.md")["CVE-2011-3374"]
    assert (apt["status"], apt["fixed"], apt["discovered"]) == ("fixed", "2026-01-20", "2026-01-13")
    assert "fixed (no longer reported): CVE-2011-3374" in capsys.readouterr().out


def test_a_finding_another_tool_still_reports_is_left_open(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(repo, "trivy", FIXTURES / REPORTS["trivy"]) == 0
    assert run(repo, "grype", FIXTURES / REPORTS["grype"]) == 0
    assert run(repo, "trivy", _trivy_without(tmp_path, "CVE-2024-35195")) == 0
    assert findings(repo)["CVE-2024-35195"]["status"] == "open"
    assert "left open (no longer reported by this tool" in capsys.readouterr().out


def test_exceptions_notes_and_hand_written_body_are_kept(repo: Path) -> None:
    assert run(repo, "trivy", FIXTURES / REPORTS["trivy"]) == 0
    log = repo / LOG
    text = log.read_text()
    text = text.replace(
        "    sources: [trivy]\n  - id: TEMP-0841856-B18BAF",
        "    sources: [trivy]\n    notes: only in the build stage\n  - id: TEMP-0841856-B18BAF",
    ).replace("## Summary\n", "## Summary\n\nWritten by a person.\n")
    log.write_text(text)
    assert run(repo, "trivy", FIXTURES / REPORTS["trivy"]) == 0
    after = log.read_text()
    assert after == text
    assert findings(repo)["GHSA-abcd-efgh-ijkm"]["exception"] == {
        "approver": "@ana",
        "reason": "Not reachable from user input",
        "expires": "2026-03-31",
    }


def test_dependabot_fixed_and_dismissed_alerts(repo: Path) -> None:
    earlier = repo / "ops/shop/security/2026-01-06.md"
    earlier.write_text(
        earlier.read_text().replace(
            "findings:\n",
            "findings:\n  - id: GHSA-j8r2-6x86-q33q\n    package: requests\n    severity: medium\n"
            "    discovered: 2026-01-02\n    status: open\n",
        )
    )
    assert run(repo, "github-dependabot", FIXTURES / REPORTS["github-dependabot"]) == 0
    found = findings(repo)
    fixed = found["GHSA-j8r2-6x86-q33q"]
    assert (fixed["status"], fixed["fixed"]) == ("fixed", "2026-01-08")
    assert found["GHSA-abcd-efgh-ijkm"]["status"] == "accepted"  # dismissed: a person decided
    assert found["CVE-2024-35195"]["severity"] == "medium"


# --- bad input: an error naming the expected format and where; nothing written -----------------


def _truncated(tmp_path: Path, tool: str) -> Path:
    data = (FIXTURES / REPORTS[tool]).read_bytes()
    path = tmp_path / "truncated.json"
    path.write_bytes(data[: len(data) // 2])
    return path


BAD = [
    pytest.param(
        "trivy",
        FIXTURES / "bad/trivy-schema-3.json",
        "trivy-schema-3.json: $.SchemaVersion: SchemaVersion '3' is a trivy report format ops "
        "does not know (it reads SchemaVersion 2); expected trivy's JSON report",
        id="unknown-trivy-version",
    ),
    pytest.param(
        "npm-audit",
        FIXTURES / "bad/npm-v1.json",
        "npm-v1.json: $.auditReportVersion: no auditReportVersion (npm 6 wrote report version 1",
        id="npm-6-report",
    ),
    pytest.param(
        "trivy",
        FIXTURES / "bad/not-json.txt",
        "not-json.txt:7: not valid JSON (lexical error: invalid char in json text.); expected "
        "trivy's JSON report",
        id="not-json",
    ),
    pytest.param(
        "trivy",
        FIXTURES / "bad/trivy-bad-severity.json",
        "$.Results[0].Vulnerabilities[0].Severity: Severity 'SEVERE' is not one of trivy's",
        id="value-outside-the-scale",
    ),
    pytest.param(
        "trivy",
        FIXTURES / REPORTS["grype"],
        "$.SchemaVersion: no SchemaVersion",
        id="grype-as-trivy",
    ),
    pytest.param(
        "grype", FIXTURES / REPORTS["trivy"], "$.matches: no 'matches'", id="trivy-as-grype"
    ),
    pytest.param(
        "osv-scanner",
        FIXTURES / REPORTS["pip-audit"],
        "$.results: no 'results'",
        id="pip-audit-as-osv",
    ),
    pytest.param(
        "pip-audit",
        FIXTURES / REPORTS["github-dependabot"],
        "$: the report is an array, expected an object",
        id="dependabot-as-pip-audit",
    ),
    pytest.param(
        "github-dependabot",
        FIXTURES / REPORTS["npm-audit"],
        "$: the report is an object, expected an array",
        id="npm-as-dependabot",
    ),
    pytest.param(
        "npm-audit",
        FIXTURES / REPORTS["osv-scanner"],
        "$.auditReportVersion: no auditReportVersion",
        id="osv-as-npm",
    ),
    *[
        pytest.param(
            tool,
            tool,
            "the file ends before its JSON does: it is truncated",
            id=f"truncated-{tool}",
        )
        for tool in REPORTS
    ],
]


@pytest.mark.parametrize(("tool", "report", "message"), BAD)
def test_bad_input_is_refused_and_nothing_is_written(
    repo: Path,
    tmp_path: Path,
    tool: str,
    report: Path | str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _truncated(tmp_path, tool) if isinstance(report, str) else report
    assert run(repo, "trivy", FIXTURES / REPORTS["trivy"]) == 0  # a log that must stay as it is
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert run(repo, tool, path) == 2
    assert run(repo, tool, path, "--date", "2026-01-14", "--as-of", "2026-01-14") == 2
    err = capsys.readouterr().err
    assert message in err
    assert "nothing written" in err
    assert "Traceback" not in err
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


def test_a_truncated_file_names_its_last_line(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cut.json"
    path.write_bytes(b'{"SchemaVersion": 2,\n "Results": [\n  {"Target": "x",\n')
    assert run(repo, "trivy", path) == 2
    assert f"{path}:4: the file ends before its JSON does" in capsys.readouterr().err


def test_a_report_without_a_file_needs_one(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(repo, "trivy", None) == 2
    assert (
        "name the trivy report to import (FILE, or - for standard input)" in capsys.readouterr().err
    )


# --- Dependabot from the REST API on 127.0.0.1 ---------------------------------------------------


def _alerts() -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(
        (FIXTURES / REPORTS["github-dependabot"]).read_text()
    )
    return data


class FakeAlerts:
    """Two pages of alerts of acme/shop, the second behind a Link header."""

    def __init__(self) -> None:
        self.url = ""

    def __call__(self, request: Request):  # type: ignore[no-untyped-def]
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return answer(401, {"message": "Bad credentials"})
        if request.path != "/repos/acme/shop/dependabot/alerts":
            return answer(404, {"message": "Not Found"})
        alerts = _alerts()
        if request.query.get("after") == ["page2"]:
            return answer(200, alerts[1:])
        link = f'<{self.url}/repos/acme/shop/dependabot/alerts?after=page2>; rel="next"'
        return answer(200, alerts[:1], Link=link)


@pytest.fixture
def github(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = repo / "ops/shop/project.yaml"
    project.write_text(project.read_text() + "backlog:\n  github_repository: acme/shop\n")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    return repo


def test_dependabot_alerts_are_fetched_page_by_page(
    github: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = FakeAlerts()
    with FakeServer(handler) as server:
        handler.url = server.url
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert run(github, "github-dependabot", None) == 0
    assert len(server.requests) == 2
    assert server.requests[0].query["state"] == ["open,fixed,dismissed,auto_dismissed"]
    saved = tmp = github / "saved.md"
    assert not tmp.exists() and saved == tmp
    assert findings(github)["CVE-2024-35195"]["sources"] == ["github-dependabot"]
    assert TOKEN not in capsys.readouterr().out


def test_dependabot_without_a_token(
    github: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    assert run(github, "github-dependabot", None) == 2
    assert "set GITHUB_TOKEN" in capsys.readouterr().err
    assert not (github / LOG).exists()


def test_a_bad_alert_from_the_api_writes_nothing(
    github: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(request: Request):  # type: ignore[no-untyped-def]
        return answer(200, [{"number": 1, "state": "open"}])

    with FakeServer(handler) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert run(github, "github-dependabot", None) == 2
    err = capsys.readouterr().err
    assert (
        "GitHub Dependabot alerts of acme/shop: $[0].security_advisory: no 'security_advisory'"
        in err
    )
    assert not (github / LOG).exists()


def test_a_next_page_on_another_host_is_not_followed(
    github: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(request: Request):  # type: ignore[no-untyped-def]
        return answer(200, [], Link='<https://elsewhere.example/next>; rel="next"')

    with FakeServer(handler) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert run(github, "github-dependabot", None) == 2
    assert "another host" in capsys.readouterr().err
    assert not (github / LOG).exists()
