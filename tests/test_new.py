"""``ops new``: a filled, valid document; the next free id; never an overwrite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from casetree import DATA, snapshot

from checks.main import main

BASE = DATA / "validate" / "_base"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    monkeypatch.chdir(root)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_new_incident_takes_the_next_free_id(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "new",
        "incident",
        "--project",
        "shop",
        "--title",
        "Search is down: 100% errors",
        "--severity",
        "SEV1",
        "--as-of",
        "2026-02-03",
    )
    assert (code, out) == (0, "created ops/shop/incidents/INC-2026-002.md\n")
    text = (repo / "ops/shop/incidents/INC-2026-002.md").read_text()
    assert "id: INC-2026-002\n" in text
    assert 'title: "Search is down: 100% errors"\n' in text
    assert "severity: SEV1\n" in text
    assert "started: 2026-02-03T00:00:00Z\n" in text
    assert "\n# INC-2026-002: Search is down: 100% errors\n" in text
    assert run(capsys, "validate")[0] == 0


def test_new_postmortem_copies_title_and_severity_from_the_incident(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "ops/shop/postmortems/2026-01-07-INC-2026-001.md").unlink()
    code, out, _ = run(
        capsys,
        "new",
        "postmortem",
        "--project",
        "shop",
        "--incident",
        "INC-2026-001",
        "--as-of",
        "2026-01-08",
        "--person",
        "@ben",
    )
    assert (code, out) == (0, "created ops/shop/postmortems/2026-01-08-INC-2026-001.md\n")
    text = (repo / "ops/shop/postmortems/2026-01-08-INC-2026-001.md").read_text()
    assert "title: Checkout returned 502 for 14 minutes\n" in text
    assert "severity: SEV2\n" in text
    assert 'authors: ["@ben"]\n' in text
    assert "status: draft\n" in text
    assert run(capsys, "validate")[0] == 0


def test_new_security_log_carries_open_and_accepted_findings_forward(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, "new", "security-log", "--project", "shop", "--date", "2026-01-13")
    assert code == 0
    text = (repo / "ops/shop/security/2026-01-13.md").read_text()
    assert "GHSA-abcd-efgh-ijkm" in text  # accepted: still under review
    assert "CVE-2026-1001" not in text  # fixed: nothing left to track
    assert run(capsys, "validate")[0] == 0


@pytest.mark.parametrize(
    ("kind", "extra", "created"),
    [
        pytest.param("retro", [], "ops/shop/retros/2026-03-05.md", id="retro"),
        pytest.param(
            "dependency-log",
            ["--window", "March window"],
            "ops/shop/dependencies/2026-03-05.md",
            id="dependency-log",
        ),
    ],
)
def test_new_documents_validate_at_once(
    repo: Path, capsys: pytest.CaptureFixture[str], kind: str, extra: list[str], created: str
) -> None:
    code, out, _ = run(capsys, "new", kind, "--project", "shop", "--date", "2026-03-05", *extra)
    assert (code, out) == (0, f"created {created}\n")
    assert run(capsys, "validate", created)[0] == 0


def test_new_refuses_to_overwrite(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(repo)
    code, out, err = run(capsys, "new", "retro", "--project", "shop", "--date", "2026-01-08")
    assert code == 2
    assert out == ""
    assert err == (
        "ops: error: ops/shop/retros/2026-01-08.md: already exists; refusing to overwrite it "
        "(edit it instead)\n"
    )
    assert snapshot(repo) == before


def test_new_records_evidence(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "new", "retro", "--project", "shop", "--date", "2026-03-05")
    [file] = (repo / "evidence/phase6/pending").iterdir()  # a run of its own, until folded
    log = file.read_text().splitlines()
    assert len(log) == 1
    assert '"command":"new retro"' in log[0]
    assert '"path":"ops/shop/retros/2026-03-05.md"' in log[0]
    assert not (repo / "evidence/phase6/run.log").exists()
    assert run(capsys, "evidence", "fold")[0] == 0
    assert run(capsys, "evidence", "verify")[0] == 0


def test_a_new_document_that_would_not_validate_is_refused(tmp_path: Path) -> None:
    """The one check ops new and ops retros make before they write a document."""
    import shutil

    from checks.errors import OpsError
    from checks.validation.engine import check_before_writing

    root = tmp_path / "repo"
    shutil.copytree(Path(__file__).parent / "data/validate/_base", root)
    rel = "ops/shop/incidents/INC-2026-009.md"
    with pytest.raises(OpsError) as caught:
        check_before_writing(root, {rel: b"---\nkind: incident\n---\n"}, "the new incident")
    assert str(caught.value).startswith(
        f"the new incident would not validate, nothing written: {rel}:2:"
    )
    assert not (root / rel).exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        pytest.param("--title", "Checkout \udcff\udcfe down", id="title"),
        pytest.param("--person", "@\udce9mile", id="person"),
    ],
)
def test_an_option_that_is_not_utf_8_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    """A shell passes any bytes; Python keeps those that are not UTF-8 as lone surrogates,
    which cannot be written into a record (a UnicodeEncodeError, with a traceback, before)."""
    before = snapshot(repo)
    argv = ["new", "incident", "--project", "shop", "--severity", "SEV2", "--title", "x"]
    code, out, err = run(capsys, *argv, option, value)
    assert code == 2
    assert out == ""
    assert err.startswith(f"ops: error: {option} ")
    assert "is not valid UTF-8 text" in err and "\\x" in err and "Traceback" not in err
    assert snapshot(repo) == before


def test_an_id_too_long_to_be_valid_is_not_a_number_to_count_from(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (repo / "ops/shop/incidents/INC-2026-001.md").read_text()
    long_id = "INC-2026-" + "9" * 5000  # int() refuses strings this long: it crashed ops new
    (repo / "ops/shop/incidents/INC-2026-002.md").write_text(
        source.replace("id: INC-2026-001", f"id: {long_id}")
    )
    argv = ["new", "incident", "--project", "shop", "--title", "x", "--severity", "SEV1"]
    code, out, _ = run(capsys, *argv, "--as-of", "2026-02-03")
    assert (code, out) == (0, "created ops/shop/incidents/INC-2026-003.md\n")
