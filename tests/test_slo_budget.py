"""Error budgets over an SLO's time window (rolling N days or the calendar month), beside the
weekly verdict: measured against the real Prometheus of tests/promdata.py, from the mock and
from exports, checked by ops validate, and mapped from OpenSLO's timeWindow."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import promdata
import pytest
from test_slo_groups import GROUPED_YAML

from checks import document
from checks.dates import parse_week
from checks.errors import OpsError
from checks.main import main
from checks.slo import openslo
from checks.slo.model import TimeWindow

UTC = dt.UTC
REPO = Path(__file__).resolve().parent.parent


def _with_window(text: str, window: str) -> str:
    """Every SLO of a project.yaml with ``time_window: window``."""
    return text.replace("    objective:", f"    time_window: {window}\n    objective:")


def _repo(tmp_path: Path, text: str) -> Path:
    (tmp_path / "ops/shop").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _report(repo: Path, week: str) -> document.Document:
    text = (repo / f"ops/shop/slo/{week}.md").read_text(encoding="utf-8")
    return document.parse_front_matter(text)


def _slo(repo: Path, *args: str) -> int:
    return main(["--root", str(repo), "slo", "--project", "shop", *args])


def _share(bad: int, total: int, objective: float) -> float:
    """bad events over the window's budget, as compute rounds it (independently of it)."""
    allowed = Decimal(total) * (100 - Decimal(str(objective))) / 100
    return float((Decimal(bad) / allowed).quantize(Decimal("0.0001"), ROUND_HALF_EVEN))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, prometheus) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPS_PROMETHEUS_URL", prometheus.url)


# --- against the real Prometheus -------------------------------------------------------------


@pytest.mark.usefixtures("env")
def test_a_rolling_window_has_the_generators_counts(tmp_path: Path, prometheus) -> None:  # type: ignore[no-untyped-def]
    """W43 ends on the data's last sample; 28 days before it is the data's first."""
    repo = _repo(tmp_path, _with_window(promdata.PROJECT_YAML, "{rolling: 28d}"))
    assert _slo(repo, "--week", "2026-W43") == 0
    week = parse_week("2026-W43")
    assert week.end - dt.timedelta(days=28) == promdata.START
    doc = _report(repo, "2026-W43")
    tally = prometheus.dataset.tally
    for entry in doc.data["slos"]:
        name, objective = entry["name"], promdata.SLOS[entry["name"]]
        good, total = tally.window(name, promdata.START, week.end)
        week_good, week_total = tally.window(name, week.start, week.end)
        window = entry["budget_window"]
        assert window["rolling"] == "28d"
        assert (window["start"], window["end"]) == ("2026-09-28T00:00:00Z", "2026-10-26T00:00:00Z")
        assert (window["good"], window["total"]) == (good, total), name
        assert window["week_bad"] == week_total - week_good
        assert window["week_burned"] == _share(week_total - week_good, total, objective)
        left = 1 - _share(total - good, total, objective)
        assert window["error_budget_remaining"] == pytest.approx(left, abs=1e-4)
        # the weekly verdict stays the week's
        assert (entry["good"], entry["total"]) == (week_good, week_total)
    availability = doc.data["slos"][0]["budget_window"]
    sentence = (
        "- availability: error budget over the last 28 days (2026-09-28 to 2026-10-25): "
        f"{availability['error_budget_remaining'] * 100:.2f} % left"
    )
    assert sentence in doc.body
    assert main(["--root", str(repo), "validate"]) == 0


@pytest.mark.usefixtures("env")
def test_the_calendar_month_of_a_week_across_two_months(tmp_path: Path, prometheus) -> None:  # type: ignore[no-untyped-def]
    """W40 runs from Mon 28 September to Sun 4 October: its window is October's first four
    days, and the week burned only what those days spent."""
    repo = _repo(tmp_path, _with_window(promdata.PROJECT_YAML, "{calendar: month}"))
    assert _slo(repo, "--week", "2026-W40") == 0
    october, end = dt.datetime(2026, 10, 1, tzinfo=UTC), dt.datetime(2026, 10, 5, tzinfo=UTC)
    tally = prometheus.dataset.tally
    for entry in _report(repo, "2026-W40").data["slos"]:
        name, window = entry["name"], entry["budget_window"]
        good, total = tally.window(name, october, end)
        assert window["calendar"] == "month"
        assert (window["start"], window["end"]) == ("2026-10-01T00:00:00Z", "2026-10-05T00:00:00Z")
        assert (window["good"], window["total"]) == (good, total), name
        assert window["week_bad"] == total - good  # October's days of the week only
        assert (
            window["week_bad"] < entry["total"] - entry["good"] or entry["good"] == entry["total"]
        )
        assert window["week_burned"] == _share(total - good, total, promdata.SLOS[name])
    assert main(["--root", str(repo), "validate"]) == 0


@pytest.mark.usefixtures("env")
def test_a_window_before_the_data_is_no_data(tmp_path: Path) -> None:
    """W42's 28 days start a week before the first sample: not a part passed off as all."""
    repo = _repo(tmp_path, _with_window(promdata.PROJECT_YAML, "{rolling: 28d}"))
    assert _slo(repo, "--week", "2026-W42") == 0
    doc = _report(repo, "2026-W42")
    assert doc.data["status"] == "FAIL"  # the week's verdict is untouched
    for entry in doc.data["slos"]:
        window = entry["budget_window"]
        assert [window[k] for k in ("good", "total", "sli", "error_budget_remaining")] == [None] * 4
        assert window["week_burned"] is None
    assert (
        "- availability: error budget over the last 28 days (2026-09-21 to 2026-10-18): no data "
        "(the source does not cover the window's first day)." in doc.body
    )


@pytest.mark.usefixtures("env")
def test_groups_have_their_own_window(tmp_path: Path) -> None:
    repo = _repo(tmp_path, _with_window(GROUPED_YAML, "{rolling: 4w}"))
    assert _slo(repo, "--week", "2026-W43") == 0
    entry = _report(repo, "2026-W43").data["slos"][0]
    steps, incident = 28 * 288, 21  # five-minute scrapes in 28 days; in the incident
    totals = {}
    for group in entry["groups"]:
        service = group["labels"]["service"]
        served, failed, _ = promdata.SERVICES[service]
        bad = failed * steps
        if service == promdata.SERVICE_INCIDENT[0]:
            bad += promdata.SERVICE_INCIDENT[1] * incident
        window = group["budget_window"]
        assert (window["good"], window["total"]) == (served * steps - bad, served * steps)
        assert window["week_bad"] == group["total"] - group["good"]
        totals[service] = served * steps
    assert entry["budget_window"]["total"] == sum(totals.values())
    assert main(["--root", str(repo), "validate"]) == 0


# --- the mock, the file source, validate -----------------------------------------------------


SAMPLE_WEEK = "2026-W46"


def _sample(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "ops/checkout", tmp_path / "ops/checkout")
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    return tmp_path


def test_without_a_window_the_sample_report_is_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _sample(tmp_path)
    path = repo / f"ops/checkout/slo/{SAMPLE_WEEK}.md"
    before = path.read_bytes()
    argv = ["--root", str(repo), "slo", "--project", "checkout", "--week", SAMPLE_WEEK]
    assert main(argv) == 0
    assert capsys.readouterr().out.endswith("unchanged\n")
    assert path.read_bytes() == before
    assert b"budget_window" not in before and b"## Budget windows" not in before


def _windowed_sample(tmp_path: Path) -> Path:
    repo = _sample(tmp_path)
    path = repo / "ops/checkout/project.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "  - name: availability\n", "  - name: availability\n    time_window: {rolling: 30d}\n"
    )
    path.write_text(text, encoding="utf-8")
    (repo / f"ops/checkout/slo/{SAMPLE_WEEK}.md").unlink()
    assert main(["--root", str(repo), "slo", "--project", "checkout", "--week", SAMPLE_WEEK]) == 0
    return repo


def test_the_mock_window_and_its_sentence(tmp_path: Path) -> None:
    repo = _windowed_sample(tmp_path)
    text = (repo / f"ops/checkout/slo/{SAMPLE_WEEK}.md").read_text(encoding="utf-8")
    doc = document.parse_front_matter(text)
    entries = doc.data["slos"]
    assert "budget_window" not in entries[1]
    window = entries[0]["budget_window"]
    assert (window["start"], window["end"]) == ("2026-10-17T00:00:00Z", "2026-11-16T00:00:00Z")
    # 30 days of the mock's days, the week's among them
    assert window["total"] > entries[0]["total"] * 4
    assert "## Budget windows" in doc.body
    assert "| availability | 30 days rolling | 2026-10-17 | 2026-11-15 |" in doc.body


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        pytest.param(
            "week_burned", "0.0001", "$.slos[0].budget_window.week_burned: 0.0001", id="burned"
        ),
        pytest.param(
            "error_budget_remaining",
            "0.9",
            "$.slos[0].budget_window.error_budget_remaining: 0.9 does not follow from the "
            "window's good",
            id="budget-left",
        ),
        pytest.param(
            "start",
            "2026-10-19T00:00:00Z",
            "$.slos[0].budget_window.start: 2026-10-19T00:00:00Z is not the start of the last 30 "
            "days ending with 2026-W46 (2026-10-17T00:00:00Z)",
            id="start",
        ),
        pytest.param(
            "week_bad", "1", "$.slos[0].budget_window.week_bad: 1 is not the week's bad", id="bad"
        ),
        pytest.param("x_extra", "1", "$.slos[0].budget_window", id="extra-key"),
    ],
)
def test_validate_catches_a_hand_edited_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: str, message: str
) -> None:
    repo = _windowed_sample(tmp_path)
    path = repo / f"ops/checkout/slo/{SAMPLE_WEEK}.md"
    text = path.read_text(encoding="utf-8")
    if key.startswith("x_"):
        edited = text.replace("      start: ", f"      {key}: {value}\n      start: ", 1)
    else:
        edited = re.sub(rf"(\n      {key}: )[^\n]*", rf"\g<1>{value}", text, count=1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    capsys.readouterr()
    assert main(["--root", str(repo), "validate", str(path)]) == 1
    assert message in capsys.readouterr().out


def test_the_file_source_counts_the_window_it_covers(tmp_path: Path) -> None:
    """A CSV export of one row per day: a window it covers is counted, one that starts before
    the export is no data."""
    rows = ["timestamp,good,total"]
    day = dt.datetime(2026, 10, 12, tzinfo=UTC)  # 35 days up to W46's end
    while day < dt.datetime(2026, 11, 16, tzinfo=UTC):
        rows.append(f"{day:%Y-%m-%dT%H:%M:%SZ},999,1000")
        day += dt.timedelta(days=1)
    yaml = (
        "project: shop\nname: Shop\nowners: ['@sre']\ntimezone: UTC\nmetrics:\n  source: file\n"
        "  file:\n    path: m.csv\nslos:\n"
        "  - name: covered\n    objective: 99.8\n    time_window: {rolling: 28d}\n"
        "    sli: {ratio: {good: 'g[{{window}}]', total: 't[{{window}}]'}}\n"
        "  - name: longer\n    objective: 99.8\n    time_window: {rolling: 40d}\n"
        "    sli: {ratio: {good: 'g[{{window}}]', total: 't[{{window}}]'}}\n"
    )
    repo = _repo(tmp_path, yaml)
    (repo / "m.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert _slo(repo, "--week", SAMPLE_WEEK) == 0
    covered, longer = (e["budget_window"] for e in _report(repo, SAMPLE_WEEK).data["slos"])
    assert (covered["good"], covered["total"], covered["week_bad"]) == (28 * 999, 28_000, 7)
    assert covered["week_burned"] == 0.125  # 7 of 28,000 x 0.2 % = 56
    assert covered["error_budget_remaining"] == 0.5
    assert (longer["good"], longer["total"], longer["week_burned"]) == (None, None, None)


# --- definitions --------------------------------------------------------------------------------


def test_spans() -> None:
    end = dt.datetime(2026, 11, 2, tzinfo=UTC)  # the end of W44, whose Sunday is 1 November
    assert TimeWindow(rolling="4w").span(end) == (dt.datetime(2026, 10, 5, tzinfo=UTC), end)
    assert TimeWindow(calendar="month").span(end) == (dt.datetime(2026, 11, 1, tzinfo=UTC), end)
    end = dt.datetime(2026, 11, 30, tzinfo=UTC)
    assert TimeWindow(calendar="month").span(end)[0] == dt.datetime(2026, 11, 1, tzinfo=UTC)


OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  budgetingMethod: Occurrences
  timeWindow:
{window}
  indicator:
    metadata: {{name: errors}}
    spec:
      ratioMetric:
        bad: {{metricSource: {{type: Prometheus, spec: {{query: 'b[{{{{window}}}}]'}}}}}}
        total: {{metricSource: {{type: Prometheus, spec: {{query: 't[{{{{window}}}}]'}}}}}}
  objectives:
    - target: 0.999
"""


def _openslo(tmp_path: Path, window: str) -> Path:
    (tmp_path / "ops/shop/openslo").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(
        "project: shop\nname: Shop\nowners: ['@sre']\ntimezone: UTC\n", encoding="utf-8"
    )
    (tmp_path / "ops/shop/openslo/slo.yaml").write_text(
        OPENSLO.format(window=window), encoding="utf-8"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        pytest.param("    - duration: 28d\n      isRolling: true", TimeWindow("28d"), id="28d"),
        pytest.param("    - duration: 2w\n      isRolling: true", TimeWindow("2w"), id="2w"),
        pytest.param(
            "    - duration: 1M\n      isRolling: false\n      calendar:\n"
            "        startTime: 2026-01-01 00:00:00\n        timeZone: UTC",
            TimeWindow(calendar="month"),
            id="calendar-month",
        ),
    ],
)
def test_openslo_time_windows(tmp_path: Path, window: str, expected: TimeWindow) -> None:
    (slo,) = openslo.load(_openslo(tmp_path, window), "shop")
    assert slo.time_window == expected


@pytest.mark.parametrize("zone", ["Etc/UCT", "Universal", "Etc/Zulu", "GMT0", "Etc/Greenwich"])
def test_every_iana_name_of_utc_counts_the_calendar_month(tmp_path: Path, zone: str) -> None:
    window = (
        f"    - duration: 1M\n      isRolling: false\n      calendar:\n        timeZone: {zone}"
    )
    (slo,) = openslo.load(_openslo(tmp_path, window), "shop")
    assert slo.time_window == TimeWindow(calendar="month")


@pytest.mark.parametrize(
    ("window", "message"),
    [
        pytest.param(
            "    - duration: 1w\n      isRolling: false",
            "slo.yaml:8: timeWindow: a calendar window of '1w' cannot be counted",
            id="calendar-week",
        ),
        pytest.param(
            "    - duration: 1M\n      isRolling: true",
            "slo.yaml:8: timeWindow: a rolling window of '1M' cannot be counted; ops counts "
            "rolling windows of 7 to 400 days, in days or weeks (28d, 4w)",
            id="rolling-month",
        ),
        pytest.param(
            "    - duration: 3d\n      isRolling: true",
            "slo.yaml:8: timeWindow: a rolling window of '3d' cannot be counted",
            id="shorter-than-the-week",
        ),
        pytest.param(
            "    - duration: 1M\n      calendar:\n        timeZone: Europe/Berlin",
            "slo.yaml:9: timeWindow: calendar.timeZone 'Europe/Berlin': ops counts calendar "
            "months in UTC",
            id="time-zone",
        ),
    ],
)
def test_openslo_windows_ops_cannot_count(tmp_path: Path, window: str, message: str) -> None:
    repo = _openslo(tmp_path, window)
    with pytest.raises(OpsError) as caught:
        openslo.load(repo, "shop")
    assert message in f"{caught.value.path}:{caught.value.line}: {caught.value}"


@pytest.mark.parametrize(
    ("window", "message"),
    [
        pytest.param(
            "{rolling: 5d}",
            "must be a length of 7 to 400 days in days or weeks, such as 28d, 30d or 4w",
            id="too-short",
        ),
        pytest.param(
            "{rolling: 28d, calendar: month}",
            "a time window is exactly one of rolling (such as 28d) or calendar (month)",
            id="both",
        ),
        pytest.param("{calendar: quarter}", "must be 'month', not 'quarter'", id="q"),
    ],
)
def test_project_time_windows_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], window: str, message: str
) -> None:
    repo = _repo(tmp_path, _with_window(promdata.PROJECT_YAML, window))
    assert main(["--root", str(repo), "validate"]) == 1
    out = capsys.readouterr().out
    assert "ops/shop/project.yaml:12: $.slos[0].time_window" in out and message in out


# --- found by the attack review ----------------------------------------------------------------


def _grouped(window: TimeWindow | None) -> object:
    from checks.slo.model import Slo

    return Slo("api", Decimal("99"), total="t", bad="b", group_by=("service",), time_window=window)


def test_a_group_seen_only_in_the_window_leaves_the_week_alone() -> None:
    """A service that had traffic earlier in the 28 days but none this week: no row of the
    week, no NO_DATA verdict; its window events still count in the SLO's budget."""
    from checks.slo.compute import Counts
    from checks.slo.weekly import slo_week

    week = parse_week("2026-W43")
    cart = {("cart",): Counts(1000.0, 1000.0)}
    window = {("cart",): Counts(4000.0, 4000.0), ("legacy",): Counts(90.0, 100.0)}
    first = {("cart",): Counts(100.0, 100.0), ("legacy",): Counts(10.0, 10.0)}
    entry = slo_week(_grouped(TimeWindow(rolling="28d")), week, [*[cart] * 8, window, first])  # type: ignore[arg-type]
    assert [g.labels for g in entry.groups] == [("cart",)]
    assert entry.week.status == "PASS"
    assert entry.budget is not None and entry.budget.figures.total == 4100
    without = slo_week(_grouped(None), week, [cart] * 8)  # type: ignore[arg-type]
    assert entry.week == without.week


def test_a_window_the_source_refuses_shows_no_data_and_the_week_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from checks.slo.sources.mock import MockSource

    calls = {"n": 0}
    original = MockSource.measure_all

    def refuse_long(self, slos, windows):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if windows and windows[0][1] - windows[0][0] > dt.timedelta(days=8):
            raise OpsError("the server refused the query: too many samples")
        return original(self, slos, windows)

    monkeypatch.setattr(MockSource, "measure_all", refuse_long)
    root = tmp_path / "repo"
    shutil.copytree(REPO / "ops", root / "ops")
    project = root / "ops/checkout/project.yaml"
    text = project.read_text("utf-8")
    project.write_text(_with_window(text, "{rolling: 28d}"), "utf-8")
    capsys.readouterr()
    assert main(["--root", str(root), "slo", "--project", "checkout", "--week", "2026-W44"]) == 0
    err = capsys.readouterr().err
    assert "cannot be measured: the server refused the query: too many samples" in err
    text = (root / "ops/checkout/slo/2026-W44.md").read_text(encoding="utf-8")
    doc = document.parse_front_matter(text)
    assert doc.data["status"] in ("PASS", "FAIL")  # the week's verdict, as without a window
    windowed = [s for s in doc.data["slos"] if "budget_window" in s]
    assert windowed and all(s["budget_window"]["sli"] is None for s in windowed)


def test_a_first_day_of_zeros_is_no_coverage() -> None:
    """`... or vector(0)` answers 0 where the source has nothing: not a covered first day."""
    from checks.slo import budget
    from checks.slo.compute import Counts
    from checks.slo.model import Slo

    slo_ = Slo("api", Decimal("99"), total="t", bad="b", time_window=TimeWindow(rolling="28d"))
    week = parse_week("2026-W43")
    counts = [*[Counts(99.0, 100.0)] * 8, Counts(900.0, 1000.0), Counts(0.0, 0.0)]
    found = budget.budget(slo_, week, counts)
    assert found is not None and found.figures.status == "NO_DATA"
