"""OpenSLO AlertPolicies as the SLO's alerts in ``ops slo rules``, and the rules of Timeslices
SLOs: promtool check rules, and promtool test rules that fire and clear each alert."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_slo_rules import promtool

from checks.main import main

PROJECT_YAML = """\
project: shop
name: Shop
owners: ["@sre"]
timezone: UTC
metrics:
  source: mock
"""

SLI = """\
    spec:
      ratioMetric:
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum(increase(http_requests_total{code="500"}[{{window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(increase(http_requests_total[{{window}}]))
"""

OPENSLO = f"""\
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
kind: AlertNotificationTarget
metadata:
  name: on-call
spec:
  target: pager
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: page-fast
spec:
  conditions:
    - conditionRef: fast-burn
  notificationTargets:
    - targetRef: on-call
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
  annotations:
    runbook: https://runbooks.example.com/availability
spec:
  budgetingMethod: Occurrences
  indicator:
    metadata:
      name: errors
{SLI}  objectives:
    - target: 0.999
  alertPolicies:
    - alertPolicyRef: page-fast
    - kind: AlertPolicy
      metadata:
        name: ticket-slow
      spec:
        conditions:
          - kind: AlertCondition
            metadata:
              name: slow-burn
            spec:
              severity: ticket
              condition:
                kind: burnrate
                op: gte
                threshold: 6
                lookbackWindow: 6h
        notificationTargets: []
"""

TIMESLICES = OPENSLO.split("---\napiVersion: openslo/v1\nkind: SLO")[0] + (
    f"""\
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: slices
spec:
  budgetingMethod: Timeslices
  indicator:
    metadata:
      name: errors
{SLI}  objectives:
    - target: 0.99
      timeSliceTarget: 0.99
      timeSliceWindow: 5m
  alertPolicies:
    - alertPolicyRef: page-fast
"""
)

# 1,000 good requests a minute; 100 errors a minute from minute 181 to 240
INPUT = [
    {"series": 'http_requests_total{code="200"}', "values": "0+1000x400"},
    {"series": 'http_requests_total{code="500"}', "values": "0+0x180 100+100x59 6000+0x160"},
]


def _repo(tmp_path: Path, text: str) -> Path:
    repo = tmp_path / "repo"
    (repo / "ops/shop/openslo").mkdir(parents=True)
    (repo / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    (repo / "ops/shop/openslo/slo.yaml").write_text(text, encoding="utf-8")
    return repo


def _rules(tmp_path: Path, text: str) -> list[dict[str, Any]]:
    repo = _repo(tmp_path, text)
    out = tmp_path / "rules.yml"
    assert main(["--root", str(repo), "slo", "rules", "--project", "shop", "--out", str(out)]) == 0
    done = subprocess.run(
        [promtool(), "check", "rules", str(out)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rules: list[dict[str, Any]] = yaml.safe_load(out.read_text(encoding="utf-8"))["groups"][0][
        "rules"
    ]
    return rules


def _test(
    tmp_path: Path,
    checks: list[tuple[str, list[dict[str, Any]]]],
    inputs: list[dict[str, str]] = INPUT,
) -> None:
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": inputs,
                "alert_rule_test": [
                    {
                        "eval_time": at,
                        "alertname": "ErrorBudgetBurn",
                        "exp_alerts": [
                            {"exp_labels": a["labels"], "exp_annotations": a["annotations"]}
                            for a in firing
                        ],
                    }
                    for at, firing in checks
                ],
            }
        ],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False), encoding="utf-8")
    done = subprocess.run(
        [promtool(), "test", "rules", str(tmp_path / "tests.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_alert_policies_replace_the_default_alerts(tmp_path: Path) -> None:
    rules = _rules(tmp_path, OPENSLO)
    records = [r["record"] for r in rules if "record" in r]
    assert records == [f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "6h")]
    page, ticket = (r for r in rules if "alert" in r)
    assert page["for"] == "5m" and "for" not in ticket
    assert page["labels"] == {
        "severity": "page",
        "long": "1h",
        "short": "5m",
        "project": "shop",
        "slo": "availability",
    }
    assert (ticket["labels"]["severity"], ticket["labels"]["long"], ticket["labels"]["short"]) == (
        "ticket",
        "6h",
        "30m",
    )
    assert " > (14.4 * 0.001)" in page["expr"] and " >= (6 * 0.001)" in ticket["expr"]
    assert page["annotations"]["slo_definition"] == "ops/shop/openslo/slo.yaml:34"
    assert page["annotations"]["alert_condition"] == "ops/shop/openslo/slo.yaml:7"
    assert ticket["annotations"]["alert_condition"] == "ops/shop/openslo/slo.yaml:68"
    assert page["annotations"]["runbook_url"] == "https://runbooks.example.com/availability"


def test_the_policy_alerts_fire_and_clear(tmp_path: Path) -> None:
    """From minute 181, 9 % of requests fail. The page condition (1h and 5m over 1.44 %) holds
    from minute 189 and fires 5 minutes later (alertAfter); the ticket (6h and 30m at least
    0.6 %, no alertAfter) fires from minute 192. The errors stop at minute 240: the page
    clears once its 5m window is clean, the ticket once its 30m window is."""
    rules = _rules(tmp_path, OPENSLO)
    page, ticket = (r for r in rules if "alert" in r)
    _test(
        tmp_path,
        [("170m", []), ("190m", []), ("200m", [page, ticket]), ("250m", [ticket]), ("280m", [])],
    )


def test_timeslice_rules_fire_and_clear(tmp_path: Path) -> None:
    """A Timeslices SLO: the slice indicator is recorded every evaluation, and the share of
    bad slices is 1 - its average over each window. Each 5m slice with more than 1 % errors
    is bad from minute 181 to 244: over 14.4 % of the last hour's slices are bad from minute
    189, so the page fires from minute 194 and clears once the last 5m are good again."""
    rules = _rules(tmp_path, TIMESLICES)
    assert rules[0]["record"] == "slo:timeslice_good:ratio_rate5m"
    assert rules[0]["expr"].endswith(">= bool 0.99")
    assert rules[1] == {  # a window of one slice: the last slice's verdict
        "record": "slo:sli_error:ratio_rate5m",
        "expr": '1 - slo:timeslice_good:ratio_rate5m{project="shop",slo="slices"}',
        "labels": {"project": "shop", "slo": "slices"},
    }
    assert rules[2]["expr"] == (  # the slices that lie within the last hour
        '1 - avg_over_time(slo:timeslice_good:ratio_rate5m{project="shop",slo="slices"}[55m])'
    )
    (page,) = (r for r in rules if "alert" in r)
    assert "of slices were bad" in page["annotations"]["description"]
    _test(tmp_path, [("185m", []), ("200m", [page]), ("230m", [page]), ("260m", [])])


def test_an_slo_without_alert_policies_keeps_the_default_pairs(tmp_path: Path) -> None:
    text = OPENSLO.split("  alertPolicies:\n")[0]
    rules = _rules(tmp_path, text)
    windows = [(r["labels"]["long"], r["labels"]["short"]) for r in rules if "alert" in r]
    assert windows == [("1h", "5m"), ("6h", "30m"), ("1d", "2h"), ("3d", "6h")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ("    - alertPolicyRef: page-fast", "    - alertPolicyRef: nowhere"),
            "ops/shop/openslo/slo.yaml:57: alertPolicyRef 'nowhere' names no AlertPolicy "
            "document in ops/shop/openslo/",
            id="policy-ref",
        ),
        pytest.param(
            ("    - conditionRef: fast-burn", "    - conditionRef: nowhere"),
            "ops/shop/openslo/slo.yaml:27: conditionRef 'nowhere' names no AlertCondition "
            "document in ops/shop/openslo/",
            id="condition-ref",
        ),
        pytest.param(
            ("    - kind: AlertPolicy\n", "    - kind: Policy\n"),
            "ops/shop/openslo/slo.yaml:58: an alert policy is an alertPolicyRef, or an "
            "AlertPolicy written inline",
            id="inline-kind",
        ),
    ],
)
def test_a_policy_or_condition_that_is_not_there_is_a_validate_problem(
    tmp_path: Path, change: tuple[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert change[0] in OPENSLO
    repo = _repo(tmp_path, OPENSLO.replace(*change))
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    assert message in capsys.readouterr().out
    assert main(["--root", str(repo), "slo", "rules", "--project", "shop"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ("    op: gt\n    threshold: 14.4", "    op: lt\n    threshold: 14.4"),
            "ops/shop/openslo/slo.yaml:7: AlertCondition 'fast-burn' (AlertPolicy 'page-fast'): "
            "op lt: ops slo rules writes alerts that fire while the error budget burns faster "
            "than the threshold (op: gt or gte), not slower",
            id="op-lt",
        ),
        pytest.param(
            ("    lookbackWindow: 1h", "    lookbackWindow: 1M"),
            "ops/shop/openslo/slo.yaml:7: AlertCondition 'fast-burn' (AlertPolicy 'page-fast'): "
            "lookbackWindow '1M': ops writes it as the long window and 1/12 of it as the short "
            "window (the SRE workbook's ratio)",
            id="lookback-month",
        ),
        pytest.param(
            (
                "                lookbackWindow: 6h",
                "                lookbackWindow: 6h\n                alertAfter: soon",
            ),
            "ops/shop/openslo/slo.yaml:68: AlertCondition 'slow-burn' (AlertPolicy "
            "'ticket-slow'): alertAfter 'soon': a duration in seconds to weeks, such as 5m",
            id="alert-after",
        ),
        pytest.param(
            ("threshold: 14.4", "threshold: 1500"),
            "ops/shop/openslo/slo.yaml:34: SLO 'availability' (objective 99.9 %): the page alert "
            "1h/5m at 1500 times the budget of 0.1 % would need more than all events to be bad, "
            "so it could never fire; lower its factor (the threshold of the AlertCondition at "
            "ops/shop/openslo/slo.yaml:7)",
            id="threshold-too-high",
        ),
        pytest.param(
            ("                lookbackWindow: 6h", "                lookbackWindow: 1h"),
            "ops/shop/openslo/slo.yaml:68: AlertCondition 'slow-burn' (AlertPolicy "
            "'ticket-slow'): the lookbackWindow 1h and severity ticket",
            id="same-windows",
        ),
    ],
)
def test_conditions_ops_cannot_write_are_refused_with_file_and_line(
    tmp_path: Path, change: tuple[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = OPENSLO.replace(*change)
    if "severity ticket" in message:  # the same windows and severity
        text = text.replace("severity: ticket", "severity: page")
        message = message.replace("severity ticket", "severity page")
    assert text != OPENSLO
    repo = _repo(tmp_path, text)
    assert main(["--root", str(repo), "slo", "rules", "--project", "shop"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


COMMENTED = TIMESLICES.replace(
    '              query: sum(increase(http_requests_total{code="500"}[{{window}}]))\n',
    "              query: |\n"
    '                sum(increase(http_requests_total{code="500"}[{{window}}]))\n'
    "                # errors: code 500 only\n",
)


def test_a_query_ending_in_a_comment_gives_rules_promtool_accepts(tmp_path: Path) -> None:
    """A PromQL comment at a query's end runs to the end of its line: the slice indicator puts
    each query on lines of its own, so the rules load and still fire and clear."""
    assert COMMENTED.count("# errors") == 1
    rules = _rules(tmp_path, COMMENTED)
    assert "# errors: code 500 only\n" in rules[0]["expr"]
    (page,) = (r for r in rules if "alert" in r)
    _test(tmp_path, [("185m", []), ("200m", [page]), ("230m", [page]), ("260m", [])])


def test_rules_that_would_not_parse_are_never_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = TIMESLICES.replace(
        'query: sum(increase(http_requests_total{code="500"}[{{window}}]))',
        'query: sum(increase(http_requests_total{code="500"}[{{window}}])',
    )
    repo = _repo(tmp_path, text)
    out = tmp_path / "rules.yml"
    assert main(["--root", str(repo), "slo", "rules", "--project", "shop", "--out", str(out)]) == 2
    assert (
        "ops/shop/openslo/slo.yaml:34: SLO 'slices': the expression of its rule "
        "slo:timeslice_good:ratio_rate5m would not parse ('(' is not closed): check the "
        "brackets and quotes of its queries"
    ) in capsys.readouterr().err
    assert not out.exists()


DAILY = TIMESLICES.split("  alertPolicies:")[0].replace(
    "timeSliceWindow: 5m", "timeSliceWindow: 1d"
)


def test_a_day_slice_alert_clears_within_a_slice_after_the_burn_stops(tmp_path: Path) -> None:
    """1d slices: every window shorter than a day is raised to a day, so the workbook's two
    page pairs are one alert (1d/1d, the lower factor, 6) and its tickets 1d/1d and 3d/1d.
    Errors are 100 % from minute 2880 to 2910 (2.1 % of a day's requests: the trailing day is
    a bad slice); the alerts fire at once and clear once the trailing day no longer holds the
    burn (before 3d0h35m), where a 5m short window over the day's verdict kept the page firing
    until a whole day after, and a 1d window over it for almost two."""
    rules = _rules(tmp_path, DAILY)
    alerts = [r for r in rules if "alert" in r]
    assert [
        (a["labels"]["severity"], a["labels"]["long"], a["labels"]["short"]) for a in alerts
    ] == [
        ("page", "1d", "1d"),
        ("ticket", "1d", "1d"),
        ("ticket", "3d", "1d"),
    ]
    page = alerts[0]
    assert " > (6 * 0.01)" in page["expr"]
    assert page["annotations"]["description"].endswith(
        "The short window is one 1d slice (no window is shorter than the SLO's slice): the "
        "alert clears once a slice without the burn has passed."
    )
    burst = [
        {"series": 'http_requests_total{code="500"}', "values": "0+0x2880 0+1000x30 30000+0x1500"},
        {
            "series": 'http_requests_total{code="200"}',
            "values": "0+1000x2880 2880000+0x30 2880000+1000x1500",
        },
    ]
    _test(
        tmp_path,
        [("2d", []), ("2d1h", alerts), ("3d", alerts), ("3d35m", [])],
        burst,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ("    kind: burnrate\n    op: gt", "    kind: burnrate\n    op: bigger"),
            "ops/shop/openslo/slo.yaml:9: $.spec.condition.op: 'bigger' is not one of: lte, "
            "gte, lt, gt\n",
            id="condition",
        ),
        pytest.param(
            ("  conditions:\n    - conditionRef: fast-burn\n", "  conditions: nope\n"),
            "ops/shop/openslo/slo.yaml:26: $.spec.conditions: expected a list, got 'nope'\n",
            id="policy",
        ),
    ],
)
def test_a_policy_or_condition_that_fails_the_schema_is_reported_once(
    tmp_path: Path, change: tuple[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its schema problem, not also "names no AlertPolicy/AlertCondition" where it is named."""
    assert change[0] in OPENSLO
    repo = _repo(tmp_path, OPENSLO.replace(*change))
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert message in out
    assert "names no" not in out and "1 error in 1 file" in out


def test_alert_after_0m_is_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """OpenSLO's default alertAfter, written out: valid, and an alert without for:."""
    text = OPENSLO.replace("    alertAfter: 5m", "    alertAfter: 0m")
    assert main(["--root", str(_repo(tmp_path, text)), "validate", "--no-cache"]) == 0
    page, _ = (r for r in _rules(tmp_path / "rules", text) if "alert" in r)
    assert "for" not in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ("    - alertPolicyRef: page-fast\n", "    - alertPolicyRef: page-fast\n" * 2),
            "ops/shop/openslo/slo.yaml:58: alertPolicyRef 'page-fast' is listed twice (also at "
            "line 57); list each policy once",
            id="policy-listed-twice",
        ),
        pytest.param(
            (
                "---\napiVersion: openslo/v1\nkind: AlertNotificationTarget",
                "---\n"
                + OPENSLO.split("---\n")[0]
                + "---\napiVersion: openslo/v1\nkind: AlertNotificationTarget",
            ),
            "ops/shop/openslo/slo.yaml:17: an AlertCondition named 'fast-burn' is already "
            "defined at ops/shop/openslo/slo.yaml:4; rename one",
            id="condition-defined-twice",
        ),
    ],
)
def test_a_policy_or_condition_given_twice_says_so(
    tmp_path: Path, change: tuple[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert change[0] in OPENSLO
    repo = _repo(tmp_path, OPENSLO.replace(*change, 1))
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    assert message in capsys.readouterr().out
    assert main(["--root", str(repo), "slo", "rules", "--project", "shop"]) == 2
    assert message in capsys.readouterr().err


def test_a_huge_threshold_is_shown_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, OPENSLO.replace("threshold: 14.4", "threshold: 1.0e+300"))
    assert main(["--root", str(repo), "slo", "rules", "--project", "shop"]) == 2
    assert (
        "ops/shop/openslo/slo.yaml:34: SLO 'availability' (objective 99.9 %): the page alert "
        "1h/5m at 1e+300 times the budget of 0.1 % would need more than all events to be bad"
    ) in capsys.readouterr().err


def test_a_ratio_timeslices_alert_says_what_it_measures(tmp_path: Path) -> None:
    """RatioTimeslices averages the slices' ratios: no slice is good or bad."""
    rules = _rules(
        tmp_path,
        TIMESLICES.replace("budgetingMethod: Timeslices", "budgetingMethod: RatioTimeslices"),
    )
    assert "clamp(" in rules[0]["expr"]
    (page,) = (r for r in rules if "alert" in r)
    assert page["annotations"]["description"].startswith(
        "Over the last 1h and the last 5m, the slices' good ratios averaged more than 14.4 % "
        "below 100 %: 14.4 times the error budget of 1 % of SLO slices (objective 99 %)."
    )
