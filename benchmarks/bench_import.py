"""Benchmark ``ops import security`` on generated trivy reports.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_import.py [--mb 100] [--findings 10000] [--workdir DIR]

1. A ~``--mb`` MB trivy report (SchemaVersion 2, realistic entries with long descriptions and
   references; 2,000 distinct CVEs spread over many packages and targets, as in a large
   image) is imported into a copy of the test project by a child process; its peak RSS is
   ``ru_maxrss`` from ``os.wait4``. Target: < 200 MB.
2. A report of ``--findings`` vulnerability entries (2,500 distinct CVEs, 4 packages each) is
   imported end to end by a child process (wall time, median of 3, interpreter start included).
   Target: < 2 s. The parse, grouping and merge of ``--findings`` *distinct* findings is also
   timed in this process (no log written: 10,000 distinct findings make a log above the 1 MiB a
   record may have, which ops refuses).

Prints a table. Exit status: 0 when both targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_validate import machine, prepare_workdir, table

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "tests" / "data" / "validate" / "_base"
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")


def _vuln(i: int, distinct: int) -> dict[str, object]:
    cve = f"CVE-2025-{10000 + i % distinct}"
    return {
        "VulnerabilityID": cve,
        "PkgID": f"lib{i % 997}@1.{i % 7}.0",
        "PkgName": f"lib{i % 997}",
        "InstalledVersion": f"1.{i % 7}.0",
        "FixedVersion": f"1.{i % 7}.1",
        "Status": "fixed",
        "SeveritySource": "nvd",
        "PrimaryURL": f"https://avd.aquasec.com/nvd/{cve.lower()}",
        "DataSource": {
            "ID": "debian",
            "Name": "Debian Security Tracker",
            "URL": "https://salsa.debian.org/security-tracker-team/security-tracker",
        },
        "Title": f"lib{i % 997}: a flaw in a parser",
        "Description": "A flaw in the parser lets a remote attacker cause a denial of service; "
        "upgrade the library. " * 12,
        "Severity": SEVERITIES[i % 5],
        "CweIDs": ["CWE-400"],
        "VendorSeverity": {"debian": 1, "nvd": 3},
        "CVSS": {
            "nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "V3Score": 7.5}
        },
        "References": [f"https://security-tracker.debian.org/tracker/{cve}/{j}" for j in range(10)],
        "PublishedDate": "2025-03-01T00:00:00Z",
        "LastModifiedDate": "2025-04-01T00:00:00Z",
    }


def write_report(
    path: Path, *, entries: int | None = None, mb: int | None = None, distinct: int
) -> int:
    """Write a trivy report, streaming; returns the number of vulnerability entries."""
    limit = (mb or 0) * 1024 * 1024
    count = 0
    with path.open("w") as f:
        f.write(
            '{"SchemaVersion": 2, "ArtifactName": "bench", '
            '"ArtifactType": "container_image", "Results": ['
        )
        target = 0
        while (entries is None or count < entries) and (mb is None or f.tell() < limit):
            f.write(
                ("," if target else "")
                + json.dumps({"Target": f"layer-{target}", "Class": "os-pkgs", "Type": "debian"})[
                    :-1
                ]
                + ', "Vulnerabilities": ['
            )
            for k in range(500):
                if entries is not None and count >= entries:
                    break
                f.write(("," if k else "") + json.dumps(_vuln(count, distinct), indent=2))
                count += 1
            f.write("]}")
            target += 1
        f.write("]}")
    return count


def _child(repo: Path, report: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS in bytes, exit status) of one import in a child process."""
    argv = [
        sys.executable,
        "-m",
        "checks",
        "--root",
        str(repo),
        "import",
        "security",
        "--project",
        "shop",
        "--from",
        "trivy",
        str(report),
        "--as-of",
        "2026-01-13",
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        print(err, file=sys.stderr)
    return took, usage.ru_maxrss * 1024, proc.returncode


def _fresh(work: Path, name: str) -> Path:
    repo = work / name
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(BASE, repo)
    return repo


def _in_process(report: Path) -> float:
    sys.path.insert(0, str(ROOT))
    from checks.importers.security import trivy
    from checks.importers.security.group import group
    from checks.importers.security.merge import merge

    start = time.perf_counter()
    with report.open("rb") as raw:
        imported = group(trivy.parse(raw))
    merge([], {}, imported, "trivy", "2026-01-13")
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-import-"))
    prepare_workdir(work, "benchmarks/bench_import.py")
    big, small, distinct_report = work / "big.json", work / "small.json", work / "distinct.json"
    big_entries = write_report(big, mb=args.mb, distinct=2000)
    write_report(small, entries=args.findings, distinct=2500)
    write_report(distinct_report, entries=args.findings, distinct=args.findings)

    _, rss, status = _child(_fresh(work, "big"), big)
    times = []
    for n in range(3):
        took, _, small_status = _child(_fresh(work, f"small{n}"), small)
        times.append(took)
        status |= small_status
    pure = _in_process(distinct_report)
    rows = [
        (
            f"{big.stat().st_size / 1e6:.0f} MB report, {big_entries:,} entries: peak RSS",
            f"{rss / 1e6:.0f} MB",
            "< 200 MB",
            rss < 200e6,
        ),
        (
            f"{args.findings:,} entries ({min(args.findings, 2500):,} CVEs): import, median of 3",
            f"{statistics.median(times):.2f} s",
            "< 2 s",
            statistics.median(times) < 2,
        ),
        (
            f"{args.findings:,} distinct findings: parse + group + merge",
            f"{pure:.2f} s",
            None,
            None,
        ),
    ]
    print(
        "\n".join(
            table([dict(zip(("measure", "result", "target", "ok"), r, strict=True)) for r in rows])
        )
    )
    mc = machine()
    print(
        f"\nmachine: {mc['nproc']} CPUs ({mc['cpu']}), Python {mc['python']}, {mc['platform']}; "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print(
        f"reproduce: .venv/bin/python benchmarks/bench_import.py --mb {args.mb} "
        f"--findings {args.findings}"
    )
    if status:
        print("an import failed (see above)", file=sys.stderr)
        return 1
    return 0 if all(r[3] is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
