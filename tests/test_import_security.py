"""ops import security: scanner reports and Dependabot alerts into the security log, as a user
sees it (the written log, the messages, the exit code)."""

from __future__ import annotations

import json
import os
import re
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


# --- review findings: bounds, merges that hid findings, messages -------------------------------

ROOT = Path(__file__).resolve().parent.parent
CHILD = (
    "import resource, sys\n"
    "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
    "sys.path.insert(0, {root!r})\n"
    "{body}\n"
)


def _child(body: str, timeout: float = 300) -> tuple[int, str, str]:
    """``body`` in a Python child with 1 GB of address space; the timeout only guards a hang."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT), body=body)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    return done.returncode, done.stdout, done.stderr


def _ops_child(repo: Path, tool: str, report: Path) -> tuple[int, str, str]:
    args = ["--root", str(repo), "import", "security", "--project", "shop", "--from", tool]
    args += [str(report), "--as-of", "2026-01-13"]
    return _child(f"from checks.main import main\nsys.exit(main({args!r}))")


def _trivy(path: Path, *vulns: tuple[str, str, str], vendor: dict[str, list[str]] | None = None):  # type: ignore[no-untyped-def]
    vendor = vendor or {}
    report = {
        "SchemaVersion": 2,
        "Results": [
            {
                "Target": "x",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": i,
                        "VendorIDs": vendor.get(f"{i}:{p}", []),
                        "PkgName": p,
                        "Severity": s,
                    }
                    for i, p, s in vulns
                ],
            }
        ],
    }
    path.write_text(json.dumps(report))
    return path


@pytest.mark.parametrize(
    "where",
    [
        pytest.param('"X": {deep}, "Results": []', id="in-a-skipped-part"),
        pytest.param(
            '"Results": [{{"Target": "t", "Vulnerabilities": [{{"VulnerabilityID": "CVE-2026-1",'
            ' "PkgName": "a", "Severity": "LOW", "X": {deep}}}]}}]',
            id="in-an-advisory",
        ),
    ],
)
def test_deep_nesting_is_refused_in_bounded_memory(repo: Path, tmp_path: Path, where: str) -> None:
    report = tmp_path / "deep.json"
    deep = "[" * 100_000 + "]" * 100_000
    report.write_text('{"SchemaVersion": 2, ' + where.format(deep=deep) + "}")
    code, _out, err = _ops_child(repo, "trivy", report)
    assert code == 2, err[-2000:]
    assert "the JSON nests more than 64 levels deep" in err
    assert "Traceback" not in err and "MemoryError" not in err
    assert not (repo / LOG).exists()


def test_a_string_longer_than_a_megabyte_is_refused(repo: Path, tmp_path: Path) -> None:
    report = tmp_path / "long.json"
    report.write_text(
        '{"SchemaVersion": 2, "Results": [{"Target": "t", "Vulnerabilities": [{"VulnerabilityID":'
        ' "CVE-2026-1", "PkgName": "a", "Severity": "LOW", "Description": "'
        + "y" * (3 << 20)
        + '"}]}]}'
    )
    code, _out, err = _ops_child(repo, "trivy", report)
    assert code == 2, err[-2000:]
    assert "a string or number longer than 1,048,576 bytes" in err
    assert "nothing written" in err and "Traceback" not in err


def test_grouping_a_long_alias_chain_is_linear() -> None:
    """n advisories, joined pairwise from the end (a parent chain), then n lookups of the tail:
    quadratic before (MemoryError under 1 GB), instant with union by size."""
    body = (
        "from checks.importers.security.group import group\n"
        "from checks.importers.security.model import Advisory\n"
        "n = 50_000\n"
        "def a(*ids): return Advisory(ids, 'p', 'low', 'LOW', None, 'trivy')\n"
        "adv = [a(f'CVE-2026-{10000 + i}') for i in range(n)]\n"
        "adv += [a(f'CVE-2026-{10000 + i - 1}', f'CVE-2026-{10000 + i}')\n"
        "        for i in range(n - 1, 0, -1)]\n"
        "adv += [a(f'CVE-2026-{10000 + n - 1}') for i in range(n)]\n"
        "found = group(adv)\n"
        "print(len(found), len(found[0].ids))\n"
    )
    code, out, err = _child(body)
    assert (code, out.split()) == (0, ["1", "50000"]), err[-2000:]


def test_a_report_with_more_findings_than_a_log_holds_stops_early(
    repo: Path, tmp_path: Path
) -> None:
    report = tmp_path / "many.json"
    vulns = ",".join(
        f'{{"VulnerabilityID":"CVE-2026-{10000 + i}","PkgName":"p","Severity":"LOW"}}'
        for i in range(300_000)
    )
    report.write_text(
        '{"SchemaVersion": 2, "Results": [{"Target": "t", "Vulnerabilities": [' + vulns + "]}]}"
    )
    code, _out, err = _ops_child(repo, "trivy", report)
    assert code == 2, err[-2000:]
    assert "distinct vulnerabilities in the report's first" in err
    assert "stopped reading, nothing written" in err
    assert "trivy --severity HIGH,CRITICAL" in err and "split" not in err
    assert "Traceback" not in err
    counted = int(re.findall(r"([0-9,]+) distinct vulnerabilities", err)[0].replace(",", ""))
    assert 5_000 < counted < 12_000
    assert not (repo / LOG).exists()


def test_a_log_too_large_advises_filtering_not_splitting(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(repo, "trivy", FIXTURES / REPORTS["trivy"]) == 0
    log = repo / LOG
    one = (
        "  - id: CVE-2025-{n}\n    package: package-with-a-long-name-{n}\n"
        "    severity: low\n    discovered: 2026-01-01\n    status: fixed\n"
        "    fixed: 2026-01-02\n    sources: [grype]\n"
    )
    text = log.read_text()
    room = 1_048_576 - 20 - len(text.encode())  # what grype adds will not fit in the rest
    count = (room - 400) // len(one.format(n=10000))
    many = "".join(one.format(n=10000 + i) for i in range(count))
    last = (
        "  - id: CVE-2025-99999\n    package: {p}\n    severity: low\n"
        "    discovered: 2026-01-01\n    status: fixed\n    fixed: 2026-01-02\n"
    )
    many += last.format(p="p" * (room - len(many) - len(last.format(p=""))))
    log.write_text(text.replace("findings:\n", "findings:\n" + many, 1))
    assert 1_048_500 < log.stat().st_size < 1_048_576
    before = log.read_bytes()
    capsys.readouterr()
    assert run(repo, "grype", FIXTURES / REPORTS["grype"]) == 2, (log.stat().st_size, len(before))
    err = capsys.readouterr().err
    assert "bytes, above the 1,048,576 a record may have; nothing written" in err
    assert "trivy --severity HIGH,CRITICAL" in err and "split" not in err
    assert log.read_bytes() == before


def _accept(log: Path, ident: str) -> None:
    text = log.read_text()
    head, _, rest = text.partition(f"  - id: {ident}\n")
    block, sep, tail = rest.partition("\n  - id: ")
    block = block.replace(
        "    status: open",
        "    status: accepted",
    ).replace(
        "    sources: [trivy]",
        "    sources: [trivy]\n    exception:\n      approver: '@ana'\n"
        "      reason: Not reachable\n      expires: 2027-01-31",
    )
    log.write_text(head + f"  - id: {ident}\n" + block + sep + tail)


def test_an_alias_joining_two_findings_hides_neither(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _trivy(
        tmp_path / "t1.json",
        ("CVE-2026-1111", "libfoo", "HIGH"),
        ("GHSA-aaaa-bbbb-cccc", "foo-py", "HIGH"),
    )
    assert run(repo, "trivy", first, "--date", "2026-11-24", "--as-of", "2026-11-24") == 0
    _accept(repo / "ops/shop/security/2026-11-24.md", "CVE-2026-1111")
    assert main(["--root", str(repo), "validate"]) == 0
    second = _trivy(
        tmp_path / "t2.json",
        ("CVE-2026-1111", "libfoo", "HIGH"),
        ("GHSA-aaaa-bbbb-cccc", "foo-py", "HIGH"),
        vendor={"CVE-2026-1111:libfoo": ["GHSA-aaaa-bbbb-cccc"]},
    )
    capsys.readouterr()
    assert run(repo, "trivy", second, "--date", "2026-12-10", "--as-of", "2026-12-10") == 0
    out = capsys.readouterr().out
    later = findings(repo, "ops/shop/security/2026-12-10.md")
    assert {"CVE-2026-1111", "GHSA-aaaa-bbbb-cccc"} <= set(later)
    cve, ghsa = later["CVE-2026-1111"], later["GHSA-aaaa-bbbb-cccc"]
    assert (cve["status"], cve["package"], cve["discovered"]) == (
        "accepted",
        "libfoo",
        "2026-11-24",
    )
    assert (ghsa["status"], ghsa["package"], ghsa["discovered"]) == ("open", "foo-py", "2026-11-24")
    assert "fixed" not in out.split(" from trivy")[0].split("updated, ")[1].replace("0 fixed", "")
    # and the gate still sees the GHSA past its SLA (high: 30 days)
    capsys.readouterr()
    assert main(["--root", str(repo), "gate", "--project", "shop", "--as-of", "2026-12-30"]) == 1
    assert "outstanding: GHSA-aaaa-bbbb-cccc" in capsys.readouterr().out


def test_an_accepted_finding_reported_with_more_is_open_again(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _trivy(tmp_path / "t1.json", ("CVE-2026-1111", "libfoo", "MEDIUM"))
    assert run(repo, "trivy", first, "--date", "2026-11-24", "--as-of", "2026-11-24") == 0
    _accept(repo / "ops/shop/security/2026-11-24.md", "CVE-2026-1111")
    same = _trivy(tmp_path / "t2.json", ("CVE-2026-1111", "libfoo", "MEDIUM"))
    assert run(repo, "trivy", same, "--date", "2026-12-01", "--as-of", "2026-12-01") == 0
    assert findings(repo, "ops/shop/security/2026-12-01.md")["CVE-2026-1111"]["status"] == (
        "accepted"
    )
    for day, report in (
        ("2026-12-02", _trivy(tmp_path / "t3.json", ("CVE-2026-1111", "libbar", "MEDIUM"))),
        ("2026-12-03", _trivy(tmp_path / "t4.json", ("CVE-2026-1111", "libfoo", "HIGH"))),
    ):
        rel = f"ops/shop/security/{day}.md"
        shutil.copy(repo / "ops/shop/security/2026-12-01.md", repo / rel)
        text = (repo / rel).read_text().replace("2026-12-01", day)
        (repo / rel).write_text(text)
        capsys.readouterr()
        assert run(repo, "trivy", report, "--date", day, "--as-of", day) == 0
        out = capsys.readouterr().out
        found = findings(repo, rel)["CVE-2026-1111"]
        assert found["status"] == "open"
        assert found["exception"]["approver"] == "@ana"  # kept: the person's record
        assert "no longer accepted (reported with a package or a severity" in out
        assert "1 no longer accepted" in out
        (repo / rel).unlink()


def _alerts_file(tmp_path: Path, state: str) -> Path:
    alerts = [a for a in _alerts() if "9wx4" in json.dumps(a)]
    assert alerts
    for a in alerts:
        a["state"] = state
        a["fixed_at"] = "2026-01-10T00:00:00Z"
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(alerts))
    return path


@pytest.mark.parametrize("dependabot_first", [True, False], ids=["alert-first", "trivy-first"])
def test_a_fixed_alert_does_not_fix_what_another_tool_reports(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dependabot_first: bool
) -> None:
    (tmp_path / "a").mkdir()
    opened, fixed = _alerts_file(tmp_path / "a", "open"), _alerts_file(tmp_path, "fixed")
    steps = [("github-dependabot", opened), ("trivy", FIXTURES / REPORTS["trivy"])]
    for tool, report in steps if dependabot_first else steps[::-1]:
        assert run(repo, tool, report) == 0
    capsys.readouterr()
    assert run(repo, "github-dependabot", fixed) == 0
    assert findings(repo)["CVE-2024-35195"]["status"] == "open"
    out = capsys.readouterr().out
    assert "left open (the alert is fixed; another tool reported it): CVE-2024-35195" in out


def test_a_fixed_alert_fixes_what_only_dependabot_reported(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a").mkdir()
    assert run(repo, "github-dependabot", _alerts_file(tmp_path / "a", "open")) == 0
    capsys.readouterr()
    assert run(repo, "github-dependabot", _alerts_file(tmp_path, "fixed")) == 0
    found = findings(repo)["CVE-2024-35195"]
    assert found["status"] == "fixed"
    assert "fixed (the alert is fixed): CVE-2024-35195" in capsys.readouterr().out


def test_a_finding_fixed_in_an_older_log_that_reappears_is_open_again(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = FIXTURES / REPORTS["trivy"]
    assert run(repo, "trivy", report) == 0
    later = _trivy_without(tmp_path, "CVE-2011-3374")
    assert run(repo, "trivy", later, "--date", "2026-01-20", "--as-of", "2026-01-20") == 0
    capsys.readouterr()
    assert run(repo, "trivy", report, "--date", "2026-01-27", "--as-of", "2026-01-27") == 0
    out = capsys.readouterr().out
    assert "open again (reported after it was fixed): CVE-2011-3374" in out
    assert "new:" not in out
    again = findings(repo, "ops/shop/security/2026-01-27.md")["CVE-2011-3374"]
    assert (again["status"], again["discovered"]) == ("open", "2026-01-13")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("VulnerabilityID", "CVE-2026-1\u0001", "'CVE-2026-1\\x01' is not an advisory id"),
        ("Severity", "HIGH\u0000", "Severity 'HIGH\\x00' is not one of trivy's"),
        ("SchemaVersion", "2\u0007", "SchemaVersion '2\\x07' is a trivy report format"),
    ],
)
def test_control_characters_are_shown_escaped(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    field: str,
    value: str,
    message: str,
) -> None:
    report = json.loads((FIXTURES / REPORTS["trivy"]).read_text())
    if field == "SchemaVersion":
        report[field] = value
    else:
        report["Results"][0]["Vulnerabilities"][0][field] = value
    path = tmp_path / "ctl.json"
    path.write_text(json.dumps(report))
    assert run(repo, "trivy", path) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "None" not in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_report_is_named_as_such(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    path = tmp_path / "utf16.json"
    path.write_bytes((FIXTURES / REPORTS["trivy"]).read_text().encode(encoding))
    assert run(repo, "trivy", path) == 2
    err = capsys.readouterr().err
    assert "utf16.json:1: the file is not UTF-8 (UTF-16?); save the report as UTF-8" in err
    assert "\\x" not in err


def test_an_answer_that_echoes_the_token_is_refused(
    github: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(request: Request):  # type: ignore[no-untyped-def]
        alerts = _alerts()
        alerts[0]["dependency"]["package"]["name"] = f"pkg Bearer {TOKEN}"  # type: ignore[index]
        return answer(200, alerts)

    with FakeServer(handler) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert run(github, "github-dependabot", None) == 2
    captured = capsys.readouterr()
    assert "the GitHub API's answer contains GITHUB_TOKEN" in captured.err
    assert TOKEN not in captured.err + captured.out
    assert not (github / LOG).exists()


def test_a_next_link_with_commas_in_its_query_is_followed(
    github: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def handler(request: Request):  # type: ignore[no-untyped-def]
        alerts = _alerts()
        if request.query.get("after") == ["page2"]:
            return answer(200, alerts[1:])
        base = f"{server.url}/repos/acme/shop/dependabot/alerts"
        link = (
            f"<{base}?state=open,fixed,dismissed,auto_dismissed&per_page=100&after=page2>; "
            f'rel="next", <{base}?state=open,fixed,dismissed,auto_dismissed&per_page=100>; '
            'rel="first"'
        )
        return answer(200, alerts[:1], Link=link)

    with FakeServer(handler) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        assert run(github, "github-dependabot", None) == 0
    assert len(server.requests) == 2
    assert server.requests[1].query["after"] == ["page2"]
    assert "CVE-2024-35195" in findings(github)


def test_next_link_parsing() -> None:
    from checks.github import _next_link

    url = "https://api.example/x?state=open,fixed,dismissed&after=2"
    assert _next_link(f'<{url}>; rel="next", <https://api.example/x>; rel="prev"') == url
    assert _next_link(f'<https://api.example/p?s=a,b>; rel="prev", <{url}>; rel="next"') == url
    assert _next_link('<https://api.example/p>; rel="prev"') is None
    assert _next_link("") is None
