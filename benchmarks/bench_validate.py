"""Benchmark ``ops validate`` on a tree generated from the sample project.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_validate.py [--docs 10000] [--projects 20] [--weeks W]
        [--workdir benchmarks/.work] [--repeat 3] [--seed 6] [--baseline-budget 120]
        [--keep-env] [--json]

What it does, in one run:

1. Generates ``WORKDIR/tree`` with benchmarks/treegen.py: ``--projects`` copies of the sample
   project ops/checkout (its project.yaml and records, renamed), each replaying the sample's
   12 weeks of history in time-shifted blocks over ``--weeks`` weeks (by default the fewest
   weeks that give at least ``--docs`` documents in all): incidents, postmortems, retros,
   dependency and security logs and weekly SLO reports as the sample writes them.
   templates/ is copied from this repository. Deterministic for a given ``--seed``.
2. Checks that the tree is valid (``ops validate`` exits 0) and stops loudly otherwise.
3. Times fresh subprocesses of the installed CLI (``.venv/bin/ops``, else
   ``python -m checks``) with the tree as working directory, the median of ``--repeat`` runs:

   - whole tree, cold: ``ops validate`` with its cache folder deleted before each run;
   - whole tree, unchanged: ``ops validate`` with a warm cache (one untimed run first);
   - one file, warm cache (the pre-commit case) and cold cache:
     ``ops validate ops/<p>/postmortems/<one>.md``;
   - peak RSS of the cold whole-tree run: ``ru_maxrss`` from ``os.wait4`` of that child, which
     is the largest resident set of the child or any of its worker processes (not their sum);
     one extra, untimed cold run samples /proc every 5 ms for the sums over the process tree
     of RSS and of PSS (which counts pages that forked workers share with their parent once);
   - two naive baselines, each one Python process reading every document with
     ``frontmatter.load(path)`` (python-frontmatter, PyYAML's C loader; metadata through a
     JSON round trip, dates and instants written back as the strings they were in the file)
     and checking it against the schema of its kind:

     * **compiled validators** (the honest baseline): one validator per schema, built once with
       ``jsonschema.validators.validator_for(schema)(schema, registry=...)``, then
       ``.validate(metadata)`` per document;
     * **jsonschema.validate per file**, which rebuilds (and re-checks) the validator for every
       document: what a script written in a hurry does, kept for comparison with earlier
       figures.

     When a full baseline run would take longer than ``--baseline-budget`` seconds, a seeded
     random sample of 1,000 documents is timed and the result extrapolated (the output says
     so).

"Cold" means no validation cache ($XDG_CACHE_HOME pointed into the work folder); the operating
system's page cache is warm in every run, and so is Python's bytecode cache, as in a real
install: the children run with PYTHONPYCACHEPREFIX=WORKDIR/pycache and without
PYTHONDONTWRITEBYTECODE (``--keep-env`` runs them with the environment as it is). Other load
on the machine shows in the timings: the report gives the load average before and after.

Targets (2-core machine, 10,000 documents): whole tree <= 1.5 s cold and <= 0.4 s unchanged,
one file <= 0.2 s (warm cache), peak RSS <= 150 MB. The speed-ups over the baselines are
reported without a target (the old 40x target was set against the per-file baseline; against
compiled validators the honest cold ratio is about 8-10x). The baselines check the schema only;
``ops validate`` also checks formats, sections and cross-references.

Prints a table (``--json``: a JSON object). Exit status: 0 when every target is met, 1 when
one is missed, 2 when the benchmark cannot run (e.g. the generated tree is not valid).
The tree stays in WORKDIR (benchmarks/.work is git-ignored) for inspection.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import treegen

REPO = Path(__file__).resolve().parent.parent
MARKER = ".bench_validate"  # a work folder holding this file is ours to delete
SAMPLE_SIZE = 1000

TARGETS = {
    "cold_s": 1.5,
    "unchanged_s": 0.4,
    "one_file_warm_s": 0.2,
    "peak_rss_mb": 150.0,
}


class BenchError(Exception):
    """The benchmark cannot run (exit status 2)."""


# --------------------------------------------------------------------------- the tree


@dataclass
class Tree:
    root: Path
    documents: dict[str, list[str]]  # kind -> relative paths
    sizes: dict[str, list[int]]  # kind -> sizes in bytes
    projects: int
    weeks: int
    as_of: str

    @property
    def count(self) -> int:
        return sum(len(paths) for paths in self.documents.values())


def prepare_workdir(workdir: Path, script: str = "benchmarks/bench_validate.py") -> None:
    """Empty ``workdir``, refusing to delete anything a benchmark did not create."""
    if workdir.exists():
        if any(workdir.iterdir()) and not (workdir / MARKER).exists():
            raise BenchError(
                f"{workdir} exists and was not made by this script; choose another --workdir"
            )
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    (workdir / MARKER).write_text(f"made by {script}; deleted on each run\n")


def generate_tree(root: Path, projects: int, weeks: int, seed: int) -> Tree:
    """The sample project replayed (benchmarks/treegen.py); validate needs no manifest."""
    try:
        made = treegen.generate(root, projects=projects, weeks=weeks, seed=seed, manifest=False)
    except treegen.GenError as e:
        raise BenchError(f"cannot generate the tree: {e}") from None
    sizes = {k: [(root / p).stat().st_size for p in paths] for k, paths in made.paths.items()}
    return Tree(root, made.paths, sizes, len(made.projects), weeks, made.as_of.isoformat())


# --------------------------------------------------------------------------- measurement


@dataclass
class Run:
    seconds: float
    maxrss_kb: int  # the child's own peak (or one of its reaped children's), from wait4
    returncode: int
    stdout: str
    stderr: str


def run_child(
    cmd: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Run:
    """Run ``cmd`` to completion; its wall time and its own rusage (os.wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=err)
        if on_start is not None:
            on_start(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds,
            usage.ru_maxrss,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def child_env(workdir: Path, keep_env: bool) -> dict[str, str]:
    """The children's environment: ops's cache and bytecode under ``workdir``.

    ops keeps its validation cache in $XDG_CACHE_HOME; pointing that into ``workdir``
    lets "cold" mean "that folder deleted". PYTHONDONTWRITEBYTECODE=1 (set in some sandboxes
    and CI images) would make every run compile the checks package again, unlike a real
    install; PYTHONPYCACHEPREFIX keeps the bytecode out of the source tree. ``keep_env``
    leaves those two as they are.
    """
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(cache_home(workdir))
    if not keep_env:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    return env


def cache_home(workdir: Path) -> Path:
    return workdir / "xdg-cache"


def ops_command() -> list[str]:
    ops = REPO / ".venv" / "bin" / "ops"
    return [str(ops)] if ops.exists() else [sys.executable, "-m", "checks"]


def venv_python() -> str:
    python = REPO / ".venv" / "bin" / "python"
    return str(python) if python.exists() else sys.executable


class TreeMemorySampler:
    """Samples the summed RSS and PSS of a process and all its descendants (from /proc).

    RSS counts a page shared by a forked worker and its parent once per process; PSS
    splits it between them, so the summed PSS is the memory the whole tree really uses.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.samples = 0
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self, pid: int) -> None:
        self._pid = pid
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._pid is not None:
            self._thread.join()

    def _loop(self) -> None:
        assert self._pid is not None
        while not self._stop.is_set():
            usage = [_memory_kb(pid) for pid in _tree(self._pid)]
            self.peak_rss_kb = max(self.peak_rss_kb, sum(rss for rss, _ in usage))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(pss for _, pss in usage))
            self.samples += 1
            time.sleep(self.interval)


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from the parent ids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; zeros once it is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


@dataclass
class Series:
    runs: list[Run]

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def times(self) -> list[float]:
        return [round(r.seconds, 4) for r in self.runs]


class Bench:
    def __init__(self, tree: Tree, repeat: int, env: dict[str, str]) -> None:
        self.env = env
        self.tree = tree
        self.repeat = repeat
        self.ops = ops_command()
        self.cache = Path(env["XDG_CACHE_HOME"])

    def ops_run(self, *args: str) -> Run:
        run = run_child([*self.ops, "validate", *args], self.tree.root, self.env)
        if run.returncode != 0:
            raise BenchError(
                f"ops validate {' '.join(args)} exited {run.returncode} in {self.tree.root}:\n"
                f"{run.stdout[-3000:]}{run.stderr[-3000:]}"
            )
        return run

    def drop_cache(self) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)

    def cache_stamp(self) -> list[tuple[str, int, int]]:
        """Every cache file with its mtime and size: unchanged means ops wrote nothing."""
        return sorted(
            (str(p), p.stat().st_mtime_ns, p.stat().st_size)
            for p in self.cache.rglob("*")
            if p.is_file()
        )

    def cold(self, *args: str) -> Series:
        runs = []
        for _ in range(self.repeat):
            self.drop_cache()
            runs.append(self.ops_run(*args))
        return Series(runs)

    def warm(self, *args: str) -> tuple[Series, bool]:
        """Median of warm-cache runs; also whether the cache stayed untouched (a true no-op)."""
        self.ops_run()  # fill the cache for the whole tree
        before = self.cache_stamp()
        runs = [self.ops_run(*args) for _ in range(self.repeat)]
        return Series(runs), self.cache_stamp() == before

    def tree_memory(self) -> TreeMemorySampler:
        """One untimed cold run, sampling the memory of the whole process tree."""
        self.drop_cache()
        sampler = TreeMemorySampler()
        try:
            run = run_child(
                [*self.ops, "validate"], self.tree.root, self.env, on_start=sampler.start
            )
        finally:
            sampler.stop()
        if run.returncode != 0:
            raise BenchError(f"ops validate exited {run.returncode}")
        return sampler


NAIVE = '''\
"""A naive baseline: python-frontmatter + jsonschema, one document at a time.

argv: MODE SCHEMAS LISTING. MODE ``compiled``: one validator per schema, built once
(validator_for(schema)(schema, registry=...)), then .validate() per document. MODE
``per-file``: jsonschema.validate(metadata, schema, registry=...) per document, which
builds (and checks) the validator again each time.
"""
import datetime
import json
import sys
from pathlib import Path

import frontmatter
import jsonschema
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_BY_KIND = {schemas!r}


def as_json(value):
    # python-frontmatter turns dates and instants into objects; write them back as in the file
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


mode = sys.argv[1]
schemas = {{p.name: json.loads(p.read_text()) for p in Path(sys.argv[2]).glob("*.schema.json")}}
registry = Registry().with_resources(
    # no $id: a relative $ref names a sibling file, the key it resolves to
    (name, Resource.from_contents(s, default_specification=DRAFT202012))
    for name, s in schemas.items()
)
if mode == "compiled":
    compiled = {{
        name: validator_for(schema)(schema, registry=registry) for name, schema in schemas.items()
    }}
listing = [line.split(" ", 1) for line in Path(sys.argv[3]).read_text().splitlines() if line]
invalid = 0
for kind, name in listing:
    post = frontmatter.load(name)
    metadata = json.loads(json.dumps(post.metadata, default=as_json))
    schema_name = SCHEMA_BY_KIND[kind]
    try:
        if mode == "compiled":
            compiled[schema_name].validate(metadata)
        else:
            jsonschema.validate(metadata, schemas[schema_name], registry=registry)
    except jsonschema.ValidationError as e:
        invalid += 1
        print(f"{{name}}: {{e.message}}", file=sys.stderr)
print(json.dumps({{"files": len(listing), "invalid": invalid}}))
'''
BASELINES = {
    "compiled": "frontmatter + one compiled validator per schema",
    "per-file": "jsonschema.validate per file (rebuilds the validator each time)",
}


@dataclass
class Baseline:
    mode: str  # compiled | per-file
    seconds: float  # for the whole tree (measured or extrapolated)
    measured_files: int
    measured_seconds: float
    startup_seconds: float
    invalid: int
    extrapolated: bool
    maxrss_kb: int


def naive_baseline(
    tree: Tree, workdir: Path, budget: float, seed: int, env: dict[str, str] | None, mode: str
) -> Baseline:
    script = workdir / "naive_validate.py"
    schemas = {kind: f"{kind}.schema.json" for kind in tree.documents}
    script.write_text(NAIVE.format(schemas=schemas), encoding="utf-8")
    everything = sorted((kind, p) for kind, paths in tree.documents.items() for p in paths)

    def run(files: list[tuple[str, str]], label: str) -> tuple[Run, int]:
        listing = workdir / f"naive_{mode}_{label}.txt"
        listing.write_text("".join(f"{k} {p}\n" for k, p in files), encoding="utf-8")
        cmd = [venv_python(), str(script), mode, str(REPO / "schemas"), str(listing)]
        result = run_child(cmd, tree.root, env)
        if result.returncode != 0:
            raise BenchError(f"naive baseline ({mode}) failed:\n{result.stderr[-3000:]}")
        return result, json.loads(result.stdout.strip().splitlines()[-1])["invalid"]

    run([], "empty")  # a first run fills the bytecode cache
    empty, _ = run([], "empty")  # interpreter, imports and schema loading only
    sample = sorted(random.Random(seed).sample(everything, min(SAMPLE_SIZE, len(everything))))
    part, invalid = run(sample, "sample")
    per_file = max(0.0, part.seconds - empty.seconds) / max(1, len(sample))
    estimate = empty.seconds + per_file * len(everything)
    if len(sample) == len(everything) or estimate > budget:
        return Baseline(
            mode,
            estimate,
            len(sample),
            part.seconds,
            empty.seconds,
            invalid,
            len(sample) < len(everything),
            part.maxrss_kb,
        )
    full, invalid = run(everything, "all")
    return Baseline(
        mode,
        full.seconds,
        len(everything),
        full.seconds,
        empty.seconds,
        invalid,
        False,
        full.maxrss_kb,
    )


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = subprocess.run(
        [venv_python(), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "python": version or platform.python_version(),
        "platform": platform.platform(),
    }


def reproduce(args: argparse.Namespace) -> str:
    parts = [
        ".venv/bin/python",
        "benchmarks/bench_validate.py",
        f"--docs {args.docs}",
        f"--projects {args.projects}",
    ]
    if args.weeks is not None:
        parts.append(f"--weeks {args.weeks}")
    parts += [f"--repeat {args.repeat}", f"--seed {args.seed}"]
    if args.baseline_budget != DEFAULT_BUDGET:
        parts.append(f"--baseline-budget {args.baseline_budget:g}")
    if args.keep_env:
        parts.append("--keep-env")
    if args.workdir != "benchmarks/.work":
        parts.append(f"--workdir {shlex.quote(args.workdir)}")
    return " ".join(parts)


def table(measures: list[dict[str, Any]]) -> list[str]:
    """The measures as a text table: measure, result, target, ok? (shared by the benchmarks)."""
    rows = [("measure", "result", "target", "ok?")]
    for m in measures:
        ok = "-" if m["ok"] is None else ("yes" if m["ok"] else "NO")
        rows.append((m["measure"], m["result"], m["target"] or "-", ok))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return lines


def render(report: dict[str, Any]) -> str:
    lines = table(report["measures"])
    t, mc = report["tree"], report["machine"]
    per_kind = ", ".join(f"{k} {v['count']}" for k, v in t["kinds"].items())
    notes = [
        "",
        f"tree: {t['documents']} documents in {t['projects']} projects x {t['weeks']} weeks of "
        f"the sample replayed ({per_kind}); + {t['projects']} project.yaml + "
        f"{t['templates']} templates; average {t['average_bytes']:,} bytes, "
        f"{t['total_bytes'] / 1e6:.1f} MB in all; generated in {t['generated_s']:.1f} s",
        "runs (s): " + "; ".join(f"{k} {v}" for k, v in report["runs"].items()),
    ]
    notes += [f"baseline ({b['label']}): {b['note']}" for b in report["baselines"].values()]
    notes += [
        f"machine: {mc['nproc']} CPUs ({mc['cpu']}), Python {mc['python']}, {mc['platform']}; "
        f"load average {mc['load_before'][0]:.2f} before, {mc['load_after'][0]:.2f} after",
        f"children: {report['children']}",
        f"reproduce: {report['command']}",
    ]
    notes.extend(f"note: {n}" for n in report["notes"])
    return "\n".join(lines + notes)


def _mb(kb: int) -> float:
    return kb / 1024


@dataclass
class Results:
    one_file: str
    cold: Series
    unchanged: Series
    unchanged_was_noop: bool  # the cache file was not rewritten during the unchanged runs
    one_warm: Series
    one_cold: Series
    tree: TreeMemorySampler
    baselines: dict[str, Baseline]  # by mode: compiled, per-file

    @property
    def peak_rss_mb(self) -> float:
        return _mb(max(r.maxrss_kb for r in self.cold.runs))

    def speedup(self, mode: str) -> float:
        return self.baselines[mode].seconds / self.cold.median


def measure(tree: Tree, args: argparse.Namespace, log: Callable[[str], None]) -> Results:
    env = child_env(args.workdir_path, args.keep_env)
    bench = Bench(tree, args.repeat, env)
    bench.drop_cache()
    check = bench.ops_run("--no-cache")  # raises BenchError unless the tree is valid
    log(f"  {check.stdout.strip()}")
    one = (tree.documents.get("postmortem") or [p for v in tree.documents.values() for p in v])[0]
    log("timing: whole tree, cold ...")
    cold = bench.cold()
    log("timing: whole tree, unchanged ...")
    unchanged, noop = bench.warm()
    log(f"timing: one file ({one}), warm cache ...")
    one_warm, _ = bench.warm(one)
    log("timing: one file, cold cache ...")
    one_cold = bench.cold(one)
    log("measuring: memory of the whole process tree (one more, untimed, cold run) ...")
    memory = bench.tree_memory()
    baselines = {}
    for mode, label in BASELINES.items():
        log(f"timing: naive baseline, {label} ...")
        baselines[mode] = naive_baseline(
            tree, args.workdir_path, args.baseline_budget, args.seed, env, mode
        )
    return Results(one, cold, unchanged, noop, one_warm, one_cold, memory, baselines)


def measures(r: Results) -> list[dict[str, Any]]:
    compiled, per_file = r.baselines["compiled"], r.baselines["per-file"]
    rows = [
        ("whole tree, cold (no cache)", r.cold.median, "s", "cold_s", False),
        ("whole tree, unchanged (warm cache)", r.unchanged.median, "s", "unchanged_s", False),
        ("one file, warm cache (pre-commit)", r.one_warm.median, "s", "one_file_warm_s", False),
        ("one file, cold cache", r.one_cold.median, "s", None, False),
        ("peak RSS, cold run (largest process)", r.peak_rss_mb, "MB", "peak_rss_mb", False),
        ("peak RSS, cold run (all processes)", _mb(r.tree.peak_rss_kb), "MB", None, False),
        ("peak PSS, cold run (all processes)", _mb(r.tree.peak_pss_kb), "MB", None, False),
        (
            f"naive baseline: {BASELINES['compiled']}",
            compiled.seconds,
            "s",
            None,
            compiled.extrapolated,
        ),
        (
            "speed-up, cold vs baseline (compiled validators)",
            r.speedup("compiled"),
            "x",
            None,
            False,
        ),
        (BASELINES["per-file"], per_file.seconds, "s", None, per_file.extrapolated),
        ("speed-up, cold vs jsonschema.validate per file", r.speedup("per-file"), "x", None, False),
    ]
    out = []
    for name, value, unit, target, extrapolated in rows:
        if unit == "s":
            result = f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
        elif unit == "MB":
            result = f"{value:.1f} MB"
        else:
            result = f"{value:.1f}x"
        if extrapolated:
            result += " (extrapolated)"
        limit = TARGETS[target] if target else None
        if target is None:
            wanted, ok = "", None
        else:
            wanted, ok = f"<= {limit:g} {unit}", value <= TARGETS[target]
        out.append({"measure": name, "result": result, "target": wanted, "ok": ok})
    return out


def baseline_note(b: Baseline, documents: int, budget: float) -> str:
    if b.extrapolated:
        per_doc_ms = (b.measured_seconds - b.startup_seconds) / b.measured_files * 1000
        note = (
            f"extrapolated from a random sample of {b.measured_files} documents "
            f"({b.measured_seconds:.2f} s, of which {b.startup_seconds:.2f} s start-up): "
            f"start-up + {per_doc_ms:.2f} ms x {documents} documents, because the full run "
            f"would take more than {budget:g} s"
        )
    else:
        note = (
            f"measured over all {b.measured_files} documents in one run "
            f"(start-up {b.startup_seconds:.2f} s)"
        )
    return (
        f"{note}; peak RSS {_mb(b.maxrss_kb):.1f} MB; it checks the schema only "
        "(no formats, sections or cross-document rules, which ops validate also checks)"
    )


def build_report(tree: Tree, r: Results, args: argparse.Namespace) -> dict[str, Any]:
    total_bytes = sum(sum(s) for s in tree.sizes.values())
    notes = []
    if not r.unchanged_was_noop:
        notes.append(
            "the cache file was rewritten during the 'unchanged' runs (the code, schemas or "
            "templates changed mid-run?), so they were not no-op runs: run again"
        )
    notes.append(
        "peak RSS (largest process) is ru_maxrss from os.wait4: the largest of the ops process "
        "and its workers; the all-processes figures are sums sampled every 5 ms "
        f"({r.tree.samples} samples), PSS counting pages shared after fork once"
    )
    for b in r.baselines.values():
        if b.invalid:
            notes.append(f"the naive baseline ({b.mode}) rejected {b.invalid} documents")
    return {
        "measures": measures(r),
        "values": {
            "cold_s": r.cold.median,
            "unchanged_s": r.unchanged.median,
            "one_file_warm_s": r.one_warm.median,
            "one_file_cold_s": r.one_cold.median,
            "peak_rss_mb": r.peak_rss_mb,
            "peak_rss_tree_sum_mb": _mb(r.tree.peak_rss_kb),
            "peak_pss_tree_sum_mb": _mb(r.tree.peak_pss_kb),
            "memory_samples": r.tree.samples,
            "baseline_s": r.baselines["compiled"].seconds,
            "baseline_extrapolated": r.baselines["compiled"].extrapolated,
            "speedup": r.speedup("compiled"),
            "baseline_per_file_s": r.baselines["per-file"].seconds,
            "baseline_per_file_extrapolated": r.baselines["per-file"].extrapolated,
            "speedup_per_file": r.speedup("per-file"),
        },
        "runs": {
            "cold": r.cold.times,
            "unchanged": r.unchanged.times,
            "one_file_warm": r.one_warm.times,
            "one_file_cold": r.one_cold.times,
        },
        "baselines": {
            mode: {
                **b.__dict__,
                "label": BASELINES[mode],
                "note": baseline_note(b, tree.count, args.baseline_budget),
            }
            for mode, b in r.baselines.items()
        },
        "tree": {
            "root": str(tree.root),
            "documents": tree.count,
            "projects": tree.projects,
            "weeks": tree.weeks,
            "as_of": tree.as_of,
            "generated_s": args.generated_s,
            "templates": len(list((tree.root / "templates").glob("*.md"))),
            "one_file": r.one_file,
            "kinds": {
                k: {
                    "count": len(v),
                    "average_bytes": round(statistics.mean(v)) if v else 0,
                    "min_bytes": min(v, default=0),
                    "max_bytes": max(v, default=0),
                }
                for k, v in tree.sizes.items()
            },
            "average_bytes": round(total_bytes / max(1, tree.count)),
            "total_bytes": total_bytes,
        },
        "machine": {**machine(), "load_before": args.load_before, "load_after": os.getloadavg()},
        "children": (
            "environment as is"
            + (" (PYTHONDONTWRITEBYTECODE=1)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "")
            if args.keep_env
            else f"bytecode cached in {args.workdir_path / 'pycache'} (PYTHONPYCACHEPREFIX)"
        ),
        "command": reproduce(args),
        "notes": notes,
    }


DEFAULT_BUDGET = 120.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--docs",
        type=int,
        default=10_000,
        help="at least this many documents (the weeks are chosen to reach it; default 10000)",
    )
    parser.add_argument("--projects", type=int, default=20, help="projects (default: 20)")
    parser.add_argument(
        "--weeks", type=int, default=None, help="weeks of history per project (overrides --docs)"
    )
    parser.add_argument("--workdir", default="benchmarks/.work", help="scratch folder (wiped)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the generated tree")
    parser.add_argument(
        "--baseline-budget",
        type=float,
        default=DEFAULT_BUDGET,
        help="time each naive baseline on a sample and extrapolate when the full run would "
        f"take longer than this many seconds (default: {DEFAULT_BUDGET:g})",
    )
    parser.add_argument(
        "--keep-env",
        action="store_true",
        help="run the children with the environment as it is (by default their bytecode is "
        "cached under WORKDIR/pycache even when PYTHONDONTWRITEBYTECODE is set)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    args = parser.parse_args(argv)
    if args.docs < 1 or args.projects < 1 or args.repeat < 1:
        parser.error("--docs, --projects and --repeat must be positive")
    if args.weeks is not None and args.weeks < 1:
        parser.error("--weeks must be positive")
    workdir = Path(args.workdir)
    args.workdir_path = workdir if workdir.is_absolute() else REPO / workdir
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.load_before = os.getloadavg()

    def log(message: str) -> None:
        if not args.json:
            print(message, file=sys.stderr, flush=True)

    workdir = args.workdir_path
    try:
        weeks = args.weeks or treegen.weeks_for(args.docs, args.projects)
        prepare_workdir(workdir)
        log(f"generating {args.projects} projects x {weeks} weeks under {workdir} ...")
        began = time.perf_counter()
        tree = generate_tree(workdir / "tree", args.projects, weeks, args.seed)
        args.generated_s = time.perf_counter() - began
        log(
            f"  {tree.count} documents in {args.generated_s:.1f} s; "
            "checking that the tree is valid ..."
        )
        results = measure(tree, args, log)
    except (BenchError, treegen.GenError) as e:
        print(f"bench_validate: {e}", file=sys.stderr)
        return 2
    report = build_report(tree, results, args)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0 if all(m["ok"] is not False for m in report["measures"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
