"""Synthetic metrics with known counts, written as OpenMetrics for promtool to backfill.

A checkout API over four ISO weeks (2026-W40 to 2026-W43), scraped every five
minutes: a request counter by status code, a payments counter by outcome and a
latency histogram. The generator keeps its own tally of good and total events
per window, which the tests compare with ``ops slo``'s reports exactly.

What it puts in on purpose:
- a counter reset (the process restarts on Thursday of W41: every counter starts
  again from zero; Prometheus's increase() counts the new values as increase);
- a scrape gap (six hours without samples on Tuesday of W42; the events of the
  gap show up in the first sample after it);
- an incident on Wednesday of W43 that fails every SLO for the week;
- W42's availability fails by one request: its bad share is one request above
  the 99.9 % objective's budget.

Beside them, per-service series for per-label SLOs (``group_by: [service]``): an
``api_requests_total`` counter by service and code and an ``api_request_duration_seconds``
histogram by service, at constant rates (SERVICES), so that a test computes any window's
counts from these parameters alone; search has an incident in W43 (SERVICE_INCIDENT), and
cart never had an error, so it has no code="500" series at all.

Samples stand exactly on every day's and week's boundaries, so a window's
increase needs no extrapolation and equals the tally (Prometheus 2.x range
selectors include both ends; a sample's events are those since the one before).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

STEP = 300  # seconds between scrapes
START = dt.datetime(2026, 9, 28, tzinfo=dt.UTC)  # Monday of 2026-W40
WEEKS = ("2026-W40", "2026-W41", "2026-W42", "2026-W43")
END = START + dt.timedelta(weeks=len(WEEKS))
RESTART = dt.datetime(2026, 10, 8, 13, 0, tzinfo=dt.UTC)  # Thursday of W41
GAP = (
    dt.datetime(2026, 10, 13, 2, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 13, 8, 0, tzinfo=dt.UTC),
)
INCIDENT = (
    dt.datetime(2026, 10, 21, 9, 45, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 21, 11, 30, tzinfo=dt.UTC),
)
HAIR_WEEK = "2026-W42"
BUCKETS = ("0.1", "0.5", "1.0", "+Inf")
# Per five minutes and service: requests, errors (code 500) and requests slower than 0.3 s.
SERVICES = {"cart": (400, 0, 2), "checkout": (1000, 1, 5), "search": (250, 0, 1)}
# search's errors per five minutes during INCIDENT (in W43), on top of its usual ones.
SERVICE_INCIDENT = ("search", 125)

# The project.yaml SLOs the tests use, with the generator's names.
SLOS = {
    "availability": 99.9,  # bad = code 5xx, total = all requests
    "checkout-latency": 99.0,  # good = le="0.5" bucket, total = le="+Inf"
    "latency-1s": 99.5,  # good = le="1.0": the le label is the string "1.0", not "1"
    "payment-authorization": 99.5,  # good = approved|declined, total = all outcomes
}


def _draw(*key: object) -> float:
    digest = hashlib.sha256("/".join(map(str, key)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class Tally:
    """Events per scrape (counted at the scrape that reports them), for every SLO."""

    good: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    total: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, slo: str, at: int, good: int, total: int) -> None:
        self.good[slo][at] = self.good[slo].get(at, 0) + good
        self.total[slo][at] = self.total[slo].get(at, 0) + total

    def window(self, slo: str, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
        """Good and total events reported by the scrapes in (start, end]."""
        lo, hi = start.timestamp(), end.timestamp()
        good = sum(v for t, v in self.good[slo].items() if lo < t <= hi)
        total = sum(v for t, v in self.total[slo].items() if lo < t <= hi)
        return good, total


Services = dict[str, tuple[int, int, int]]


def _events(when: dt.datetime, services: Services = SERVICES) -> dict[str, int]:
    """Events in the five minutes before ``when``."""
    t = when.timestamp()
    busy = 0.6 + 0.4 * (8 <= when.hour < 22)
    requests = int(900 * busy + 200 * _draw("req", t))
    errors = round(requests * 0.0012 * _draw("err", t))  # 0, 1 or 2 in five minutes
    incident = INCIDENT[0] < when <= INCIDENT[1]
    if incident:
        errors = requests // 8
    fast = requests - int(requests * (0.004 + 0.004 * _draw("slow", t)))
    if incident:
        fast = requests // 2
    under_1s = requests - int(requests * 0.002 * _draw("vslow", t))
    if incident:
        under_1s = requests * 3 // 4
    payments = int(requests * 0.1)
    failed_payments = round(payments * 0.006 * _draw("pay", t)) + (payments // 5 if incident else 0)
    by_service = {}
    for name, (served, failed, slow) in services.items():
        extra = SERVICE_INCIDENT[1] if incident and name == SERVICE_INCIDENT[0] else 0
        by_service |= {f"{name}:requests": served, f"{name}:errors": failed + extra}
        by_service[f"{name}:slow"] = slow
    return {
        "requests": requests,
        "errors": errors,
        "fast": fast,
        "under_1s": under_1s,
        "payments": payments,
        "failed_payments": failed_payments,
        **by_service,
    }


def _hair_errors(tally_total: int, already_bad: int) -> int:
    """Extra errors so that the week's bad share is one request over a 99.9 % budget."""
    allowed = tally_total // 1000  # bad <= total * 0.001 passes
    return max(0, allowed + 1 - already_bad)


@dataclass
class Dataset:
    tally: Tally
    days: dict[str, str]  # file name -> OpenMetrics text, one file per UTC day


def generate(services: Services = SERVICES) -> Dataset:
    """The data; ``services``: the per-service series' (the benchmark asks for 20)."""
    times = []
    t = START
    while t <= END:
        if not (GAP[0] < t < GAP[1]):
            times.append(t)
        t += dt.timedelta(seconds=STEP)
    # events per scrape interval, attributed to the scrape that reports them
    per_scrape: list[dict[str, int]] = []
    previous = START - dt.timedelta(seconds=STEP)
    for when in times:
        events: dict[str, int] = defaultdict(int)
        step = previous + dt.timedelta(seconds=STEP)
        while step <= when:  # a gap's events arrive with the first scrape after it
            for key, value in _events(step, services).items():
                events[key] += value
            step += dt.timedelta(seconds=STEP)
        per_scrape.append(dict(events))
        previous = when
    _fail_by_a_hair(times, per_scrape)
    tally = Tally()
    for when, events in zip(times, per_scrape, strict=True):
        at = int(when.timestamp())
        if when == START:
            continue  # the first sample starts the counters; it reports no events
        tally.add("availability", at, events["requests"] - events["errors"], events["requests"])
        tally.add("checkout-latency", at, events["fast"], events["requests"])
        tally.add("latency-1s", at, events["under_1s"], events["requests"])
        tally.add(
            "payment-authorization",
            at,
            events["payments"] - events["failed_payments"],
            events["payments"],
        )
    return Dataset(tally, _openmetrics(times, per_scrape, services))


def _fail_by_a_hair(times: list[dt.datetime], per_scrape: list[dict[str, int]]) -> None:
    """Add errors on the last scrape of HAIR_WEEK so its availability misses by one request."""
    week_start = START + dt.timedelta(weeks=WEEKS.index(HAIR_WEEK))
    week_end = week_start + dt.timedelta(weeks=1)
    inside = [i for i, t in enumerate(times) if week_start < t <= week_end]
    total = sum(per_scrape[i]["requests"] for i in inside)
    bad = sum(per_scrape[i]["errors"] for i in inside)
    per_scrape[inside[-1]]["errors"] += _hair_errors(total, bad)


def _openmetrics(
    times: list[dt.datetime], per_scrape: list[dict[str, int]], services: Services
) -> dict[str, str]:
    """Cumulative counters (reset at RESTART), one OpenMetrics text per UTC day."""
    counters: dict[str, int] = defaultdict(int)
    rows: dict[str, list[tuple[str, str, int, int]]] = defaultdict(list)  # day -> (family, ...)
    restarted = False
    for when, events in zip(times, per_scrape, strict=True):
        if not restarted and when >= RESTART:
            counters.clear()  # the process restarted: every counter starts from zero
            restarted = True
        ok, errors = events["requests"] - events["errors"], events["errors"]
        counters["req200"] += ok
        counters["req500"] += errors
        counters["le0.1"] += events["fast"] // 2
        counters["le0.5"] += events["fast"]
        counters["le1.0"] += events["under_1s"]
        counters["count"] += events["requests"]
        counters["approved"] += (events["payments"] - events["failed_payments"]) * 9 // 10
        counters["declined"] += (
            events["payments"]
            - events["failed_payments"]
            - ((events["payments"] - events["failed_payments"]) * 9 // 10)
        )
        counters["timeout"] += events["failed_payments"]
        for name, (_, errors, _) in services.items():
            served, failed = events[f"{name}:requests"], events[f"{name}:errors"]
            counters[f"{name}:200"] += served - failed
            if errors or name == SERVICE_INCIDENT[0]:  # cart never fails: no code="500" series
                counters[f"{name}:500"] += failed
            counters[f"{name}:le0.3"] += served - events[f"{name}:slow"]
            counters[f"{name}:count"] += served
        at = int(when.timestamp())
        day = when.strftime("%Y-%m-%d")
        for key, value in counters.items():
            rows[day].append((key, "", at, value))
    files = {}
    for day, samples in sorted(rows.items()):
        files[f"{day}.om"] = _day_text(samples, services)
    return files


_SERIES = {
    "req200": ("http_requests", 'http_requests_total{job="shop-api",code="200"}'),
    "req500": ("http_requests", 'http_requests_total{job="shop-api",code="500"}'),
    "le0.1": (
        "http_request_duration_seconds",
        'http_request_duration_seconds_bucket{job="shop-api",le="0.1"}',
    ),
    "le0.5": (
        "http_request_duration_seconds",
        'http_request_duration_seconds_bucket{job="shop-api",le="0.5"}',
    ),
    "le1.0": (
        "http_request_duration_seconds",
        'http_request_duration_seconds_bucket{job="shop-api",le="1.0"}',
    ),
    "count": (
        "http_request_duration_seconds",
        'http_request_duration_seconds_bucket{job="shop-api",le="+Inf"}',
    ),
    "approved": (
        "payment_authorizations",
        'payment_authorizations_total{job="shop-api",outcome="approved"}',
    ),
    "declined": (
        "payment_authorizations",
        'payment_authorizations_total{job="shop-api",outcome="declined"}',
    ),
    "timeout": (
        "payment_authorizations",
        'payment_authorizations_total{job="shop-api",outcome="timeout"}',
    ),
}


def _service_series(services: Services) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """The per-service series by key, and the histogram's _count series (the +Inf bucket's
    series, renamed: a histogram has _count and _sum beside its buckets)."""
    series, counts = {}, {}
    for name in services:
        labels = f'job="shop-api",service="{name}"'
        series[f"{name}:200"] = ("api_requests", f'api_requests_total{{{labels},code="200"}}')
        series[f"{name}:500"] = ("api_requests", f'api_requests_total{{{labels},code="500"}}')
        series[f"{name}:le0.3"] = (
            "api_request_duration_seconds",
            f'api_request_duration_seconds_bucket{{{labels},le="0.3"}}',
        )
        series[f"{name}:count"] = (
            "api_request_duration_seconds",
            f'api_request_duration_seconds_bucket{{{labels},le="+Inf"}}',
        )
        counts[f"{name}:count"] = f"api_request_duration_seconds_count{{{labels}}}"
    return series, counts


_TYPES = {
    "http_requests": "counter",
    "http_request_duration_seconds": "histogram",
    "payment_authorizations": "counter",
    "api_requests": "counter",
    "api_request_duration_seconds": "histogram",
}


def _day_text(samples: list[tuple[str, str, int, int]], services: Services) -> str:
    """OpenMetrics: each family's series together, each series in time order, then # EOF."""
    by_series: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for key, _, at, value in samples:
        by_series[key].append((at, value))
    extra, counts = _service_series(services)
    every = {**_SERIES, **extra}
    counts["count"] = 'http_request_duration_seconds_count{job="shop-api"}'
    out = []
    for family, kind in _TYPES.items():
        out.append(f"# TYPE {family} {kind}")
        for key, (fam, name) in every.items():
            if fam != family:
                continue
            for at, value in by_series.get(key, []):
                out.append(f"{name} {value} {at}")
            if key in counts:
                for at, value in by_series.get(key, []):
                    out.append(f"{counts[key]} {value} {at}")
    out.append("# EOF")
    return "\n".join(out) + "\n"


def write(dataset: Dataset, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in dataset.days.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


PROJECT_YAML = """\
project: shop
name: Shop
owners: ["@sre"]
timezone: Europe/Berlin
metrics:
  source: prometheus
  prometheus:
    url_env: OPS_PROMETHEUS_URL
    timeout_seconds: 10
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        bad: sum(increase(http_requests_total{job="shop-api",code=~"5.."}[{{window}}]))
        total: sum(increase(http_requests_total{job="shop-api"}[{{window}}]))
  - name: checkout-latency
    objective: 99.0
    sli:
      latency:
        histogram: http_request_duration_seconds_bucket
        threshold: "0.5"
        selector: '{job="shop-api"}'
  - name: latency-1s
    objective: 99.5
    sli:
      latency:
        histogram: http_request_duration_seconds_bucket
        threshold: "1.0"
        selector: '{job="shop-api"}'
  - name: payment-authorization
    objective: 99.5
    sli:
      ratio:
        good: >-
          sum(increase(payment_authorizations_total{job="shop-api",
          outcome=~"approved|declined"}[{{window}}]))
        total: sum(increase(payment_authorizations_total{job="shop-api"}[{{window}}]))
"""
