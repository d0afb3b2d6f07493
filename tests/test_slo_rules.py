"""ops slo rules: Prometheus recording and burn-rate alerting rules from the SLOs, checked by
promtool (check rules, and test rules on synthetic series that fire and clear each alert)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from checks.main import main

REPO = Path(__file__).resolve().parent.parent
RUNBOOK = "https://runbooks.example.com/shop/availability"
PROJECT_YAML = f"""\
project: shop
name: Shop
owners: ["@sre"]
timezone: UTC
slos:
  - name: availability
    objective: 99.9
    runbook: {RUNBOOK}
    sli:
      ratio:
        bad: sum(increase(http_requests_total{{job="api",code=~"5.."}}[{{{{window}}}}]))
        total: sum(increase(http_requests_total{{job="api"}}[{{{{window}}}}]))
"""
CUSTOM = """\
slo_alerts:
  page:
    - {long: 30m, short: 5m, factor: 10}
  ticket:
    - {long: 12h, short: 1h, factor: 2}
"""
OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: payments
  annotations:
    runbook: https://runbooks.example.com/shop/payments
spec:
  budgetingMethod: Occurrences
  objectives:
    - targetPercent: 99.5
  indicator:
    metadata: {name: payments-ok}
    spec:
      ratioMetric:
        good:
          metricSource:
            type: Prometheus
            spec: {query: 'sum(increase(payments_total{outcome="ok"}[{{window}}]))'}
        total:
          metricSource:
            type: Prometheus
            spec: {query: 'sum(increase(payments_total[{{window}}]))'}
"""


def promtool() -> str:
    """promtool's path; without it the tests skip, except in CI (CI set), where they fail."""
    found = shutil.which("promtool")
    if found is None:
        why = "promtool is needed (Debian: apt-get install prometheus; `make test` installs it)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return found


def make_repo(tmp_path: Path, extra: str = "", openslo: str | None = None) -> Path:
    (tmp_path / "ops/shop").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(PROJECT_YAML + extra, encoding="utf-8")
    if openslo is not None:
        (tmp_path / "ops/shop/openslo").mkdir()
        (tmp_path / "ops/shop/openslo/payments.yaml").write_text(openslo, encoding="utf-8")
    return tmp_path


def rules_of(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["--root", str(repo), "slo", "rules", "--project", "shop", *args]) == 0
    out = capsys.readouterr().out
    return out


def run_promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )


# --- the sample project and the file's structure ---------------------------------------------


def test_the_sample_project_gives_rules_promtool_accepts(tmp_path: Path) -> None:
    out = tmp_path / "checkout.rules.yml"
    code = main(["--root", str(REPO), "slo", "rules", "--project", "checkout", "--out", str(out)])
    assert code == 0
    done = run_promtool("check", "rules", out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 33 rules found" in done.stdout  # 3 SLOs x (7 windows + 4 alerts)


def test_the_rules_of_one_slo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = rules_of(make_repo(tmp_path), capsys)
    assert text.startswith(
        "# Prometheus rules for the SLOs of project shop, written by "
        "`ops slo rules --project shop`.\n"
    )
    (group,) = yaml.safe_load(text)["groups"]
    assert group["name"] == "ops-slo-shop-availability"
    records = [r for r in group["rules"] if "record" in r]
    assert [r["record"] for r in records] == [
        f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    ]
    assert records[2] == {
        "record": "slo:sli_error:ratio_rate1h",
        "expr": 'sum(\n  sum(increase(http_requests_total{job="api",code=~"5.."}[1h]))\n)\n'
        '/\nsum(\n  sum(increase(http_requests_total{job="api"}[1h]))\n)',
        "labels": {"project": "shop", "slo": "availability"},
    }
    alerts = [r for r in group["rules"] if "alert" in r]
    assert [
        (a["labels"]["severity"], a["labels"]["long"], a["labels"]["short"]) for a in alerts
    ] == [
        ("page", "1h", "5m"),
        ("page", "6h", "30m"),
        ("ticket", "1d", "2h"),
        ("ticket", "3d", "6h"),
    ]
    assert alerts[0] == {
        "alert": "ErrorBudgetBurn",
        "expr": 'slo:sli_error:ratio_rate1h{project="shop",slo="availability"} > (14.4 * 0.001)\n'
        "and\n"
        'slo:sli_error:ratio_rate5m{project="shop",slo="availability"} > (14.4 * 0.001)',
        "labels": {
            "severity": "page",
            "long": "1h",
            "short": "5m",
            "project": "shop",
            "slo": "availability",
        },
        "annotations": {
            "summary": "shop availability: the error budget burns 14.4 times too fast",
            "description": "Over the last 1h and the last 5m, more than 1.44 % of events were "
            "bad: 14.4 times the error budget of 0.1 % of SLO availability (objective 99.9 %). "
            "At this rate the week's error budget lasts 11.7 hours.",
            "runbook_url": RUNBOOK,
            "slo_definition": "ops/shop/project.yaml:6",
        },
    }
    assert alerts[3]["annotations"]["description"].endswith("budget lasts 7.0 days.")


def test_good_events_and_openslo_runbooks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = rules_of(make_repo(tmp_path, openslo=OPENSLO), capsys)
    groups = yaml.safe_load(text)["groups"]
    assert [g["name"] for g in groups] == ["ops-slo-shop-availability", "ops-slo-shop-payments"]
    payments = groups[1]["rules"]
    assert payments[0]["expr"] == (
        "(\n"
        "  sum(\n    sum(increase(payments_total[5m]))\n  )\n"
        "  -\n"
        "  (\n"
        '    sum(\n      sum(increase(payments_total{outcome="ok"}[5m]))\n    )\n'
        "    or\n"
        "    sum(\n      sum(increase(payments_total[5m]))\n    ) * 0\n"
        "  )\n"
        ")\n"
        "/\n"
        "sum(\n  sum(increase(payments_total[5m]))\n)"
    )
    assert payments[-1]["annotations"] == {
        "summary": "shop payments: the error budget burns 1 times too fast",
        "description": "Over the last 3d and the last 6h, more than 0.5 % of events were bad: "
        "1 times the error budget of 0.5 % of SLO payments (objective 99.5 %). At this rate the "
        "week's error budget lasts 7.0 days.",
        "runbook_url": "https://runbooks.example.com/shop/payments",
        "slo_definition": "ops/shop/openslo/payments.yaml:4",
    }


def test_the_output_is_the_same_every_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path, CUSTOM, OPENSLO)
    first = rules_of(repo, capsys)
    assert rules_of(repo, capsys) == first
    out = tmp_path / "rules.yml"
    rules_of(repo, capsys, "--out", str(out))
    assert out.read_bytes() == first.encode()


def test_a_template_in_a_runbook_url_is_kept_as_text(tmp_path: Path) -> None:
    """Prometheus expands annotations as Go templates: a runbook URL (which the schemas already
    keep to URLs) is written so that it expands to itself, never running a template."""
    from checks.slo import rules
    from checks.slo.model import Slo

    url = 'https://runbooks.example.com/{{ query "up" }}'
    slo = Slo(
        "availability",
        Decimal("99.9"),
        'sum(increase(http_requests_total{job="api"}[{{window}}]))',
        bad='sum(increase(http_requests_total{job="api",code=~"5.."}[{{window}}]))',
    )
    definition = rules.Definition(slo, "ops/shop/project.yaml", 6, url)
    text = rules.generate("shop", [definition], rules.DEFAULT_PAIRS)
    (tmp_path / "rules.yml").write_text(text, encoding="utf-8")
    pairs = parse_pairs("")
    assert yaml.safe_load(text)["groups"][0]["rules"][-1]["annotations"]["runbook_url"] == (
        'https://runbooks.example.com/{{ "{{" }} query "up" }}'
    )
    test = unit_test(
        yaml.safe_load(text), pairs, pairs[0], scenarios(pairs[0], 4320)["burning"], url
    )
    assert run_tests(tmp_path, test, step_of(pairs[0])).returncode == 0


# --- the command line --------------------------------------------------------------------------


def test_out_replaces_the_file_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "repo")
    out = tmp_path / "deploy/rules.yml"
    out.parent.mkdir()
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o640)
    assert rules_of(repo, capsys, "--out", str(out)) == ""
    assert out.read_text(encoding="utf-8").startswith("# Prometheus rules")
    assert out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in out.parent.iterdir()) == ["rules.yml"]  # no temporary left


@pytest.mark.parametrize(
    ("where", "kept"),
    [
        pytest.param("ops/shop/rules.yml", "ops", id="ops"),
        pytest.param("evidence/phase6/rules.yml", "evidence", id="evidence"),
        pytest.param("templates/rules.yml", "templates", id="templates"),
    ],
)
def test_out_is_refused_inside_the_repositorys_own_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, kept: str
) -> None:
    repo = make_repo(tmp_path)
    target = repo / where
    code = main(["--root", str(repo), "slo", "rules", "--project", "shop", "--out", str(target)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"ops: error: --out {target}: inside {kept}, which holds the repository's own files; "
        "write it elsewhere (for example $RUNNER_TEMP)\n"
    )
    assert not target.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--week", "2026-W47"], "--week is an option of the weekly report", id="week"),
        pytest.param(["--post"], "--post is an option of the weekly report", id="post"),
        pytest.param(["--format", "json"], "--format is an option of the weekly report", id="fmt"),
        pytest.param(["--as-of", "2026-11-23"], "--as-of is an option of the weekly", id="as-of"),
        pytest.param(["--out", "-"], "--out -: leave --out out to print the rules", id="dash"),
    ],
)
def test_report_options_are_refused_with_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    repo = make_repo(tmp_path)
    assert main(["--root", str(repo), "slo", "rules", "--project", "shop", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"ops: error: {message}")


def test_out_without_rules_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    assert main(["--root", str(repo), "slo", "--project", "shop", "--out", "x.yml"]) == 2
    assert "--out is an option of ops slo rules" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "replace", "message"),
    [
        pytest.param(
            "slo_alerts:\n  page:\n    - {long: 5m, short: 1h, factor: 14.4}\n",
            None,
            "ops/shop/project.yaml:15: $.slo_alerts.page[0]: the short window 1h must be shorter "
            "than the long window 5m",
            id="short-not-shorter",
        ),
        pytest.param(
            "slo_alerts:\n  ticket:\n    - {long: 1d, short: 2h, factor: 3}\n"
            "    - {long: 1d, short: 2h, factor: 2}\n",
            None,
            "ops/shop/project.yaml:16: $.slo_alerts.ticket[1]: the windows 1d/2h are used twice; "
            "each pair of windows makes one alert",
            id="twice",
        ),
        pytest.param(
            "slo_alerts:\n  ticket:\n    - {long: 1d, short: 2h, factor: 3}\n"
            "    - {long: 24h, short: 120m, factor: 2}\n",
            None,
            "ops/shop/project.yaml:16: $.slo_alerts.ticket[1]: the windows 24h/120m are used "
            "twice (as 1d/2h); each pair of windows makes one alert",
            id="twice-as-durations",
        ),
        pytest.param(
            "slo_alerts:\n  page:\n    - {long: 1 hour, short: 5m, factor: 14.4}\n",
            None,
            "ops/shop/project.yaml:15: $.slo_alerts.page[0].long: '1 hour' must be a whole "
            "number of minutes, hours, days or weeks, such as 5m, 1h or 3d",
            id="not-a-window",
        ),
        pytest.param(
            "slo_alerts:\n  page:\n    - {long: 1h, short: 5m}\n",
            None,
            "ops/shop/project.yaml:15: $.slo_alerts.page[0].factor: missing required key 'factor'",
            id="no-factor",
        ),
        pytest.param(
            "slo_alerts:\n  page:\n    - {long: 1h, short: 5m, factor: 1000}\n",
            None,
            "ops/shop/project.yaml:6: SLO 'availability' (objective 99.9 %): the page alert "
            "1h/5m at 1000 times the budget of 0.1 % would need more than all events to be bad, "
            "so it could never fire",
            id="never-fires",
        ),
        pytest.param(
            "",
            ("[{{window}}]))\n", "[{{window}}] offset {{ window }}))\n"),
            "ops/shop/project.yaml:6: SLO 'availability': its total query must hold {{window}} "
            "(exactly so, no spaces) where the window goes, and no other {{...}}",
            id="other-placeholder",
        ),
    ],
)
def test_bad_settings_are_refused_with_file_and_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: str,
    replace: tuple[str, str] | None,
    message: str,
) -> None:
    repo = make_repo(tmp_path, extra)
    if replace is not None:
        project = repo / "ops/shop/project.yaml"
        text = project.read_text(encoding="utf-8")
        assert text.endswith(replace[0])
        project.write_text(text.removesuffix(replace[0]) + replace[1], encoding="utf-8")
    out = tmp_path / "rules.yml"
    code = main(["--root", str(repo), "slo", "rules", "--project", "shop", "--out", str(out)])
    assert code == 2
    assert capsys.readouterr().err.startswith(f"ops: error: {message}")
    assert not out.exists()


# --- promtool test rules: each alert fires and clears on synthetic series -------------------

TOTAL_PER_MINUTE = 10_000  # requests; errors per minute = burn x budget x this
BUDGET = Fraction(1, 1000)  # objective 99.9
MARGIN = Fraction(1, 20)  # no window within 5 % of a factor: the verdict never rests on rounding


@dataclass(frozen=True)
class Pair:
    severity: str
    long: int  # minutes
    short: int
    factor: Fraction
    names: tuple[str, str]  # as written: 1h, 5m


def minutes(window: str) -> int:
    return int(window[:-1]) * {"m": 1, "h": 60, "d": 1440, "w": 10080}[window[-1]]


def parse_pairs(extra: str) -> list[Pair]:
    settings = yaml.safe_load(extra or "{}") or {}
    alerts = settings.get("slo_alerts", {})
    defaults = {
        "page": [
            {"long": "1h", "short": "5m", "factor": 14.4},
            {"long": "6h", "short": "30m", "factor": 6},
        ],
        "ticket": [
            {"long": "1d", "short": "2h", "factor": 3},
            {"long": "3d", "short": "6h", "factor": 1},
        ],
    }
    return [
        Pair(
            severity,
            minutes(p["long"]),
            minutes(p["short"]),
            Fraction(Decimal(str(p["factor"]))),
            (p["long"], p["short"]),
        )
        for severity in ("page", "ticket")
        for p in alerts.get(severity, defaults[severity])
    ]


def ratio(burns: list[tuple[int, Fraction]], t: int, window: int) -> Fraction:
    """The error ratio over (t - window, t] (counters start at minute 0): what increase() gives
    for samples every minute, in budget multiples."""
    start = max(0, t - window)
    errors = Fraction(0)
    for minute in range(start + 1, t + 1):
        errors += burn_at(burns, minute)
    return errors / (t - start) if t > start else Fraction(0)


def burn_at(burns: list[tuple[int, Fraction]], minute: int) -> Fraction:
    """The burn (in budget multiples) of the minute ending at ``minute``."""
    end = 0
    for length, burn in burns:
        end += length
        if minute <= end:
            return burn
    return burns[-1][1]


def states(pair: Pair, burns: list[tuple[int, Fraction]], t: int) -> tuple[str, str]:
    """Each window's error ratio against the pair's factor: above, below, or near (within 5 %,
    where the verdict would rest on rounding)."""
    out = []
    for window in (pair.long, pair.short):
        r = ratio(burns, t, window)
        if abs(r - pair.factor) <= MARGIN * pair.factor:
            out.append("near")
        else:
            out.append("above" if r > pair.factor else "below")
    return out[0], out[1]


def fires(pair: Pair, burns: list[tuple[int, Fraction]], t: int) -> bool:
    long, short = states(pair, burns, t)
    if "below" in (long, short):
        return False
    assert (long, short) == ("above", "above"), (pair, t, long, short)  # not a scenario to use
    return True


def series(burns: list[tuple[int, Fraction]], total: int) -> tuple[str, str]:
    """promtool input values ('a+bxn' runs, one sample a minute from 0) of the 5xx and 200
    counters for the burns."""

    def runs(per_minute: list[Fraction]) -> str:
        parts, value = ["0+0x0"], Fraction(0)
        for length, inc in zip(
            [b[0] for b in burns], per_minute, strict=True
        ):  # each run: the next ``length`` samples
            parts.append(f"{decimal(value + inc)}+{decimal(inc)}x{length - 1}")
            value += inc * length
        return " ".join(parts)

    errors = [b * BUDGET * total for _, b in burns]
    return runs(errors), runs([total - e for e in errors])


def decimal(value: Fraction) -> str:
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    assert Fraction(Decimal(text)) == value, value
    return text


@dataclass(frozen=True)
class Scenario:
    burns: list[tuple[int, Fraction]]
    checks: list[
        tuple[int, str]
    ]  # (eval minute, what the target pair must be: fire/short/long/none)


def scenarios(target: Pair, history: int) -> dict[str, Scenario]:
    """After ``history`` minutes of clean traffic (the longest window, so that every window is
    full), 'burning': a burn of 2.2 times the factor from then on: the short window is above
    first, then both. 'stopping': 4.4 times the factor for half the long window, then none: both
    windows above; once the short window has passed, only the long one; then neither."""
    long, short, f = target.long, target.short, target.factor
    stop = history + long // 2
    return {
        "burning": Scenario(
            [(history, Fraction(0)), (long, f * Fraction(22, 10))],
            [(history + long // 4, "short"), (history + 3 * long // 4, "fire")],
        ),
        "stopping": Scenario(
            [
                (history, Fraction(0)),
                (long // 2, f * Fraction(44, 10)),
                (long + short, Fraction(0)),
            ],
            [
                (stop, "fire"),
                (stop + short // 2, "fire"),
                (stop + short, "long"),
                (stop + long + short, "none"),
            ],
        ),
    }


def unit_test(
    rules: dict[str, Any], pairs: list[Pair], target: Pair, scenario: Scenario, runbook: str
) -> dict[str, Any]:
    """One promtool test: the input series and, at each check, every alert the model says fires."""
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    bad, good = series(scenario.burns, TOTAL_PER_MINUTE)
    step = step_of(target)
    checks = []
    for t, intent in scenario.checks:
        t -= t % step
        assert (
            states(target, scenario.burns, t)
            == {
                "fire": ("above", "above"),
                "short": ("below", "above"),
                "long": ("above", "below"),
                "none": ("below", "below"),
            }[intent]
        ), (target, t, intent)
        expected = []
        for pair in pairs:
            if not fires(pair, scenario.burns, t):
                continue
            (rule,) = [
                a for a in alerts if (a["labels"]["long"], a["labels"]["short"]) == pair.names
            ]
            annotations = dict(rule["annotations"]) | {"runbook_url": runbook}
            expected.append({"exp_labels": rule["labels"], "exp_annotations": annotations})
        checks.append(
            {"eval_time": f"{t}m", "alertname": "ErrorBudgetBurn", "exp_alerts": expected}
        )
    return {
        "interval": "1m",
        "input_series": [
            {"series": 'http_requests_total{job="api",code="500"}', "values": bad},
            {"series": 'http_requests_total{job="api",code="200"}', "values": good},
        ],
        "alert_rule_test": checks,
    }


SETTINGS = {"workbook": "", "custom": CUSTOM}
CASES = [
    pytest.param(name, index, case, id=f"{name}-{pair.severity}-{'/'.join(pair.names)}-{case}")
    for name, extra in SETTINGS.items()
    for index, pair in enumerate(parse_pairs(extra))
    for case in ("burning", "stopping")
]


@pytest.mark.parametrize(("settings", "index", "case"), CASES)
def test_each_alert_fires_and_clears(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: str, index: int, case: str
) -> None:
    """promtool runs the generated rules on synthetic counters: the target alert fires when
    both its windows burn above its factor, not when only the short or only the long window
    does, and clears once the burn stops; every other alert fires exactly when the model says."""
    extra = SETTINGS[settings]
    repo = make_repo(tmp_path / "repo", extra)
    rules_file = tmp_path / "rules.yml"
    rules_of(repo, capsys, "--out", str(rules_file))
    rules = yaml.safe_load(rules_file.read_text(encoding="utf-8"))
    pairs = parse_pairs(extra)
    target = pairs[index]
    test = unit_test(
        rules, pairs, target, scenarios(target, max(p.long for p in pairs))[case], RUNBOOK
    )
    done = run_tests(tmp_path, test, step_of(target))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def step_of(target: Pair) -> int:
    """Minutes between evaluations (promtool evaluates every rule at every step from 0 to the
    last check, and the scenarios start after 3 days of clean traffic)."""
    return 5 if target.long < 1440 else 10


def run_tests(folder: Path, test: dict[str, Any], step: int) -> subprocess.CompletedProcess[str]:
    tests_file = folder / "tests.yml"
    tests_file.write_text(
        yaml.safe_dump(
            {"rule_files": ["rules.yml"], "evaluation_interval": f"{step}m", "tests": [test]},
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    return run_promtool("test", "rules", tests_file)


def test_group_by_gives_one_alert_per_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An SLO grouped by service has one ratio per service: only the service that burns pages."""
    repo = make_repo(
        tmp_path / "repo",
        "slo_alerts:\n  page:\n    - {long: 1h, short: 5m, factor: 14.4}\n  ticket: []\n",
    )
    project = repo / "ops/shop/project.yaml"
    text = project.read_text().replace("sum(increase(", "sum by (service) (increase(")
    text = text.replace(f"    runbook: {RUNBOOK}\n", "    group_by: [service]\n")
    project.write_text(text, encoding="utf-8")
    rules_file = tmp_path / "rules.yml"
    rules_of(repo, capsys, "--out", str(rules_file))
    rules = yaml.safe_load(rules_file.read_text())["groups"][0]["rules"]
    assert rules[0]["expr"].startswith(
        'sum by (service) (\n  sum by (service) (increase(http_requests_total{job="api",'
    )
    (alert,) = [r for r in rules if "alert" in r]
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": 'http_requests_total{job="api",service="cart",code="500"}',
                        "values": "0+0x60 100+100x59",
                    },
                    {
                        "series": 'http_requests_total{job="api",service="cart",code="200"}',
                        "values": "0+1000x120",
                    },
                    {
                        "series": 'http_requests_total{job="api",service="search",code="500"}',
                        "values": "0+1x120",
                    },
                    {
                        "series": 'http_requests_total{job="api",service="search",code="200"}',
                        "values": "0+1000x120",
                    },
                ],
                "alert_rule_test": [
                    {"eval_time": "60m", "alertname": "ErrorBudgetBurn", "exp_alerts": []},
                    {
                        "eval_time": "120m",
                        "alertname": "ErrorBudgetBurn",
                        "exp_alerts": [
                            {
                                "exp_labels": alert["labels"] | {"service": "cart"},
                                "exp_annotations": alert["annotations"],
                            }
                        ],
                    },
                ],
            }
        ],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False), encoding="utf-8")
    done = run_promtool("test", "rules", tmp_path / "tests.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_slo_of_good_events_pages_when_none_was_ever_good(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An outage from the first request: the good query answers nothing at all, and the error
    ratio is still 1, not missing."""
    repo = make_repo(tmp_path / "repo", openslo=OPENSLO)
    rules_file = tmp_path / "rules.yml"
    rules_of(repo, capsys, "--out", str(rules_file))
    groups = yaml.safe_load(rules_file.read_text(encoding="utf-8"))["groups"]
    page = groups[1]["rules"][7]
    assert (page["labels"]["slo"], page["labels"]["long"]) == ("payments", "1h")
    test = {
        "interval": "1m",
        "input_series": [{"series": 'payments_total{outcome="error"}', "values": "0+10x60"}],
        "alert_rule_test": [
            {
                "eval_time": "60m",
                "alertname": "ErrorBudgetBurn",
                "exp_alerts": [
                    {"exp_labels": p["labels"], "exp_annotations": p["annotations"]}
                    for p in groups[1]["rules"][7:]  # every window holds only this hour: all 4
                ],
            }
        ],
    }
    done = run_tests(tmp_path, test, 1)
    assert done.returncode == 0, done.stdout + done.stderr


# --- review findings: templates, reserved labels, mismatched labels, comments ---------------


def test_templates_in_a_path_and_a_name_come_out_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Prometheus expands an alert's labels and annotations as Go templates: an OpenSLO file or
    an SLO named with a {{ ... }} must come out as written, never run."""
    template = '{{ printf "%s" "PWNED" }}'
    repo = make_repo(tmp_path / "repo", openslo=OPENSLO)
    (repo / "ops/shop/openslo/payments.yaml").rename(repo / f"ops/shop/openslo/{template}.yaml")
    groups = yaml.safe_load(rules_of(repo, capsys))["groups"]
    assert groups[1]["rules"][-1]["annotations"]["slo_definition"] == (
        'ops/shop/openslo/{{ "{{" }} printf "%s" "PWNED" }}.yaml:4'
    )

    from checks.slo import rules
    from checks.slo.model import Slo

    name = f"x{template}"  # the schemas keep names to [a-z0-9_-]; the generator does not rely on it
    path = f"ops/shop/openslo/{template}.yaml"
    slo = Slo(
        name,
        Decimal("99.9"),
        "sum(increase(req_total[{{window}}]))",
        bad="sum(increase(err_total[{{window}}]))",
    )
    page = (rules.Pair("page", "1h", "5m", Decimal("14.4")),)
    definition = rules.Definition(slo, path, 4, f"https://runbooks.example.com/{template}")
    (tmp_path / "rules.yml").write_text(rules.generate("shop", [definition], page), "utf-8")
    expected = {
        "exp_labels": {
            "severity": "page",
            "long": "1h",
            "short": "5m",
            "project": "shop",
            "slo": name,
        },
        "exp_annotations": {
            "summary": f"shop {name}: the error budget burns 14.4 times too fast",
            "description": "Over the last 1h and the last 5m, more than 1.44 % of events were "
            f"bad: 14.4 times the error budget of 0.1 % of SLO {name} (objective 99.9 %). At "
            "this rate the week's error budget lasts 11.7 hours.",
            "runbook_url": f"https://runbooks.example.com/{template}",
            "slo_definition": f"{path}:4",
        },
    }
    test = {
        "interval": "1m",
        "input_series": [
            {"series": "req_total", "values": "0+1000x60"},
            {"series": "err_total", "values": "0+100x60"},
        ],
        "alert_rule_test": [
            {"eval_time": "60m", "alertname": "ErrorBudgetBurn", "exp_alerts": [expected]}
        ],
    }
    done = run_tests(tmp_path, test, 1)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("label", ["project", "slo", "severity", "long", "short", "alertname"])
def test_group_by_a_label_of_the_rules_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], label: str
) -> None:
    """The rules set these labels: groups differing only in one would collide at every
    evaluation ("vector contains metrics with the same labelset after applying ... labels")."""
    repo = make_repo(tmp_path / "repo")
    project = repo / "ops/shop/project.yaml"
    text = project.read_text().replace("sum(increase(", f"sum by ({label}) (increase(")
    project.write_text(
        text.replace("    objective: 99.9\n", f"    objective: 99.9\n    group_by: [{label}]\n"),
        encoding="utf-8",
    )
    out = tmp_path / "rules.yml"
    code = main(["--root", str(repo), "slo", "rules", "--project", "shop", "--out", str(out)])
    assert code == 2
    assert capsys.readouterr().err.startswith(
        f"ops: error: ops/shop/project.yaml:6: SLO 'availability': group_by '{label}' is a "
        "label the rules set themselves (project, slo, severity, long, short, alertname)"
    )
    assert not out.exists()


MISMATCHED = {
    "bad": "        bad: sum(increase(err_total[{{window}}]))\n",
    "good": "        good: sum(increase(ok_total[{{window}}]))\n",
}


@pytest.mark.parametrize("form", sorted(MISMATCHED))
def test_queries_with_different_labels_still_make_one_ratio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    """Without group_by, a total query that keeps its series' labels (job="api") and a summed
    bad or good query (no labels) still divide: each is summed into one series. The page fires
    once both windows burn, not before, and clears after the burn stops (unsummed, the bad form
    never fired and the good form's fallback fired forever)."""
    (tmp_path / "repo/ops/shop").mkdir(parents=True)
    (tmp_path / "repo/ops/shop/project.yaml").write_text(
        PROJECT_YAML.split("    sli:")[0].replace(f"    runbook: {RUNBOOK}\n", "")
        + "    sli:\n      ratio:\n"
        + MISMATCHED[form]
        + '        total: increase(req_total{job="api"}[{{window}}])\n'
        + "slo_alerts:\n  page:\n    - {long: 1h, short: 5m, factor: 14.4}\n  ticket: []\n",
        encoding="utf-8",
    )
    rules_file = tmp_path / "rules.yml"
    rules_of(tmp_path / "repo", capsys, "--out", str(rules_file))
    (alert,) = [
        r for r in yaml.safe_load(rules_file.read_text())["groups"][0]["rules"] if "alert" in r
    ]
    # 1000 requests a minute; 10 % of them fail in minutes 61 to 90, none before or after.
    series = {
        "bad": ("err_total", "0+0x60 100+100x29 3000+0x150"),
        "good": ("ok_total", "0+1000x60 60900+900x29 88000+1000x150"),
    }[form]
    fired = [{"exp_labels": alert["labels"], "exp_annotations": alert["annotations"]}]
    checks = [  # (minute, fires): the 1h window passes 1.44 % after minute 69
        (60, False),  # no error yet
        (66, False),  # the 5m window burns, the 1h window is at 1 %
        (75, True),  # both windows: 10 % and 2.5 %
        (90, True),
        (100, False),  # the 5m window is clean again; the 1h window still at 5 %
        (240, False),
    ]
    test = {
        "interval": "1m",
        "input_series": [
            {"series": 'req_total{job="api",instance="a"}', "values": "0+1000x240"},
            {"series": f'{series[0]}{{job="api",instance="a"}}', "values": series[1]},
        ],
        "alert_rule_test": [
            {
                "eval_time": f"{t}m",
                "alertname": "ErrorBudgetBurn",
                "exp_alerts": fired if on else [],
            }
            for t, on in checks
        ],
    }
    done = run_tests(tmp_path, test, 1)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_comment_at_the_end_of_a_query_is_harmless(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PromQL comments run to the end of the line: every parenthesis after a query is on a line
    of its own, so that a query ending in a comment still makes valid rules."""
    repo = make_repo(
        tmp_path / "repo",
        openslo=OPENSLO.replace(
            "spec: {query: 'sum(increase(payments_total[{{window}}]))'}",
            'spec: {query: "sum(increase(payments_total[{{window}}]))\\n# all payments"}',
        ),
    )
    project = repo / "ops/shop/project.yaml"
    text = project.read_text()
    project.write_text(
        text.replace(
            "        total: sum(increase(",
            "        total: |\n          # every request\n          sum(increase(",
        ).rstrip("\n")
        + "  # the API's requests\n",
        encoding="utf-8",
    )
    rules_file = tmp_path / "rules.yml"
    rules_of(repo, capsys, "--out", str(rules_file))
    groups = yaml.safe_load(rules_file.read_text(encoding="utf-8"))["groups"]
    assert groups[0]["rules"][0]["expr"].endswith(
        '\n/\nsum(\n  # every request\n  sum(increase(http_requests_total{job="api"}[5m]))'
        "  # the API's requests\n)"
    )
    assert "  # all payments\n  )\n" in groups[1]["rules"][0]["expr"]
    done = run_promtool("check", "rules", rules_file)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 22 rules found" in done.stdout
