"""``--format github`` (workflow commands), ``--format sarif`` (SARIF 2.1.0) and ``--report
FORMAT:PATH`` for ops validate, ops gate and ops evidence verify: what GitHub and a code
scanning viewer read from them.

Workflow commands are decoded here as the Actions runner decodes them (actions/runner
``ActionCommand``: a line that starts with ``::``, properties up to ``::``, split on ``,``, each
``%0D %0A %3A %2C %25`` unescaped; the message after ``::``, ``%0D %0A %25`` unescaped), so the
tests assert what GitHub shows. SARIF is validated against the published OASIS schema
(tests/data/sarif/README.md says where it comes from).
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from checks.findings import Finding
from checks.main import main
from checks.reporters import github, sarif
from checks.rulebook import RULES

REPO = Path(__file__).parent.parent
SCHEMA = json.loads((REPO / "tests/data/sarif/sarif-schema-2.1.0.json").read_text("utf-8"))
BASE = REPO / "tests/data/validate/_base"
LATE = "2026-12-20"  # the sample project has errors and warnings as of this day


def _unescape(text: str, prop: bool) -> str:
    pairs = [("%0D", "\r"), ("%0A", "\n")]
    if prop:
        pairs += [("%3A", ":"), ("%2C", ",")]
    for escaped, plain in [*pairs, ("%25", "%")]:
        text = text.replace(escaped, plain)
    return text


def decode(line: str) -> tuple[str, dict[str, str], str] | None:
    """A log line as the runner reads it: (command, properties, message), or None (a line)."""
    line = line.lstrip()
    if not line.startswith("::"):
        return None
    end = line.index("::", 2)
    head, message = line[2:end], line[end + 2 :]
    name, _, props = head.partition(" ")
    properties = {}
    for pair in filter(None, props.split(",")):
        key, _, value = pair.partition("=")
        properties[key] = _unescape(value, prop=True)
    return name, properties, _unescape(message, prop=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "ops", root / "ops")
    shutil.copytree(REPO / "evidence", root / "evidence")
    return root


# --- workflow commands -----------------------------------------------------------------------


SPECIAL = "100% sure: a, b\r\nc::d %0A %25 ,:"


def test_every_special_character_survives_the_runner() -> None:
    finding = Finding(f"ops/shop/{SPECIAL}.md", 3, "$.x", SPECIAL)
    assert github.escape_data(SPECIAL) == "100%25 sure: a, b%0D%0Ac::d %250A %2525 ,:"
    assert github.escape_property(SPECIAL) == (
        "100%25 sure%3A a%2C b%0D%0Ac%3A%3Ad %250A %2525 %2C%3A"
    )
    line = github.command(finding)
    assert "\n" not in line and "\r" not in line
    decoded = decode(line)
    assert decoded is not None
    name, properties, message = decoded
    assert name == "error"
    # ops prints one line per finding: a line break shows as \r\n (a path with one quoted), as
    # in every other format
    assert properties == {
        "file": "'ops/shop/100% sure: a, b\\r\\nc::d %0A %25 ,:.md'",
        "line": "3",
        "title": "ops schema",
    }
    plain = decode(github.command(Finding("ops/shop/100% a:b,c::d.md", 1, None, "x")))
    assert plain == (
        "error",
        {"file": "ops/shop/100% a:b,c::d.md", "line": "1", "title": "ops schema"},
        "x",
    )
    assert message == "$.x: 100% sure: a, b\\r\\nc::d %0A %25 ,:"


def test_a_line_past_the_limit_never_starts_a_command() -> None:
    findings = [Finding(f"::add-mask::{i}", 1, None, "::stop-commands::x") for i in range(12)]
    lines = _lines(findings)
    commands = [decode(line) for line in lines if decode(line)]
    assert [c[0] for c in commands] == ["error"] * 10 + ["notice"]
    plain = [line for line in lines if not decode(line)]
    assert len(plain) == 3 and plain[-1] == "summary"
    assert all(line.startswith("error: ::add-mask::") for line in plain[:2])


def _lines(findings: list[Finding]) -> list[str]:
    import io

    out = io.StringIO()
    github.write(findings, out, "summary")
    return out.getvalue().splitlines()


def test_ten_of_each_kind_are_annotated_and_the_rest_counted() -> None:
    errors = [Finding(f"ops/p/e{i:02}.md", i + 1, None, f"error {i}") for i in range(15)]
    warnings = [
        Finding(f"ops/p/w{i:02}.md", 2, None, f"warning {i}", severity="warning") for i in range(12)
    ]
    lines = _lines(errors + warnings)
    kinds = [decoded[0] if (decoded := decode(line)) else line.split(":")[0] for line in lines]
    assert kinds.count("error") == 15 and kinds.count("warning") == 12
    assert sum(1 for line in lines if line.startswith("::error ")) == 10
    assert sum(1 for line in lines if line.startswith("::warning ")) == 10
    assert "error: ops/p/e14.md:15: error 14" in lines
    assert "warning: ops/p/w11.md:2: warning: warning 11" in lines
    assert lines[-2] == "summary"
    assert decode(lines[-1]) == (
        "notice",
        {"title": "ops"},
        "5 errors and 2 warnings not annotated: GitHub shows 10 errors and 10 warnings per "
        "step; every finding is in this step's log",
    )


def test_under_the_limit_there_is_no_notice() -> None:
    lines = _lines([Finding("ops/p/a.md", 4, None, "wrong")])
    assert lines == ["::error file=ops/p/a.md,line=4,title=ops schema::wrong", "summary"]


def test_the_gate_annotates_the_lines_of_the_sample(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--root", str(sample), "gate", "--as-of", LATE, "--format", "github")
    assert code == 1
    annotations = [d for line in out.splitlines() if (d := decode(line))]
    first = annotations[0]
    assert first == (
        "error",
        {
            "file": "ops/checkout/dependencies/2026-11-19.md",
            "line": "4",
            "title": "ops cadence",
        },
        "$.date: stale: last dependency log 2026-11-19 is 31 days old; cadence is 14 days; add "
        "ops/checkout/dependencies/2026-12-20.md (ops new dependency-log --project checkout)",
    )
    assert (
        out.splitlines()[-2] == "gate failed: 12 errors, 2 warnings in 1 project as of 2026-12-20"
    )
    assert decode(out.splitlines()[-1])[2].startswith("2 errors not annotated")  # type: ignore[index]


def test_validate_names_the_file_and_keeps_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value with every character a command could break on comes through as validate says it."""
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    doc = root / "ops/shop/incidents/INC-2026-001.md"
    text = doc.read_text("utf-8")
    doc.write_text(text.replace("severity: SEV2", "severity: 'SEV2%0A,:: x'", 1), "utf-8")
    code, as_json, _ = run(capsys, "--root", str(root), "validate", "--format", "json")
    assert code == 1
    expected = [
        (f["path"], str(f["line"]), f"{f['json_path']}: {f['message']}")
        for f in json.loads(as_json)["findings"]
    ]
    assert any("SEV2%0A,:: x" in m for _, _, m in expected)
    code, out, _ = run(capsys, "--root", str(root), "validate", "--format", "github")
    assert code == 1
    got = [(d[1]["file"], d[1]["line"], d[2]) for line in out.splitlines() if (d := decode(line))]
    assert got == expected


def test_a_root_inside_the_repository_names_files_from_the_top(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = tmp_path / "mono"
    shutil.copytree(BASE, top / "operations")
    subprocess.run(["git", "init", "-q", str(top)], check=True)
    doc = top / "operations/ops/shop/incidents/INC-2026-001.md"
    doc.write_text(doc.read_text("utf-8").replace("severity: SEV2", "severity: SEV9"), "utf-8")
    root = top / "operations"
    code, out, _ = run(capsys, "--root", str(root), "validate", "--format", "github")
    assert code == 1
    files = {d[1]["file"] for line in out.splitlines() if (d := decode(line))}
    assert "operations/ops/shop/incidents/INC-2026-001.md" in files
    assert all(file.startswith("operations/ops/shop/") for file in files)
    code, out, _ = run(capsys, "--root", str(root), "validate", "--format", "sarif")
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(out)["runs"][0]["results"]
    }
    assert uris == files


# --- SARIF -----------------------------------------------------------------------------------


def _sarif(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, _ = run(capsys, *argv, "--format", "sarif")
    assert code in (0, 1)
    doc: dict[str, Any] = json.loads(out)
    return doc


def _valid(doc: dict[str, Any]) -> None:
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    errors = list(jsonschema.Draft4Validator(SCHEMA, format_checker=checker).iter_errors(doc))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_the_gate_sarif_is_valid_with_a_rule_for_each_finding(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _sarif(capsys, "--root", str(sample), "gate", "--as-of", LATE)
    _valid(doc)
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["action-items", "cadence", "postmortem", "slo-reports"]
    for rule in rules:
        assert rule["help"]["text"] == RULES[rule["id"]].help
        assert rule["shortDescription"]["text"] == RULES[rule["id"]].summary
    results = run_["results"]
    assert len(results) == 14
    assert [r["level"] for r in results].count("warning") == 2
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    first = results[0]
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {
            "uri": "ops/checkout/dependencies/2026-11-19.md",
            "uriBaseId": "%SRCROOT%",
        },
        "region": {"startLine": 4},
    }
    assert first["message"]["text"].startswith("$.date: stale: last dependency log 2026-11-19")


def _fingerprints(doc: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {
        r["partialFingerprints"]["opsFinding/v1"]: (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in doc["runs"][0]["results"]
    }


def test_fingerprints_stay_across_an_unrelated_edit_and_another_day(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _fingerprints(_sarif(capsys, "--root", str(sample), "gate", "--as-of", LATE))
    assert len(before) == 14
    edited = "ops/checkout/postmortems/2026-11-23-INC-2026-041.md"
    doc = sample / edited
    head, rest = doc.read_text("utf-8").split("\n", 1)
    doc.write_text(f"{head}\n# reviewed by the on-call lead\n{rest}", "utf-8")
    after = _fingerprints(_sarif(capsys, "--root", str(sample), "gate", "--as-of", LATE))
    assert after.keys() == before.keys()
    moved = {key for key, (uri, line) in after.items() if uri == edited}
    assert len(moved) == 4
    assert all(after[key][1] == before[key][1] + 1 for key in moved)
    next_day = _sarif(capsys, "--root", str(sample), "gate", "--as-of", "2026-12-21")
    texts = {r["message"]["text"] for r in next_day["runs"][0]["results"]}
    assert any("10 days ago" in text for text in texts)  # the message moved on; the alert did not
    later = _fingerprints(next_day)
    assert later.keys() >= before.keys()  # and one more: the week that has just ended
    assert [uri for key, (uri, _) in later.items() if key not in before] == [
        "ops/checkout/slo/2026-W51.md"
    ]


def test_the_same_finding_twice_keeps_two_identities() -> None:
    twice = [Finding("ops/p/a.md", 3, "$.x", "bad"), Finding("ops/p/a.md", 9, "$.x", "bad")]
    keys = [
        r["partialFingerprints"]["opsFinding/v1"]
        for r in sarif.document(twice)["runs"][0]["results"]
    ]
    assert keys[0] != keys[1] and keys[0].rsplit(":", 1)[0] == keys[1].rsplit(":", 1)[0]


def test_paths_are_uris_and_hostile_text_stays_text() -> None:
    odd = Finding("ops/p/a b#c%d\udcff.md", 0, "$['\x1b[31m']", "\x1b]52;c;x\x07 bad")
    doc = sarif.document([odd])
    _valid(doc)
    result = doc["runs"][0]["results"][0]
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "ops/p/a%20b%23c%25d%FF.md"
    assert location["physicalLocation"]["region"]["startLine"] == 1
    assert "\x1b" not in json.dumps(doc, ensure_ascii=False)


def test_past_the_code_scanning_limit_the_rest_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    doc = sarif.document([Finding(f"ops/p/{i}.md", 1, None, "bad") for i in range(5)])
    _valid(doc)
    assert len(doc["runs"][0]["results"]) == 3
    note = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]
    assert note["message"]["text"] == (
        "2 more results are not in this file (code scanning takes 3 a run); run the command for "
        "all of them"
    )


def test_validate_and_evidence_verify_write_valid_sarif(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sample / "ops/checkout/incidents/INC-2026-041.md").write_text("no front matter\n", "utf-8")
    doc = _sarif(capsys, "--root", str(sample), "validate")
    _valid(doc)
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} >= {"parse"}
    (sample / "evidence/phase6/run.log").write_text("not json\n", "utf-8")
    doc = _sarif(capsys, "--root", str(sample), "evidence", "verify")
    _valid(doc)
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"evidence"}


def test_the_gate_keeps_the_rule_validate_named_in_sarif_and_valid_in_text(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = sample / "ops/checkout/incidents/INC-2026-041.md"
    doc.write_text(doc.read_text("utf-8").replace("severity: SEV2", "severity: SEV9", 1), "utf-8")
    sarif_doc = _sarif(capsys, "--root", str(sample), "gate", "--as-of", LATE)
    assert "severity" in {r["ruleId"] for r in sarif_doc["runs"][0]["results"]}
    _, text, _ = run(capsys, "--root", str(sample), "gate", "--as-of", LATE)
    assert "\n  valid\n    ops/checkout/incidents/INC-2026-041.md:" in text


# --- --report and --project ------------------------------------------------------------------


def test_one_run_writes_every_report(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    argv = ["--root", str(sample), "gate", "--as-of", LATE]
    code, annotations, _ = run(
        capsys,
        *argv,
        "--format",
        "github",
        "--report",
        f"json:{reports}/gate.json",
        "--report",
        f"sarif:{reports}/ops.sarif",
        "--report",
        f"markdown:{reports}/summary.md",
    )
    assert code == 1
    for fmt, name in [("json", "gate.json"), ("sarif", "ops.sarif"), ("markdown", "summary.md")]:
        _, alone, _ = run(capsys, *argv, "--format", fmt)
        assert (reports / name).read_text("utf-8") == alone
    _, alone, _ = run(capsys, *argv, "--format", "github")
    assert annotations == alone


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("sarif", "'sarif' is not FORMAT:PATH"),
        ("xml:out.xml", "'xml:out.xml' is not FORMAT:PATH"),
        ("json:", "'json:' is not FORMAT:PATH"),
    ],
)
def test_a_bad_report_option_is_a_usage_error(
    sample: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    code, out, err = run(capsys, "--root", str(sample), "gate", "--report", value)
    assert code == 2 and out == ""
    assert (
        f"argument --report: {message} with FORMAT one of text, json, markdown, github, sarif"
        in err
    )


def test_a_report_that_cannot_be_written_names_it_and_prints_nothing(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", "utf-8")
    code, out, err = run(
        capsys, "--root", str(sample), "gate", "--as-of", LATE, "--report", f"json:{blocker}/g.json"
    )
    assert code == 2 and out == ""
    assert err == (
        f"ops: error: --report json:{blocker}/g.json: cannot write it (Not a directory); check "
        "that its folder can be written and that the path is a file\n"
    )


def test_the_gate_judges_several_projects_at_once(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(sample / "ops/checkout", sample / "ops/payments")
    argv = ["--root", str(sample), "gate", "--as-of", LATE, "--format", "json"]
    _, both, _ = run(capsys, *argv, "--project", "payments", "--project", "checkout")
    assert sorted(json.loads(both)["projects"]) == ["checkout", "payments"]
    _, one, _ = run(capsys, *argv, "--project", "checkout")
    assert sorted(json.loads(one)["projects"]) == ["checkout"]
    code, _, err = run(capsys, *argv, "--project", "checkout", "--project", "nope")
    assert code == 2 and "no project 'nope': ops/nope/ does not exist" in err


# --- the rule book ---------------------------------------------------------------------------


def _rules_in_code() -> set[str]:
    """Every rule id the code can give a finding: ``RULE = "..."``, ``rule="..."`` and the
    fifth argument of ``Finding(...)``."""
    found = {"schema"}  # Finding's default
    for path in (REPO / "checks").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and any(isinstance(t, ast.Name) and t.id == "RULE" for t in node.targets)
            ):
                found.add(node.value.value)
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name not in ("Finding", "_replace"):
                    continue
                found |= {
                    kw.value.value
                    for kw in node.keywords
                    if kw.arg == "rule" and isinstance(kw.value, ast.Constant)
                }
                if (
                    name == "Finding"
                    and len(node.args) >= 5
                    and isinstance(node.args[4], ast.Constant)
                ):
                    found.add(node.args[4].value)
    return found


def test_every_rule_the_code_names_is_in_the_rule_book() -> None:
    named = _rules_in_code()
    assert len(named) >= 25  # the scan finds them (a scan that finds none would pass)
    assert named - RULES.keys() == set()
    for rule in RULES.values():
        assert rule.summary.endswith(".") and rule.help and rule.name.isidentifier()


# --- found by the attack review -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "github", "markdown", "json", "sarif"])
def test_no_output_holds_a_runner_command_or_a_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """The runner reads ``##[command]`` anywhere in a line (its older syntax): a value in a
    record never becomes one; a password in a URL is never copied into a report."""
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    doc = root / "ops/shop/incidents/INC-2026-001.md"
    text = doc.read_text("utf-8").replace("severity: SEV2", "severity: '##[stop-commands]t0k'", 1)
    doc.write_text(text, "utf-8")
    postmortem = root / "ops/shop/postmortems/2026-01-07-INC-2026-001.md"
    postmortem.write_text(
        postmortem.read_text("utf-8").replace(
            "tracker: https://github.com/acme/shop/issues/1",
            "tracker: 'https://admin:hunter2secret@example.com/x y'",
        ),
        "utf-8",
    )
    code, out, _ = run(capsys, "--root", str(root), "validate", "--format", fmt)
    assert code == 1
    assert "##[" not in out and "hunter2secret" not in out
    shown = out.replace("\\", "")  # Markdown escapes [ ] @
    assert "stop-commands" in shown and "[redacted]@example.com" in shown
    if fmt == "json":  # the same text, once decoded
        messages = [f["message"] for f in json.loads(out)["findings"]]
        assert any("'##[stop-commands]t0k'" in m for m in messages)


def test_fingerprints_tell_weeks_and_items_apart() -> None:
    w01 = Finding("evidence/phase6/manifest.json", 1, None, "lists ops/shop/slo/2026-W01.md twice")
    w07 = w01._replace(message="lists ops/shop/slo/2026-W07.md twice")
    assert sarif.fingerprint(w01) != sarif.fingerprint(w07)
    # two items with the same problem are two alerts, whatever their order: deleting one never
    # hands its alert (dismissed, perhaps) to the other
    a2 = Finding("ops/p/postmortems/a.md", 12, "$.action_items[1]", "'tracker' is required")
    a3 = a2._replace(line=17, json_path="$.action_items[2]")
    assert sarif.fingerprint(a2) != sarif.fingerprint(a3)
    item = Finding("ops/p/postmortems/a.md", 12, "$.action_items[1]", "overdue: A2 was due")
    later = item._replace(message="overdue: A2 was due 2026-12-11, 10 days ago; add 2026-12-21.md")
    sooner = item._replace(message="overdue: A2 was due 2026-12-11, 9 days ago; add 2026-12-20.md")
    assert sarif.fingerprint(later) == sarif.fingerprint(sooner)


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("ops/shop/project.yaml", "inside ops, which holds the repository's own files"),
        ("templates/x.sarif", "inside templates, which holds the repository's own files"),
        ("evidence/phase6/run.log", "inside evidence, which holds the repository's own files"),
        (".ops.yaml", "inside .ops.yaml, which holds the repository's own files"),
        (".git/config", "inside .git, which holds the repository's own files"),
        ("OPS/shop/x.json", "inside ops, which holds the repository's own files"),  # macOS: ops/
        ("-", "a report goes to a file; --format prints"),
    ],
)
def test_a_report_never_lands_on_the_repositorys_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, said: str
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    before = (root / "ops/shop/project.yaml").read_bytes()
    path = target if target == "-" else str(root / target)
    first = tmp_path / "first.json"
    code, out, err = run(
        capsys,
        "--root",
        str(root),
        "validate",
        "--report",
        f"json:{first}",
        "--report",
        f"sarif:{path}",
    )
    assert (code, out) == (2, "")
    if target != "-":
        said += "; write reports elsewhere (for example $RUNNER_TEMP)"
    assert err == f"ops: error: --report sarif:{path}: {said}\n"
    assert not first.exists()  # every target is checked before any is written
    assert (root / "ops/shop/project.yaml").read_bytes() == before


def test_the_same_report_file_twice_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = str(tmp_path / "r.json")
    code, _, err = run(
        capsys,
        "--root",
        str(BASE),
        "validate",
        "--report",
        f"json:{out_file}",
        "--report",
        f"sarif:{out_file}",
    )
    assert code == 2 and err == f"ops: error: --report json:{out_file}: the same file twice\n"


@pytest.mark.parametrize("command", [["validate"], ["gate", "--as-of", "2026-01-13"]])
def test_json_takes_a_password_out_of_every_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    doc = root / "ops/shop/incidents/INC-2026-001.md"
    text = doc.read_text("utf-8")
    doc.write_text(text.replace("status: resolved", 'status: "https://eve:pwSTATUS@h.example"'))
    code, out, _ = run(capsys, "--root", str(root), *command, "--format", "json")
    assert code == 1
    assert "pwSTATUS" not in out and "https://[redacted]@h.example" in out


def test_exit_criteria_json_holds_no_runner_command(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = sample / "ops/checkout/postmortems/2026-11-23-INC-2026-041.md"
    text = doc.read_text("utf-8").replace("INC-2026-041-A2", "INC-2026-041-A2##[stop-commands]t")
    doc.write_text(text, "utf-8")
    argv = ["exit-criteria", "--project", "checkout", "--as-of", LATE, "--format", "json"]
    _, out, _ = run(capsys, "--root", str(sample), *argv)
    assert "##[" not in out and "##[stop-commands]t" in out.replace("\\u0023", "#")
