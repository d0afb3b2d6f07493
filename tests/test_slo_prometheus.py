"""ops slo against a real Prometheus whose data has known counts (tests/promdata.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import promdata
import pytest

from checks import document
from checks.dates import parse_week
from checks.main import main
from checks.slo import compute
from checks.slo.model import slos


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prometheus) -> Path:  # type: ignore[no-untyped-def]
    (tmp_path / "ops/shop").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(promdata.PROJECT_YAML, encoding="utf-8")
    monkeypatch.setenv("OPS_PROMETHEUS_URL", prometheus.url)
    return tmp_path


def _report(repo: Path, week: str) -> document.Document:
    return document.parse_front_matter(
        (repo / f"ops/shop/slo/{week}.md").read_text(encoding="utf-8")
    )


def test_every_week_has_the_generators_exact_counts(
    shop: Path,
    prometheus,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    code = main(["--root", str(shop), "slo", "--project", "shop", "--weeks", "2026-W40..2026-W43"])
    out = capsys.readouterr().out
    assert code == 0, out
    tally = prometheus.dataset.tally
    for label in promdata.WEEKS:
        week = parse_week(label)
        data = _report(shop, label).data
        assert data["source"] == "prometheus"
        got = {e["name"]: e for e in data["slos"]}
        assert set(got) == set(promdata.SLOS)
        for name, objective in promdata.SLOS.items():
            good, total = tally.window(name, week.start, week.end)
            assert (got[name]["good"], got[name]["total"]) == (good, total), (label, name)
            expected = "PASS" if good * 100 >= objective * total else "FAIL"
            assert got[name]["status"] == expected, (label, name)
    statuses = {label: _report(shop, label).data["status"] for label in promdata.WEEKS}
    assert statuses == {
        "2026-W40": "PASS",
        "2026-W41": "PASS",  # the counter reset is counted, not lost
        "2026-W42": "FAIL",  # by one request
        "2026-W43": "FAIL",  # the incident
    }


def test_the_week_that_fails_by_a_hair(shop: Path, prometheus) -> None:  # type: ignore[no-untyped-def]
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W42"]) == 0
    doc = _report(shop, "2026-W42")
    availability = next(e for e in doc.data["slos"] if e["name"] == "availability")
    bad = availability["total"] - availability["good"]
    assert bad == availability["total"] // 1000 + 1  # one request over the budget
    assert availability["status"] == "FAIL"
    assert availability["sli"] < 99.9  # rounded down: a FAIL never shows its objective
    assert availability["error_budget_remaining"] < 0
    assert "**FAIL**: availability missed its objective in 2026-W42" in doc.body


def test_daily_figures_match_the_generator(shop: Path, prometheus) -> None:  # type: ignore[no-untyped-def]
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W43"]) == 0
    doc = _report(shop, "2026-W43")
    project_slos = {s.name: s for s in slos(__import__("yaml").safe_load(promdata.PROJECT_YAML))}
    week = parse_week("2026-W43")
    for name, slo in project_slos.items():
        row = next(line for line in doc.body.splitlines() if line.startswith(f"| {name} % |"))
        cells = [c.strip() for c in row.strip("|").split("|")][1:]
        expected = []
        for start, end in week.days():
            figures = compute.figures(
                slo, compute.Counts(*prometheus.dataset.tally.window(name, start, end))
            )
            expected.append(f"{figures.sli:.4f}".rstrip("0").rstrip("."))
        assert cells == expected, name
    wednesday = doc.body.split("| availability % |")[1].split("|")[2].strip()
    assert float(wednesday) < 99.0  # the incident day


def test_a_rerun_with_the_same_data_changes_nothing(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W40"]
    assert main(argv) == 0
    path = shop / "ops/shop/slo/2026-W40.md"
    first = path.read_bytes()
    capsys.readouterr()
    assert main(argv) == 0
    assert path.read_bytes() == first
    assert capsys.readouterr().out == "ops/shop/slo/2026-W40.md: PASS, unchanged\n"


def test_a_week_without_data_is_no_data(shop: Path) -> None:
    """Before the data starts: empty results, NO_DATA for every SLO and the week."""
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W30"]) == 0
    data = _report(shop, "2026-W30").data
    assert data["status"] == "NO_DATA"
    assert {e["status"] for e in data["slos"]} == {"NO_DATA"}
    assert {e["sli"] for e in data["slos"]} == {None}


def test_the_report_validates(shop: Path) -> None:
    assert main(["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W43"]) == 0
    assert main(["--root", str(shop), "validate", str(shop / "ops/shop/slo/2026-W43.md")]) == 0


def test_the_prometheus_under_test(prometheus) -> None:  # type: ignore[no-untyped-def]
    """The data is old: a long retention keeps it (the default 15 days would drop it)."""
    assert prometheus.version.startswith("prometheus, version")
    assert dt.datetime.now(dt.UTC) - dt.timedelta(days=15) > promdata.END
