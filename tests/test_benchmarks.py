"""The benchmarks run end to end, and the trees they generate from the sample are valid.

Each benchmark script runs once in a tiny configuration (a few dozen documents, one run per
measure, a work folder under tmp); the four run side by side, each test waiting for its own.
A run may miss a timing target (exit 1: the machine is busy with the others) but must run
(exit 2 means it could not) and print its table. The generator (benchmarks/treegen.py) replays
the sample project under the current schemas and templates: a change to either that the sample
or the replay no longer satisfies fails here.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import treegen  # noqa: E402

AS_TABLE = ("measure", "result", "target", "ok?")


def _ops() -> list[str]:
    ops = Path(sys.executable).with_name("ops")
    return [str(ops)] if ops.exists() else [sys.executable, "-m", "checks"]


def _prometheus() -> str | None:
    """Why bench_slo cannot run here, or None."""
    sys.path.insert(0, str(REPO / "tests"))
    import promserver

    try:
        promserver.binaries()
    except promserver.Missing as e:
        return str(e)
    return None


@dataclass
class Launched:
    name: str
    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    def result(self) -> tuple[int, str, str]:
        code = self.process.wait(timeout=240)
        return code, self.out.read_text("utf-8", "replace"), self.err.read_text("utf-8", "replace")


SMOKE = {
    "bench_validate": ["--docs", "40", "--projects", "1", "--repeat", "1"],
    "bench_gate": ["--projects", "1", "--weeks", "13", "--repeat", "1"],
    "bench_slo": ["--repeat", "1", "--samples", "5000"],
    "bench_bad_input": ["--repeat", "1"],
    "bench_import": ["--mb", "1", "--findings", "200"],
}


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Launched]]:
    """Every benchmark started at once (bench_slo only where Prometheus is installed)."""
    runs: dict[str, Launched] = {}
    env = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"}
    for name, args in SMOKE.items():
        if name == "bench_slo" and _prometheus() is not None:
            continue
        work = tmp_path_factory.mktemp(name)
        out, err = work / "stdout", work / "stderr"
        with out.open("wb") as o, err.open("wb") as e:
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(BENCHMARKS / f"{name}.py"),
                    *args,
                    "--workdir",
                    str(work / "w"),
                ],
                cwd=REPO,
                env={**env, "XDG_CACHE_HOME": str(work / "xdg")},
                stdout=o,
                stderr=e,
            )
        runs[name] = Launched(name, process, out, err)
    yield runs
    for run in runs.values():
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()


def _table(stdout: str) -> list[list[str]]:
    rows = [[c.strip() for c in line.split("|")] for line in stdout.splitlines() if "|" in line]
    return [r for r in rows if not set("".join(r)) <= set("-+ ")]


@pytest.mark.parametrize("name", list(SMOKE))
def test_benchmark_runs_and_prints_its_table(name: str, launched: dict[str, Launched]) -> None:
    if name not in launched:
        reason = _prometheus()
        if os.environ.get("CI"):
            pytest.fail(f"{name}: {reason}")
        pytest.skip(f"{name}: {reason}")
    code, stdout, stderr = launched[name].result()
    assert code in (0, 1), f"{name} exited {code}:\n{stdout[-3000:]}\n{stderr[-3000:]}"
    table = _table(stdout)
    assert table, f"{name} printed no table:\n{stdout}"
    header = tuple(c for c in table[0] if c)
    if name == "bench_bad_input":
        assert header[0] == "case" and header[-1] == "ok?", header
    else:
        assert header == AS_TABLE, header
    assert len(table) > 2, stdout
    assert "reproduce: .venv/bin/python benchmarks/" in stdout


def test_bench_gate_measures_what_it_says(launched: dict[str, Launched]) -> None:
    _, stdout, _ = launched["bench_gate"].result()
    measures = {row[0] for row in _table(stdout)}
    for wanted in (
        "gate, whole tree, cold (no cache)",
        "gate, whole tree, unchanged (warm cache)",
        "validate, whole tree, cold (no cache)",
        "evidence manifest, one file changed (warm cache)",
        "largest file under evidence/phase6/",
    ):
        assert wanted in measures, stdout
    assert any(m.startswith("gate --changed-from REF") for m in measures), stdout
    assert "(extrapolated)" in stdout


def test_bench_validate_reports_both_baselines(launched: dict[str, Launched]) -> None:
    _, stdout, _ = launched["bench_validate"].result()
    assert "naive baseline: frontmatter + one compiled validator per schema" in stdout
    assert "jsonschema.validate per file (rebuilds the validator each time)" in stdout
    assert ">= 40x" not in stdout


# --------------------------------------------------------------------------- treegen


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "ops").rglob("*"))
        if p.is_file()
    }


def _ops_run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_ops(), "--root", str(root), *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(("projects", "weeks"), [(1, 13), (3, 52)])
def test_generated_tree_passes_validate_and_gate(projects: int, weeks: int, tmp_path: Path) -> None:
    tree = treegen.generate(tmp_path / "tree", projects=projects, weeks=weeks)
    assert len(tree.projects) == projects
    assert tree.documents == sum(len(p) for p in tree.paths.values())
    assert set(tree.counts) == {
        "incident",
        "postmortem",
        "retro",
        "dependency-log",
        "security-log",
        "slo-report",
    }
    for weekly in ("security-log", "slo-report"):  # the cadences hold across blocks
        assert tree.counts[weekly] >= projects * (weeks - 1), (weekly, tree.counts)
    validate = _ops_run(tree.root, "validate")
    assert validate.returncode == 0, validate.stdout[-5000:] + validate.stderr[-3000:]
    gate = _ops_run(tree.root, "gate", "--as-of", tree.as_of.isoformat())
    assert gate.returncode == 0, gate.stdout[-5000:] + gate.stderr[-3000:]
    assert "gate passed" in gate.stdout


def test_generation_is_deterministic(tmp_path: Path) -> None:
    one = treegen.generate(tmp_path / "one", projects=2, weeks=20, manifest=False)
    two = treegen.generate(tmp_path / "two", projects=2, weeks=20, manifest=False)
    other = treegen.generate(tmp_path / "other", projects=2, weeks=20, seed=7, manifest=False)
    assert _files(one.root) == _files(two.root)
    assert one.projects != other.projects
    assert one.counts == other.counts


def test_the_newest_block_is_the_sample(tmp_path: Path) -> None:
    """The newest weeks are the sample's own records, renamed: what is not a record's identity
    (a postmortem's sections, an SLO report's figures) is the sample's."""
    tree = treegen.generate(tmp_path / "tree", projects=1, weeks=12, manifest=False)
    slug = tree.projects[0]
    sample = REPO / "ops" / "checkout"
    for rel in ("slo/2026-W43.md", "dependencies/2026-11-19.md", "retros/2026-11-12.md"):
        ours = (tree.root / "ops" / slug / rel).read_text()
        theirs = (sample / rel).read_text()
        assert ours.count("\n") == theirs.count("\n"), rel
    report = (tree.root / "ops" / slug / "slo/2026-W43.md").read_text()
    assert "good: 2070635" in report and f"project: {slug}" in report
