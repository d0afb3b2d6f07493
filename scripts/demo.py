#!/usr/bin/env python3
"""`make demo`: the weekly cycle on the bundled sample project, in a scratch copy (.demo/).

The sample's history is dated, so the demo judges it as of a fixed date
(AS_OF) and tells the same story whenever it runs. The repository itself is
never touched: everything happens in .demo/, which git ignores.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / ".demo"
AS_OF = "2026-11-24"
SLA_DAY = "2026-12-09"  # 15 days after the scan: a high finding's 14-day SLA has run out
PROJECT = "checkout"
OPS = Path(sys.executable).with_name("ops")

# A postmortem written in a hurry: the demo shows what ops validate says about it.
HASTY_POSTMORTEM = """\
---
kind: postmortem
project: checkout
incident: {incident}
title: Card payments declined during the provider failover
severity: SEV2
date: {as_of}
status: published
authors: ["@lena.hoffmann"]
action_items:
  - id: {incident}-A1
    title: Retry declined authorisations once on the secondary provider
    owner: "@omar.haddad"
    due: 2026-11-31
    status: open
  - id: {incident}-A2
    title: Page on the decline ratio, not only on timeouts
    owner: "@lena.hoffmann"
    due: 2026-12-04
    status: done
    tracker: https://github.com/acme/checkout/issues/512
---

# Postmortem {incident}: Card payments declined during the provider failover

## Summary

Between 09:05 and 09:41 UTC card payments were declined after a provider failover.

## Impact

1,940 declined checkouts (6.1 % of attempts in the window).

## Timeline

09:05 failover, 09:12 page, 09:41 resolved.

## Resolution

Pinned traffic to the primary provider.

## Action Items

See the front matter.
"""


def step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m" if sys.stdout.isatty() else f"\n== {title}")


def ops(*argv: str, expect: Sequence[int] = (0,), show: bool = True) -> str:
    shown = "ops " + " ".join(shlex.quote(str(a)).replace(str(REPO) + "/", "") for a in argv)
    print(f"$ {shown}", flush=True)
    proc = subprocess.run([str(OPS), *argv], cwd=DEMO, capture_output=True, text=True)
    if show:
        sys.stdout.write(proc.stdout)
    sys.stdout.write(proc.stderr)
    if proc.returncode not in expect:
        raise SystemExit(f"demo: `{shown}` exited {proc.returncode}, expected {list(expect)}")
    return proc.stdout


def _sections(output: str, rules: Sequence[str]) -> list[str]:
    """The lines of the gate's output under the named rules (their headings included)."""
    keep, out = False, []
    for line in output.splitlines():
        if line.startswith("  ") and not line.startswith("    "):
            keep = line.strip() in rules
        if keep:
            out.append(line)
    return out


def fresh_copy() -> None:
    if DEMO.exists():
        shutil.rmtree(DEMO)
    DEMO.mkdir()
    for name in ("ops", "templates", "evidence"):
        shutil.copytree(REPO / name, DEMO / name)


def main(argv: Sequence[str] | None = None) -> int:
    fresh_copy()
    print(
        f"Operations Protocol demo: project '{PROJECT}' as of {AS_OF}, in {DEMO.relative_to(REPO)}/"
    )

    step("1. Validate every record of the sample project (schemas, sections, cross-references)")
    ops("validate")

    step("2. Monday's job: last week's SLO report from the sample's metrics (mock source)")
    ops("slo", "--project", PROJECT, "--as-of", AS_OF)
    ops("slo", "--project", PROJECT, "--as-of", AS_OF)  # the same week again: nothing changes
    report = f"ops/{PROJECT}/slo/2026-W47.md"
    print(f"  -> {DEMO.relative_to(REPO)}/{report} (GitHub renders its daily SLI charts)")

    step("3. The retro calendar for the next eight weeks, and the placeholders it needs")
    ops("retros", "--project", PROJECT, "--as-of", AS_OF)
    ops("followups", "sync", "--project", PROJECT, "--as-of", AS_OF, "--dry-run")

    step("4. An incident happens: record it, then start its postmortem from the template")
    created = ops(
        "new",
        "incident",
        "--project",
        PROJECT,
        "--as-of",
        AS_OF,
        "--severity",
        "SEV2",
        "--title",
        "Card payments declined during the provider failover",
    )
    incident = created.strip().rsplit("/", 1)[-1].removesuffix(".md")
    ops("new", "postmortem", "--project", PROJECT, "--incident", incident, "--as-of", AS_OF)

    step("5. Someone publishes the postmortem in a hurry: ops validate says exactly what is wrong")
    draft = DEMO / f"ops/{PROJECT}/postmortems/{AS_OF}-{incident}.md"
    draft.write_text(HASTY_POSTMORTEM.format(incident=incident, as_of=AS_OF), encoding="utf-8")
    ops("validate", str(draft.relative_to(DEMO)), expect=(1,))

    step("6. This week's security review starts from the findings still open or accepted")
    ops("new", "security-log", "--project", PROJECT, "--as-of", AS_OF)

    step("7. The nightly scanner and the incident tool feed the records (ops import)")
    data = REPO / "scripts" / "demo_data"
    scan = str(data / "trivy-checkout-api.json")
    imported = ("import", "security", "--project", PROJECT, "--from", "trivy")
    ops(*imported, "--date", AS_OF, "--as-of", AS_OF, scan)
    ops(*imported, "--date", AS_OF, "--as-of", AS_OF, scan)  # again: nothing changes
    ops(
        "import",
        "incidents",
        "--project",
        PROJECT,
        "--from",
        "pagerduty",
        "--as-of",
        AS_OF,
        str(data / "pagerduty-incidents.json"),
    )
    print(
        "  The SLA clocks that follow: the gate two weeks later, its vulnerability and "
        "postmortem rules"
    )
    later = ops(
        "gate", "--project", PROJECT, "--as-of", SLA_DAY, "--no-cache", expect=(1,), show=False
    )
    for line in _sections(later, ("vulnerability-sla", "postmortem")):
        print(line)

    step("8. Manual evidence; then what the default branch does after a merge: fold the runs")
    ops(
        "evidence",
        "record",
        "--project",
        PROJECT,
        "--summary",
        "Weekly ops review held; hasty postmortem sent back for fixes",
        "--artefact",
        str(draft.relative_to(DEMO)),
    )
    ops("evidence", "fold")
    ops("evidence", "verify")

    step("9. The CI gate: every operating rule as of today; it blocks the hasty postmortem")
    ops("gate", "--project", PROJECT, "--as-of", AS_OF, expect=(1,))
    print("  What its pull request shows: each finding on its line of Files changed (and SARIF)")
    pull_request = ("--format", "github", "--report", "sarif:ops-gate.sarif")
    ops("gate", "--project", PROJECT, "--as-of", AS_OF, *pull_request, expect=(1,))

    step("10. The steady-state verdict, criterion by criterion, recorded in the evidence")
    ops("exit-criteria", "--project", PROJECT, "--as-of", AS_OF, expect=(0, 1))
    ops("evidence", "fold")

    step("11. The status site: every project's SLOs, streak, exit criteria, actions and SLA clocks")
    index = ops("site", "--as-of", AS_OF, show=False).strip()
    print(f"  open {index} in a browser (file://{index})")

    step("Where to look")
    for rel in (
        f"ops/{PROJECT}/",
        f"ops/{PROJECT}/slo/2026-W47.md",
        f"ops/{PROJECT}/calendar/retros.ics",
        "evidence/phase6/run.log",
        "evidence/phase6/manifest.json",
        "evidence/phase6/validation.md",
        "ops-gate.sarif",
        "site/index.html",
    ):
        print(f"  {DEMO.relative_to(REPO)}/{rel}")
    print("The repository itself is unchanged; run `make demo` again for a fresh copy.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
