"""Benchmark ``ops gate``, ``ops validate`` and ``ops evidence manifest`` on a large tree.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_gate.py [--projects 200] [--weeks 104] [--repeat 3]
        [--seed 6] [--workdir benchmarks/.work/gate] [--keep-env] [--json]

What it does, in one run:

1. Generates ``WORKDIR/tree`` with benchmarks/treegen.py: ``--projects`` copies of the sample
   project ops/checkout replayed over ``--weeks`` weeks (200 x 104: about 77,000 documents),
   templates/ and evidence/phase6/ (built by ``ops evidence manifest``), and makes it a git
   repository with one commit (a throw-away identity; git never looks above WORKDIR).
2. Times fresh subprocesses of the installed CLI with the tree as working directory, the median
   of ``--repeat`` runs, each expected to succeed (exit 0; the tree passes the gate as of the
   date treegen gives, D):

   - ``ops validate``, whole tree: cold (the cache folder, $XDG_CACHE_HOME pointed into
     WORKDIR, deleted before each run) and unchanged (warm cache, after one untimed run), with
     the peak RSS of each (``ru_maxrss`` from ``os.wait4``: the largest of the process and its
     workers);
   - ``ops gate --as-of D``, whole tree: cold and unchanged, likewise;
   - ``ops gate --project P --as-of D`` for one project, warm cache;
   - ``ops evidence manifest`` after changing one record (a line added to an incident's body;
     a new change before each run), warm cache; then the size of the largest file under
     evidence/phase6/, also extrapolated linearly to 500,000 documents (labelled so);
   - the change is committed (with the rebuilt evidence), and ``ops gate --changed-from REF
     --as-of D`` times the gate of a change that touches one project, warm and cold cache.
     When ``ops gate`` has no ``--changed-from`` the measure says "not supported".

Targets (2-core machine, 200 x 104): full gate cold <= 8 s and unchanged <= 2 s; one project
warm <= 0.4 s; --changed-from one project <= 0.5 s (warm cache); validate cold <= 10 s and
unchanged <= 1.5 s, peak RSS <= 150 MB; the manifest after one changed file <= 1 s; the largest
evidence file <= 20 MB (1 MB = 2^20 bytes here, as for RSS).

Prints a table (``--json``: a JSON object). Exit status: 0 when every target is met (a measure
that is not supported is not counted), 1 when one is missed, 2 when the benchmark cannot run
(e.g. the generated tree does not pass the gate). The tree stays in WORKDIR (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import treegen
from bench_validate import (
    BenchError,
    Run,
    child_env,
    machine,
    ops_command,
    prepare_workdir,
    run_child,
    table,
)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WORKDIR = "benchmarks/.work/gate"
EXTRAPOLATE_TO = 500_000
MB = 2**20

TARGETS = {
    "gate_cold_s": 8.0,
    "gate_unchanged_s": 2.0,
    "gate_project_warm_s": 0.4,
    "gate_changed_from_s": 0.5,
    "validate_cold_s": 10.0,
    "validate_unchanged_s": 1.5,
    "validate_cold_peak_mb": 150.0,
    "validate_unchanged_peak_mb": 150.0,
    "manifest_one_changed_s": 1.0,
    "evidence_largest_mb": 20.0,
}
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "bench_gate",
    "GIT_AUTHOR_EMAIL": "bench_gate@example.invalid",
    "GIT_COMMITTER_NAME": "bench_gate",
    "GIT_COMMITTER_EMAIL": "bench_gate@example.invalid",
    "GIT_AUTHOR_DATE": "2026-11-24T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-24T12:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@dataclass
class Series:
    runs: list[Run]

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r.maxrss_kb for r in self.runs) / 1024

    @property
    def times(self) -> list[float]:
        return [round(r.seconds, 4) for r in self.runs]


class Bench:
    def __init__(self, tree: treegen.Tree, workdir: Path, repeat: int, keep_env: bool) -> None:
        self.tree = tree
        self.root = tree.root
        self.repeat = repeat
        self.ops = ops_command()
        # git in the tree never finds a repository above it (this one, say)
        self.env = {**child_env(workdir, keep_env), "GIT_CEILING_DIRECTORIES": str(workdir)}
        self.git_env = {**self.env, **GIT_IDENTITY}
        self.cache = Path(self.env["XDG_CACHE_HOME"])
        self.as_of = tree.as_of.isoformat()

    # -- running -------------------------------------------------------------------------

    def ops_run(self, *args: str) -> Run:
        run = run_child([*self.ops, *args], self.root, self.env)
        if run.returncode != 0:
            raise BenchError(
                f"ops {' '.join(args)} exited {run.returncode} in {self.root}:\n"
                f"{run.stdout[-3000:]}{run.stderr[-3000:]}"
            )
        return run

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.root,
            env=self.git_env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"git {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done.stdout.strip()

    def drop_cache(self) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)

    def cold(self, *args: str) -> Series:
        runs = []
        for _ in range(self.repeat):
            self.drop_cache()
            runs.append(self.ops_run(*args))
        return Series(runs)

    def warm(self, *args: str) -> Series:
        self.ops_run(*args)  # untimed: fills the cache
        return Series([self.ops_run(*args) for _ in range(self.repeat)])

    # -- the tree as a repository ----------------------------------------------------------

    def init_repository(self) -> str:
        self.git("-c", "init.defaultBranch=main", "init", "-q")
        top = Path(self.git("rev-parse", "--show-toplevel")).resolve()
        if top != self.root.resolve():
            raise BenchError(f"git init made {top} the repository, not {self.root}")
        self.git("add", "-A")
        self.git("-c", "commit.gpgsign=false", "commit", "-q", "-m", "generated tree")
        return self.git("rev-parse", "HEAD")

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("-c", "commit.gpgsign=false", "commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def supports(self, command: str, option: str) -> bool:
        run = run_child([*self.ops, command, "--help"], self.root, self.env)
        return option in run.stdout


def _change_target(tree: treegen.Tree, project: str) -> str:
    """The record the change touches: the newest incident of ``project``."""
    mine = sorted(p for p in tree.paths["incident"] if p.startswith(f"ops/{project}/"))
    if not mine:
        raise BenchError(f"project {project} has no incident to change")
    return mine[-1]


def _change(root: Path, rel: str, number: int) -> None:
    """One more line at the end of the record's body (its last section is a list)."""
    with open(root / rel, "a", encoding="utf-8") as f:
        f.write(f"- Reviewed again by bench_gate (change {number}).\n")


def largest_evidence(root: Path) -> tuple[str, int]:
    folder = root / "evidence" / "phase6"
    files = [(p.stat().st_size, p) for p in folder.rglob("*") if p.is_file()]
    if not files:
        return "", 0
    size, path = max(files)
    return path.relative_to(root).as_posix(), size


@dataclass
class Results:
    validate_cold: Series
    validate_unchanged: Series
    gate_cold: Series
    gate_unchanged: Series
    gate_project: Series
    project: str
    manifest: Series
    changed_file: str
    largest: tuple[str, int]
    changed_from: Series | None  # None: not supported
    changed_from_cold: Series | None
    base: str
    git_seconds: float


def measure(tree: treegen.Tree, args: argparse.Namespace, log: Callable[[str], None]) -> Results:
    bench = Bench(tree, args.workdir_path, args.repeat, args.keep_env)
    as_of = ("--as-of", bench.as_of)
    log("making the tree a git repository ...")
    began = time.perf_counter()
    base = bench.init_repository()
    git_seconds = time.perf_counter() - began
    project = tree.projects[0]
    log("checking that the tree is valid and passes the gate (untimed; fills bytecode caches) ...")
    bench.ops_run("validate", "--no-cache")
    bench.ops_run("gate", "--project", project, *as_of)
    log("timing: ops validate, whole tree, cold ...")
    validate_cold = bench.cold("validate")
    log("timing: ops validate, whole tree, unchanged ...")
    validate_unchanged = bench.warm("validate")
    log(f"timing: ops gate --as-of {bench.as_of}, whole tree, cold ...")
    gate_cold = bench.cold("gate", *as_of)
    log("timing: ops gate, whole tree, unchanged ...")
    gate_unchanged = bench.warm("gate", *as_of)
    log(f"timing: ops gate --project {project}, warm cache ...")
    gate_project = bench.warm("gate", "--project", project, *as_of)
    changed = _change_target(tree, project)
    log(f"timing: ops evidence manifest after changing {changed} ...")
    runs = []
    for number in range(1, args.repeat + 1):
        _change(tree.root, changed, number)
        runs.append(bench.ops_run("evidence", "manifest"))
    manifest = Series(runs)
    largest = largest_evidence(tree.root)
    bench.commit(f"change {changed}")
    changed_from = changed_from_cold = None
    if bench.supports("gate", "--changed-from"):
        option = ("--changed-from", base)
        log("timing: ops gate --changed-from (one project changed), warm cache ...")
        changed_from = bench.warm("gate", *option, *as_of)
        log("timing: ops gate --changed-from, cold cache ...")
        changed_from_cold = bench.cold("gate", *option, *as_of)
    else:
        log("ops gate has no --changed-from: not supported")
    return Results(
        validate_cold,
        validate_unchanged,
        gate_cold,
        gate_unchanged,
        gate_project,
        project,
        manifest,
        changed,
        largest,
        changed_from,
        changed_from_cold,
        base,
        git_seconds,
    )


# --------------------------------------------------------------------------- report


def _seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def _megabytes(value: float) -> str:
    return f"{value:.1f} MB" if value >= 1 else f"{value:.3f} MB"


def measures(r: Results, documents: int) -> list[dict[str, Any]]:
    size = r.largest[1] / MB
    extrapolated = size * EXTRAPOLATE_TO / max(1, documents)
    cf, cfc = r.changed_from, r.changed_from_cold
    rows: list[tuple[str, float | None, str, str | None]] = [
        ("gate, whole tree, cold (no cache)", r.gate_cold.median, "s", "gate_cold_s"),
        (
            "gate, whole tree, unchanged (warm cache)",
            r.gate_unchanged.median,
            "s",
            "gate_unchanged_s",
        ),
        (
            f"gate --project {r.project}, warm cache",
            r.gate_project.median,
            "s",
            "gate_project_warm_s",
        ),
        (
            "gate --changed-from REF, one project changed (warm)",
            cf.median if cf else None,
            "s",
            "gate_changed_from_s",
        ),
        (
            "gate --changed-from REF, one project changed (cold)",
            cfc.median if cfc else None,
            "s",
            None,
        ),
        ("peak RSS, gate cold (largest process)", r.gate_cold.peak_mb, "MB", None),
        ("validate, whole tree, cold (no cache)", r.validate_cold.median, "s", "validate_cold_s"),
        (
            "validate, whole tree, unchanged (warm cache)",
            r.validate_unchanged.median,
            "s",
            "validate_unchanged_s",
        ),
        (
            "peak RSS, validate cold (largest process)",
            r.validate_cold.peak_mb,
            "MB",
            "validate_cold_peak_mb",
        ),
        (
            "peak RSS, validate unchanged (largest process)",
            r.validate_unchanged.peak_mb,
            "MB",
            "validate_unchanged_peak_mb",
        ),
        (
            "evidence manifest, one file changed (warm cache)",
            r.manifest.median,
            "s",
            "manifest_one_changed_s",
        ),
        ("largest file under evidence/phase6/", size, "MB", "evidence_largest_mb"),
        (
            f"  the same, extrapolated linearly to {EXTRAPOLATE_TO:,} documents",
            extrapolated,
            "MB",
            None,
        ),
    ]
    out = []
    for name, value, unit, target in rows:
        if value is None:
            result, ok = "not supported", None
        else:
            result = _seconds(value) if unit == "s" else _megabytes(value)
            if name.lstrip().startswith("the same, extrapolated"):
                result += " (extrapolated)"
            ok = None if target is None else value <= TARGETS[target]
        wanted = f"<= {TARGETS[target]:g} {unit}" if target else ""
        out.append({"measure": name, "result": result, "target": wanted, "ok": ok})
    return out


def render(report: dict[str, Any]) -> str:
    lines = table(report["measures"])
    t, mc = report["tree"], report["machine"]
    per_kind = ", ".join(f"{k} {v:,}" for k, v in t["kinds"].items())
    notes = [
        "",
        f"tree: {t['documents']:,} documents in {t['projects']} projects x {t['weeks']} weeks "
        f"of the sample replayed ({per_kind}), judged as of {t['as_of']}; generated in "
        f"{t['generated_s']:.1f} s (manifest included), committed to git in {t['git_s']:.1f} s",
        f"changed: {t['changed_file']}; largest evidence file: {t['largest_evidence']} "
        f"({t['largest_evidence_bytes']:,} bytes)",
        "runs (s): " + "; ".join(f"{k} {v}" for k, v in report["runs"].items()),
        f"machine: {mc['nproc']} CPUs ({mc['cpu']}), Python {mc['python']}, {mc['platform']}; "
        f"load average {mc['load_before'][0]:.2f} before, {mc['load_after'][0]:.2f} after",
        f"reproduce: {report['command']}",
    ]
    notes.extend(f"note: {n}" for n in report["notes"])
    return "\n".join(lines + notes)


def reproduce(args: argparse.Namespace) -> str:
    parts = [
        ".venv/bin/python",
        "benchmarks/bench_gate.py",
        f"--projects {args.projects}",
        f"--weeks {args.weeks}",
        f"--repeat {args.repeat}",
        f"--seed {args.seed}",
    ]
    if args.keep_env:
        parts.append("--keep-env")
    if args.workdir != DEFAULT_WORKDIR:
        parts.append(f"--workdir {shlex.quote(args.workdir)}")
    return " ".join(parts)


def build_report(tree: treegen.Tree, r: Results, args: argparse.Namespace) -> dict[str, Any]:
    series = {
        "validate_cold": r.validate_cold,
        "validate_unchanged": r.validate_unchanged,
        "gate_cold": r.gate_cold,
        "gate_unchanged": r.gate_unchanged,
        "gate_project_warm": r.gate_project,
        "manifest_one_changed": r.manifest,
        "gate_changed_from_warm": r.changed_from,
        "gate_changed_from_cold": r.changed_from_cold,
    }
    notes = [
        "every run is a fresh process; cold = $XDG_CACHE_HOME (in the work folder) deleted "
        "before the run; warm = after one untimed run; peak RSS is ru_maxrss from os.wait4",
        f"--changed-from compares with the generated tree's commit ({r.base[:12]}); the change "
        "commit holds the changed record and the rebuilt evidence",
    ]
    notes.append(
        f"extrapolated = the largest file's size x {EXTRAPOLATE_TO:,} / documents: an upper bound "
        "when the evidence is sharded (a shard grows with its project, not with the tree)"
    )
    if r.changed_from is None:
        notes.append("ops gate has no --changed-from option: that measure is not supported yet")
    return {
        "measures": measures(r, tree.documents),
        "values": {
            **{f"{k}_s": (s.median if s else None) for k, s in series.items()},
            "gate_cold_peak_mb": r.gate_cold.peak_mb,
            "validate_cold_peak_mb": r.validate_cold.peak_mb,
            "validate_unchanged_peak_mb": r.validate_unchanged.peak_mb,
            "evidence_largest_bytes": r.largest[1],
            "evidence_largest_extrapolated_bytes": round(
                r.largest[1] * EXTRAPOLATE_TO / max(1, tree.documents)
            ),
            "changed_from_supported": r.changed_from is not None,
        },
        "targets": TARGETS,
        "runs": {k: s.times for k, s in series.items() if s is not None},
        "tree": {
            "root": str(tree.root),
            "documents": tree.documents,
            "projects": len(tree.projects),
            "weeks": tree.weeks,
            "as_of": tree.as_of.isoformat(),
            "kinds": tree.counts,
            "generated_s": args.generated_s,
            "git_s": r.git_seconds,
            "changed_file": r.changed_file,
            "largest_evidence": r.largest[0],
            "largest_evidence_bytes": r.largest[1],
        },
        "machine": {**machine(), "load_before": args.load_before, "load_after": os.getloadavg()},
        "command": reproduce(args),
        "notes": notes,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=200, help="projects (default: 200)")
    parser.add_argument("--weeks", type=int, default=104, help="weeks each (default: 104)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the generated tree")
    parser.add_argument("--workdir", default=DEFAULT_WORKDIR, help="scratch folder (wiped)")
    parser.add_argument(
        "--keep-env",
        action="store_true",
        help="run the children with the environment as it is (by default their bytecode is "
        "cached under WORKDIR/pycache even when PYTHONDONTWRITEBYTECODE is set)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    args = parser.parse_args(argv)
    if args.projects < 1 or args.weeks < 1 or args.repeat < 1:
        parser.error("--projects, --weeks and --repeat must be positive")
    workdir = Path(args.workdir)
    args.workdir_path = (workdir if workdir.is_absolute() else REPO / workdir).resolve()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.load_before = os.getloadavg()

    def log(message: str) -> None:
        if not args.json:
            print(message, file=sys.stderr, flush=True)

    workdir = args.workdir_path
    try:
        if shutil.which("git") is None:
            raise BenchError("git is not installed (--changed-from needs a repository)")
        prepare_workdir(workdir, "benchmarks/bench_gate.py")
        log(f"generating {args.projects} projects x {args.weeks} weeks under {workdir} ...")
        began = time.perf_counter()
        env = child_env(workdir, args.keep_env)
        tree = treegen.generate(
            workdir / "tree", projects=args.projects, weeks=args.weeks, seed=args.seed, env=env
        )
        args.generated_s = time.perf_counter() - began
        log(f"  {tree.documents:,} documents in {args.generated_s:.1f} s")
        results = measure(tree, args, log)
    except (BenchError, treegen.GenError) as e:
        print(f"bench_gate: {e}", file=sys.stderr)
        return 2
    report = build_report(tree, results, args)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0 if all(m["ok"] is not False for m in report["measures"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
