"""Timeslices, RatioTimeslices and thresholdMetric SLOs against a real Prometheus (2.42,
tests/promserver.py). The expected slice counts are computed here from the generator's
samples (tests/promdata.py), never by running PromQL: a 5m slice ending at t has data when
scrapes stand at t - 5m and t (so its events are those the scrape at t reports) and at least
one event; it is good when its share of good events passes timeSliceTarget."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import promdata
import pytest

from checks import document
from checks.dates import parse_week
from checks.main import main

SLICE = 300
OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability-slices
spec:
  description: Five-minute slices with at most 0.1 % errors
  budgetingMethod: Timeslices
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: errors
    spec:
      ratioMetric:
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum(increase(http_requests_total{job="shop-api",code=~"5.."}[{{window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(increase(http_requests_total{job="shop-api"}[{{window}}]))
  objectives:
    - target: 0.6
      timeSliceTarget: 0.999
      timeSliceWindow: 5m
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: payments-average
spec:
  budgetingMethod: RatioTimeslices
  indicator:
    metadata:
      name: payments
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: >-
                sum(rate(payment_authorizations_total{job="shop-api",
                outcome=~"approved|declined"}[5m]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(payment_authorizations_total{job="shop-api"}[5m]))
  objectives:
    - target: 0.995
      timeSliceWindow: 5m
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: error-rate
spec:
  budgetingMethod: Timeslices
  indicator:
    metadata:
      name: errors-per-second
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: sum(rate(http_requests_total{job="shop-api",code="500"}[{{window}}]))
  objectives:
    - target: 0.9
      op: lte
      value: 0.004
      timeSliceWindow: 5m
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: service-slices
  annotations:
    group_by: service
spec:
  budgetingMethod: Timeslices
  indicator:
    metadata:
      name: service-errors
    spec:
      ratioMetric:
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum by (service) (increase(api_requests_total{code="500"}[{{window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum by (service) (increase(api_requests_total[{{window}}]))
  objectives:
    - target: 0.995
      timeSliceTarget: 0.99
      timeSliceWindow: 5m
"""

PROJECT_YAML = promdata.PROJECT_YAML.split("slos:\n")[0]


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prometheus) -> Path:  # type: ignore[no-untyped-def]
    (tmp_path / "ops/shop/openslo").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    (tmp_path / "ops/shop/openslo/slices.yaml").write_text(OPENSLO, encoding="utf-8")
    monkeypatch.setenv("OPS_PROMETHEUS_URL", prometheus.url)
    return tmp_path


def _slices(start: dt.datetime, end: dt.datetime) -> list[int]:
    """The ends of the 5m slices of [start, end), as Unix seconds."""
    first, last = int(start.timestamp()), int(end.timestamp())
    return list(range(first + SLICE, last + 1, SLICE))


def _scrapes(tally: promdata.Tally) -> set[int]:
    return {*tally.total["availability"], int(promdata.START.timestamp())}


def _ratios(tally: promdata.Tally, slo: str, start: dt.datetime, end: dt.datetime) -> list[float]:
    """Each slice's good/total ratio, for the slices with data, as float division does it."""
    scrapes = _scrapes(tally)
    out = []
    for t in _slices(start, end):
        total = tally.total[slo].get(t, 0)
        if t - SLICE in scrapes and t in scrapes and total > 0:
            bad = total - tally.good[slo][t]
            out.append(1 - bad / total)
    return out


def _errors(tally: promdata.Tally, start: dt.datetime, end: dt.datetime) -> list[int]:
    """Each slice's errors (code 500), for the slices with both scrapes."""
    scrapes = _scrapes(tally)
    good, total = tally.good["availability"], tally.total["availability"]
    return [
        total[t] - good[t] for t in _slices(start, end) if t - SLICE in scrapes and t in scrapes
    ]


def _report(repo: Path, week: str) -> document.Document:
    text = (repo / f"ops/shop/slo/{week}.md").read_text(encoding="utf-8")
    return document.parse_front_matter(text)


def _entries(repo: Path, week: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {e["name"]: e for e in _report(repo, week).data["slos"]}


@pytest.mark.parametrize("week", promdata.WEEKS)
def test_timeslices_count_the_good_slices(shop: Path, prometheus, week: str) -> None:  # type: ignore[no-untyped-def]
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", week]) == 0
    span = parse_week(week)
    ratios = _ratios(prometheus.dataset.tally, "availability", span.start, span.end)
    got = _entries(shop, week)["availability-slices"]
    assert (got["good"], got["total"]) == (sum(r >= 0.999 for r in ratios), len(ratios))
    assert got["total"] == (1944 if week == "2026-W42" else 2016)  # W42: 6 h without scrapes
    status = "PASS" if got["good"] >= 0.6 * got["total"] else "FAIL"
    assert got["status"] == status


def test_a_week_of_5m_slices_is_2016_slices_each_its_own(shop: Path, prometheus) -> None:  # type: ignore[no-untyped-def]
    """The daily figures: each day's slices are its own 288, none shared with the next day."""
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W40"]) == 0
    doc = _report(shop, "2026-W40")
    week = parse_week("2026-W40")
    row = next(x for x in doc.body.splitlines() if x.startswith("| availability-slices % |"))
    cells = [c.strip() for c in row.strip("|").split("|")][1:]
    expected = []
    for start, end in week.days():
        ratios = _ratios(prometheus.dataset.tally, "availability", start, end)
        assert len(ratios) == 288
        share = sum(r >= 0.999 for r in ratios) * 100 / 288
        expected.append(f"{int(share * 10000) / 10000:.4f}".rstrip("0").rstrip("."))
    assert cells == expected


def test_ratio_timeslices_average_the_slices(shop: Path, prometheus) -> None:  # type: ignore[no-untyped-def]
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W43"]) == 0
    week = parse_week("2026-W43")
    ratios = _ratios(prometheus.dataset.tally, "payment-authorization", week.start, week.end)
    got = _entries(shop, "2026-W43")["payments-average"]
    assert got["total"] == len(ratios) == 2016
    assert got["good"] == pytest.approx(sum(ratios), abs=0.001)
    assert got["sli"] == pytest.approx(100 * sum(ratios) / len(ratios), abs=0.0002)
    assert got["status"] == ("PASS" if sum(ratios) / len(ratios) >= 0.995 else "FAIL")


def test_threshold_metric_slices(shop: Path, prometheus) -> None:  # type: ignore[no-untyped-def]
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W43"]) == 0
    week = parse_week("2026-W43")
    errors = _errors(prometheus.dataset.tally, week.start, week.end)
    got = _entries(shop, "2026-W43")["error-rate"]
    # errors per second over the slice at most 0.004: at most one error in five minutes
    assert (got["good"], got["total"]) == (sum(e / SLICE <= 0.004 for e in errors), len(errors))
    assert got["total"] == 2016 and 0 < got["good"] < 2016


def test_per_label_timeslices(shop: Path, prometheus) -> None:  # type: ignore[no-untyped-def]
    """group_by (an annotation in OpenSLO): one SLI per service from its constant rates; search
    has an incident in W43, whose 5m slices (09:45 to 11:30] are bad."""
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W43"]) == 0
    got = _entries(shop, "2026-W43")["service-slices"]
    incident = len([t for t in _slices(*promdata.INCIDENT) if promdata.INCIDENT[0].timestamp() < t])
    assert incident == 21
    groups = {g["labels"]["service"]: (g["good"], g["total"], g["status"]) for g in got["groups"]}
    assert groups == {
        "cart": (2016, 2016, "PASS"),
        "checkout": (2016, 2016, "PASS"),  # one error in 1,000 requests: 99.9 %
        "search": (2016 - incident, 2016, "FAIL"),
    }
    assert (got["good"], got["total"], got["status"]) == (3 * 2016 - incident, 3 * 2016, "FAIL")
    assert got["group_by"] == ["service"]


def test_the_budget_window_is_counted_in_slices(shop: Path, prometheus) -> None:  # type: ignore[no-untyped-def]
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W43"]) == 0
    window = _entries(shop, "2026-W43")["availability-slices"]["budget_window"]
    ratios = _ratios(prometheus.dataset.tally, "availability", promdata.START, promdata.END)
    assert (window["good"], window["total"]) == (sum(r >= 0.999 for r in ratios), 3 * 2016 + 1944)
    assert window["start"] == "2026-09-28T00:00:00Z"
    week = _entries(shop, "2026-W43")["availability-slices"]
    assert window["week_bad"] == week["total"] - week["good"]


def test_the_report_says_how_it_counted_and_validates(shop: Path) -> None:
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W43"]) == 0
    text = (shop / "ops/shop/slo/2026-W43.md").read_text(encoding="utf-8")
    assert (
        "availability-slices: Timeslices: good 5m slices over the 5m slices with data, a slice "
        "good when its good/total ratio is at least 0.999\n"
    ) in text
    assert (
        "payments-average: RatioTimeslices: the average of the 5m slices' good/total ratios "
        "(good is their sum, total the 5m slices with data); each slice's counts from rate() "
        "queries by range substitution\n"
    ) in text
    assert (
        "error-rate: Timeslices: good 5m slices over the 5m slices with data, a slice good when "
        "its value is at most 0.004\n"
    ) in text
    assert main(["--root", str(shop), "validate", "--no-cache"]) == 0


def test_a_week_without_data_is_no_data(shop: Path) -> None:
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W30"]) == 0
    entries = _entries(shop, "2026-W30")
    assert {e["status"] for e in entries.values()} == {"NO_DATA"}
    assert {e["total"] for e in entries.values() if "groups" not in e} == {None}


def _project(repo: Path, monkeypatch: pytest.MonkeyPatch, url: str, openslo: str) -> Path:
    (repo / "ops/shop/openslo").mkdir(parents=True)
    (repo / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    (repo / "ops/shop/openslo/slo.yaml").write_text(openslo, encoding="utf-8")
    monkeypatch.setenv("OPS_PROMETHEUS_URL", url)
    return repo


PAYMENTS_AVERAGE = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: payments-average
spec:
  budgetingMethod: RatioTimeslices
  indicator:
    metadata:
      name: payments
    spec:
      ratioMetric:
        good:
          metricSource:
            type: Prometheus
            spec:
              query: >-
                sum(increase(payment_authorizations_total{outcome=~"approved|declined"}[{{window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(increase(payment_authorizations_total[{{window}}]))
  objectives:
    - targetPercent: %s
      timeSliceWindow: 5m
"""


def test_ratio_timeslices_decide_on_the_exact_sum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prometheus
) -> None:  # type: ignore[no-untyped-def]
    """W40's average is 99.907170 %: rounding its sum to 3 places (2014.129) would make it
    99.907192 %, above an objective of 99.90718 %. The week fails, and validates."""
    week = parse_week("2026-W40")
    ratios = _ratios(prometheus.dataset.tally, "payment-authorization", week.start, week.end)
    exact = 100 * sum(ratios) / len(ratios)
    assert exact < 99.90718 < 100 * round(sum(ratios), 3) / len(ratios)
    repo = _project(tmp_path, monkeypatch, prometheus.url, PAYMENTS_AVERAGE % "99.90718")
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W40"]) == 0
    got = _entries(repo, "2026-W40")["payments-average"]
    assert (got["status"], got["sli"]) == ("FAIL", 99.9071)
    assert got["good"] == pytest.approx(sum(ratios), abs=1e-9)
    text = (repo / "ops/shop/slo/2026-W40.md").read_text(encoding="utf-8")
    assert "| payments-average | 99.90718 % | 99.9071 % | 2,014.129 | 2,016 |" in text
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 0


def test_a_query_ending_in_a_comment_is_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prometheus
) -> None:  # type: ignore[no-untyped-def]
    """A PromQL comment at a query's end would swallow the closing parentheses of the slice
    subquery around it: the query stands on lines of its own, and counts as without it."""
    error_rate = "apiVersion" + OPENSLO.split("---\napiVersion")[2]
    assert "name: error-rate" in error_rate
    query = 'sum(rate(http_requests_total{job="shop-api",code="500"}[{{window}}]))'
    commented = error_rate.replace(
        f"            query: {query}\n",
        "            query: |\n"
        '              sum(rate(http_requests_total{job="shop-api",code="500"}[{{window}}]))\n'
        "              # errors per second\n",
    )
    assert "# errors per second" in commented
    repo = _project(tmp_path, monkeypatch, prometheus.url, commented)
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W43"]) == 0
    week = parse_week("2026-W43")
    errors = _errors(prometheus.dataset.tally, week.start, week.end)
    got = _entries(repo, "2026-W43")["error-rate"]
    assert (got["good"], got["total"]) == (sum(e / SLICE <= 0.004 for e in errors), len(errors))


SILENT = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: latency
spec:
  budgetingMethod: Timeslices
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: errors-per-second
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: >-
              sum(rate(http_requests_total{job="shop-api",code="500"}[{{window}}]))
              and on() (day_of_week() == 1 and hour() == 12 and minute() < 20)
  objectives:
    - target: 0.9
      op: lte
      value: 0.004
      timeSliceWindow: 5m
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: per-service
  annotations:
    group_by: service
spec:
  budgetingMethod: Timeslices
  indicator:
    metadata:
      name: requests-per-second
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: >-
              sum by (service) (rate(api_requests_total[{{window}}]))
              unless on(service)
              (label_replace(vector(1), "service", "search", "", "") and on() hour() >= 1)
  objectives:
    - target: 0.9
      op: lte
      value: 100
      timeSliceWindow: 5m
"""


def test_a_mostly_silent_exporter_is_no_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prometheus
) -> None:  # type: ignore[no-untyped-def]
    """A query that answers in 4 slices of the week (Monday 12:00 to 12:15) passes those 4:
    the other 2,012 had no data, below the 90 % a verdict needs, so the week, its days and its
    budget window are NO_DATA. search answers only from 00:00 to 01:00 (12 slices a day), the
    other services always: search is NO_DATA, so the SLO is."""
    repo = _project(tmp_path, monkeypatch, prometheus.url, SILENT)
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W43"]) == 0
    entries = _entries(repo, "2026-W43")
    latency = entries["latency"]
    assert (latency["status"], latency["good"], latency["total"]) == ("NO_DATA", None, 4)
    assert (latency["budget_window"]["good"], latency["budget_window"]["sli"]) == (None, None)
    groups = {g["labels"]["service"]: g for g in entries["per-service"]["groups"]}
    assert {k: (g["status"], g["total"]) for k, g in groups.items()} == {
        "cart": ("PASS", 2016),
        "checkout": ("PASS", 2016),
        "search": ("NO_DATA", 7 * 12),
    }
    assert entries["per-service"]["status"] == "NO_DATA"
    assert _report(repo, "2026-W43").data["status"] == "NO_DATA"
    text = (repo / "ops/shop/slo/2026-W43.md").read_text(encoding="utf-8")
    assert (
        "\nlatency: 2,012 of 2,016 slices had no data, so it is NO_DATA: a verdict needs data in "
        "at least 90 % of them.\n"
    ) in text
    assert (
        "\nper-service service=search: 1,932 of 2,016 slices had no data, so it is NO_DATA: a "
        "verdict needs data in at least 90 % of them.\n"
    ) in text
    assert (
        "- latency: error budget over the last 28 days (2026-09-28 to 2026-10-25): no data "
        "(8,048 of 8,064 slices had no data, so it is NO_DATA: a verdict needs data in at least "
        "90 % of them).\n"
    ) in text
    assert "| latency % | n/a | n/a | n/a | n/a | n/a | n/a | n/a |" in text
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 0
    # the front matter keeps the slices, so a hand edit to PASS does not follow from it
    from checks.validation import reports

    data = _report(repo, "2026-W43").data
    [index] = [i for i, e in enumerate(data["slos"]) if e["name"] == "latency"]
    assert (data["slos"][index]["slices"], data["slos"][index]["covered"]) == (2016, 4)
    data["slos"][index].update(
        good=4, sli=100.0, error_budget_remaining=1.0, burn_rate=0.0, status="PASS"
    )
    found = dict(reports.check(data))
    assert "'PASS' does not follow from good 4 and total 4" in found[("slos", index, "status")]


def test_a_few_slices_without_data_are_shown_and_keep_the_verdict(shop: Path) -> None:
    """W42 has six hours without scrapes: 72 of its 2,016 slices had no data (96 % covered)."""
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W42"]) == 0
    text = (shop / "ops/shop/slo/2026-W42.md").read_text(encoding="utf-8")
    assert "\navailability-slices: 72 of 2,016 slices had no data.\n" in text
    assert _entries(shop, "2026-W42")["availability-slices"]["status"] in ("PASS", "FAIL")
    assert main(["--root", str(shop), "validate", "--no-cache"]) == 0


THRESHOLD = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: busiest
spec:
  budgetingMethod: Timeslices
  indicator:
    metadata:
      name: requests-per-second
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: %s
  objectives:
    - target: 0.9
      op: lte
      value: 100
      timeSliceWindow: 5m
"""


@pytest.mark.parametrize(
    ("query", "annotation", "message"),
    [
        pytest.param(
            "sum by (service) (rate(api_requests_total[{{window}}]))",
            "",
            "ops/shop/openslo/slo.yaml:4: SLO 'busiest': the query 'sum by (service) "
            "(rate(api_requests_total[{{window}}]))', in each time slice, answers 3 series "
            "(service=cart, checkout, search); an SLO needs one: aggregate them in the query as "
            "the threshold means (max(...) for a latency), or set group_by: [service] for one "
            "SLI per group\n",
            id="several-series",
        ),
        pytest.param(
            "sum by (service) (rate(api_requests_total[{{window}}]))",
            "  annotations:\n    group_by: region\n",
            "ops/shop/openslo/slo.yaml:4: SLO 'busiest': the query 'sum by (service) "
            "(rate(api_requests_total[{{window}}]))', in each time slice, answers a series with "
            "labels not in group_by (service) and no region label: {service=",
            # (one of the services); with group_by: [region] each series carries exactly those
            # labels: aggregate with max by (region) (...)
            id="not-group-by-labels",
        ),
        pytest.param(
            "nosuchfunction(api_requests_total[{{window}}])",
            "",
            "ops/shop/openslo/slo.yaml:4: SLO 'busiest': Prometheus at {url}/api/v1/query "
            "refused the query of the 5m slices of 'nosuchfunction(api_requests_total"
            "[{{window}}])': bad_data: ",
            id="refused",
        ),
    ],
)
def test_a_query_whose_answer_ops_cannot_use_is_named_at_its_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prometheus,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
    query: str,
    annotation: str,
    message: str,
) -> None:
    """Messages name the user's query (never ops's subquery of it) at the SLO's line, with
    advice that fits a threshold metric."""
    text = (THRESHOLD % query).replace("  name: busiest\n", "  name: busiest\n" + annotation, 1)
    repo = _project(tmp_path, monkeypatch, prometheus.url, text)
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W43"]) == 2
    err = capsys.readouterr().err
    assert message.replace("{url}", prometheus.url) in err
    assert "_over_time" not in err
    if annotation:
        assert err.endswith(
            "}; with group_by: [region] each series carries exactly those labels: aggregate "
            "with max by (region) (...)\n"
        )


def test_the_mock_source_refuses_group_by_at_the_slos_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    grouped = "apiVersion" + OPENSLO.split("---\napiVersion")[3]
    assert "group_by: service" in grouped
    grouped = grouped.replace("budgetingMethod: Timeslices", "budgetingMethod: Occurrences")
    repo = _project(tmp_path, monkeypatch, "http://127.0.0.1:9", grouped)
    args = ["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W43"]
    assert main([*args, "--source", "mock"]) == 2
    assert (
        "ops/shop/openslo/slo.yaml:4: SLO 'service-slices' has group_by, which the mock source "
        "cannot measure"
    ) in capsys.readouterr().err


A = (
    'sum(increase(http_requests_total{job="shop-api",code!~"5.."}[{{window}}])) / '
    'sum(increase(http_requests_total{job="shop-api"}[{{window}}]))'
)
OVER_ONE = f"""\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: raw-average
spec:
  budgetingMethod: RatioTimeslices
  indicator:
    metadata:
      name: raw
    spec:
      ratioMetric:
        rawType: success
        raw:
          metricSource:
            type: Prometheus
            spec:
              query: '({A}) * 1.2 and on() (hour() < 12) or ({A}) * 0.79'
  objectives:
    - target: 0.99
      timeSliceWindow: 5m
"""


def test_a_slice_ratio_above_1_counts_as_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prometheus
) -> None:  # type: ignore[no-untyped-def]
    """A raw ratio 1.2 times the good share from 00:00 to 12:00 and 0.79 times it after:
    averaged as written it is about 0.995 (a PASS at 99 %); a slice's ratio is at most 1,
    so the average is about 0.895, a FAIL."""
    repo = _project(tmp_path, monkeypatch, prometheus.url, OVER_ONE)
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W40"]) == 0
    week = parse_week("2026-W40")
    tally = prometheus.dataset.tally
    ends = _slices(week.start, week.end)
    ratios = _ratios(tally, "availability", week.start, week.end)
    assert len(ratios) == len(ends) == 2016  # W40: every slice has data
    hours = [dt.datetime.fromtimestamp(t, dt.UTC).hour for t in ends]
    raw = [r * 1.2 if h < 12 else r * 0.79 for r, h in zip(ratios, hours, strict=True)]
    assert sum(raw) / 2016 > 0.99
    got = _entries(repo, "2026-W40")["raw-average"]
    assert got["good"] == pytest.approx(sum(min(v, 1.0) for v in raw), abs=1e-6)
    assert got["status"] == "FAIL"
