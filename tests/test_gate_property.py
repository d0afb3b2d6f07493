"""The gate is validate plus the rules: for random damage to the sample project's records
(values, lines, headings, file names and places), ``ops gate`` never passes a tree that
``ops validate`` rejects, and neither command crashes.

Each example damages one file of a copy of ops/checkout (with last week's SLO report written,
so that the untouched sample passes the gate), rebuilds the evidence manifest as the
pre-commit hook would, runs both commands as of the demo's date, and puts the file back.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from checks.main import main

REPO = Path(__file__).parent.parent
AS_OF = "2026-11-24"
SAMPLE = sorted(
    p.relative_to(REPO).as_posix()
    for p in (REPO / "ops/checkout").rglob("*")
    if p.is_file() and p.suffix in (".md", ".yaml")
)
NASTY = [
    "sev1",
    "SEV9",
    "''",
    "2099-01-01",
    "2099-01-01T00:00:00Z",
    "1999-01-01",
    "2026-02-30",
    "2026-10-31T23:59:60Z",
    "2026-11-01T00:00:00+14:00",
    "0x" + "f" * 40,
    "[a, b]",
    "{a: 1}",
    "null",
    "true",
    ".nan",
    "published",
    "held",
    "resolved",
    "open",
    "done",
    "INC-2026-031",
    "'@x'",
    "https://evil.example/x",
    "- - - a",
    "&a [*a]",
    "!!python/object:os.system",
    "x" * 5000,
]
MOVES = [
    "ops/checkout/postmortem/{name}",
    "ops/checkout/Postmortems/{name}",
    "ops/checkout/notes/{name}",
    "ops/checkout/{name}",
    "ops/checkout/incidents/.{name}",
    "ops/checkout/incidents/{stem}.markdown",
    "ops/ghost/incidents/{name}",
    "ops/checkout/incidents/{name}",
    "ops/checkout/postmortems/{name}",
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("property")
    shutil.copytree(REPO / "ops", root / "ops")
    shutil.copytree(REPO / "evidence", root / "evidence")
    shutil.copytree(REPO / "templates", root / "templates")
    assert main(["--root", str(root), "slo", "--project", "checkout", "--as-of", AS_OF]) == 0
    assert main(["--root", str(root), "gate", "--as-of", AS_OF]) == 0
    yield root


def _lines_changed(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    what = data.draw(st.sampled_from(["value", "delete", "duplicate", "swap", "cut", "heading"]))
    i = data.draw(st.integers(0, len(lines) - 1))
    if what == "value":
        key = lines[i].split(":", 1)[0] if ":" in lines[i] else "status"
        lines[i] = f"{key}: {data.draw(st.sampled_from(NASTY))}"
    elif what == "delete":
        del lines[i]
    elif what == "duplicate":
        lines.insert(i, lines[i])
    elif what == "swap":
        j = data.draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif what == "cut":
        lines = lines[:i]
    else:  # a heading hidden in a comment or a fence, or a status that asks for more
        headings = [n for n, line in enumerate(lines) if line.startswith("## ")] or [i]
        n = data.draw(st.sampled_from(headings))
        wrap = data.draw(st.sampled_from([("<!--", "-->"), ("```", "```"), ("", "")]))
        lines[n] = f"{wrap[0]}\n{lines[n]}\n{wrap[1]}"
        lines = [line.replace("status: draft", "status: published") for line in lines]
    return "\n".join(lines)


def _run(root: Path, *argv: str) -> int:
    code = main(["--root", str(root), *argv])
    assert code in (0, 1, 2), f"ops {' '.join(argv)} crashed (exit {code})"
    return code


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_gate_never_passes_what_validate_rejects(
    sample: Path, data: st.DataObject, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(sample.rglob("*"))
    rel = data.draw(st.sampled_from(SAMPLE))
    path = sample / rel
    original = path.read_bytes()
    text = original.decode()
    if data.draw(st.booleans()):
        text = _lines_changed(text, data)
    target = rel
    if rel.endswith(".md") and data.draw(st.integers(0, 3)) == 0:
        name = rel.rsplit("/", 1)[1]
        target = data.draw(st.sampled_from(MOVES)).format(name=name, stem=name[:-3])
    try:
        path.unlink()
        moved = sample / target
        moved.parent.mkdir(parents=True, exist_ok=True)
        moved.write_text(text, encoding="utf-8")
        _run(sample, "evidence", "manifest")  # what the pre-commit hook does
        validated = _run(sample, "validate", "--no-cache")
        gated = _run(sample, "gate", "--as-of", AS_OF)
        _, err = capsys.readouterr()
        assert "Traceback" not in err
        event(f"validate {validated}, gate {gated}")  # --hypothesis-show-statistics
        assert validated == 0 or gated != 0, f"{rel} -> {target}: validate {validated}, gate 0"
    finally:
        (sample / target).unlink(missing_ok=True)
        folder = (sample / target).parent
        while folder != sample / "ops" and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # a folder the move made: leave the tree as it was
            folder = folder.parent
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(original)
        _run(sample, "evidence", "manifest")
        assert sorted(sample.rglob("*")) == before
