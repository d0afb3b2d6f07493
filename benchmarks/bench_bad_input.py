"""Benchmark ``ops`` on the hostile inputs that once crashed or hung it.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_bad_input.py [--repeat 3] [--workdir benchmarks/.work/bad]
        [--json]

Every case of tests/data/bad-input/ marked ``bounded: true`` (nesting 20,000 deep, 50,000
unknown keys in a 700 KB record, 20,000 in project.yaml, a 5,000-digit number, a run.log line
of 100,000 '[' ...) is built as the test suite builds it, and its command is run in fresh
processes: the median wall time of ``--repeat`` runs and the peak RSS (``ru_maxrss`` from
``os.wait4``: the largest of the process and its workers).

Targets: each case within 5 s and 200 MB, with its expected exit code. Exit status 0 when
every target is met, 1 otherwise. The test suite checks the exit codes, the messages and the
memory of each case; the times are measured here, as the suite asserts no times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from casetree import load_cases, make_repo  # noqa: E402

MAX_SECONDS, MAX_MB = 5.0, 200


def ops_command() -> list[str]:
    installed = Path(sys.executable).with_name("ops")
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "checks"]


def run_once(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, float, int]:
    """(exit code, wall seconds, peak RSS in bytes) of one run."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [*ops_command(), *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, elapsed, usage.ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks/.work/bad")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    shutil.rmtree(args.workdir, ignore_errors=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(args.workdir / "cache")}
    rows = []
    for case in (c for c in load_cases("bad-input") if c.spec.get("bounded")):
        root, _ = make_repo(case, args.workdir / case.name)
        runs = [run_once(case.spec["command"], root, env) for _ in range(args.repeat)]
        codes = {code for code, _, _ in runs}
        seconds = statistics.median(t for _, t, _ in runs)
        peak = max(rss for _, _, rss in runs)
        ok = codes == {case.spec["exit"]} and seconds <= MAX_SECONDS and peak <= MAX_MB * 2**20
        rows.append(
            {
                "case": case.name,
                "command": " ".join(case.spec["command"]),
                "seconds": round(seconds, 3),
                "peak_mb": round(peak / 2**20, 1),
                "exit": sorted(codes),
                "ok": ok,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'case':38} | {'command':34} | {'time':>7} | {'peak RSS':>9} | ok?")
        print(f"{'-' * 38}-+-{'-' * 34}-+-{'-' * 7}-+-{'-' * 9}-+----")
        for row in rows:
            print(
                f"{row['case']:38} | {row['command'][:34]:34} | {row['seconds']:6.2f}s | "
                f"{row['peak_mb']:6.1f} MB | {'yes' if row['ok'] else 'NO'}"
            )
        print(f"targets: each within {MAX_SECONDS:.0f} s and {MAX_MB} MB, median of {args.repeat}")
        print(f"reproduce: .venv/bin/python benchmarks/bench_bad_input.py --repeat {args.repeat}")
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
