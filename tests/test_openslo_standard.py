"""Standard OpenSLO v1: the official examples, spec-style files and queries, and each refusal."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from checks.errors import OpsError
from checks.main import main
from checks.slo import openslo
from checks.slo.model import Slo

OFFICIAL = Path(__file__).parent / "data/openslo/official"  # see its README: source and commit

PROJECT_YAML = """\
project: shop
name: Shop
owners: ["@sre"]
timezone: UTC
metrics:
  source: mock
"""


def _repo(tmp_path: Path, **files: str) -> Path:
    (tmp_path / "ops/shop/openslo").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / f"ops/shop/openslo/{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "occurences-slo.yaml",
            "occurences-slo.yaml:17: SLO 'search-slo': ops cannot measure it from its metric "
            "source of type 'Any': ops slo measures metric sources of type Prometheus",
        ),
        (
            "ratio-timeslices.yaml",
            "ratio-timeslices.yaml:18: SLO 'main-page': ops cannot measure it from its metric "
            "source of type 'Any'",
        ),
        (
            "timeslices-slo.yaml",
            "timeslices-slo.yaml:18: SLO 'service-availability': ops cannot measure it",
        ),
        (
            "low-traffic-timeslices-slo.yaml",
            "low-traffic-timeslices-slo.yaml:16: SLO 'service-availability': ops cannot measure it",
        ),
    ],
)
def test_official_examples_are_valid_and_ops_slo_says_what_it_cannot_measure(
    tmp_path: Path, name: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path)
    shutil.copy(OFFICIAL / name, repo / "ops/shop/openslo" / name)
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 0
    capsys.readouterr()
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W47"]) == 2
    assert f"ops/shop/openslo/{message}" in capsys.readouterr().err
    assert not (repo / "ops/shop/slo").exists()


SPEC_STYLE = """\
apiVersion: openslo/v1
kind: Service
metadata:
  name: web-shop
spec:
  description: The shop
---
apiVersion: openslo/v1
kind: DataSource
metadata:
  name: prometheus-datasource
spec:
  type: Prometheus
  connectionDetails:
    url: http://prometheus:9090
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata:
  name: on-call
spec:
  target: email
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: fast-burn
spec:
  severity: page
  condition:
    kind: burnrate
    op: gt
    threshold: 14.4
    lookbackWindow: 1h
    alertAfter: 5m
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: page-on-fast-burn
spec:
  alertWhenBreaching: true
  conditions:
    - conditionRef: fast-burn
  notificationTargets:
    - targetRef: on-call
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: api-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        metricSourceRef: prometheus-datasource
        spec:
          query: sum(rate(http_requests_total{code=~"5.."}[5m]))
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(http_requests_total[5m]))
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
spec:
  service: web-shop
  indicatorRef: api-errors
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 4w
      isRolling: true
  objectives:
    - displayName: internal
      target: 0.999
    - targetPercent: 99
  alertPolicies:
    - alertPolicyRef: page-on-fast-burn
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
spec:
  budgetingMethod: Occurrences
  indicator:
    metadata:
      name: checkout-ok
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: checkout_total{outcome="ok"}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(checkout_total)
  objectives:
    - target: 0.99
"""


def test_spec_style_documents_become_slos(tmp_path: Path) -> None:
    repo = _repo(tmp_path, shop=SPEC_STYLE)
    slos = openslo.load(repo, "shop")
    bad = 'sum(increase(http_requests_total{code=~"5.."}[{{window}}]))'
    total = "sum(increase(http_requests_total[{{window}}]))"
    assert [(s.name, s.objective, s.bad, s.total, s.method) for s in slos[:2]] == [
        ("api-availability/internal", Decimal("99.9"), bad, total, "range substitution"),
        ("api-availability/2", Decimal("99"), bad, total, "range substitution"),
    ]
    assert slos[2] == Slo(
        "checkout",
        Decimal("99"),
        "sum(increase(checkout_total[{{window}}]))",
        good='increase(checkout_total{outcome="ok"}[{{window}}])',
        method="counter increase",
    )


def test_the_report_says_which_method_it_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, shop=SPEC_STYLE)
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 0
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W47"]) == 0
    text = (repo / "ops/shop/slo/2026-W47.md").read_text(encoding="utf-8")
    assert (
        "\n\napi-availability/internal: counts from rate() queries by range substitution\n\n"
        "api-availability/2: counts from rate() queries by range substitution\n\n"
        "checkout: counts from counter selectors by increase over the window\n"
    ) in text


def test_window_queries_say_no_method(tmp_path: Path) -> None:
    text = SPEC_STYLE.replace("[5m]", "[{{window}}]").replace("sum(rate(", "sum(increase(")
    slos = openslo.load(_repo(tmp_path, shop=text), "shop")
    assert [s.method for s in slos[:2]] == [None, None]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            (
                "budgetingMethod: Occurrences\n  timeWindow:\n    - duration: 4w\n      "
                "isRolling: true\n  objectives:\n    - displayName: internal\n",
                "budgetingMethod: Timeslices\n  timeWindow:\n    - duration: 4w\n      "
                "isRolling: true\n  objectives:\n    - displayName: internal\n      "
                "timeSliceWindow: 1m\n      timeSliceTarget: 0.9\n",
                "    - targetPercent: 99\n",
                "    - {targetPercent: 99, timeSliceWindow: 1m, timeSliceTarget: 0.9}\n",
            ),
            "shop.yaml:78: SLO 'api-availability/internal' is counted by Timeslices, which the "
            "mock source cannot measure (its numbers are daily counts, without slices): use the "
            "prometheus source (--source prometheus), or budgetingMethod: Occurrences",
            id="timeslices-from-mock",
        ),
        pytest.param(
            (
                "  ratioMetric:\n    counter: true\n    bad:",
                "  thresholdMetric:\n    metricSource:\n      type: Prometheus\n      spec:\n"
                "        query: x\n  unused:\n    bad:",
                "      target: 0.999\n",
                "      target: 0.999\n      op: lt\n      value: 1\n",
                "    - targetPercent: 99\n",
                "    - {targetPercent: 99, op: lt, value: 1}\n",
            ),
            "shop.yaml:77: SLO 'api-availability': a thresholdMetric has no events for "
            "budgetingMethod Occurrences to count; ops slo measures it with budgetingMethod: "
            "Timeslices (a slice is good when its value passes the objective's op and value)",
            id="threshold-metric-occurrences",
        ),
        pytest.param(
            (
                "  ratioMetric:\n    counter: true\n    bad:",
                "  ratioMetric:\n    rawType: success\n    raw:\n      metricSource:\n"
                "        type: Prometheus\n        spec:\n          query: x\n  unused:\n"
                "    bad:",
            ),
            "shop.yaml:79: SLO 'api-availability': a raw ratioMetric has no event counts for "
            "budgetingMethod Occurrences to weigh; ops slo measures it with budgetingMethod: "
            "Timeslices or RatioTimeslices, or give good (or bad) and total queries",
            id="raw-occurrences",
        ),
        pytest.param(
            ("  type: Prometheus\n  connectionDetails", "  type: Datadog\n  connectionDetails"),
            "shop.yaml:57: SLO 'api-availability': ops cannot measure it from its metric source "
            "of type 'Datadog': ops slo measures metric sources of type Prometheus",
            id="datasource-type",
        ),
    ],
)
def test_valid_slos_ops_slo_refuses(
    tmp_path: Path, change: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SPEC_STYLE
    for old, new in zip(change[::2], change[1::2], strict=True):
        assert old in text
        text = text.replace(old, new)
    repo = _repo(tmp_path, shop=text)
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 0
    capsys.readouterr()
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W47"]) == 2
    assert f"ops/shop/openslo/{message}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ("metricSourceRef: prometheus-datasource", "metricSourceRef: nowhere"),
            "shop.yaml:57: metricSourceRef 'nowhere' names no DataSource document in the "
            "project's openslo/ folder; name one, or give the metric source's type",
            id="metric-source-ref",
        ),
        pytest.param(
            ("query: sum(rate(http_requests_total[5m]))", "query: sum(rate(x[5m])) by (a) > 0"),
            "shop.yaml:64: 'sum(rate(x[5m])) by (a) > 0' needs the {{window}} placeholder, or "
            "to be written as rate(<selector>[<range>]) (in sum(...) if need be) for ops to "
            "count the window's events: it has more after character 24: ops rewrites",
            id="comparison",
        ),
        pytest.param(
            ("query: sum(rate(http_requests_total[5m]))", "query: histogram_quantile(0.9, x)"),
            "shop.yaml:64: 'histogram_quantile(0.9, x)' needs the {{window}} placeholder, or to "
            "be written as rate(<selector>[<range>]) (in sum(...) if need be) for ops to count "
            "the window's events: it histogram_quantile is neither",
            id="other-function",
        ),
        pytest.param(
            ("query: sum(rate(http_requests_total[5m]))", "query: rate(x[5m:1m])"),
            "shop.yaml:64: 'rate(x[5m:1m])' needs the {{window}} placeholder",
            id="subquery",
        ),
        pytest.param(
            ("        counter: true\n        good:", "        counter: false\n        good:"),
            "shop.yaml:100: 'checkout_total{outcome=\"ok\"}' needs the {{window}} placeholder, "
            "or to be written as rate(<selector>[<range>]) (in sum(...) if need be) for ops to "
            "count the window's events: it is a bare selector: it counts events only with "
            "counter: true",
            id="bare-selector",
        ),
        pytest.param(
            ("  name: on-call\nspec:\n  target: email", "  name: on-call\nspec:\n  where: email"),
            "shop.yaml:21: $.spec.target: missing required key 'target'",
            id="notification-target",
        ),
        pytest.param(
            (
                "    - conditionRef: fast-burn\n",
                "    - conditionRef: fast-burn\n    - conditionRef: b\n",
            ),
            "shop.yaml:43: $.spec.conditions: has exactly one condition",
            id="one-condition",
        ),
        pytest.param(
            ("kind: Service", "kind: Team"),
            "shop.yaml:2: $.kind: 'Team' is not one of",
            id="kind",
        ),
    ],
)
def test_invalid_documents_name_the_file_and_line(
    tmp_path: Path, change: tuple[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SPEC_STYLE.replace(*change)
    assert text != SPEC_STYLE
    repo = _repo(tmp_path, shop=text)
    with pytest.raises(OpsError):
        openslo.load(repo, "shop")
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    assert f"ops/shop/openslo/{message}" in capsys.readouterr().out


def test_a_name_used_twice_across_objectives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SPEC_STYLE.replace(
        "    - targetPercent: 99\n", "    - displayName: internal\n      target: 0.99\n"
    )
    repo = _repo(tmp_path, shop=text)
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    assert (
        "ops/shop/openslo/shop.yaml:80: the SLO name 'api-availability/internal' is used twice "
        "(ops/shop/openslo/shop.yaml:78)"
    ) in capsys.readouterr().out


def test_slo_rules_for_several_objectives(tmp_path: Path) -> None:
    repo = _repo(tmp_path, shop=SPEC_STYLE)
    out = tmp_path / "rules.yaml"
    argv = ["--root", str(repo), "slo", "rules", "--project", "shop", "--out", str(out)]
    assert main(argv) == 0
    text = out.read_text(encoding="utf-8")
    assert "api-availability/internal" in text
    assert "api-availability/2" in text
    assert 'increase(http_requests_total{code=~"5.."}[' in text


# --- found by the attack review ----------------------------------------------------------------

SLI = """\
apiVersion: openslo/v1
kind: SLI
metadata:
  name: requests
spec:
  ratioMetric:
    counter: true
    good:
      metricSource:
        type: Prometheus
        spec:
          query: {good}
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(x)
"""


def test_an_sli_defined_twice_is_a_problem_not_a_silent_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, f=SLI.format(good='x{o="ok"}'), g=SLI.format(good='y{o="ok"}'))
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert (
        "ops/shop/openslo/g.yaml:4: an SLI named 'requests' is already defined at "
        "ops/shop/openslo/f.yaml:4; rename one"
    ) in out


@pytest.mark.parametrize(
    ("shown", "named"),
    [("Good experience", "api/good-experience"), ('a|b\n"c" ', "api/a-b-c"), ("!!!", "api/2")],
)
def test_a_display_name_becomes_a_slug_in_the_slo_name(shown: str, named: str) -> None:
    objectives = [{"displayName": "first"}, {"displayName": shown}]
    assert openslo._objective_name("api", objectives, 1) == named


@pytest.mark.parametrize(
    "query", ['rate(x{a="{{window}}"}[5m])', "rate(x[5m]) # {{window}}"], ids=["label", "comment"]
)
def test_window_stands_only_as_a_range(query: str) -> None:
    from checks.slo import promql

    with pytest.raises(promql.Unwritable, match=r"outside a range.*it may stand only as"):
        promql.windowed(query, counter=False)


def test_a_window_in_a_comment_does_not_make_a_rate_a_count() -> None:
    """A per-second rate over the week's last 5 minutes was reported as the week's events: the
    comment's [{{window}}] let the query through as written."""
    from checks.slo import promql

    query = 'sum(rate(req_total{code="200"}[5m]))\n# old: sum(increase(req_total[{{window}}]))'
    with pytest.raises(promql.Unwritable, match=r"only in a comment or a label value"):
        promql.windowed(query, counter=False)


def test_code_blanks_comments_and_label_values_only() -> None:
    from checks.slo import promql

    query = 'sum(increase(x{a="{{window}}"}[{{window}}])) # {{window}}\n+ y'
    blanked = promql.code(query)
    assert len(blanked) == len(query) and blanked.count(promql.WINDOW) == 1
    assert blanked.endswith("\n+ y") and "[{{window}}]" in blanked
