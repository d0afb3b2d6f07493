"""``ops import incidents``: each tool's JSON answer and CSV export to incident records, the same
import twice changes nothing, a re-import updates status and times only, bad input writes
nothing. Golden records live beside the fixtures (OPS_REGEN_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import textwrap
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
        "ops/shop/project.yaml as {P2: <level>}, each <level> one of SEV1, SEV2, SEV3 (the "
        "first the most severe); nothing written\n"
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


# --- review fixes: bounded memory, one run's worth of files, times a person set, characters


def _pd(*incidents: dict[str, object], **top: object) -> str:
    """A PagerDuty answer with minimal incidents (id, title, created_at, status, urgency)."""
    return json.dumps({**top, "incidents": list(incidents)})


def _pd_incident(ident: str, **fields: object) -> dict[str, object]:
    return {
        "id": ident,
        "title": f"Incident {ident}",
        "created_at": "2026-01-20T10:00:00Z",
        "status": "triggered",
        "urgency": "low",
        **fields,
    }


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GB


_PROBE = (
    "import sys\n"
    "from checks.main import main\n"
    "code = main(sys.argv[1:])\n"
    "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
    "sys.stderr.write(f'maxrss={hwm}\\n')\n"
    "sys.exit(code)\n"
)


def _child(root: Path, *argv: str) -> tuple[int, str, str, int]:
    """``ops argv`` in a child at ``root`` with 1 GB of address space and a hang guard: its
    exit code, output, errors and peak memory in bytes."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        cwd=root, capture_output=True, text=True, timeout=300, preexec_fn=_limited,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )  # fmt: skip
    err, _, peak = done.stderr.rpartition("maxrss=")
    return done.returncode, done.stdout, err, int(peak or 0) * 1024


@pytest.mark.parametrize(
    ("body", "where"),
    [
        pytest.param(
            lambda n: '{"x": ' + "[" * n + "]" * n + ', "incidents": []}', "$.x", id="passed-over"
        ),
        pytest.param(
            lambda n: '{"incidents": [{"a": ' + "[" * n + "]" * n + "}]}",
            "$.incidents[0]",
            id="in-an-incident",
        ),
    ],
)
def test_deep_nesting_is_refused_in_bounded_memory(
    repo: Path, tmp_path: Path, body: object, where: str
) -> None:
    file = tmp_path / "deep.json"
    file.write_text(body(100_000))  # type: ignore[operator]
    before = snapshot(repo)
    code, out, err, peak = _child(
        repo, "import", "incidents", "--project", "shop", "--from", "pagerduty", str(file)
    )
    assert (code, out) == (2, ""), err[-2000:]
    assert err == (
        f"ops: error: {file}: {where}: nested more than 32 levels deep; expected PagerDuty REST "
        'API v2 JSON (GET /incidents: {"incidents": [...]}); nothing written\n'
    )
    assert 0 < peak < 300 * 1024 * 1024  # a path per event, a chunk at a time: 900 MB and more
    assert snapshot(repo) == before


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param(_pd(_pd_incident("P1"), junk="x" * (3 << 20)), "$.junk", id="passed-over"),
        pytest.param(_pd(_pd_incident("P1", title="x" * (3 << 20))), "$.incidents[0]", id="title"),
        pytest.param(
            _pd(_pd_incident("P1", n=0)).replace('"n": 0', '"n": ' + "9" * 1_500_000),
            "$.incidents[0]",
            id="number",
        ),
    ],
)
def test_a_token_over_a_megabyte_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str
) -> None:
    file = tmp_path / "long.json"
    file.write_text(text)
    before = snapshot(repo)
    code, out, err = imp(capsys, "pagerduty", file)
    assert (code, out) == (2, "")
    assert err.startswith(
        f"ops: error: {file}: {where}: a single JSON value (or gap) longer than 1,048,576 bytes"
    )
    assert err.endswith("nothing written\n")
    assert snapshot(repo) == before


def test_more_incidents_than_a_run_records_are_refused_before_writing(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "many.json"
    file.write_text(_pd(*(_pd_incident(f"Q{i:05d}") for i in range(1001))))
    before = snapshot(repo)
    code, out, err = imp(capsys, "pagerduty", file)
    assert (code, out) == (2, "")
    assert err == (
        f"ops: error: {file}: 1,001 incidents to create or update, and one run records at most "
        "1,000: export fewer (a shorter date range, such as one month), import that, then the "
        "next; nothing written\n"
    )
    assert snapshot(repo) == before


def test_numbering_and_rendering_many_new_incidents_is_linear(tmp_path: Path) -> None:
    """merge.plan numbered each new incident by reading every id taken so far, and newdoc read
    every record once per new incident: quadratic. A hang guard, not a timing."""
    script = textwrap.dedent(
        """
        import datetime as dt
        from pathlib import Path
        from checks import fill, project
        from checks.importers.incidents import command, merge
        from checks.importers.incidents.model import Imported
        from checks.rules.records import LazyDocument, Record, Records

        def item(i, year):
            return Imported("pagerduty", f"Q{i}", None, f"t{i}", "low", "open",
                            f"{year}-01-01T00:00:00Z", None, None, None, (), None, "")

        taken = [f"INC-2026-{i:03d}" for i in range(1, 40_001)] + ["INC-2025-7", "X-1"]
        new = [item(i, 2025 + i % 2) for i in range(40_000)]
        plan = merge.plan([], new, ["SEV3"] * len(new), taken)
        ids = sorted(n.ident for n in plan.new)
        assert ids[0] == "INC-2025-008", ids[0]
        assert ids[-1] == "INC-2026-60000", ids[-1]
        assert fill.next_id(taken, "INC-2026-") == "INC-2026-40001"
        proj = project.load(Path("."), "shop")
        recs = Records(proj, {"incident": [
            Record(f"ops/shop/incidents/INC-2024-{i}.md", LazyDocument({"id": f"x{i}"}, Path()))
            for i in range(100_000)
        ]})
        out = command._created(recs, plan.new[:1000], dt.date(2026, 2, 1))
        assert len(out) == 1000
        print("ok")
        """
    )
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")


def test_json_then_csv_of_opsgenie_never_moves_a_time(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Opsgenie's API answer says detected 10:02:11 (created, after the impact began), its CSV
    says 10:04:00 (acknowledged): the first one imported stays, whichever order."""
    assert imp(capsys, "opsgenie", FIXTURES / "opsgenie/incidents.json")[0] == 0
    before = incidents(repo)
    assert b"detected: 2026-01-20T10:02:11Z\n" in before["shop/incidents/INC-2026-002.md"]
    for name in ("incidents.csv", "incidents.json", "incidents.csv"):
        code, out, _ = imp(capsys, "opsgenie", FIXTURES / "opsgenie" / name)
        assert (code, out) == (0, f"opsgenie {name}: 0 new, 0 updated, 2 unchanged\n")
        assert incidents(repo) == before


def test_a_reimport_keeps_a_time_a_person_corrected(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tool says detected 20:41:10 (its acknowledgement); the team knows better."""
    assert imp(capsys, "pagerduty", FIXTURES / "pagerduty/incidents.json")[0] == 0
    path = repo / "ops/shop/incidents/INC-2026-003.md"
    edited = path.read_text().replace(
        "detected: 2026-01-14T20:41:10Z\n", "detected: 2026-01-14T20:35:00Z\n"
    )
    path.write_text(edited)
    code, out, _ = imp(capsys, "pagerduty", FIXTURES / "pagerduty/incidents.json")
    assert (code, path.read_text()) == (0, edited)
    assert out.endswith(": 0 new, 0 updated, 3 unchanged\n")
    code, out, _ = imp(capsys, "pagerduty", FIXTURES / "pagerduty/incidents-later.json")
    assert code == 0
    assert out.endswith(": 0 new, 1 updated, 2 unchanged\n")  # resolved: a time it lacked
    assert path.read_text() == edited.replace("status: open\n", "status: resolved\n").replace(
        "\n---\n\n# INC-2026-003", "\nresolved: 2026-01-14T22:05:00Z\n---\n\n# INC-2026-003", 1
    )


@pytest.mark.parametrize(
    ("tool", "content", "name", "message"),
    [
        pytest.param(
            "pagerduty",
            _pd(_pd_incident("P1", title="Checkout \u009b2J down")),
            "c1.json",
            "$.incidents[0].title: U+009B is a control, bidi or invisible character",
            id="c1-control",
        ),
        pytest.param(
            "pagerduty",
            _pd(_pd_incident("P1", title="Checkout \u202egnp.exe")),
            "bidi.json",
            "$.incidents[0].title: U+202E (RIGHT-TO-LEFT OVERRIDE) is a control, bidi or "
            "invisible character",
            id="bidi-override",
        ),
        pytest.param(
            "pagerduty",
            _pd(_pd_incident("P1", title="Check\u200bout down")),
            "zero-width.json",
            "$.incidents[0].title: U+200B (ZERO WIDTH SPACE) is a control, bidi or invisible",
            id="zero-width",
        ),
        pytest.param(
            "pagerduty",
            _pd(_pd_incident("P1", service={"summary": "check\u202eout"})),
            "service.json",
            "$.incidents[0].service.summary: U+202E (RIGHT-TO-LEFT OVERRIDE) is a control",
            id="service-name",
        ),
        pytest.param(
            "pagerduty",
            _pd(_pd_incident("P1", html_url="https://x.example/\u009b")),
            "url.json",
            "$.incidents[0].html_url: 'https://x.example/\\x9b' is not an http(s) URL",
            id="url",
        ),
        pytest.param(
            "opsgenie",
            "Id,TinyId,Message,Status,Priority,CreatedAt\n"
            "a1,1,Disk \u009b full,Open,P3,2026-01-21T07:15:00Z\n",
            "c1.csv",
            ":2: column Message: U+009B is a control, bidi or invisible character",
            id="csv-c1-control",
        ),
    ],
)
def test_unprintable_characters_are_refused_with_their_place(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tool: str,
    content: str,
    name: str,
    message: str,
) -> None:
    file = tmp_path / name
    file.write_text(content)
    before = snapshot(repo)
    code, out, err = imp(capsys, tool, file)
    assert (code, out) == (2, "")
    assert err.startswith(f"ops: error: {file}")
    assert message in err
    assert err.endswith("nothing written\n")
    assert snapshot(repo) == before


def test_tabs_and_line_breaks_in_a_title_are_spaces(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "spaces.json"
    file.write_text(_pd(_pd_incident("P1", title="Checkout\tdown\r\nagain\u00a0now")))
    assert imp(capsys, "pagerduty", file)[0] == 0
    text = (repo / "ops/shop/incidents/INC-2026-002.md").read_text()
    assert "title: Checkout down again now\n" in text
