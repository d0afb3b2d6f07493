"""Benchmark ``ops validate`` on a generated tree of realistic documents.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_validate.py [--docs 10000] [--projects 20]
        [--workdir benchmarks/.work] [--repeat 3] [--seed 6] [--baseline-budget 120]
        [--keep-env] [--json]

What it does, in one run:

1. Generates, deterministically from ``--seed``, a repository tree under ``WORKDIR/tree``:
   ``--docs`` documents spread over ``--projects`` projects, each with a project.yaml shaped
   like ops/checkout/project.yaml and a realistic mix of incidents (a postmortem for every
   SEV1/SEV2 one that is resolved), retros with action items, dependency logs, security logs
   and weekly SLO reports with three SLOs. Bodies have every ``##`` section of their template,
   paragraphs and tables (2 to 4 KB a document). templates/ is copied from this repository.
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
   - the naive baseline: one Python process that, for every document, calls
     ``frontmatter.load(path)`` then ``jsonschema.validate(metadata, schema, registry=...)``
     with the schema of the document's kind (metadata through a JSON round trip, dates and
     instants written back as the strings they were in the file). When the full baseline would
     take longer than ``--baseline-budget`` seconds, a seeded random sample of 1,000 documents
     is timed and the result extrapolated (the output says so).

"Cold" means no validation cache ($XDG_CACHE_HOME pointed into the work folder); the operating
system's page cache is warm in every run, and so is Python's bytecode cache, as in a real
install: the children run with PYTHONPYCACHEPREFIX=WORKDIR/pycache and without
PYTHONDONTWRITEBYTECODE (``--keep-env`` runs them with the environment as it is). Other load
on the machine shows in the timings: the report gives the load average before and after.

Targets (2-core machine): whole tree <= 1.5 s cold and <= 0.4 s unchanged, one file <= 0.2 s
(warm cache), peak RSS <= 150 MB, and at least 40 times faster than the naive baseline.

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
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MARKER = ".bench_validate"  # a work folder holding this file is ours to delete
SAMPLE_SIZE = 1000

TARGETS = {
    "cold_s": 1.5,
    "unchanged_s": 0.4,
    "one_file_warm_s": 0.2,
    "peak_rss_mb": 150.0,
    "speedup": 40.0,
}

FOLDERS = {
    "incident": "incidents",
    "postmortem": "postmortems",
    "retro": "retros",
    "dependency-log": "dependencies",
    "security-log": "security",
    "slo-report": "slo",
}
# share of a project's documents per kind; postmortems follow from SEV1/SEV2 incidents
KIND_WEIGHTS = {
    "incident": 0.22,
    "postmortem": 0.09,
    "retro": 0.10,
    "dependency-log": 0.17,
    "security-log": 0.21,
    "slo-report": 0.21,
}


class BenchError(Exception):
    """The benchmark cannot run (exit status 2)."""


# --------------------------------------------------------------------------- generation

SLUGS = [
    "checkout", "payments", "search", "catalog", "identity", "notifications", "inventory",
    "shipping", "pricing", "reviews", "recommendations", "ledger", "billing", "gateway",
    "media", "messaging", "analytics", "onboarding", "loyalty", "fraud",
]  # fmt: skip
FIRST = [
    "lena", "mara", "tobias", "priya", "jonas", "sam", "aiko", "bruno", "chloe", "dmitri",
    "elif", "farah", "gustavo", "hana", "ivan", "jade", "kofi", "lucia", "mateo", "nadia",
]  # fmt: skip
LAST = [
    "hoffmann", "ortiz", "keller", "nair", "weber", "okafor", "tanaka", "silva", "martin",
    "petrov", "yilmaz", "haddad", "ramos", "kim", "novak", "dubois", "mensah", "rossi",
]  # fmt: skip
TIMEZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo", "UTC"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
PACKAGES = {
    "pypi": [
        "requests", "urllib3", "django", "fastapi", "pydantic", "sqlalchemy", "psycopg",
        "redis", "celery", "gunicorn", "uvicorn", "boto3", "stripe", "structlog", "httpx",
        "opentelemetry-sdk", "prometheus-client", "jinja2", "cryptography", "pyjwt",
    ],
    "npm": [
        "react", "react-dom", "next", "axios", "express", "lodash", "typescript", "vite",
        "eslint", "zod", "@sentry/browser", "date-fns",
    ],
    "go": [
        "github.com/prometheus/client_golang", "google.golang.org/grpc",
        "github.com/jackc/pgx/v5", "go.opentelemetry.io/otel",
    ],
    "docker": ["python", "node", "postgres", "redis", "nginx"],
    "github-actions": ["actions/checkout", "actions/setup-python", "docker/build-push-action"],
}  # fmt: skip
SCANNERS = ["pip-audit", "npm audit", "trivy", "github-dependabot", "govulncheck"]
SCENARIOS = [
    # (title, trigger, cause, fix); {api} {web} {worker} {dep} are filled in per project
    (
        "Elevated 5xx on {api} after a connection-pool change",
        "a configuration release halved the database connection pool of {api}",
        "the pool size was tuned on staging, where peak traffic is a tenth of production",
        "rolled the pool size back and added a load test that runs at production peak",
    ),
    (
        "Latency spike on {api} during a database failover",
        "the primary {dep} instance failed over to its replica during maintenance",
        "clients kept their stale connections for 90 seconds and retried without backoff",
        "shortened the client keepalive and enabled retries with jitter",
    ),
    (
        "{worker} stalled after a message broker upgrade",
        "the broker upgrade changed the default prefetch of the consumers",
        "a single slow message blocked each consumer, and the backlog alert had no owner",
        "restored the prefetch setting and routed the backlog alert to the on-call rotation",
    ),
    (
        "Expired TLS certificate on an internal endpoint of {web}",
        "the certificate for the internal API of {web} expired on a Sunday",
        "it had been issued by hand and was missing from the renewal automation",
        "moved the certificate to the automated issuer and added an expiry alert at 21 days",
    ),
    (
        "{api} pods OOM-killed during a traffic surge",
        "a marketing campaign doubled traffic within ten minutes",
        "memory limits were set below the working set of the new image",
        "raised the limits, fixed the cache size and added memory saturation alerts",
    ),
    (
        "Stale data served after a {dep} eviction-policy change",
        "an infrastructure change switched the eviction policy of {dep}",
        "the application relied on keys never being evicted before their TTL",
        "restored the policy and made the application tolerate evicted keys",
    ),
    (
        "Slow queries on {api} after a release without an index",
        "release {release} shipped a query on a column without an index",
        "the migration review did not include query plans for the new code path",
        "added the index concurrently and a query-plan check to the migration pipeline",
    ),
    (
        "Provider timeouts degraded {api}",
        "the upstream provider answered slowly in one region",
        "our client timeout was 30 s and there was no circuit breaker",
        "added a circuit breaker with a 3 s timeout and a fallback path",
    ),
    (
        "DNS resolution failures for {worker} in one availability zone",
        "a resolver node in one availability zone stopped answering",
        "the node-local DNS cache was disabled in that zone after a migration",
        "re-enabled the node-local cache and added a synthetic DNS probe per zone",
    ),
    (
        "Rate limiter rejected legitimate traffic on {web}",
        "a configuration push lowered the per-client limit by a factor of ten",
        "the limit was expressed per second in one file and per minute in another",
        "unified the unit, added validation to the config schema and a canary step",
    ),
]


@dataclass
class Project:
    slug: str
    name: str
    people: list[str]
    api: str
    web: str
    worker: str
    dep: str
    third_slo: str
    timezone: str


@dataclass
class Incident:
    ident: str
    title: str
    severity: str
    status: str
    started: datetime
    detected: datetime
    mitigated: datetime
    resolved: datetime | None
    commander: str
    scenario: tuple[str, str, str, str]
    impact: dict[str, int] = field(default_factory=dict)


@dataclass
class Tree:
    root: Path
    documents: dict[str, list[str]]  # kind -> relative paths
    sizes: dict[str, list[int]]  # kind -> sizes in bytes

    @property
    def count(self) -> int:
        return sum(len(paths) for paths in self.documents.values())


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .,_/()+'%-]*[A-Za-z0-9.)%]")


def ys(text: str) -> str:
    """A YAML scalar for ``text``: plain when that is safe, double-quoted otherwise."""
    return text if _PLAIN.fullmatch(text) else json.dumps(text)


def flow(items: Sequence[str]) -> str:
    return json.dumps(list(items))


def instant(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def hm(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M")


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def split(total: int, weights: dict[str, float]) -> dict[str, int]:
    """``total`` split by ``weights`` (largest remainder), summing exactly to ``total``."""
    raw = {k: total * w / sum(weights.values()) for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[: total - sum(out.values())]:
        out[k] += 1
    return out


def make_project(index: int, rng: random.Random) -> Project:
    base = SLUGS[index % len(SLUGS)]
    slug = base if index < len(SLUGS) else f"{base}-{index // len(SLUGS) + 1}"
    pairs = zip(rng.sample(FIRST, 6), rng.sample(LAST, 6), strict=True)
    people = [f"@{first}.{last}" for first, last in pairs]
    return Project(
        slug=slug,
        name=f"{slug.replace('-', ' ').title()} Service",
        people=people,
        api=f"{slug}-api",
        web=f"{slug}-web",
        worker=f"{slug}-worker",
        dep=rng.choice(["postgres", "redis", "kafka", "elasticsearch"]),
        third_slo=rng.choice(["order-placement", "search-results", "event-delivery", "login"]),
        timezone=rng.choice(TIMEZONES),
    )


def project_yaml(p: Project, first_retro: date) -> str:
    owners, team = p.people[:2], p.people
    metric = p.third_slo.replace("-", "_") + "_total"
    weekday = WEEKDAYS[first_retro.weekday()]
    return f"""\
# Operations settings for the {p.name} (schemas/project.schema.json).
# Generated by benchmarks/bench_validate.py in the shape of ops/checkout/project.yaml.
project: {p.slug}                  # must equal the folder name (ops/{p.slug}/)
name: {p.name}
owners: {flow(owners)}
timezone: {p.timezone}

# Most severe first. Incidents and postmortems must use one of these levels.
severity_scale: [SEV1, SEV2, SEV3, SEV4, SEV5]

postmortem:
  required_at_or_above: SEV2       # SEV1 and SEV2 need a postmortem
  due_business_days:               # counted from the incident's resolution
    SEV1: 5
    SEV2: 10

cadence:
  dependency_log_days: 14
  security_log_days: 7

vulnerability_sla_days:
  critical: 14
  high: 14

steady_state:
  slo_consecutive_weeks: 4

retros:
  every_weeks: 2
  weekday: {weekday}
  time: "15:00"
  duration_minutes: 60
  first: {first_retro.isoformat()}
  organizer: "{owners[0]}"
  attendees: {flow(team)}
  location: "Meet: https://meet.example.com/{p.slug}-retro"

oncall:
  rotation: {flow(team[2:])}
  period_days: 7
  start: {first_retro.isoformat()}

backlog:
  github_repository: acme/{p.slug}
  labels: [ops-followup, reliability]

metrics:
  source: mock
  mock:
    seed: {p.slug}
  prometheus:
    url_env: OPS_PROMETHEUS_URL
    bearer_token_env: OPS_PROMETHEUS_TOKEN
    timeout_seconds: 30

slos:
  - name: availability
    objective: 99.9
    description: Share of {p.api} requests that did not fail with a server error (5xx).
    sli:
      ratio:
        bad: sum(increase(http_requests_total{{job="{p.api}",code=~"5.."}}[{{{{window}}}}]))
        total: sum(increase(http_requests_total{{job="{p.api}"}}[{{{{window}}}}]))
  - name: latency
    objective: 99.0
    description: Share of {p.api} requests served within 500 ms.
    sli:
      latency:
        histogram: http_request_duration_seconds_bucket
        threshold: "0.5"
        selector: '{{job="{p.api}"}}'
  - name: {p.third_slo}
    objective: 99.5
    description: Share of {p.third_slo.replace("-", " ")} attempts that succeeded.
    sli:
      ratio:
        good: sum(increase({metric}{{job="{p.api}",outcome="ok"}}[{{{{window}}}}]))
        total: sum(increase({metric}{{job="{p.api}"}}[{{{{window}}}}]))
"""


def _fill(text: str, p: Project, rng: random.Random) -> str:
    release = f"{rng.randint(2024, 2026)}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d}-1"
    return text.format(api=p.api, web=p.web, worker=p.worker, dep=p.dep, release=release)


def make_incidents(
    p: Project, rng: random.Random, start: date, span_days: int, count: int, with_pm: int
) -> list[Incident]:
    """``count`` incidents over the history; ``with_pm`` resolved ones are SEV1/SEV2."""
    offsets = sorted(rng.sample(range(span_days * 24), count)) if count else []
    resolved = list(range(count - 1)) if count > 1 else list(range(count))
    severe = set(rng.sample(resolved, min(with_pm, len(resolved))))
    per_year: Counter[int] = Counter()
    out: list[Incident] = []
    for i, hours in enumerate(offsets):
        started = datetime.combine(start, datetime.min.time(), UTC) + timedelta(
            hours=hours, minutes=rng.randint(0, 59)
        )
        per_year[started.year] += 1
        if i in severe:
            severity = "SEV1" if rng.random() < 0.3 else "SEV2"
        else:
            severity = rng.choice(["SEV3", "SEV3", "SEV4", "SEV4", "SEV5"])
        detected = started + timedelta(minutes=rng.randint(2, 50))
        mitigated = detected + timedelta(minutes=rng.randint(5, 120))
        is_last = i == count - 1 and count > 1
        scenario = rng.choice(SCENARIOS)
        out.append(
            Incident(
                ident=f"INC-{started.year}-{per_year[started.year]:03d}",
                title=_fill(scenario[0], p, rng),
                severity=severity,
                status="mitigated" if is_last else "resolved",
                started=started,
                detected=detected,
                mitigated=mitigated,
                resolved=None if is_last else mitigated + timedelta(minutes=rng.randint(10, 900)),
                commander=rng.choice(p.people),
                scenario=tuple(_fill(s, p, rng) for s in scenario),  # type: ignore[arg-type]
                impact={
                    "requests": rng.randint(800, 250_000),
                    "users": rng.randint(50, 40_000),
                    "tickets": rng.randint(0, 60),
                    "budget": rng.randint(3, 140),
                },
            )
        )
    return out


def incident_doc(p: Project, inc: Incident, rng: random.Random) -> str:
    resolved = f"resolved: {instant(inc.resolved)}\n" if inc.resolved else ""
    _, trigger, cause, fix = inc.scenario
    minutes = int((inc.mitigated - inc.started).total_seconds() // 60)
    end = hm(inc.resolved) if inc.resolved else "ongoing"
    services = flow([p.api, p.web] if rng.random() < 0.5 else [p.api, p.worker, p.dep])
    since = int((inc.detected - inc.started).total_seconds() // 60)
    dashboard = (
        f"https://grafana.example.com/d/{p.slug}-overview/{p.slug}"
        f"?from={int(inc.started.timestamp()) * 1000}"
    )
    declared = f"incident declared {inc.severity}, commander {inc.commander}"
    regions = rng.choice(["eu-west-1", "eu-central-1 and eu-west-1", "us-east-1", "all regions"])
    return f"""\
---
kind: incident
project: {p.slug}
id: {inc.ident}
title: {ys(inc.title)}
severity: {inc.severity}
status: {inc.status}
started: {instant(inc.started)}
detected: {instant(inc.detected)}
mitigated: {instant(inc.mitigated)}
{resolved}commander: "{inc.commander}"
services: {services}
---

# {inc.ident}: {inc.title}

## Summary

From {hm(inc.started)} UTC users of {p.name} saw errors: {trigger}.
The on-call engineer was paged {since} minutes later, at {hm(inc.detected)} UTC, and the
impact was mitigated {minutes} minutes after it started. The likely cause is that {cause};
the postmortem (when one is required) has the full analysis.

Current status: {inc.status}. Customers were informed through the status page; no data was lost
and no manual clean-up is expected.

## Impact

- Failed requests: about {inc.impact["requests"]:,} over the incident window.
- Users affected: about {inc.impact["users"]:,}, in {regions}.
- Error budget: {inc.impact["budget"]} % of the week's availability budget consumed.
- Support tickets: {inc.impact["tickets"]}.
- Duration: {minutes} minutes until mitigation.

## Timeline

| Time (UTC) | Event |
|---|---|
| {hm(inc.started)} | Impact starts: {trigger} |
| {hm(inc.detected)} | Alert fires on {p.api}; {declared} |
| {hm(inc.detected + timedelta(minutes=2))} | Status page updated: degraded performance |
| {hm(inc.detected + timedelta(minutes=4))} | Dashboards show the error rate rising |
| {hm(inc.detected + timedelta(minutes=9))} | The last change to production is identified |
| {hm(inc.mitigated)} | Mitigated: the change is rolled back, the error rate is normal |
| {end} | Resolved: {fix} |

## Links

- Dashboard: {dashboard}
- Chat channel: #{inc.ident.lower()}
- Status page: https://status.example.com/incidents/{inc.ident.lower()}
- Fix: https://github.com/acme/{p.slug}/pull/{rng.randint(100, 4000)}
"""


def action_item(
    ident: str, title: str, owner: str, due: date, status: str, tracker: str | None, slack: int
) -> str:
    lines = [
        f"  - id: {ident}",
        f"    title: {ys(title)}",
        f'    owner: "{owner}"',
        f"    due: {due.isoformat()}",
        f"    status: {status}",
    ]
    if status != "open":
        lines.append(f"    closed: {(due - timedelta(days=slack)).isoformat()}")
    if tracker:
        lines.append(f"    tracker: {tracker}")
    return "\n".join(lines)


PM_ACTIONS = [
    "Alert on the symptom users saw, not only on its cause",
    "Add a load test at production peak to the release pipeline",
    "Write a runbook for this failure mode and link it from the alert",
    "Add a canary step with automatic rollback on error-rate regression",
    "Review timeouts and retries of every client of {dep}",
    "Add a synthetic probe for the affected user journey",
    "Document the dependency in the service catalogue with its owner",
]


def postmortem_doc(p: Project, inc: Incident, rng: random.Random, status: str) -> tuple[str, str]:
    assert inc.resolved is not None
    written = inc.resolved.date() + timedelta(days=rng.randint(2, 6))
    n_items = rng.randint(2, 4)
    items, rows = [], []
    for k in range(1, n_items + 1):
        ident = f"{inc.ident}-A{k}"
        title = rng.choice(PM_ACTIONS).format(dep=p.dep)
        owner = rng.choice(p.people)
        due = written + timedelta(days=rng.randint(7, 35))
        item_status = "open" if status != "published" else rng.choice(["done"] * 6 + ["dropped"])
        tracker = (
            f"https://github.com/acme/{p.slug}/issues/{rng.randint(10, 5000)}"
            if status == "published" or rng.random() < 0.5
            else None
        )
        items.append(action_item(ident, title, owner, due, item_status, tracker, rng.randint(0, 9)))
        rows.append(
            f"| {ident} | {title} | {owner} | {due.isoformat()} | {item_status} | "
            f"{tracker or 'to do'} |"
        )
    published = (
        f"published: {(written + timedelta(days=7)).isoformat()}\n" if status == "published" else ""
    )
    authors = rng.sample(p.people, 2)
    _, trigger, cause, fix = inc.scenario
    total = int((inc.resolved - inc.started).total_seconds() // 60)
    text = f"""\
---
kind: postmortem
project: {p.slug}
incident: {inc.ident}
title: {ys(inc.title)}
severity: {inc.severity}
date: {written.isoformat()}
status: {status}
{published}authors: {flow(authors)}
reviewers: {flow([p.people[0]])}
action_items:
{chr(10).join(items)}
---

# Postmortem: {inc.title}

## Summary

On {inc.started.date().isoformat()} from {inc.started:%H:%M} UTC {p.name} was degraded
for {total // 60} h {total % 60:02d} min: {trigger}. The incident was detected by an alert
after {int((inc.detected - inc.started).total_seconds() // 60)} minutes, mitigated by rolling
the change back, and resolved once the team {fix}.

## Impact

| Measure | Value | Source |
|---|---|---|
| Duration (start to resolution) | {total // 60} h {total % 60:02d} min | incident timeline |
| Users affected | about {inc.impact["users"]:,} | access logs |
| Failed requests | about {inc.impact["requests"]:,} | `http_requests_total` |
| Error budget consumed | {inc.impact["budget"]} % of the week's budget | weekly SLO report |
| Support tickets | {inc.impact["tickets"]} | support desk |

## Timeline

| Time (UTC) | Event |
|---|---|
| {hm(inc.started - timedelta(minutes=35))} | The change is merged and deployed to staging |
| {hm(inc.started)} | Trigger: {trigger} |
| {hm(inc.detected)} | Alert fires; incident declared {inc.severity}, commander {inc.commander} |
| {hm(inc.detected + timedelta(minutes=6))} | First mitigation attempt (restart) has no effect |
| {hm(inc.mitigated)} | Mitigated: the change is rolled back |
| {hm(inc.resolved)} | Resolved: {fix} |

## Root Cause

### Trigger

The incident started when {trigger}.

### Contributing factors

- {cause[0].upper() + cause[1:]}.
- The alert fired on the cause's symptom late; there was no alert on the user-facing error rate.
- The runbook for {p.api} did not describe this failure mode.

### Detection

- Detected by: the availability burn-rate alert of {p.api}.
- Time to detect: {int((inc.detected - inc.started).total_seconds() // 60)} min.

## Resolution

The change was rolled back at {inc.mitigated:%H:%M} UTC, which stopped the impact. The team
then {fix}; the fix went to 10 % of traffic first, and to everyone after an hour without errors.

## Action Items

| Id | Action | Owner | Due | Status | Issue |
|---|---|---|---|---|---|
{chr(10).join(rows)}

## Lessons Learned

### What went well

- The rollback was quick and well rehearsed; the commander kept the status page current.

### What went wrong

- Staging did not reproduce the conditions of production, so the change looked safe.

### Where we got lucky

- It happened outside the busiest hours of the week.
"""
    return f"{written.isoformat()}-{inc.ident}.md", text


RETRO_ACTIONS = [
    "Automate the weekly SLO report post to the team channel",
    "Pair on the on-call handover checklist",
    "Move flaky end-to-end tests to a quarantine suite",
    "Schedule a game day for the {dep} failover",
    "Review alert noise and delete alerts nobody acts on",
    "Write down the release freeze policy for peak season",
]


def retro_doc(p: Project, day: date, rng: random.Random, status: str) -> str:
    attendees = rng.sample(p.people, rng.randint(4, 6))
    facilitator = attendees[0]
    items, rows = [], []
    if status == "held":
        for k in range(1, rng.randint(2, 3) + 1):
            ident = f"RETRO-{day:%Y%m%d}-{k}"
            title = rng.choice(RETRO_ACTIONS).format(dep=p.dep)
            owner = rng.choice(attendees)
            due = day + timedelta(days=rng.choice([14, 21, 28]))
            item_status = rng.choice(["done"] * 5 + ["open", "dropped"])
            tracker = f"https://github.com/acme/{p.slug}/issues/{rng.randint(10, 5000)}"
            items.append(
                action_item(ident, title, owner, due, item_status, tracker, rng.randint(0, 9))
            )
            rows.append(
                f"| {ident} | {title} | {owner} | {due.isoformat()} | {item_status} | "
                f"[#{tracker.rsplit('/', 1)[1]}]({tracker}) |"
            )
    action_items = "action_items:\n" + "\n".join(items) if items else "action_items: []"
    period_from = day - timedelta(days=14)
    period_to = day - timedelta(days=1)
    table = "\n".join(rows) or "| - | None agreed | - | - | - | - |"
    return f"""\
---
kind: retro
project: {p.slug}
date: {day.isoformat()}
status: {status}
facilitator: "{facilitator}"
attendees: {flow(attendees)}
period: {{from: {period_from.isoformat()}, to: {period_to.isoformat()}}}
{action_items}
---

# Retro {day.isoformat()}

## Context

- Period: {period_from.isoformat()} to {period_to.isoformat()}
- Facilitator: {facilitator}
- Attendees: {", ".join(attendees)}
- In this period: {rng.randint(0, 3)} incidents, {rng.randint(2, 9)} releases of {p.api}, one
  maintenance window for dependencies and the weekly security reviews.

## What Went Well

- Releases of {p.api} went out through the canary without a rollback.
- The on-call handover was documented and nobody was paged outside working hours twice in a row.
- The weekly SLO reports were read and discussed in the team channel.
- Postmortem reviews happened within the due dates, with action items linked to the backlog.

## What To Improve

- The alert on {p.worker} backlog paged twice for a condition that resolved itself.
- Open action items from the previous retro were not reviewed before this meeting.
- Dependency updates piled up; a window was skipped because of a release freeze.
- Runbooks for {p.dep} are out of date: two steps refer to the previous cluster layout.

## Action Items

| Id | Action | Owner | Due | Status | Issue |
|---|---|---|---|---|---|
{table}
"""


def _version(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 20)


def dependency_doc(p: Project, day: date, rng: random.Random) -> str:
    updates, rows = [], []
    for _ in range(rng.randint(3, 6)):
        ecosystem = rng.choice(["pypi", "pypi", "npm", "go", "docker", "github-actions"])
        package = rng.choice(PACKAGES[ecosystem])
        major, minor, patch = _version(rng)
        change = rng.choice(["patch", "patch", "minor", "major"])
        new = {
            "patch": (major, minor, patch + 1),
            "minor": (major, minor + 1, 0),
            "major": (major + 1, 0, 0),
        }[change]
        old_v, new_v = f"{major}.{minor}.{patch}", ".".join(map(str, new))
        if ecosystem == "docker":
            old_v, new_v = f"{old_v}-slim-bookworm", f"{new_v}-slim-bookworm"
        reference = {
            "pypi": f"https://pypi.org/project/{package}/{new_v}/",
            "npm": f"https://www.npmjs.com/package/{package}/v/{new_v}",
            "go": f"https://pkg.go.dev/{package}@v{new_v}",
            "docker": f"https://hub.docker.com/_/{package}",
            "github-actions": f"https://github.com/{package}/releases/tag/v{new_v}",
        }[ecosystem]
        updates.append(
            f"  - package: {ys(package)}\n    ecosystem: {ecosystem}\n"
            f'    from: "{old_v}"\n    to: "{new_v}"\n    change: {change}\n'
            f"    reference: {reference}"
        )
        rows.append(
            f"| {package} | {ecosystem} | {old_v} | {new_v} | {change} | [release]({reference}) |"
        )
    reviewer = rng.choice(p.people)
    return f"""\
---
kind: dependency-log
project: {p.slug}
date: {day.isoformat()}
window: {day.isoformat()} ({day:%A} 06:00-07:00 UTC)
reviewer: "{reviewer}"
updates:
{chr(10).join(updates)}
---

# Dependency updates {day.isoformat()}

## Summary

Reviewed the open Renovate pull requests for {p.api}, {p.web} and {p.worker}, the base
images and the CI actions. {len(rows)} updates were taken in this window; major releases were
read for breaking changes first. Anything not listed was deferred to the next window with a
comment on its pull request.

## Updates

| Package | Ecosystem | From | To | Change | Reference |
|---|---|---|---|---|---|
{chr(10).join(rows)}

## Testing

- CI green on the update branch, including the contract tests against {p.dep}.
- Staging soak for 2 hours under replayed production traffic; no change in error rate or latency.
- Canary at 10 % for 1 hour, then full rollout.

## Rollback Plan

- Revert the update pull request and redeploy the previous image tag of {p.api}.
- No data migrations in this window, so a rollback needs no data changes; {reviewer} decides.
"""


def _finding_id(rng: random.Random, year: int) -> str:
    if rng.random() < 0.75:
        return f"CVE-{year}-{rng.randint(1000, 59999)}"
    alphabet = "23456789cfghjmpqrvwx"
    return "GHSA-" + "-".join("".join(rng.choices(alphabet, k=4)) for _ in range(3))


def security_doc(p: Project, day: date, rng: random.Random, active: list[dict[str, Any]]) -> str:
    """One weekly review; ``active`` carries findings forward from the previous log."""
    active[:] = [f for f in active if f["status"] in ("open", "accepted")]
    active[:] = [f for f in active if not (f["status"] == "accepted" and f["expires"] < day)]
    while len(active) < 2 or (len(active) < 5 and rng.random() < 0.4):
        ecosystem = rng.choice(["pypi", "npm", "docker"])
        active.append(
            {
                "id": _finding_id(rng, day.year),
                "package": rng.choice(PACKAGES[ecosystem]),
                "severity": rng.choices(
                    ["critical", "high", "medium", "low", "unknown"], [8, 20, 40, 27, 5]
                )[0],
                "discovered": day - timedelta(days=rng.randint(0, 6)),
                "status": "open",
            }
        )
    for f in active:
        if f["status"] != "open" or rng.random() < 0.4:
            continue
        if f["severity"] in ("medium", "low") and rng.random() < 0.3:
            f["status"] = "accepted"
            # at most vulnerability_exception_max_days (default 90) after the log
            f["expires"] = day + timedelta(days=rng.randint(30, 90))
            f["approver"] = rng.choice(p.people[:2])
        else:
            f["status"] = "fixed"
            f["fixed"] = max(f["discovered"], day - timedelta(days=rng.randint(0, 3)))
    entries, rows, exceptions = [], [], []
    for f in active:
        reference = (
            f"https://nvd.nist.gov/vuln/detail/{f['id']}"
            if f["id"].startswith("CVE")
            else f"https://github.com/advisories/{f['id']}"
        )
        lines = [
            f"  - id: {f['id']}",
            f"    package: {ys(f['package'])}",
            f"    severity: {f['severity']}",
            f"    discovered: {f['discovered'].isoformat()}",
            f"    status: {f['status']}",
            f"    reference: {reference}",
        ]
        state = "open"
        if f["status"] == "fixed":
            lines.append(f"    fixed: {f['fixed'].isoformat()}")
            state = f"fixed {f['fixed'].isoformat()}"
        elif f["status"] == "accepted":
            reason = "Not reachable from our code paths; no fixed release yet"
            lines += [
                "    exception:",
                f'      approver: "{f["approver"]}"',
                f"      reason: {reason}",
                f"      expires: {f['expires'].isoformat()}",
            ]
            state = f"exception by {f['approver']}, expires {f['expires'].isoformat()}"
            exceptions.append(
                f"- **{f['id']}** ({f['severity']}, `{f['package']}`): {reason.lower()}; approved "
                f"by {f['approver']}, expires {f['expires'].isoformat()}. Compensating control: "
                "the service runs read-only as a non-root user."
            )
        entries.append("\n".join(lines))
        rows.append(
            f"| [{f['id']}]({reference}) | {f['package']} | {f['severity']} | "
            f"{f['discovered'].isoformat()} | {f['status']} | {state} |"
        )
    scanners = rng.sample(SCANNERS, 3)
    return f"""\
---
kind: security-log
project: {p.slug}
date: {day.isoformat()}
reviewer: "{rng.choice(p.people)}"
scanners: {flow(scanners)}
findings:
{chr(10).join(entries)}
---

# Security review {day.isoformat()}

## Summary

Weekly review of the scanner results for {p.api}, {p.web} and their images. {len(rows)} findings are
tracked in this log; high and critical findings are fixed within 14 days of discovery or accepted
with a time-boxed exception. Nothing is past its SLA.

## Findings

| Id | Package | Severity | Discovered | Status | Fixed / Exception |
|---|---|---|---|---|---|
{chr(10).join(rows)}

## Exceptions

{chr(10).join(exceptions) or "- None."}

## Scanners

{chr(10).join(f"- {s} (CI on every pull request and nightly)." for s in scanners)}
- Reports: https://github.com/acme/{p.slug}/security
"""


def slo_doc(p: Project, monday: date, rng: random.Random) -> str:
    week = iso_week(monday)
    start = datetime.combine(monday, datetime.min.time(), UTC)
    end = start + timedelta(days=7)
    bad_week = rng.random() < 0.08
    entries, rows, statuses, daily_rows, left = [], [], [], [], {}
    for name, objective in (("availability", 99.9), ("latency", 99.0), (p.third_slo, 99.5)):
        total = rng.randint(300_000, 5_000_000)
        budget = 1 - objective / 100
        burn = (
            rng.uniform(0.9, 2.5) if bad_week and name == "availability" else rng.uniform(0.1, 0.8)
        )
        good = total - round(total * budget * burn)
        sli = round(100 * good / total, 4)
        burn_rate = round((1 - good / total) / budget, 4)
        remaining = round(1 - burn_rate, 4)
        status = "PASS" if sli >= objective else "FAIL"
        statuses.append(status)
        left[name] = remaining
        spread = 100 - objective
        values = [f"{sli + rng.uniform(-0.4, 0.4) * spread:.3f}" for _ in range(7)]
        daily_rows.append(f"| {name} % | {' | '.join(values)} |")
        entries.append(
            f"  - name: {name}\n    objective: {objective}\n    sli: {sli}\n    good: {good}\n"
            f"    total: {total}\n    error_budget_remaining: {remaining}\n"
            f"    burn_rate: {burn_rate}\n    status: {status}"
        )
        rows.append(
            f"| {name} | {objective} % | {sli} % | {good} | {total} | {remaining:.2%} | "
            f"{burn_rate:.4f} | {'✅' if status == 'PASS' else '❌'} {status} |"
        )
    overall = "FAIL" if "FAIL" in statuses else "PASS"
    days = [monday + timedelta(days=i) for i in range(7)]
    daily = [round(99.9 + rng.uniform(-0.05, 0.09), 3) for _ in days]
    labels = ", ".join(f'"{d:%a} {d.day}"' for d in days)
    least = min(left, key=lambda k: left[k])
    note = (
        "The availability budget was overspent: see the incidents of the week and their "
        "postmortems for the follow-ups."
        if overall == "FAIL"
        else "No incident affected the SLOs this week."
    )
    return f"""\
---
kind: slo-report
project: {p.slug}
week: {week}
start: {instant(start)}
end: {instant(end)}
source: mock
status: {overall}
slos:
{chr(10).join(entries)}
generated_at: {instant(end + timedelta(hours=6))}
---

# SLO report {week}

<!-- Generated by `ops slo --project {p.slug} --week {week}` (source: mock). -->

## Summary

**{overall}**: {statuses.count("PASS")} of 3 SLOs met their objectives in {week}
(Mon {days[0]} to Sun {days[-1]}). Least budget left: {least} with {left[least]:.2%} of the
week's error budget.

## SLOs

| Name | Objective | SLI | Good | Total | Budget left | Burn rate | Status |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

## Daily SLI

availability per UTC day against its objective (99.9 %):

```mermaid
xychart-beta
    title "availability SLI per day, {week} (%)"
    x-axis [{labels}]
    y-axis "SLI (%)" 99.8 --> 100
    line {daily}
    line [99.9, 99.9, 99.9, 99.9, 99.9, 99.9, 99.9]
```

| Day | {" | ".join(f"{d:%a} {d.day}" for d in days)} |
|---|{"---|" * 7}
{chr(10).join(daily_rows)}

## Notes

- {note}
- Data source: the mock source of {p.slug} (deterministic); no gaps in the week's data.
- SLO definitions unchanged since the previous report (project.yaml).
"""


def generate_project(
    root: Path, p: Project, n_docs: int, rng: random.Random
) -> dict[str, list[str]]:
    """Write one project's documents; returns relative paths by kind."""
    counts = split(n_docs, KIND_WEIGHTS)
    # every postmortem needs its own resolved SEV1/SEV2 incident (the newest incident is open)
    both = counts["incident"] + counts["postmortem"]
    counts["postmortem"] = min(counts["postmortem"], max(0, (both - 1) // 2))
    counts["incident"] = both - counts["postmortem"]
    start = date(2024, 1, 1)  # a Monday
    weeks = max(
        counts["slo-report"],
        counts["security-log"],
        counts["dependency-log"],
        2 * counts["retro"],
        4,
    )
    first_retro = start + timedelta(days=3)
    base = root / "ops" / p.slug
    written: dict[str, list[str]] = {kind: [] for kind in FOLDERS}

    def put(kind: str, name: str, text: str) -> None:
        path = base / FOLDERS[kind] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written[kind].append(path.relative_to(root).as_posix())

    base.mkdir(parents=True, exist_ok=True)
    (base / "project.yaml").write_text(project_yaml(p, first_retro), encoding="utf-8")
    incidents = make_incidents(p, rng, start, weeks * 7, counts["incident"], counts["postmortem"])
    for inc in incidents:
        put("incident", f"{inc.ident}.md", incident_doc(p, inc, rng))
    severe = [i for i in incidents if i.severity in ("SEV1", "SEV2") and i.resolved]
    for j, inc in enumerate(severe):
        status = {len(severe) - 1: "draft", len(severe) - 2: "in-review"}.get(j, "published")
        name, text = postmortem_doc(p, inc, rng, status)
        put("postmortem", name, text)
    for i in range(counts["retro"]):
        day = first_retro + timedelta(days=14 * i)
        status = (
            "scheduled" if i == counts["retro"] - 1 else rng.choice(["held"] * 30 + ["cancelled"])
        )
        put("retro", f"{day.isoformat()}.md", retro_doc(p, day, rng, status))
    for i in range(counts["dependency-log"]):
        day = start + timedelta(days=7 * i + 3)
        put("dependency-log", f"{day.isoformat()}.md", dependency_doc(p, day, rng))
    active: list[dict[str, Any]] = []
    for i in range(counts["security-log"]):
        day = start + timedelta(days=7 * i)
        put("security-log", f"{day.isoformat()}.md", security_doc(p, day, rng, active))
    for i in range(counts["slo-report"]):
        monday = start + timedelta(days=7 * i)
        put("slo-report", f"{iso_week(monday)}.md", slo_doc(p, monday, rng))
    return written


def prepare_workdir(workdir: Path) -> None:
    """Empty ``workdir``, refusing to delete anything this script did not create."""
    if workdir.exists():
        if any(workdir.iterdir()) and not (workdir / MARKER).exists():
            raise BenchError(
                f"{workdir} exists and was not made by this script; choose another --workdir"
            )
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    (workdir / MARKER).write_text("made by benchmarks/bench_validate.py; deleted on each run\n")


def generate_tree(root: Path, n_docs: int, n_projects: int, seed: int) -> Tree:
    rng = random.Random(seed)
    root.mkdir(parents=True)
    shutil.copytree(REPO / "templates", root / "templates")
    documents: dict[str, list[str]] = {kind: [] for kind in FOLDERS}
    for index in range(n_projects):
        share = n_docs // n_projects + (1 if index < n_docs % n_projects else 0)
        project = make_project(index, rng)
        for kind, paths in generate_project(root, project, share, rng).items():
            documents[kind].extend(paths)
    sizes = {k: [(root / p).stat().st_size for p in paths] for k, paths in documents.items()}
    return Tree(root, documents, sizes)


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
"""The naive baseline: python-frontmatter + jsonschema.validate, one call per file."""
import datetime
import json
import sys
from pathlib import Path

import frontmatter
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_BY_FOLDER = {folders!r}


def as_json(value):
    # python-frontmatter turns dates and instants into objects; write them back as in the file
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


schemas = {{p.name: json.loads(p.read_text()) for p in Path(sys.argv[1]).glob("*.schema.json")}}
registry = Registry().with_resources(
    (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012))
    for s in schemas.values()
)
files = Path(sys.argv[2]).read_text().split()
invalid = 0
for name in files:
    post = frontmatter.load(name)
    metadata = json.loads(json.dumps(post.metadata, default=as_json))
    schema = schemas[SCHEMA_BY_FOLDER[Path(name).parent.name]]
    try:
        jsonschema.validate(metadata, schema, registry=registry)
    except jsonschema.ValidationError as e:
        invalid += 1
        print(f"{{name}}: {{e.message}}", file=sys.stderr)
print(json.dumps({{"files": len(files), "invalid": invalid}}))
'''


@dataclass
class Baseline:
    seconds: float  # for the whole tree (measured or extrapolated)
    measured_files: int
    measured_seconds: float
    startup_seconds: float
    invalid: int
    extrapolated: bool
    maxrss_kb: int


def naive_baseline(
    tree: Tree, workdir: Path, budget: float, seed: int, env: dict[str, str] | None
) -> Baseline:
    script = workdir / "naive_validate.py"
    folders = {folder: f"{kind}.schema.json" for kind, folder in FOLDERS.items()}
    script.write_text(NAIVE.format(folders=folders), encoding="utf-8")
    everything = sorted(p for paths in tree.documents.values() for p in paths)

    def run(files: list[str], label: str) -> tuple[Run, int]:
        listing = workdir / f"naive_{label}.txt"
        listing.write_text("\n".join(files) + "\n", encoding="utf-8")
        cmd = [venv_python(), str(script), str(REPO / "schemas"), str(listing)]
        result = run_child(cmd, tree.root, env)
        if result.returncode != 0:
            raise BenchError(f"naive baseline failed:\n{result.stderr[-3000:]}")
        return result, json.loads(result.stdout.strip().splitlines()[-1])["invalid"]

    run([], "empty")  # a first run fills the bytecode cache
    empty, _ = run([], "empty")  # interpreter, imports and schema loading only
    sample = sorted(random.Random(seed).sample(everything, min(SAMPLE_SIZE, len(everything))))
    part, invalid = run(sample, "sample")
    per_file = max(0.0, part.seconds - empty.seconds) / max(1, len(sample))
    estimate = empty.seconds + per_file * len(everything)
    if len(sample) == len(everything) or estimate > budget:
        return Baseline(
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
        full.seconds, len(everything), full.seconds, empty.seconds, invalid, False, full.maxrss_kb
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
        f"--repeat {args.repeat}",
        f"--seed {args.seed}",
    ]
    if args.keep_env:
        parts.append("--keep-env")
    if args.workdir != "benchmarks/.work":
        parts.append(f"--workdir {shlex.quote(args.workdir)}")
    return " ".join(parts)


def render(report: dict[str, Any]) -> str:
    rows = [("measure", "result", "target", "ok?")]
    for m in report["measures"]:
        ok = "-" if m["ok"] is None else ("yes" if m["ok"] else "NO")
        rows.append((m["measure"], m["result"], m["target"] or "-", ok))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    t, mc = report["tree"], report["machine"]
    per_kind = ", ".join(f"{k} {v['count']}" for k, v in t["kinds"].items())
    notes = [
        "",
        f"tree: {t['documents']} documents in {t['projects']} projects ({per_kind}); "
        f"+ {t['projects']} project.yaml + {t['templates']} templates; "
        f"average {t['average_bytes']:,} bytes, {t['total_bytes'] / 1e6:.1f} MB in all",
        "runs (s): " + "; ".join(f"{k} {v}" for k, v in report["runs"].items()),
        f"baseline: {report['baseline']['note']}",
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
    baseline: Baseline

    @property
    def peak_rss_mb(self) -> float:
        return _mb(max(r.maxrss_kb for r in self.cold.runs))

    @property
    def speedup(self) -> float:
        return self.baseline.seconds / self.cold.median


def measure(tree: Tree, args: argparse.Namespace, log: Callable[[str], None]) -> Results:
    env = child_env(args.workdir_path, args.keep_env)
    bench = Bench(tree, args.repeat, env)
    bench.drop_cache()
    check = bench.ops_run("--no-cache")  # raises BenchError unless the tree is valid
    log(f"  {check.stdout.strip()}")
    one = (tree.documents["postmortem"] or [p for v in tree.documents.values() for p in v])[0]
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
    log("timing: naive baseline ...")
    baseline = naive_baseline(tree, args.workdir_path, args.baseline_budget, args.seed, env)
    return Results(one, cold, unchanged, noop, one_warm, one_cold, memory, baseline)


def measures(r: Results) -> list[dict[str, Any]]:
    b = r.baseline
    rows = [
        ("whole tree, cold (no cache)", r.cold.median, "s", "cold_s"),
        ("whole tree, unchanged (warm cache)", r.unchanged.median, "s", "unchanged_s"),
        ("one file, warm cache (pre-commit)", r.one_warm.median, "s", "one_file_warm_s"),
        ("one file, cold cache", r.one_cold.median, "s", None),
        ("peak RSS, cold run (largest process)", r.peak_rss_mb, "MB", "peak_rss_mb"),
        ("peak RSS, cold run (all processes)", _mb(r.tree.peak_rss_kb), "MB", None),
        ("peak PSS, cold run (all processes)", _mb(r.tree.peak_pss_kb), "MB", None),
        ("naive baseline (frontmatter+jsonschema)", b.seconds, "s", None),
        ("speed-up, cold vs naive baseline", r.speedup, "x", "speedup"),
    ]
    out = []
    for name, value, unit, target in rows:
        if unit == "s":
            result = f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
        elif unit == "MB":
            result = f"{value:.1f} MB"
        else:
            result = f"{value:.1f}x"
        if name.startswith("naive") and b.extrapolated:
            result += " (extrapolated)"
        limit = TARGETS[target] if target else None
        if target is None:
            wanted, ok = "", None
        elif target == "speedup":
            wanted, ok = f">= {limit:g}x", value >= TARGETS[target]
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
    if r.baseline.invalid:
        notes.append(f"the naive baseline rejected {r.baseline.invalid} documents")
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
            "baseline_s": r.baseline.seconds,
            "baseline_extrapolated": r.baseline.extrapolated,
            "speedup": r.speedup,
        },
        "runs": {
            "cold": r.cold.times,
            "unchanged": r.unchanged.times,
            "one_file_warm": r.one_warm.times,
            "one_file_cold": r.one_cold.times,
        },
        "baseline": {
            **r.baseline.__dict__,
            "note": baseline_note(r.baseline, tree.count, args.baseline_budget),
        },
        "tree": {
            "root": str(tree.root),
            "documents": tree.count,
            "projects": args.projects,
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


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents to generate")
    parser.add_argument("--projects", type=int, default=20, help="projects to spread them over")
    parser.add_argument("--workdir", default="benchmarks/.work", help="scratch folder (wiped)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the generated tree")
    parser.add_argument(
        "--baseline-budget",
        type=float,
        default=120.0,
        help="time the naive baseline on a sample and extrapolate when the full run would "
        "take longer than this many seconds (default: 120)",
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
        prepare_workdir(workdir)
        log(f"generating {args.docs} documents in {args.projects} projects under {workdir} ...")
        began = time.perf_counter()
        tree = generate_tree(workdir / "tree", args.docs, args.projects, args.seed)
        log(f"  done in {time.perf_counter() - began:.1f} s; checking that the tree is valid ...")
        results = measure(tree, args, log)
    except BenchError as e:
        print(f"bench_validate: {e}", file=sys.stderr)
        return 2
    report = build_report(tree, results, args)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0 if all(m["ok"] is not False for m in report["measures"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
