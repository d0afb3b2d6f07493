"""Benchmark ``ops slo``: a 6-SLO weekly report from a local Prometheus, and the file source
over a CSV export of 10 million samples.

Usage (from the repository root; needs Debian's prometheus and promtool, which
`make bench` installs)::

    .venv/bin/python benchmarks/bench_slo.py [--repeat 5] [--samples 10000000]
        [--workdir benchmarks/.work/slo] [--json]

1. Starts a real Prometheus on 127.0.0.1, backfilled by promtool with the four weeks of
   tests/promdata.py (five-minute scrapes of request, payment and latency-histogram series),
   and times fresh ``ops slo --week 2026-W43`` processes for a project with six SLOs (ratio
   and histogram SLIs): 6 SLOs x 8 windows (the week and its days) x 2 queries = 96 instant
   queries. Median of ``--repeat`` runs, after one untimed run.
2. Writes (once; it is kept in the work folder) a CSV export of ``--samples`` rows over one
   week and times ``ops slo --source file`` over it, with the peak RSS of the process and its
   workers (``ru_maxrss`` from ``os.wait4``).

Targets (2-core machine): the 6-SLO report in <= 0.3 s wall; the 10-million-sample file in
<= 10 s with peak RSS <= 200 MB. Exit status 0 when every target is met, 1 otherwise,
2 when the benchmark cannot run.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

import promdata  # noqa: E402
import promserver  # noqa: E402

TARGETS = {"six_slo_s": 0.3, "file_s": 10.0, "file_rss_mb": 200.0}
OPS = Path(sys.executable).with_name("ops")

SIX_SLOS = (
    promdata.PROJECT_YAML.replace("project: shop", "project: bench")
    + """\
  - name: fast-requests
    objective: 49.0
    sli:
      latency:
        histogram: http_request_duration_seconds_bucket
        threshold: "0.1"
        selector: '{job="shop-api"}'
  - name: successful-requests
    objective: 99.9
    sli:
      ratio:
        good: sum(increase(http_requests_total{job="shop-api",code="200"}[{{window}}]))
        total: sum(increase(http_requests_total{job="shop-api"}[{{window}}]))
"""
)

FILE_PROJECT = """\
project: bench-file
name: Bench (file)
owners: ["@sre"]
timezone: UTC
metrics:
  source: file
  file:
    path: exports/availability.csv
    format: csv
slos:
  - name: availability
    objective: 99.0
    sli:
      ratio:                   # what the export holds (the file source does not query)
        good: sum(increase(checkout_requests_good_total[{{window}}]))
        total: sum(increase(checkout_requests_total[{{window}}]))
"""
FILE_WEEK = "2026-W47"


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (the process or any of its workers), stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited {proc.returncode}: {err}")
    return wall, usage.ru_maxrss / 1024, out


def write_csv(path: Path, samples: int) -> None:
    marker = path.with_suffix(".rows")
    if path.is_file() and marker.is_file() and marker.read_text() == str(samples):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    start = promdata.START.replace(year=2026, month=11, day=16)
    step = 7 * 86400 / samples
    base = int(start.timestamp())
    with path.open("w", encoding="utf-8") as f:
        f.write("timestamp,good,total\n")
        chunk: list[str] = []
        for i in range(samples):
            total = 90 + i % 23
            chunk.append(f"{base + int(i * step)},{total - (i % 211 == 0)},{total}\n")
            if len(chunk) == 100_000:
                f.writelines(chunk)
                chunk.clear()
        f.writelines(chunk)
    marker.write_text(str(samples))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--samples", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks/.work/slo")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        promserver.binaries()
    except promserver.Missing as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    work = args.workdir.resolve()
    repo = work / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    (repo / "ops/bench").mkdir(parents=True)
    (repo / "ops/bench/project.yaml").write_text(SIX_SLOS, encoding="utf-8")
    (repo / "ops/bench-file").mkdir(parents=True)
    (repo / "ops/bench-file/project.yaml").write_text(FILE_PROJECT, encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "xdg-cache")}

    print("starting Prometheus (backfilling four weeks with promtool) ...", file=sys.stderr)
    server_dir = work / "prometheus"
    if server_dir.exists():
        shutil.rmtree(server_dir)
    server_dir.mkdir(parents=True)
    server = promserver.start(server_dir)
    try:
        env["OPS_PROMETHEUS_URL"] = server.url
        six = [str(OPS), "slo", "--project", "bench", "--week", "2026-W43"]
        run(six, repo, env)  # untimed: writes the report
        six_runs = [run(six, repo, env)[0] for _ in range(args.repeat)]
    finally:
        promserver.stop(server)

    csv = repo / "exports/availability.csv"
    print(f"writing a CSV export of {args.samples:,} samples (kept) ...", file=sys.stderr)
    cached = work / "availability.csv"
    write_csv(cached, args.samples)
    csv.parent.mkdir(parents=True, exist_ok=True)
    os.link(cached, csv)
    file_cmd = [str(OPS), "slo", "--project", "bench-file", "--week", FILE_WEEK]
    file_runs = [run(file_cmd, repo, env) for _ in range(max(1, args.repeat // 2))]
    file_s = statistics.median(r[0] for r in file_runs)
    file_rss = max(r[1] for r in file_runs)

    results = {
        "six_slo_s": round(statistics.median(six_runs), 3),
        "file_s": round(file_s, 2),
        "file_rss_mb": round(file_rss, 1),
    }
    ok = all(results[k] <= v for k, v in TARGETS.items())
    details = {
        "six_slo_runs": [round(x, 3) for x in six_runs],
        "file_runs": [round(r[0], 2) for r in file_runs],
        "csv_bytes": csv.stat().st_size,
        "prometheus": server.version,
        "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if args.json:
        print(json.dumps({"results": results, "targets": TARGETS, "ok": ok, **details}, indent=2))
        return 0 if ok else 1
    rows = [
        (
            "weekly report, 6 SLOs from Prometheus (96 queries)",
            f"{results['six_slo_s']} s",
            "<= 0.3 s",
            results["six_slo_s"] <= 0.3,
        ),
        (
            f"file source, {args.samples:,}-sample CSV",
            f"{results['file_s']} s",
            "<= 10 s",
            results["file_s"] <= 10,
        ),
        (
            "file source, peak RSS",
            f"{results['file_rss_mb']} MB",
            "<= 200 MB",
            results["file_rss_mb"] <= 200,
        ),
    ]
    print(f"{'measure':52} | {'result':9} | {'target':9} | ok?")
    print(f"{'-' * 52}-+-{'-' * 9}-+-{'-' * 9}-+----")
    for name, result, target, met in rows:
        print(f"{name:52} | {result:9} | {target:9} | {'yes' if met else 'NO'}")
    print()
    print(f"runs (s): 6 SLOs {details['six_slo_runs']}; file {details['file_runs']}")
    print(f"csv: {details['csv_bytes']:,} bytes; {details['prometheus']}; {details['machine']}")
    print(
        "reproduce: .venv/bin/python benchmarks/bench_slo.py "
        f"--repeat {args.repeat} --samples {args.samples}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
