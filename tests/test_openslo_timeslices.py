"""The OpenSLO specification's Timeslices examples, measured from a real Prometheus, and each
problem and refusal of time-slice SLOs with its file and line."""

from __future__ import annotations

from pathlib import Path

import promdata
import pytest
import yaml

from checks import document
from checks.main import main

OFFICIAL = Path(__file__).parent / "data/openslo/official"
GOOD = 'sum(rate(http_requests_total{job="shop-api",code="200"}[5m]))'
TOTAL = 'sum(rate(http_requests_total{job="shop-api"}[5m]))'
PROJECT_YAML = promdata.PROJECT_YAML.split("slos:\n")[0]


def _prometheus_version(name: str, *changes: tuple[str, str]) -> str:
    """An official example with its metric sources made Prometheus ones: good and total."""
    text = (OFFICIAL / name).read_text(encoding="utf-8")
    text = text.replace("type: Any", "type: Prometheus")
    text = text.replace("query: Any", f"query: '{GOOD}'", 1).replace(
        "query: Any", f"query: '{TOTAL}'", 1
    )
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    return text


def _repo(tmp_path: Path, text: str, project: str = PROJECT_YAML) -> Path:
    (tmp_path / "ops/shop/openslo").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(project, encoding="utf-8")
    (tmp_path / "ops/shop/openslo/slo.yaml").write_text(text, encoding="utf-8")
    return tmp_path


# The examples' windows: 1w and 1m calendar windows in New York time, which ops cannot count
# (the weekly report is already the calendar week's, in UTC); the data are scraped every 5
# minutes, so 1m slices would have no data: 5m slices here.
WEEKLY = (
    "    - duration: 1w\n      isRolling: false\n",
    "    - duration: 4w\n      isRolling: true\n",
)
CALENDAR = (
    "      calendar:\n        startTime: 2022-01-01 12:00:00\n        timeZone: America/New_York\n",
    "",
)


@pytest.mark.parametrize(
    ("name", "changes", "lines"),
    [
        pytest.param(
            "ratio-timeslices.yaml",
            [("timeSliceWindow: 1m", "timeSliceWindow: 5m")],
            ["main-page: RatioTimeslices: the average of the 5m slices' good/total ratios"],
            id="ratio-timeslices",
        ),
        pytest.param(
            "low-traffic-timeslices-slo.yaml",
            [WEEKLY, CALENDAR, ("timeSliceWindow: 1m", "timeSliceWindow: 5m")],
            [
                "service-availability: Timeslices: good 5m slices over the 5m slices with data, "
                "a slice good when its good/total ratio is above 0.95"
            ],
            id="low-traffic",
        ),
        pytest.param(
            "timeslices-slo.yaml",
            [
                ("    - duration: 1m # Contracts", "    - duration: 1M # Contracts"),
                ("        timeZone: America/New_York", "        timeZone: UTC"),
                ("2022-01-01 12:00:00", "2022-01-01 00:00:00"),
                ("timeSliceWindow: 1m #", "timeSliceWindow: 5m #"),
                ("      timeSliceWindow: 1m\n", "      timeSliceWindow: 5m\n"),
            ],
            [
                "service-availability/internal-objective: Timeslices: good 5m slices over the 5m "
                "slices with data, a slice good when its good/total ratio is above 0.99",
                "service-availability/sla: Timeslices:",
            ],
            id="timeslices",
        ),
    ],
)
def test_the_specifications_timeslices_examples_make_reports(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prometheus,  # type: ignore[no-untyped-def]
    name: str,
    changes: list[tuple[str, str]],
    lines: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPS_PROMETHEUS_URL", prometheus.url)
    repo = _repo(tmp_path, _prometheus_version(name, *changes))
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 0
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W41"]) == 0
    text = (repo / "ops/shop/slo/2026-W41.md").read_text(encoding="utf-8")
    for line in lines:
        assert f"\n{line}" in text
    data = document.parse_front_matter(text).data
    assert {e["total"] for e in data["slos"]} == {2016}
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param(
            "low-traffic-timeslices-slo.yaml",
            "slo.yaml:25: timeWindow: a calendar window of '1w' cannot be counted",
            id="calendar-week",
        ),
        pytest.param(
            "timeslices-slo.yaml",
            "slo.yaml:27: timeWindow: a calendar window of '1m' cannot be counted",
            id="calendar-minute",
        ),
    ],
)
def test_the_examples_windows_ops_cannot_count_are_named(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPS_PROMETHEUS_URL", "http://127.0.0.1:9")  # refused before any query
    repo = _repo(tmp_path, _prometheus_version(name))
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    assert f"ops/shop/openslo/{message}" in capsys.readouterr().out
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W41"]) == 2
    assert f"ops/shop/openslo/{message}" in capsys.readouterr().err


SLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: latency
spec:
  budgetingMethod: Timeslices
  indicator:
    metadata:
      name: p99
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: histogram_quantile(0.99, sum by (le) (rate(x_bucket[{{window}}])))
  objectives:
    - target: 0.99
      op: lt
      value: 0.3
      timeSliceWindow: 5m
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ("timeSliceWindow: 5m", "timeSliceWindow: 1.0e+400"),
            "slo.yaml:20: $.spec.objectives[0].timeSliceWindow: expected a finite number, got "
            "1.0e+400",
            id="slice-infinite",
        ),
        pytest.param(
            ("timeSliceWindow: 5m", "timeSliceWindow: .nan"),
            "slo.yaml:20: $.spec.objectives[0].timeSliceWindow: expected a finite number, got .nan",
            id="slice-nan",
        ),
        pytest.param(
            ("value: 0.3", "value: .inf"),
            "slo.yaml:19: $.spec.objectives[0].value: expected a finite number, got .inf",
            id="value-infinite",
        ),
        pytest.param(
            ("value: 0.3", "value: 100000000000000000000"),
            "slo.yaml:19: YAML error: a number of 21 characters is too large (a record's numbers "
            "fit in 64 bits); quote it if it is text",
            id="value-too-large",
        ),
    ],
)
def test_numbers_ops_cannot_use_are_named_at_their_line(
    tmp_path: Path, change: tuple[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert change[0] in SLO
    repo = _repo(tmp_path, SLO.replace(*change))
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    assert f"ops/shop/openslo/{message}\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ("      timeSliceWindow: 5m\n", ""),
            "slo.yaml:17: this objective needs timeSliceWindow with budgetingMethod Timeslices "
            "of a thresholdMetric (such as timeSliceWindow: 5m)",
            id="no-slice",
        ),
        pytest.param(
            ("      op: lt\n", ""),
            "slo.yaml:17: this objective needs op with budgetingMethod Timeslices of a "
            "thresholdMetric (such as op: lt)",
            id="no-op",
        ),
        pytest.param(
            ("timeSliceWindow: 5m", "timeSliceWindow: 7m"),
            "slo.yaml:20: timeSliceWindow '7m': a slice is 1m to 1d and divides a day evenly",
            id="slice-not-dividing-a-day",
        ),
        pytest.param(
            ("timeSliceWindow: 5m", "timeSliceWindow: 1w"),
            "slo.yaml:20: timeSliceWindow '1w': ops cuts days into slices of seconds, minutes or "
            "hours (1m to 1d)",
            id="slice-of-a-week",
        ),
        pytest.param(
            ("  name: latency\n", "  name: latency\n  annotations:\n    group_by: 'a b'\n"),
            "slo.yaml:6: annotation group_by 'a b': 1 to 10 different Prometheus label names",
            id="group-by",
        ),
        pytest.param(
            ("rate(x_bucket[{{window}}])", "rate(x_bucket{a='{{window}}'}[5m])"),
            "slo.yaml:15: \"histogram_quantile(0.99, sum by (le) (rate(x_bucket{a='{{window}}'}"
            "[5m])))\": {{window}} stands for the slice's length: it has {{window}} outside a "
            "range",
            id="window-outside-a-range",
        ),
    ],
)
def test_time_slice_problems_name_the_file_and_line(
    tmp_path: Path, change: tuple[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert change[0] in SLO
    repo = _repo(tmp_path, SLO.replace(*change))
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    assert f"ops/shop/openslo/{message}" in capsys.readouterr().out


def test_ratio_timeslices_of_a_threshold_metric_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPS_PROMETHEUS_URL", "http://127.0.0.1:9")  # refused before any query
    repo = _repo(tmp_path, SLO.replace("Timeslices", "RatioTimeslices"))
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 0
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W41"]) == 2
    assert (
        "ops/shop/openslo/slo.yaml:6: SLO 'latency': budgetingMethod RatioTimeslices averages "
        "each slice's ratio, and a thresholdMetric has none; use budgetingMethod: Timeslices"
    ) in capsys.readouterr().err


def test_the_file_source_refuses_time_slices_naming_the_slo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = PROJECT_YAML.replace("source: prometheus", "source: file") + (
        "  file:\n    path: exports/{slo}.csv\n"
    )
    repo = _repo(tmp_path, SLO, project)
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W41"]) == 2
    assert (
        "ops/shop/openslo/slo.yaml:4: SLO 'latency' is counted by Timeslices, which the file "
        "source cannot measure (an export holds counts per interval, not the SLO's slices): use "
        "the prometheus source (--source prometheus), or budgetingMethod: Occurrences"
    ) in capsys.readouterr().err
    assert not (repo / "ops/shop/slo").exists()


BARE = SLO.replace(
    "histogram_quantile(0.99, sum by (le) (rate(x_bucket[{{window}}])))", 'lat_p99{service="a"}'
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            BARE.replace("timeSliceWindow: 5m", "timeSliceWindow: 1h"),
            "slo.yaml:15: 'lat_p99{service=\"a\"}' has no {{window}}, so each 1h slice would be "
            "judged by one sample at its end (Prometheus looks back 5m for it) and the rest of "
            "the slice would go unseen: aggregate it over the slice, such as "
            'max_over_time(lat_p99{service="a"}[{{window}}]) (or avg_over_time, or '
            "quantile_over_time(0.99, ...), as meant)",
            id="threshold-gauge",
        ),
        pytest.param(
            SLO.replace(
                "      thresholdMetric:\n        metricSource:\n",
                "      ratioMetric:\n        rawType: failure\n"
                "        raw:\n          metricSource:\n",
            )
            .replace(
                "          type: Prometheus\n          spec:\n            query:",
                "            type: Prometheus\n            spec:\n              query:",
            )
            .replace(
                "histogram_quantile(0.99, sum by (le) (rate(x_bucket[{{window}}])))",
                "sum(rate(e[5m])) / sum(rate(t[5m]))",
            )
            .replace("      op: lt\n      value: 0.3\n", "      timeSliceTarget: 0.99\n")
            .replace("timeSliceWindow: 5m", "timeSliceWindow: 10m"),
            "slo.yaml:17: 'sum(rate(e[5m])) / sum(rate(t[5m]))' has no {{window}}, so each 10m "
            "slice would be judged by one sample at its end (Prometheus looks back 5m for it) and "
            "the rest of the slice would go unseen: aggregate it over the slice, such as "
            "max_over_time((sum(rate(e[5m])) / sum(rate(t[5m])))[{{window}}:])",
            id="raw-ratio",
        ),
    ],
)
def test_a_query_without_window_is_refused_for_slices_longer_than_the_lookback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without {{window}} a slice's value is the one sample at its end: a 1h slice of a gauge
    that was bad for 55 minutes would pass. Refused at the query's line."""
    monkeypatch.setenv("OPS_PROMETHEUS_URL", "http://127.0.0.1:9")  # refused before any query
    repo = _repo(tmp_path, text)
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    assert f"ops/shop/openslo/{message}" in capsys.readouterr().out
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W41"]) == 2
    assert f"ops/shop/openslo/{message}" in capsys.readouterr().err


def test_a_query_without_window_is_a_sample_within_a_5m_slice(tmp_path: Path) -> None:
    repo = _repo(tmp_path, BARE)
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 0


RATIO_SLICES = _prometheus_version(
    "timeslices-slo.yaml",
    ("    - duration: 1m # Contracts", "    - duration: 1M # Contracts"),
    ("        timeZone: America/New_York", "        timeZone: UTC"),
    ("2022-01-01 12:00:00", "2022-01-01 00:00:00"),
    ("timeSliceWindow: 1m #", "timeSliceWindow: 5m #"),
    ("      timeSliceWindow: 1m\n", "      timeSliceWindow: 5m\n"),
)


def test_a_ratio_slices_op_gt_is_honoured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example's first objective says op: gt: a slice is good when its ratio is above
    the target, not at it (it was read as gte); the second has no op: gte."""
    assert RATIO_SLICES.count("op: gt") == 1
    repo = _repo(tmp_path, RATIO_SLICES)
    assert main(["--root", str(repo), "slo", "rules", "--project", "shop"]) == 0
    rules = yaml.safe_load(capsys.readouterr().out)["groups"]
    indicators = [g["rules"][0]["expr"] for g in rules]
    assert [e.rsplit(")", 1)[1] for e in indicators] == [" > bool 0.99", " >= bool 0.99"]


def test_a_ratio_slices_op_lt_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, RATIO_SLICES.replace("op: gt", "op: lte", 1))
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    assert (
        "ops/shop/openslo/slo.yaml:35: op lte: a slice of a ratio is good when its good ratio "
        "is at least (op: gte, the default) or above (op: gt) timeSliceTarget, never below it"
    ) in capsys.readouterr().out


def test_a_window_in_a_comment_is_no_window_for_a_long_slice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A gauge judged by one sample an hour passed validate when the comment under it named
    {{window}}: the placeholder counts only in the query's code."""
    text = BARE.replace("timeSliceWindow: 5m", "timeSliceWindow: 1h").replace(
        'lat_p99{service="a"}',
        "|\n              lat_p99\n              # was: max(max_over_time(lat_p99[{{window}}]))",
    )
    repo = _repo(tmp_path, text)
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    assert "has no {{window}}, so each 1h slice would be judged by one sample" in (
        capsys.readouterr().out
    )
