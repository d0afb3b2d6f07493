"""Per-label SLOs (group_by) against a real Prometheus: one SLI per service, the failing group
named, and several series without group_by refused instead of summed.

The expected counts come from tests/promdata.py's parameters (SERVICES: constant events per
five-minute scrape, and search's incident in W43), not from ops: a week has 7 x 288 scrape
intervals, a day 288, the incident 21 (09:50 to 11:30 on Wednesday of W43).
"""

from __future__ import annotations

import shutil
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import promdata
import pytest

from checks import document
from checks.errors import OpsError
from checks.main import main
from checks.slo import groups
from checks.slo.compute import Counts
from checks.slo.model import Slo

INTERVALS = {"week": 7 * 288, "day": 288, "incident": 21}
TOTAL = 'sum by (service) (increase(api_requests_total{job="shop-api"}[{{window}}]))'
BAD = 'sum by (service) (increase(api_requests_total{job="shop-api",code="500"}[{{window}}]))'

GROUPED_YAML = f"""\
project: shop
name: Shop
owners: ["@sre"]
timezone: Europe/Berlin
metrics:
  source: prometheus
  prometheus:
    url_env: OPS_PROMETHEUS_URL
slos:
  - name: api-availability
    objective: 99.9
    group_by: [service]
    sli:
      ratio:
        bad: '{BAD}'
        total: '{TOTAL}'
  - name: api-latency
    objective: 99.0
    group_by: [service]
    sli:
      latency:
        histogram: api_request_duration_seconds_bucket
        threshold: "0.3"
        selector: '{{job="shop-api"}}'
"""


def expected(service: str, week: str) -> tuple[int, int, int]:
    """(good, total, slow) of a service in a week, from the generator's parameters."""
    served, failed, slow = promdata.SERVICES[service]
    total = served * INTERVALS["week"]
    bad = failed * INTERVALS["week"]
    if week == "2026-W43" and service == promdata.SERVICE_INCIDENT[0]:
        bad += promdata.SERVICE_INCIDENT[1] * INTERVALS["incident"]
    return total - bad, total, slow * INTERVALS["week"]


def project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "ops/shop").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prometheus) -> Path:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPS_PROMETHEUS_URL", prometheus.url)
    return project(tmp_path, GROUPED_YAML)


def slo(repo: Path, *args: str) -> int:
    return main(["--root", str(repo), "slo", "--project", "shop", *args])


def report(repo: Path, week: str) -> document.Document:
    text = (repo / f"ops/shop/slo/{week}.md").read_text(encoding="utf-8")
    return document.parse_front_matter(text)


def test_each_service_has_the_generators_counts_every_week(shop: Path) -> None:
    assert slo(shop, "--weeks", "2026-W40..2026-W43") == 0
    for week in promdata.WEEKS:
        data = report(shop, week).data
        availability, latency = data["slos"]
        assert availability["group_by"] == latency["group_by"] == ["service"]
        got = {g["labels"]["service"]: g for g in availability["groups"]}
        assert set(got) == set(promdata.SERVICES)  # cart has no code="500" series: 0 bad
        for service in promdata.SERVICES:
            good, total, slow = expected(service, week)
            assert (got[service]["good"], got[service]["total"]) == (good, total), (week, service)
            passed = Decimal(good) * 100 >= Decimal("99.9") * total
            assert got[service]["status"] == ("PASS" if passed else "FAIL"), (week, service)
            group = next(g for g in latency["groups"] if g["labels"] == {"service": service})
            assert (group["good"], group["total"], group["status"]) == (total - slow, total, "PASS")
        sums = [sum(expected(s, week)[i] for s in promdata.SERVICES) for i in (0, 1)]
        assert [availability["good"], availability["total"]] == sums
    statuses = {week: report(shop, week).data["status"] for week in promdata.WEEKS}
    assert statuses == {
        "2026-W40": "PASS",  # checkout exactly at its objective: 1 error in 1000 is 99.9 %
        "2026-W41": "PASS",  # the counter reset is counted, per service too
        "2026-W42": "PASS",  # the scrape gap's events arrive after it
        "2026-W43": "FAIL",  # search's incident
    }


def test_the_failing_group_fails_the_slo_and_is_named(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert slo(shop, "--week", "2026-W43") == 0
    assert (
        capsys.readouterr().out
        == "ops/shop/slo/2026-W43.md: FAIL (api-availability: service=search), written\n"
    )
    doc = report(shop, "2026-W43")
    availability = doc.data["slos"][0]
    assert availability["status"] == "FAIL"
    assert [g["status"] for g in availability["groups"]] == ["PASS", "PASS", "FAIL"]
    # search: 250 x 2016 requests, 125 x 21 of them failed; the budget is 0.1 %
    good, total, _ = expected("search", "2026-W43")
    assert (good, total) == (501_375, 504_000)
    sli = (Decimal(good) * 100 / total).quantize(Decimal("0.0001"), rounding=ROUND_FLOOR)
    burn = (Decimal(total - good) / total / Decimal("0.001")).quantize(Decimal("0.0001"))
    assert (sli, burn) == (Decimal("99.4791"), Decimal("5.2083"))
    lines = doc.body.splitlines()
    assert (
        "**FAIL**: api-availability (service=search) missed its objective in 2026-W43 (Mon "
        "2026-10-19 to Sun 2026-10-25). Worst: api-availability service=search at a burn rate "
        "of 5.21 (421 % over the week's budget)." in lines
    )
    table = lines[lines.index("### api-availability by service") :][:7]
    assert table == [
        "### api-availability by service",
        "",
        "| service | SLI | Good | Total | Budget left | Burn rate | Status |",
        "|---|---|---|---|---|---|---|",
        "| cart | 100 % | 806,400 | 806,400 | 100.00 % | 0 | ✅ PASS |",
        "| checkout | 99.9 % | 2,013,984 | 2,016,000 | 0.00 % | 1 | ✅ PASS |",
        "| search | 99.4791 % | 501,375 | 504,000 | -420.83 % | 5.2083 | ❌ FAIL |",
    ]
    # the SLO's row: the services' counts added up, and the groups' status
    good_all, total_all = 806_400 + 2_013_984 + 501_375, 806_400 + 2_016_000 + 504_000
    row = next(line for line in lines if line.startswith("| api-availability |"))
    assert row.startswith(
        f"| api-availability | 99.9 % | 99.8604 % | {good_all:,} | {total_all:,} |"
    )
    assert row.endswith("| ❌ FAIL |")
    # daily: one row per group; Wednesday is search's incident day
    daily = next(line for line in lines if line.startswith("| api-availability service=search % |"))
    wednesday = Decimal(250 * 288 - 125 * 21) * 100 / (250 * 288)
    cells = [c.strip() for c in daily.strip("|").split("|")][1:]
    shown = str(wednesday.quantize(Decimal("0.0001"), rounding=ROUND_FLOOR))
    assert cells == ["100", "100", shown, "100", "100", "100", "100"]
    assert main(["--root", str(shop), "validate", str(shop / "ops/shop/slo/2026-W43.md")]) == 0
    capsys.readouterr()
    assert slo(shop, "--week", "2026-W43", "--format", "markdown") == 0
    assert (
        "| api-availability (service=search) | 99.9 % | 99.8604 % | -39.52 % | ❌ FAIL |"
        in capsys.readouterr().out.splitlines()
    )


def test_a_week_that_passes_names_the_group_with_least_budget(shop: Path) -> None:
    assert slo(shop, "--week", "2026-W40") == 0
    assert (
        "**PASS**: every SLO met its objective in 2026-W40 (Mon 2026-09-28 to Sun 2026-10-04). "
        "Least budget left: api-availability service=checkout, 0.00 % of the week's budget."
        in report(shop, "2026-W40").body
    )


def test_several_series_without_group_by_are_an_error_not_a_sum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], prometheus
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPS_PROMETHEUS_URL", prometheus.url)
    repo = project(tmp_path, GROUPED_YAML.replace("    group_by: [service]\n", ""))
    assert slo(repo, "--week", "2026-W43") == 2
    err = capsys.readouterr().err
    assert (
        f"SLO 'api-availability': the query '{TOTAL}' answers 3 series (service=cart, checkout, "
        "search); an SLO needs one: sum them in the query (sum(...)), or set group_by: [service] "
        "for one SLI per group\n"
    ) in err
    assert "Traceback" not in err
    assert not (repo / "ops/shop/slo").exists()  # nothing written


@pytest.mark.parametrize(
    ("group_by", "total", "message"),
    [
        pytest.param(
            "[service]",
            'increase(api_requests_total{job="shop-api"}[{{window}}])',
            "answers a series with labels not in group_by (code, job): {code=200, job=shop-api, "
            "service=cart}; with group_by: [service] each series carries exactly those labels: "
            "aggregate with sum by (service) (...)",
            id="extra-labels",
        ),
        pytest.param(
            "[service, region]",
            TOTAL,
            "answers a series with no region label: {service=cart}; with group_by: [service, "
            "region] each series carries exactly those labels: aggregate with sum by (service, "
            "region) (...)",
            id="missing-label",
        ),
    ],
)
def test_series_must_carry_exactly_the_group_by_labels(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    prometheus,  # type: ignore[no-untyped-def]
    group_by: str,
    total: str,
    message: str,
) -> None:
    monkeypatch.setenv("OPS_PROMETHEUS_URL", prometheus.url)
    text = GROUPED_YAML.replace("group_by: [service]", f"group_by: {group_by}", 1)
    repo = project(tmp_path, text.replace(f"total: '{TOTAL}'", f"total: '{total}'"))
    assert slo(repo, "--week", "2026-W43") == 2
    err = capsys.readouterr().err
    assert f"SLO 'api-availability': the query '{total}' {message}\n" in err
    assert not (repo / "ops/shop/slo").exists()


@pytest.mark.parametrize(
    ("group_by", "line"),
    [
        pytest.param(
            "[1service]",
            "$.slos[0].group_by[0]: '1service' must be a Prometheus label name: letters, "
            "digits and '_', not starting with a digit",
            id="not-a-label-name",
        ),
        pytest.param(
            "[]",
            "$.slos[0].group_by: must list 1 to 10 different Prometheus label names, such as "
            "[service]",
            id="empty",
        ),
        pytest.param(
            "[service, service]",
            "$.slos[0].group_by: must list 1 to 10 different Prometheus label names, such as "
            "[service]",
            id="twice",
        ),
    ],
)
def test_a_bad_group_by_is_a_schema_error_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], group_by: str, line: str
) -> None:
    repo = project(
        tmp_path, GROUPED_YAML.replace("group_by: [service]", f"group_by: {group_by}", 1)
    )
    assert main(["--root", str(repo), "validate", str(repo / "ops/shop/project.yaml")]) == 1
    assert f"ops/shop/project.yaml:12: {line}" in capsys.readouterr().out


@pytest.mark.parametrize("source", ["mock", "file"])
def test_sources_without_labels_refuse_group_by(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    text = GROUPED_YAML.replace(
        "  source: prometheus\n", f"  source: {source}\n  file:\n    path: exports/x.csv\n"
    )
    repo = project(tmp_path, text)
    assert slo(repo, "--week", "2026-W43") == 2
    assert f"SLO 'api-availability' has group_by, which the {source} source cannot measure" in (
        capsys.readouterr().err
    )
    assert not (repo / "ops/shop/slo").exists()


def test_a_report_edited_by_hand_is_caught(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert slo(shop, "--week", "2026-W43") == 0
    path = shop / "ops/shop/slo/2026-W43.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("        status: FAIL\n", "        status: PASS\n", 1))
    capsys.readouterr()
    assert main(["--root", str(shop), "validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "$.slos[0].groups[2].status: 'PASS' does not follow from good 501375" in out
    assert "the table of api-availability's groups says search FAIL, the front matter " in out


# --- the rules for absent groups (checks.slo.groups), without a server ----------------------

RATIO = Slo("a", Decimal("99"), total="t", bad="b", group_by=("service",))
GOOD = Slo("a", Decimal("99"), total="t", good="g", group_by=("service",))


@pytest.mark.parametrize(
    ("slo_", "total", "other", "counts"),
    [
        pytest.param(RATIO, {("x",): 10.0}, {}, {("x",): Counts(10.0, 10.0)}, id="no-bad-is-0-bad"),
        pytest.param(
            GOOD,
            {("x",): 10.0, ("y",): 5.0},
            {("x",): 9.0},
            {("x",): Counts(9.0, 10.0), ("y",): Counts(0.0, 5.0)},
            id="no-good-is-0-good",
        ),
        pytest.param(
            GOOD, {("x",): 10.0}, {}, {("x",): Counts(None, 10.0)}, id="no-good-at-all-is-no-data"
        ),
        pytest.param(
            RATIO, {}, {("x",): 1.0}, {("x",): Counts(None, None)}, id="not-in-total-is-no-data"
        ),
        pytest.param(
            GOOD, {("x",): None}, {("x",): 1.0}, {("x",): Counts(1.0, None)}, id="nan-is-no-data"
        ),
    ],
)
def test_absent_groups(
    slo_: Slo,
    total: dict[tuple[str, ...], float | None],
    other: dict[tuple[str, ...], float | None],
    counts: dict[tuple[str, ...], Counts],
) -> None:
    assert groups.combine(slo_, total, other) == counts


def test_the_sample_reports_are_unchanged(tmp_path: Path) -> None:
    """SLOs without group_by keep the report byte for byte (the sample's mock source)."""
    root = Path(__file__).resolve().parent.parent
    shutil.copytree(root / "ops/checkout", tmp_path / "ops/checkout")
    before = {p.name: p.read_bytes() for p in (tmp_path / "ops/checkout/slo").iterdir()}
    weeks = sorted(name.removesuffix(".md") for name in before)
    argv = ["--root", str(tmp_path), "slo", "--project", "checkout", "--weeks"]
    assert main([*argv, f"{weeks[0]}..{weeks[-1]}"]) == 0
    after = {p.name: p.read_bytes() for p in (tmp_path / "ops/checkout/slo").iterdir()}
    assert after == before


# --- found by the attack review ----------------------------------------------------------------


def test_a_report_without_its_groups_does_not_count(shop: Path) -> None:
    """A FAIL group hidden by deleting group_by and groups (and flipping the statuses) makes a
    report that is not measured against the project's SLOs: the gate and the exit criteria do
    not count it, as for a report that drops an SLO or lowers an objective."""
    from types import SimpleNamespace

    from checks import project as projects
    from checks.rules import facts, settings

    assert slo(shop, "--week", "2026-W43") == 0
    judged = settings.load(shop, projects.load(shop, "shop"))
    data = report(shop, "2026-W43").data
    assert facts.report_mismatch(SimpleNamespace(data=data), judged) is None  # type: ignore[arg-type]
    hidden = [
        {k: v for k, v in entry.items() if k not in ("group_by", "groups")}
        for entry in data["slos"]
    ]
    forged = SimpleNamespace(data={**data, "slos": hidden})
    assert facts.report_mismatch(forged, judged) == (  # type: ignore[arg-type]
        "it measures 'api-availability' grouped by nothing, the project groups it by service"
    )


def test_a_nan_of_bad_events_is_no_data_not_none_bad() -> None:
    assert groups.combine(RATIO, {("x",): 10.0}, {("x",): None}) == {("x",): Counts(None, 10.0)}


@pytest.mark.parametrize(
    "value", ["a\x7fb", "line\x85break", "\ufffe", "x" * 201], ids=["del", "nel", "nonchar", "long"]
)
def test_a_label_value_a_report_cannot_hold_is_an_error(value: str) -> None:
    series = [groups.Series({"service": value}, 1.0)]
    with pytest.raises(OpsError, match="longer than 200 characters or holds a control character"):
        groups.keyed(RATIO, "t", series)


def test_a_mention_in_a_label_value_mentions_nobody() -> None:
    from checks.slo.render import group_text

    assert group_text(RATIO, ("@acme/security",)) == "service=\\@acme/security"


def test_a_report_ops_validate_could_not_read_is_never_written() -> None:
    from checks.document import MAX_BYTES
    from checks.slo import weekly

    with pytest.raises(OpsError, match=r"a record is at most 1,048,576 .* nothing written"):
        weekly._check("ops/shop/slo/2026-W43.md", "x" * (MAX_BYTES + 1))
