"""Benchmark ``ops slo``: a 6-SLO weekly report from a local Prometheus, the same with
``group_by: [service]`` over 20 services, and the file source over a CSV export of 10 million
samples.

Usage (from the repository root; needs Debian's prometheus and promtool, which
`make bench` installs)::

    .venv/bin/python benchmarks/bench_slo.py [--repeat 5] [--samples 10000000]
        [--workdir benchmarks/.work/slo] [--json]

1. Starts a real Prometheus on 127.0.0.1, backfilled by promtool with the four weeks of
   tests/promdata.py (five-minute scrapes of request, payment and latency-histogram series),
   and times fresh ``ops slo --week 2026-W43`` processes for a project with six SLOs (ratio
   and histogram SLIs): 6 SLOs x 8 windows (the week and its days) x 2 queries = 96 instant
   queries. Median of ``--repeat`` runs, after one untimed run. The project is the sample's
   (ops/checkout/project.yaml, renamed): its three SLOs pointed at the fixture's series, and
   three variants of them (see ``sample_projects``).
2. Times ``ops slo --week 2026-W43`` for six per-service SLOs (``group_by: [service]``, three
   bad/total ratios and three latency histograms, see ``grouped_project``) over the fixture's
   per-service series for 20 services: the same 96 queries, each answering 20 series, and a
   report of 120 groups. Median of ``--repeat`` runs, after one untimed run.
3. Writes (once; it is kept in the work folder) a CSV export of ``--samples`` rows over one
   week and times ``ops slo`` with the file source over it (the sample's project with its
   availability SLO), with the peak RSS of the process and its workers (``ru_maxrss`` from
   ``os.wait4``).

It also times the six SLOs with ``time_window: {rolling: 28d}`` (two more query pairs per
SLO: the window and its first day), and two OpenSLO time-slice SLOs (Timeslices and
RatioTimeslices of 5m slices, ``SLICES``: 2 SLOs x 8 windows x 3 subqueries, good, total and
covered slices, of 288 to 2,016 slices each), figures without a target of their own.

Targets (2-core machine): the 6-SLO report in <= 0.3 s wall; 20 groups x 6 SLOs in <= 1 s;
the 10-million-sample file in <= 10 s with peak RSS <= 200 MB. Exit status 0 when every
target is met, 1 otherwise, 2 when the benchmark cannot run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import promdata  # noqa: E402
import promserver  # noqa: E402

TARGETS = {"six_slo_s": 0.3, "groups_s": 1.0, "file_s": 10.0, "file_rss_mb": 200.0}
# 20 services for the per-service series: requests, errors and slow requests per five minutes
SERVICES = {f"svc-{i:02d}": (600 + 40 * i, i % 3, 2 + i % 5) for i in range(20)}
OPS = Path(sys.executable).with_name("ops")
SAMPLE = REPO / "ops" / "checkout" / "project.yaml"
FILE_WEEK = "2026-W47"


class BenchError(Exception):
    """The benchmark cannot run (exit status 2)."""


def _fixture_job() -> str:
    """The ``job`` label of the series tests/promdata.py backfills."""
    match = re.search(r'job="([^"]+)"', promdata.PROJECT_YAML)
    if match is None:
        raise BenchError("tests/promdata.py: no job label in PROJECT_YAML")
    return match.group(1)


def _point(value: object, job: str) -> object:
    """A query or selector of the sample, pointed at the fixture's series: its job, and no
    matcher on labels the fixture does not have (the sample selects a handler)."""
    if isinstance(value, dict):
        return {k: _point(v, job) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    value = re.sub(r'job="[^"]*"', f'job="{job}"', value)
    return re.sub(r',\s*(?!job|code|outcome|le)[A-Za-z_]\w*=~?"[^"]*"', "", value)


def sample_projects() -> tuple[str, str]:
    """project.yaml of the two benchmark projects, made from the sample's (ops/checkout):
    its settings and its SLOs, renamed.

    - ``bench``: the sample's three SLOs (a bad/total ratio, a latency histogram, a good/total
      ratio) with their queries pointed at the fixture's Prometheus series, and three variants
      of them to make six: the latency SLO at the fixture's other two bucket thresholds, and
      availability written as good/total. The bearer token is dropped (the local server has no
      authentication).
    - ``bench-file``: the sample's availability SLO measured from a CSV export.
    """
    config = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    slos = [dict(s) for s in config.get("slos") or []]
    by_kind = {next(iter(s["sli"])): s for s in reversed(slos)}  # the first of each kind
    if set(by_kind) != {"ratio", "latency"}:
        raise BenchError(f"{SAMPLE}: expected ratio and latency SLOs, found {sorted(by_kind)}")
    job = _fixture_job()
    six = [{**s, "sli": _point(s["sli"], job)} for s in slos]
    latency, ratio = by_kind["latency"], by_kind["ratio"]
    for name, threshold, objective in (("latency-1s", "1.0", 99.5), ("fast-requests", "0.1", 49.0)):
        sli = _point(latency["sli"], job)
        sli["latency"] = {**sli["latency"], "threshold": threshold}
        six.append({"name": name, "objective": objective, "sli": sli})
    total = _point(ratio["sli"], job)["ratio"]["total"]
    six.append(
        {
            "name": "successful-requests",
            "objective": ratio["objective"],
            "sli": {
                "ratio": {
                    "good": total.replace(f'job="{job}"', f'job="{job}",code="200"'),
                    "total": total,
                }
            },
        }
    )
    six = six[:6]
    prometheus = dict((config.get("metrics") or {}).get("prometheus") or {})
    prometheus.pop("bearer_token_env", None)
    prometheus.setdefault("url_env", "OPS_PROMETHEUS_URL")

    def project(slug: str, metrics: dict[str, object], slos: list[dict[str, object]]) -> str:
        mine = dict(config)
        mine["project"] = slug
        mine["name"] = f"{config.get('name', slug)} ({slug})"
        if isinstance(mine.get("backlog"), dict):
            mine["backlog"] = {**mine["backlog"], "github_repository": f"acme/{slug}"}
        mine["metrics"] = metrics
        mine["slos"] = slos
        return yaml.safe_dump(mine, sort_keys=False, allow_unicode=True, width=1000)

    availability = next((s for s in slos if "ratio" in s["sli"]), slos[0])
    file_metrics = {"source": "file", "file": {"path": "exports/availability.csv", "format": "csv"}}
    return (
        project("bench", {"source": "prometheus", "prometheus": prometheus}, six),
        project("bench-file", file_metrics, [availability]),
    )


def grouped_project() -> str:
    """project.yaml of ``bench-groups``: six SLOs by service over the fixture's per-service
    series (tests/promdata.py): three bad/total ratios and three latency histograms, as
    docs/slo.md's "Per-label SLOs" writes them."""
    job = _fixture_job()
    total = f'sum by (service) (increase(api_requests_total{{job="{job}"}}[{{{{window}}}}]))'
    bad = total.replace(f'job="{job}"', f'job="{job}",code="500"')
    slos: list[dict[str, object]] = [
        {
            "name": f"api-availability-{objective:g}".replace(".", "-"),
            "objective": objective,
            "group_by": ["service"],
            "sli": {"ratio": {"bad": bad, "total": total}},
        }
        for objective in (99.9, 99.5, 99.0)
    ]
    slos += [
        {
            "name": f"api-latency-{objective:g}".replace(".", "-"),
            "objective": objective,
            "group_by": ["service"],
            "sli": {
                "latency": {
                    "histogram": "api_request_duration_seconds_bucket",
                    "threshold": "0.3",
                    "selector": f'{{job="{job}"}}',
                }
            },
        }
        for objective in (99.0, 98.0, 95.0)
    ]
    config = {
        "project": "bench-groups",
        "name": "Bench (per service)",
        "owners": ["@sre"],
        "timezone": "UTC",
        "metrics": {"source": "prometheus", "prometheus": {"url_env": "OPS_PROMETHEUS_URL"}},
        "slos": slos,
    }
    return yaml.safe_dump(config, sort_keys=False, width=1000)


def _groups_in(report: Path) -> list[int]:
    """How many groups each SLO of a written report has (the benchmark measures 20 each)."""
    text = report.read_text(encoding="utf-8")
    data = yaml.safe_load(text.split("---\n")[1])
    return [len(entry.get("groups", [])) for entry in data["slos"]]


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
        raise BenchError(f"{' '.join(argv)} exited {proc.returncode}: {out[-2000:]}{err[-2000:]}")
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


SLICES = """\
apiVersion: openslo/v1
kind: SLI
metadata:
  name: errors
spec:
  ratioMetric:
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: sum(increase(http_requests_total{job="JOB",code=~"5.."}[{{window}}]))
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(increase(http_requests_total{job="JOB"}[{{window}}]))
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: good-slices
spec:
  indicatorRef: errors
  budgetingMethod: Timeslices
  objectives:
    - {target: 0.6, timeSliceTarget: 0.999, timeSliceWindow: 5m}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: average-slice
spec:
  indicatorRef: errors
  budgetingMethod: RatioTimeslices
  objectives:
    - {target: 0.999, timeSliceWindow: 5m}
"""


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
    try:
        return measure(args)
    except BenchError as e:
        print(f"bench_slo: {e}", file=sys.stderr)
        return 2


def measure(args: argparse.Namespace) -> int:
    six_project, file_project = sample_projects()
    work = args.workdir.resolve()
    repo = work / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    (repo / "ops/bench").mkdir(parents=True)
    (repo / "ops/bench/project.yaml").write_text(six_project, encoding="utf-8")
    (repo / "ops/bench-file").mkdir(parents=True)
    (repo / "ops/bench-file/project.yaml").write_text(file_project, encoding="utf-8")
    windowed = yaml.safe_load(six_project)
    windowed["project"] = "bench-windows"
    for entry in windowed["slos"]:
        entry["time_window"] = {"rolling": "28d"}
    (repo / "ops/bench-windows").mkdir(parents=True)
    (repo / "ops/bench-windows/project.yaml").write_text(
        yaml.safe_dump(windowed, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8"
    )
    (repo / "ops/bench-groups").mkdir(parents=True)
    (repo / "ops/bench-groups/project.yaml").write_text(grouped_project(), encoding="utf-8")
    sliced = {**yaml.safe_load(six_project), "project": "bench-slices", "slos": []}
    (repo / "ops/bench-slices/openslo").mkdir(parents=True)
    (repo / "ops/bench-slices/project.yaml").write_text(
        yaml.safe_dump(sliced, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8"
    )
    (repo / "ops/bench-slices/openslo/slices.yaml").write_text(
        SLICES.replace("JOB", _fixture_job()), encoding="utf-8"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "xdg-cache")}

    # The file source first: a process forked later would start with the memory of the
    # Prometheus fixture's data this process then holds, and ru_maxrss would count it.
    csv = repo / "exports/availability.csv"
    print(f"writing a CSV export of {args.samples:,} samples (kept) ...", file=sys.stderr)
    cached = work / "availability.csv"
    write_csv(cached, args.samples)
    csv.parent.mkdir(parents=True, exist_ok=True)
    os.link(cached, csv)
    file_cmd = [str(OPS), "slo", "--project", "bench-file", "--week", FILE_WEEK]
    file_runs = [run(file_cmd, repo, env) for _ in range(max(1, args.repeat // 2))]

    print("starting Prometheus (backfilling four weeks with promtool) ...", file=sys.stderr)
    server_dir = work / "prometheus"
    if server_dir.exists():
        shutil.rmtree(server_dir)
    server_dir.mkdir(parents=True)
    server = promserver.start(server_dir, SERVICES)
    try:
        env["OPS_PROMETHEUS_URL"] = server.url
        six = [str(OPS), "slo", "--project", "bench", "--week", "2026-W43"]
        run(six, repo, env)  # untimed: writes the report
        six_runs = [run(six, repo, env)[0] for _ in range(args.repeat)]
        windows = [str(OPS), "slo", "--project", "bench-windows", "--week", "2026-W43"]
        run(windows, repo, env)  # untimed: writes the report
        window_runs = [run(windows, repo, env)[0] for _ in range(args.repeat)]
        grouped = [str(OPS), "slo", "--project", "bench-groups", "--week", "2026-W43"]
        run(grouped, repo, env)  # untimed: writes the report
        counted = _groups_in(repo / "ops/bench-groups/slo/2026-W43.md")
        if counted != [len(SERVICES)] * 6:
            raise BenchError(f"expected 6 SLOs of {len(SERVICES)} groups, found {counted}")
        group_runs = [run(grouped, repo, env)[0] for _ in range(args.repeat)]
        slices = [str(OPS), "slo", "--project", "bench-slices", "--week", "2026-W43"]
        run(slices, repo, env)  # untimed: writes the report
        slice_runs = [run(slices, repo, env)[0] for _ in range(args.repeat)]
    finally:
        promserver.stop(server)

    file_s = statistics.median(r[0] for r in file_runs)
    file_rss = max(r[1] for r in file_runs)

    results = {
        "six_slo_s": round(statistics.median(six_runs), 3),
        "groups_s": round(statistics.median(group_runs), 3),
        "file_s": round(file_s, 2),
        "file_rss_mb": round(file_rss, 1),
    }
    ok = all(results[k] <= v for k, v in TARGETS.items())
    details = {
        "six_slo_windows_s": round(statistics.median(window_runs), 3),  # no target of its own
        "timeslices_s": round(statistics.median(slice_runs), 3),  # no target of its own
        "timeslice_runs": [round(x, 3) for x in slice_runs],
        "six_slo_runs": [round(x, 3) for x in six_runs],
        "six_slo_windows_runs": [round(x, 3) for x in window_runs],
        "group_runs": [round(x, 3) for x in group_runs],
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
            f"weekly report, {len(SERVICES)} groups x 6 SLOs (96 queries)",
            f"{results['groups_s']} s",
            "<= 1 s",
            results["groups_s"] <= 1,
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
    print(
        f"{'the same 6 SLOs with a 28d time window (120 queries)':52} | "
        f"{str(details['six_slo_windows_s']) + ' s':9} | {'(none)':9} |"
    )
    print(
        f"{'2 time-slice SLOs, 5m slices (48 subqueries)':52} | "
        f"{str(details['timeslices_s']) + ' s':9} | {'(none)':9} |"
    )
    print()
    print(
        f"runs (s): 6 SLOs {details['six_slo_runs']}; with time windows "
        f"{details['six_slo_windows_runs']}; {len(SERVICES)} groups x 6 SLOs "
        f"{details['group_runs']}; file {details['file_runs']}"
    )
    print(f"csv: {details['csv_bytes']:,} bytes; {details['prometheus']}; {details['machine']}")
    print(
        "reproduce: .venv/bin/python benchmarks/bench_slo.py "
        f"--repeat {args.repeat} --samples {args.samples}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
