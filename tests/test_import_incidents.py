"""``ops import incidents``: each tool's JSON answer and CSV export to incident records, the same
import twice changes nothing, a re-import updates status and times only, bad input writes
nothing. Golden records live beside the fixtures (OPS_REGEN_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from casetree import BASE, DATA, snapshot

from checks.main import main

FIXTURES = DATA / "import" / "incidents"
SEVERITY_MAP = (
    "incident_import:\n  severity_map: {P1: SEV1, P2: SEV2, P3: SEV3, high: SEV2, low: SEV3, "
    "Critical: SEV1, Major: SEV2, Minor: SEV3}\n"
)
CASES = [
    pytest.param("pagerduty", "incidents.json", 3, id="pagerduty-json"),
    pytest.param("pagerduty", "incidents.csv", 2, id="pagerduty-csv"),
    pytest.param("opsgenie", "incidents.json", 2, id="opsgenie-json"),
    pytest.param("opsgenie", "incidents.csv", 2, id="opsgenie-csv"),
    pytest.param("incident-io", "incidents.json", 2, id="incident-io-json"),
    pytest.param("incident-io", "incidents.csv", 2, id="incident-io-csv"),
]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    with (root / "ops/shop/project.yaml").open("a") as f:
        f.write(SEVERITY_MAP)
    monkeypatch.chdir(root)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def imp(capsys: pytest.CaptureFixture[str], tool: str, file: Path | str) -> tuple[int, str, str]:
    return run(
        capsys, "import", "incidents", "--project", "shop", "--from", tool, str(file),
        "--as-of", "2026-02-01",
    )  # fmt: skip


def incidents(root: Path) -> dict[str, bytes]:
    return snapshot(root / "ops")


@pytest.mark.parametrize(("tool", "name", "count"), CASES)
def test_import_writes_the_golden_records(
    repo: Path, capsys: pytest.CaptureFixture[str], tool: str, name: str, count: int
) -> None:
    code, out, err = imp(capsys, tool, FIXTURES / tool / name)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == f"{tool} {name}: {count} new, 0 updated, 0 unchanged" + (
        ", 1 skipped" if (tool, name) == ("incident-io", "incidents.json") else ""
    )
    golden = FIXTURES / tool / "expected" / name.replace(".", "-")
    written = sorted((repo / "ops/shop/incidents").glob("INC-2026-00[2-9].md"))
    assert len(written) == count
    if os.environ.get("OPS_REGEN_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        golden.mkdir(parents=True)
        for path in written:
            shutil.copy(path, golden / path.name)
    assert {p.name: p.read_text() for p in written} == {
        p.name: p.read_text() for p in sorted(golden.glob("*.md"))
    }
    assert run(capsys, "validate")[0] == 0


@pytest.mark.parametrize(("tool", "name", "count"), CASES)
def test_the_same_import_twice_changes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], tool: str, name: str, count: int
) -> None:
    assert imp(capsys, tool, FIXTURES / tool / name)[0] == 0
    before = incidents(repo)
    code, out, _ = imp(capsys, tool, FIXTURES / tool / name)
    assert code == 0
    assert f": 0 new, 0 updated, {count} unchanged" in out
    assert incidents(repo) == before


def test_a_reimport_after_the_tool_resolved_it_keeps_a_persons_edits(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert imp(capsys, "pagerduty", FIXTURES / "pagerduty/incidents.json")[0] == 0
    path = repo / "ops/shop/incidents/INC-2026-003.md"
    text = path.read_text()
    assert "status: open\n" in text and "detected: 2026-01-14T20:41:10Z\n" in text
    edited = text.replace(
        "title: Search latency above 2 s", "title: Search slow for EU shoppers"
    ).replace("## Summary\n", "## Summary\n\nThe EU search cluster lost a node.\n")
    path.write_text(edited)
    code, out, _ = imp(capsys, "pagerduty", FIXTURES / "pagerduty/incidents-later.json")
    assert code == 0
    assert out == (
        "updated ops/shop/incidents/INC-2026-003.md\n"
        "pagerduty incidents-later.json: 0 new, 1 updated, 2 unchanged\n"
    )
    after = path.read_text()
    assert after == edited.replace("status: open\n", "status: resolved\n").replace(
        "\n---\n\n# INC-2026-003", "\nresolved: 2026-01-14T22:05:00Z\n---\n\n# INC-2026-003", 1
    )


def test_an_older_export_never_reopens_a_resolved_incident(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert imp(capsys, "pagerduty", FIXTURES / "pagerduty/incidents-later.json")[0] == 0
    before = incidents(repo)
    code, out, _ = imp(capsys, "pagerduty", FIXTURES / "pagerduty/incidents.json")
    assert code == 0
    assert out.endswith(": 0 new, 1 updated, 2 unchanged\n")  # the acknowledgement it knew
    after = incidents(repo)
    rel = "shop/incidents/INC-2026-003.md"
    assert after[rel] == before[rel].replace(
        b"\n---\n\n# INC-2026-003", b"\ndetected: 2026-01-14T20:41:10Z\n---\n\n# INC-2026-003"
    )
    assert b"status: resolved\nstarted" in after[rel]
    assert {k: v for k, v in after.items() if k != rel} == {
        k: v for k, v in before.items() if k != rel
    }


def test_the_tool_reopening_an_incident_reopens_the_record(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert imp(capsys, "pagerduty", FIXTURES / "pagerduty/incidents.json")[0] == 0
    data = json.loads((FIXTURES / "pagerduty/incidents.json").read_text())
    data["incidents"][0].update(status="triggered", last_status_change_at="2026-01-12T10:00:00Z")
    del data["incidents"][0]["resolved_at"]
    reopened = tmp_path / "reopened.json"
    reopened.write_text(json.dumps(data))
    assert imp(capsys, "pagerduty", reopened)[0] == 0
    text = (repo / "ops/shop/incidents/INC-2026-002.md").read_text()
    assert "status: open\n" in text
    assert "\nresolved:" not in text


def test_the_gate_judges_imported_incidents(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert imp(capsys, "incident-io", FIXTURES / "incident-io/incidents.json")[0] == 0
    code, out, _ = run(capsys, "gate", "--project", "shop", "--as-of", "2026-02-05")
    assert code == 1
    assert (
        "ops/shop/incidents/INC-2026-002.md:4: $.id: missing postmortem: INC-2026-002 (SEV1) "
        "needs one, due 2026-01-29" in out
    )


def test_an_unmapped_severity_is_named_and_nothing_written(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = repo / "ops/shop/project.yaml"
    config.write_text(config.read_text().replace("P2: SEV2, ", ""))
    before = snapshot(repo)
    code, out, err = imp(capsys, "pagerduty", FIXTURES / "pagerduty/incidents.json")
    assert (code, out) == (2, "")
    assert err == (
        f"ops: error: {FIXTURES / 'pagerduty/incidents.json'}: no severity for 'P2' (first at "
        "$.incidents[1]: pagerduty incident PT4KHLK): add it to incident_import.severity_map in "
        "ops/shop/project.yaml (such as {P2: SEV3}); nothing written\n"
    )
    assert snapshot(repo) == before


def test_a_missing_severity_map_says_how_to_add_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = repo / "ops/shop/project.yaml"
    config.write_text(config.read_text().replace(SEVERITY_MAP, ""))
    code, _, err = imp(capsys, "pagerduty", FIXTURES / "pagerduty/incidents.json")
    assert code == 2
    assert err.startswith(
        "ops: error: ops/shop/project.yaml: no incident_import.severity_map: add one"
    )


def _cut(source: Path, size: int, dest: Path) -> Path:
    dest.write_bytes(source.read_bytes()[:size])
    return dest


BAD = FIXTURES / "bad"


@pytest.mark.parametrize(
    ("tool", "make", "message"),
    [
        pytest.param(
            "pagerduty",
            lambda d: FIXTURES / "opsgenie/incidents.json",
            "$.data: this is an Opsgenie answer (data[]), not PagerDuty's; expected PagerDuty "
            'REST API v2 JSON (GET /incidents: {"incidents": [...]}); nothing written',
            id="opsgenie-json-as-pagerduty",
        ),
        pytest.param(
            "pagerduty",
            lambda d: FIXTURES / "incident-io/incidents.json",
            "$.incidents[0]: this is an incident.io incident (incident_status, reference)",
            id="incident-io-json-as-pagerduty",
        ),
        pytest.param(
            "incident-io",
            lambda d: FIXTURES / "pagerduty/incidents.json",
            "$.incidents[0]: this is a PagerDuty incident (incident_number, html_url)",
            id="pagerduty-json-as-incident-io",
        ),
        pytest.param(
            "opsgenie",
            lambda d: FIXTURES / "pagerduty/incidents.csv",
            ":1: this is PagerDuty's incidents CSV export; expected Opsgenie's CSV export",
            id="pagerduty-csv-as-opsgenie",
        ),
        pytest.param(
            "pagerduty",
            lambda d: _cut(FIXTURES / "pagerduty/incidents.json", 3000, d / "cut.json"),
            "$.incidents[1]: the file stops being JSON by byte 3,000 (parse error: premature "
            "EOF): cut short, or not JSON",
            id="truncated-json",
        ),
        pytest.param(
            "pagerduty",
            lambda d: _cut(FIXTURES / "pagerduty/incidents.csv", 600, d / "cut.csv"),
            ":3: 6 fields where the header has 18: the file is cut short, or a row is broken",
            id="truncated-csv",
        ),
        pytest.param(
            "incident-io",
            lambda d: _cut(FIXTURES / "incident-io/incidents.csv", 442, d / "cut.csv"),
            ":2: not CSV any more (unexpected end of data): cut short?",
            id="truncated-csv-inside-quotes",
        ),
        pytest.param(
            "pagerduty",
            lambda d: BAD / "pagerduty-v1.json",
            "$.incidents[0]: this is PagerDuty REST API v1 (created_on): export with API v2",
            id="pagerduty-api-v1",
        ),
        pytest.param(
            "incident-io",
            lambda d: BAD / "incident-io-v1.json",
            "$.incidents[0]: this is incident.io API v1 (a status string): export with GET "
            "/v2/incidents",
            id="incident-io-api-v1",
        ),
        pytest.param(
            "pagerduty",
            lambda d: BAD / "pagerduty-new-columns.csv",
            ":1: the header lacks the column(s) 'id', 'incident_number', 'description', "
            "'created_on', 'resolved_on', 'urgency' (an unknown export version, or not this "
            "tool's export)",
            id="unknown-csv-columns",
        ),
        pytest.param(
            "opsgenie",
            lambda d: BAD / "not-json.json",
            "$.data: the file stops being JSON by byte 17",
            id="not-json",
        ),
        pytest.param(
            "incident-io",
            lambda d: BAD / "yaml.txt",
            ":1: the header lacks the column(s) 'ID', 'Reference'",
            id="neither-json-nor-csv",
        ),
        pytest.param(
            "opsgenie",
            lambda d: BAD / "array.json",
            "$: the file holds a JSON array, not an object",
            id="json-array",
        ),
        pytest.param(
            "pagerduty",
            lambda d: BAD / "no-timezone.csv",
            ":2: column created_on: '2026-01-12 08:14:05' is not an RFC 3339 instant with a "
            "time zone",
            id="time-without-zone",
        ),
        pytest.param(
            "pagerduty",
            lambda d: BAD / "duplicate.json",
            "pagerduty incident PT4KHLK appears twice in the file ($.incidents[0] and "
            "$.incidents[1]); nothing written",
            id="duplicate-incident",
        ),
    ],
)
def test_bad_input_names_the_format_and_where_and_writes_nothing(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tool: str,
    make: object,
    message: str,
) -> None:
    file = make(tmp_path)  # type: ignore[operator]
    before = snapshot(repo)
    code, out, err = imp(capsys, tool, file)
    assert (code, out) == (2, "")
    assert err.startswith(f"ops: error: {file}")
    assert message in err
    assert err.endswith("nothing written\n")
    assert "Traceback" not in err
    assert snapshot(repo) == before
