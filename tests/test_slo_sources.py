"""The Prometheus client's requests and errors (against a recording server on 127.0.0.1),
the exported-file and mock sources, and the arithmetic."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from fakehttp import FakeServer, Request, answer

from checks.dates import parse_week, parse_weeks
from checks.errors import OpsError
from checks.main import main
from checks.slo import compute
from checks.slo.compute import Counts
from checks.slo.model import Slo
from checks.slo.sources.exported import FileSource
from checks.slo.sources.mock import MockSource
from checks.slo.sources.prometheus import PrometheusSource, from_settings

WEEK = parse_week("2026-W47")
SLO = Slo(
    "availability",
    Decimal("99.9"),
    total='sum(increase(http_requests_total{job="api"}[{{window}}]))',
    bad='sum(increase(http_requests_total{job="api",code=~"5.."}[{{window}}]))',
)


def vector(*values: str) -> dict[str, object]:
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": {}, "value": [1763942400, v]} for v in values],
        },
    }


def _total_or_bad(request: Request, total: str = "1000000", bad: str = "500") -> object:
    query = request.query["query"][0]
    return vector(bad if "5.." in query else total)


# --- Prometheus: what is asked -------------------------------------------------------------


def test_queries_are_instant_with_time_at_the_windows_end_and_the_window_filled_in() -> None:
    with FakeServer(lambda r: answer(200, _total_or_bad(r))) as server:
        counts = PrometheusSource(server.url).measure(SLO, [(WEEK.start, WEEK.end)])
    assert counts == [Counts(999500.0, 1000000.0)]
    assert {r.path for r in server.requests} == {"/api/v1/query"}
    assert {r.query["time"][0] for r in server.requests} == {str(int(WEEK.end.timestamp()))}
    assert sorted(r.query["query"][0] for r in server.requests) == [
        'sum(increase(http_requests_total{job="api",code=~"5.."}[7d]))',
        'sum(increase(http_requests_total{job="api"}[7d]))',
    ]


def test_credentials_and_headers_come_from_the_named_environment_variables() -> None:
    settings = {
        "url_env": "PROM_URL",
        "bearer_token_env": "PROM_TOKEN",
        "headers_env": {"X-Scope-OrgID": "PROM_TENANT"},
    }
    with FakeServer(lambda r: answer(200, _total_or_bad(r))) as server:
        env = {"PROM_URL": server.url, "PROM_TOKEN": "s3cret-token", "PROM_TENANT": "team-a"}
        from_settings(settings, env).measure(SLO, [(WEEK.start, WEEK.end)])
    request = server.requests[0]
    assert request.headers["authorization"] == "Bearer s3cret-token"
    assert request.headers["x-scope-orgid"] == "team-a"


def test_basic_auth() -> None:
    settings = {"url_env": "U", "username_env": "USER", "password_env": "PASS"}
    with FakeServer(lambda r: answer(200, _total_or_bad(r))) as server:
        from_settings(settings, {"U": server.url, "USER": "ops", "PASS": "pw"}).measure(
            SLO, [(WEEK.start, WEEK.end)]
        )
    assert server.requests[0].headers["authorization"] == "Basic b3BzOnB3"


def test_a_missing_secret_is_named_but_never_shown() -> None:
    with pytest.raises(OpsError) as caught:
        from_settings({"url": "http://127.0.0.1:1", "bearer_token_env": "PROM_TOKEN"}, {})
    assert "PROM_TOKEN" in str(caught.value)
    with pytest.raises(OpsError, match="no Prometheus URL: set the environment variable X"):
        from_settings({"url_env": "X"}, {})


def test_server_errors_are_retried_with_backoff() -> None:
    calls: list[int] = []

    def flaky(request: Request):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) <= 2:
            return answer(503, raw=b"try later")
        return answer(200, _total_or_bad(request))

    with FakeServer(flaky) as server:
        source = PrometheusSource(server.url, backoff=0.01)
        assert source.value(SLO.total, "7d", WEEK.end) == 1000000.0
        source.close()
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            answer(200, raw=b"<html>Please sign in</html>"),
            "answered HTTP 200 with text/plain, not the API's JSON (an authentication proxy or a "
            "wrong URL?): '<html>Please sign in</html>'",
        ),
        (
            answer(400, {"status": "error", "errorType": "bad_data", "error": "parse error"}),
            "refused the query 'sum(increase(http_requests_total{job=\"api\"}[7d]))': "
            "bad_data: parse error",
        ),
        (
            answer(401, {"status": "error", "errorType": "unauthorized", "error": "no"}),
            "unauthorized: no (check the credentials' environment variables)",
        ),
        (
            answer(200, {"status": "success", "data": {"resultType": "matrix", "result": []}}),
            "with a matrix result; an SLO query must give an instant vector or a scalar",
        ),
        (answer(503, raw=b"down"), "answered HTTP 503 with text/plain"),
    ],
)
def test_answers_that_are_not_clean_are_clear_errors(reply, message: str) -> None:  # type: ignore[no-untyped-def]
    with FakeServer(lambda r: reply) as server:
        source = PrometheusSource(server.url, retries=1, backoff=0.01)
        with pytest.raises(OpsError) as caught:
            source.value(SLO.total, "7d", WEEK.end)
        source.close()
    assert message in str(caught.value)
    assert f"Prometheus at {server.url}/api/v1/query" in str(caught.value)


def test_an_unreachable_server_is_a_clear_error() -> None:
    import promserver

    port = promserver.free_port()  # nothing listens there
    source = PrometheusSource(f"http://127.0.0.1:{port}", retries=1, backoff=0.01, timeout=2)
    with pytest.raises(OpsError, match=f"cannot reach Prometheus at http://127.0.0.1:{port}"):
        source.value(SLO.total, "7d", WEEK.end)


def test_credentials_in_the_url_are_not_shown() -> None:
    import promserver

    port = promserver.free_port()
    source = PrometheusSource(f"http://user:hunter2@127.0.0.1:{port}", retries=0, timeout=2)
    with pytest.raises(OpsError) as caught:
        source.value(SLO.total, "7d", WEEK.end)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "payload",
    [
        vector(),
        vector("NaN"),
        {"status": "success", "data": {"resultType": "scalar", "result": [1, "NaN"]}},
    ],
    ids=["empty", "nan", "nan-scalar"],
)
def test_empty_and_nan_are_no_data(payload: object) -> None:
    with FakeServer(lambda r: answer(200, payload)) as server:
        counts = PrometheusSource(server.url).measure(SLO, [(WEEK.start, WEEK.end)])
    assert counts == [Counts(None, None)]
    assert compute.figures(SLO, counts[0]).status == "NO_DATA"


def test_several_series_are_an_error_not_a_sum() -> None:
    """Without group_by, summing them would hide which one failed (tests/test_slo_groups.py)."""
    with FakeServer(lambda r: answer(200, vector("1", "2.5"))) as server:
        source = PrometheusSource(server.url)
        with pytest.raises(OpsError, match=r"^the query 'x' answers 2 series; an SLO needs one"):
            source.value("x", "7d", WEEK.end)
        source.close()


def test_ops_slo_reports_prometheus_errors_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import promdata

    (tmp_path / "ops/shop").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(promdata.PROJECT_YAML, encoding="utf-8")
    with FakeServer(lambda r: answer(200, raw=b"Unauthorized")) as server:
        monkeypatch.setenv("OPS_PROMETHEUS_URL", server.url)
        code = main(["--root", str(tmp_path), "slo", "--project", "shop", "--week", "2026-W40"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "not the API's JSON (an authentication proxy or a wrong URL?)" in err
    assert not (tmp_path / "ops/shop/slo").exists()  # nothing written
    assert not (tmp_path / "evidence/phase6/run.log").exists()


# --- exported files ------------------------------------------------------------------------


def test_csv_rows_count_in_the_windows_that_hold_them(tmp_path: Path) -> None:
    rows = ["timestamp,good,total"]
    for day in range(8):  # the week and the next Monday
        moment = WEEK.start + dt.timedelta(days=day, hours=12)
        rows.append(f"{moment:%Y-%m-%dT%H:%M:%SZ},{990 + day},{1000}")
    rows.append(f"{int(WEEK.end.timestamp()) - 1},5,5")  # Unix seconds: Sunday 23:59:59
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    counts = FileSource(tmp_path, "m.csv").measure(SLO, [(WEEK.start, WEEK.end), *WEEK.days()])
    assert counts[0] == Counts(sum(990 + d for d in range(7)) + 5, 7005)
    assert counts[1] == Counts(990, 1000)
    assert counts[7] == Counts(996 + 5, 1005)


def test_csv_with_an_slo_column(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(
        "slo,timestamp,good,total\navailability,2026-11-17T00:00:00Z,9,10\nother,2026-11-17T00:00:00Z,1,1\n",
        encoding="utf-8",
    )
    assert FileSource(tmp_path, "m.csv").measure(SLO, [(WEEK.start, WEEK.end)]) == [Counts(9, 10)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("when,good,total\n", "m.csv:1: the first line must be the header timestamp,good,total"),
        (
            "timestamp,good,total\n2026-11-17,1\n",
            "m.csv:2: expected 3 comma-separated fields, found 2",
        ),
        (
            "timestamp,good,total\nyesterday,1,2\n",
            "m.csv:2: timestamp must be RFC 3339 or Unix seconds",
        ),
        (
            "timestamp,good,total\n2026-11-17T00:00:00Z,-1,2\n",
            "m.csv:2: good and total must be finite",
        ),
    ],
)
def test_csv_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "m.csv").write_text(text, encoding="utf-8")
    with pytest.raises(OpsError) as caught:
        FileSource(tmp_path, "m.csv").measure(SLO, [(WEEK.start, WEEK.end)])
    assert message in str(caught.value)


def _matrix(*series: list[tuple[float, str]]) -> str:
    return json.dumps(
        {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [{"metric": {"i": str(i)}, "values": s} for i, s in enumerate(series)],
            },
        }
    )


def test_prometheus_json_counts_increase_with_resets(tmp_path: Path) -> None:
    start, end = WEEK.start.timestamp(), WEEK.end.timestamp()
    total = [
        (start - 60, "50"),
        (start, "100"),
        (start + 60, "160"),
        (start + 120, "10"),
        (end, "40"),
        (end + 60, "99"),
    ]
    bad = [(start, "1"), (end, "3")]
    (tmp_path / "availability-total.json").write_text(_matrix(total), encoding="utf-8")
    (tmp_path / "availability-bad.json").write_text(_matrix(bad), encoding="utf-8")
    source = FileSource(tmp_path, "{slo}-{series}.json")
    # 100 -> 160 (+60), reset to 10 (+10), -> 40 (+30): 100 events, 2 of them bad
    assert source.measure(SLO, [(WEEK.start, WEEK.end)]) == [Counts(98.0, 100.0)]


def test_prometheus_json_that_is_not_a_range_answer(tmp_path: Path) -> None:
    (tmp_path / "a-total.json").write_text(json.dumps(vector("1")), encoding="utf-8")
    (tmp_path / "a-bad.json").write_text(json.dumps(vector("1")), encoding="utf-8")
    slo = Slo("a", Decimal("99"), total="t", bad="b")
    with pytest.raises(OpsError, match="not a Prometheus range-query answer"):
        FileSource(tmp_path, "{slo}-{series}.json").measure(slo, [(WEEK.start, WEEK.end)])


# --- mock and arithmetic -------------------------------------------------------------------


def test_mock_is_deterministic_and_fails_its_bad_weeks() -> None:
    a = MockSource("shop", "seed", ["2026-W47"]).measure(SLO, [(WEEK.start, WEEK.end)])
    b = MockSource("shop", "seed", ["2026-W47"]).measure(SLO, [(WEEK.start, WEEK.end)])
    assert a == b
    assert compute.figures(SLO, a[0]).status == "FAIL"
    good = MockSource("shop", "seed").measure(SLO, [(WEEK.start, WEEK.end)])
    assert compute.figures(SLO, good[0]).status == "PASS"


@pytest.mark.parametrize(
    ("good", "total", "status", "sli", "budget", "burn"),
    [
        (999000, 1000000, "PASS", 99.9, 0.0, 1.0),  # exactly on the objective
        (998999, 1000000, "FAIL", 99.8999, -0.001, 1.001),  # one event short
        (1000000, 1000000, "PASS", 100.0, 1.0, 0.0),
        (999999.5, 1000000, "PASS", 99.9999, 0.9995, 0.0005),
        (0, 0, "NO_DATA", None, None, None),
        (None, 10, "NO_DATA", None, None, None),
        (float("nan"), 10, "NO_DATA", None, None, None),
        (11, 10, "NO_DATA", None, None, None),  # more good than total: the queries disagree
    ],
)
def test_figures(good, total, status, sli, budget, burn) -> None:  # type: ignore[no-untyped-def]
    figures = compute.figures(SLO, Counts(good, total))
    assert (figures.status, figures.sli, figures.error_budget_remaining, figures.burn_rate) == (
        status,
        sli,
        budget,
        burn,
    )


def test_overall_status() -> None:
    assert compute.overall(["PASS", "PASS"]) == "PASS"
    assert compute.overall(["PASS", "NO_DATA"]) == "NO_DATA"
    assert compute.overall(["NO_DATA", "FAIL"]) == "FAIL"
    assert compute.overall([]) == "NO_DATA"


def test_weeks() -> None:
    assert parse_week("2026-W47").start == dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
    assert [w.label for w in parse_weeks("2026-W52..2027-W02")] == [
        "2026-W52",
        "2026-W53",
        "2027-W01",
        "2027-W02",
    ]
    with pytest.raises(OpsError, match="'2025-W53' is not an ISO week"):
        parse_week("2025-W53")


def test_a_large_csv_is_read_by_several_processes_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from checks.slo.sources import exported

    rows = ["timestamp,good,total"]
    start = int(WEEK.start.timestamp()) - 3600
    for i in range(20000):  # 30-second rows from an hour before the week on
        rows.append(f"{start + 30 * i},{i % 97},{100 + i % 13}")
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    windows = [(WEEK.start, WEEK.end), *WEEK.days()]
    alone = FileSource(tmp_path, "m.csv").measure(SLO, windows)
    monkeypatch.setattr(exported, "PARALLEL_BYTES", 1000)  # split it (lines cross the cuts)
    monkeypatch.setattr(exported.os, "cpu_count", lambda: 3)  # in three, on any machine
    shared = FileSource(tmp_path, "m.csv").measure(SLO, windows)
    assert shared == alone
    inside = [
        r for r in rows[1:] if WEEK.start.timestamp() <= int(r.split(",")[0]) < WEEK.end.timestamp()
    ]
    assert alone[0] == Counts(
        sum(int(r.split(",")[1]) for r in inside), sum(int(r.split(",")[2]) for r in inside)
    )
    rows[15000] = "oops,1,2"  # an error in the second half still names its line
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(OpsError, match=r"m.csv:15001: timestamp must be RFC 3339"):
        FileSource(tmp_path, "m.csv").measure(SLO, windows)


def test_credentials_in_the_url_are_sent_as_basic_auth() -> None:
    with FakeServer(lambda r: answer(200, vector("1"))) as server:
        url = server.url.replace("http://", "http://ops:p%40ss@")
        source = PrometheusSource(url + "/prometheus")
        assert source.value("x", "7d", WEEK.end) == 1.0
        source.close()
    request = server.requests[0]
    assert request.path == "/prometheus/api/v1/query"  # behind a path prefix
    assert request.headers["authorization"] == "Basic b3BzOnBAc3M="  # ops:p@ss


def test_a_json_export_path_needs_the_series(tmp_path: Path) -> None:
    (tmp_path / "availability.json").write_text(_matrix([(0, "1")]), encoding="utf-8")
    with pytest.raises(OpsError, match=r"metrics.file.path needs \{series\}"):
        FileSource(tmp_path, "{slo}.json").measure(SLO, [(WEEK.start, WEEK.end)])


def test_a_url_that_cannot_be_parsed_is_refused_without_showing_it() -> None:
    with pytest.raises(OpsError) as caught:
        PrometheusSource("https://ops:hunter2#x@prom.example")
    assert "hunter2" not in str(caught.value)
    assert "must be percent-encoded" in str(caught.value)


def test_no_bad_series_with_a_total_means_no_bad_events() -> None:
    def reply(request: Request):  # type: ignore[no-untyped-def]
        return answer(200, vector() if "5.." in request.query["query"][0] else vector("5000"))

    with FakeServer(reply) as server:
        counts = PrometheusSource(server.url).measure(SLO, [(WEEK.start, WEEK.end)])
    assert counts == [Counts(5000.0, 5000.0)]


def test_mock_incident_days_fail_even_with_a_low_objective() -> None:
    low = Slo("batch", Decimal("90"), total="t", good="g")
    counts = MockSource("shop", "seed", ["2026-W47"]).measure(low, WEEK.days())
    statuses = [compute.figures(low, c).status for c in counts]
    assert statuses[2] == "FAIL"  # Wednesday
    assert "NO_DATA" not in statuses


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside.csv", "exports/../../x.csv"])
def test_an_export_outside_the_repository_is_never_read(tmp_path: Path, path: str) -> None:
    with pytest.raises(OpsError, match="read only from inside the repository"):
        FileSource(tmp_path, path, "csv").measure(SLO, [(WEEK.start, WEEK.end)])


def test_an_export_is_not_read_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "m.csv").write_text("timestamp,good,total\n2026-11-10T00:00:00Z,1,1\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "exports").symlink_to(outside)
    with pytest.raises(OpsError, match=r"'exports/m\.csv': an export is read only"):
        FileSource(root, "exports/m.csv", "csv").measure(SLO, [(WEEK.start, WEEK.end)])
