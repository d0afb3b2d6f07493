"""Counts from the Prometheus HTTP API (also Thanos, Mimir, VictoriaMetrics).

Every query is an instant query (``/api/v1/query``) with an explicit ``time=`` at
the window's end, and ``{{window}}`` replaced by the window's length: a query
without ``time=`` would measure the week that ends now, not the one asked for.
Connection errors and 5xx answers are retried with backoff; anything else that is
not a clean answer is an error that says what came back. An empty result or NaN
is "no data" (NO_DATA, never PASS). An answer of several series is an error unless
the SLO has ``group_by``: then each series is a group's (checks.slo.groups).
Credentials come from environment variables named in project.yaml and are never
printed.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from checks import http, jsonload, progress, secrets
from checks.errors import OpsError
from checks.slo import groups, timeslices
from checks.slo.compute import Counts
from checks.slo.groups import Measured
from checks.slo.model import Slo, prometheus_duration

QUERIES = 2  # per SLO and window: total, and good or bad
SLICE_QUERIES = 3  # per time-slice SLO and window: good, total and covered slices
POOL = 8  # concurrent queries, each thread with its own keep-alive connection
# An SLO query sums to a series, or one per group: its answer is a few kilobytes. 2 MiB each,
# eight at a time and parsed, stays well under 100 MB however large a hostile server's answers are.
DEFAULT_MAX_MB = 2


class PrometheusSource:
    name = "prometheus"

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_bytes: int = DEFAULT_MAX_MB * http.MiB,
    ) -> None:
        parts = urlsplit(url.rstrip("/"))
        try:
            port = parts.port
            if "@" in parts.path or "@" in parts.query:  # a password with an unencoded '/'
                raise ValueError
        except ValueError:  # the URL itself is never shown: it may hold a password
            raise OpsError(
                "the Prometheus URL is not a valid URL; a user name or password in it must be "
                "percent-encoded (# / ? @ : as %23 %2F %3F %40 %3A)"
            ) from None
        self.headers = {"Accept": "application/json", **(headers or {})}
        if parts.username is not None:
            secrets.url_credentials(url)
            if "Authorization" not in self.headers:
                user, password = unquote(parts.username), unquote(parts.password or "")
                self.headers["Authorization"] = basic_auth(user, password)
        host = parts.hostname or "localhost"
        netloc = f"[{host}]" if ":" in host else host
        netloc += f":{port}" if port else ""
        self.base = urlunsplit((parts.scheme, netloc, parts.path, "", ""))  # no credentials
        self.shown_url = self.base
        policy = http.Policy(
            deadline=timeout, attempts=retries + 1, backoff=backoff, max_bytes=max_bytes
        )
        self.client = http.Client(f"Prometheus at {self.base}/api/v1/query", policy, POOL)

    def measure(
        self, slo: Slo, windows: Sequence[tuple[dt.datetime, dt.datetime]]
    ) -> list[Measured]:
        return self.measure_all([slo], windows)[0]

    def measure_all(
        self, slos: Sequence[Slo], windows: Sequence[tuple[dt.datetime, dt.datetime]]
    ) -> list[list[Measured]]:
        """Every SLO's counts in every window; the queries run eight at a time, and the first
        that fails stops the rest (each is bounded by the timeout: so is the whole run). On a
        terminal, a bar counts the queries and names one that is slow."""
        from concurrent.futures import ThreadPoolExecutor

        pairs = [(slo, window) for slo in slos for window in windows]
        inflight = progress.Inflight()
        asked = sum(SLICE_QUERIES if slo.timeslices else QUERIES for slo, _ in pairs)
        with (
            progress.bar(asked, "Prometheus queries") as shown,
            ThreadPoolExecutor(max_workers=POOL) as pool,
        ):
            futures = [pool.submit(self.counts, slo, *window, inflight) for slo, window in pairs]
            try:
                done = progress.wait_all(futures, shown, inflight)
            except BaseException:  # Ctrl-C: the queries not sent yet are not sent
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            failed = next((f for f in futures if f in done and f.exception()), None)
            if failed is not None:
                pool.shutdown(wait=False, cancel_futures=True)
                raise failed.exception()  # type: ignore[misc]
        counts = [f.result() for f in futures]
        return [counts[i : i + len(windows)] for i in range(0, len(counts), len(windows))]

    def counts(
        self,
        slo: Slo,
        start: dt.datetime,
        end: dt.datetime,
        inflight: progress.Inflight | None = None,
    ) -> Measured:
        """The SLO's counts in the window, per group with group_by (checks.slo.groups): QUERIES
        queries (``inflight`` tells which runs)."""
        inflight = inflight or progress.Inflight()
        try:
            return self._counts(slo, start, end, inflight)
        except OpsError as e:  # at the SLO's file and line, when it has them (OpenSLO)
            if e.path is not None or slo.origin is None:
                raise
            raise OpsError(
                f"SLO {slo.name!r}: {e.message}",
                path=slo.origin[0],
                line=slo.origin[1],
            ) from None

    def _counts(
        self, slo: Slo, start: dt.datetime, end: dt.datetime, inflight: progress.Inflight
    ) -> Measured:
        window = prometheus_duration(end - start)
        label = waiting_label(slo, start, end)
        if slo.timeslices is not None:
            return self._slices(slo, start, end, inflight, label)
        query = slo.good or slo.bad or ""
        with inflight.waiting(label):
            total = self.series(slo.total, window, end)
        with inflight.waiting(label):
            other = self.series(query, window, end)
        if slo.group_by:
            return groups.combine(
                slo, groups.keyed(slo, slo.total, total), groups.keyed(slo, query, other)
            )
        total_value = groups.single(slo, slo.total, total)
        other_value = groups.single(slo, query, other)
        if slo.good is not None:
            return Counts(other_value, total_value)
        if total_value is None or (other and other_value is None):  # a NaN of bad events
            return Counts(None, total_value)
        # A series of bad events often does not exist until the first one: no answer for
        # bad while total has one means none were bad.
        return Counts(total_value - (other_value or 0.0), total_value)

    def _slices(
        self,
        slo: Slo,
        start: dt.datetime,
        end: dt.datetime,
        inflight: progress.Inflight,
        label: str,
    ) -> Measured:
        """Good and total slices in the window (Timeslices; RatioTimeslices: the exact sum of
        the slices' ratios) and the slices in which the SLI's series answered, per group with
        group_by."""
        asked = timeslices.queries(slo, end - start)
        expected = timeslices.slices(slo, end - start)
        shown = timeslices.shown(slo)  # what messages name: the user's queries, not ops's
        answers = []
        for query in asked:
            with inflight.waiting(label):
                answers.append(self.series(query, "", end, shown))
        good, total, covered = answers
        own = slo.total  # whose series (and labels) the slices' answers carry
        if not slo.group_by:
            return Counts(
                groups.single(slo, own, good),
                groups.single(slo, own, total),
                int(groups.single(slo, own, covered) or 0),
                expected,
            )
        goods = groups.keyed(slo, own, good)
        totals = groups.keyed(slo, own, total)
        answered = groups.keyed(slo, own, covered)
        return {
            group: Counts(
                goods.get(group), totals.get(group), int(answered.get(group) or 0), expected
            )
            for group in sorted({*totals, *goods, *answered})
        }

    def value(self, query: str, window: str, at: dt.datetime) -> float | None:
        """The value of the query's one series at ``at``, or None for no data."""
        return groups.single(None, query, self.series(query, window, at))

    def series(
        self, query: str, window: str, at: dt.datetime, shown: str | None = None
    ) -> list[groups.Series]:
        """The query's series at ``at`` (a scalar is one series without labels); messages
        name the query as ``shown`` says, when ops built it from the user's."""
        promql = query.replace("{{window}}", window)
        target = f"{self.base}/api/v1/query?" + urlencode({"query": promql, "time": _unix(at)})
        got = self.client.request("GET", target, headers=self.headers)
        kind = got.headers.get("Content-Type", "")
        where = f"{self.base}/api/v1/query"
        return parse_answer(got.status, kind, got.body, where, promql, shown)

    def close(self) -> None:
        """Close the connections the queries kept open."""
        self.client.close()


def waiting_label(slo: Slo, start: dt.datetime, end: dt.datetime) -> str:
    """How the progress bar names a query it waits for: the SLO and the window's dates (never
    the URL, which may hold a password, nor the query)."""
    return f"{slo.name} {start.date().isoformat()}..{end.date().isoformat()}"


def parse_answer(
    status: int, kind: str, body: bytes, where: str, promql: str, shown: str | None = None
) -> list[groups.Series]:
    """The series of an ``/api/v1/query`` answer; OpsError for anything but a clean one,
    naming the query as ``shown`` (default: the query, quoted)."""
    named = shown if shown is not None else f"the query {promql!r}"
    try:
        answer = jsonload.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        snippet = secrets.excerpt(body[:4096].decode("utf-8", "replace"), 120)
        raise OpsError(
            f"Prometheus at {where} answered HTTP {status} with {kind or 'no content type'}, "
            f"not the API's JSON (an authentication proxy or a wrong URL?): {snippet!r}"
        )
    if answer.get("status") != "success":
        kind_of = secrets.excerpt(str(answer.get("errorType", "error")), 40)
        problem = f"{kind_of}: {secrets.excerpt(str(answer.get('error', 'no details')))}"
        hint = " (check the credentials' environment variables)" if status in (401, 403) else ""
        raise OpsError(f"Prometheus at {where} refused {named}: {problem}{hint}")
    if status >= 400:
        raise OpsError(f"Prometheus at {where} answered HTTP {status} to {named}")
    return _series(answer.get("data"), named, where)


def _series(data: Any, named: str, where: str) -> list[groups.Series]:
    if not isinstance(data, dict):
        raise OpsError(f"Prometheus at {where} answered {named} without a data field")
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        return [groups.Series({}, _number(result, named, where))]
    if kind == "vector" and isinstance(result, list):
        return [
            groups.Series(
                _labels(one.get("metric"), named, where), _number(one.get("value"), named, where)
            )
            for one in result
            if isinstance(one, dict)
        ]
    raise OpsError(
        f"Prometheus at {where} answered {named} with a {kind} result; an SLO query must give "
        "an instant vector or a scalar (use increase(...[{{window}}]), not a range selector)"
    )


def _labels(metric: Any, named: str, where: str) -> dict[str, str]:
    if metric is None:
        return {}
    if isinstance(metric, dict) and all(isinstance(v, str) for v in metric.values()):
        return metric
    raise OpsError(
        f"Prometheus at {where} answered {named} with a series whose labels are not text"
    )


def _number(sample: Any, named: str, where: str) -> float:
    try:
        return float(sample[1])
    except (TypeError, ValueError, IndexError):
        raise OpsError(
            f"Prometheus at {where} answered {named} with a sample that is not a number"
        ) from None


def _unix(moment: dt.datetime) -> str:
    return f"{moment.timestamp():.3f}".rstrip("0").rstrip(".")


def basic_auth(user: str, password: str) -> str:
    """The Authorization header of basic auth, remembered as secret (its base64 holds the
    password in a form no single secret's forms match)."""
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    secrets.remember(encoded, encoded.rstrip("="))
    return "Basic " + encoded


DEFAULT_URL_ENV = "OPS_PROMETHEUS_URL"


def from_settings(
    settings: Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> PrometheusSource:
    """A source from project.yaml's ``metrics.prometheus`` and the environment.

    project.yaml has passed its schema, which holds the rule of where secrets may go: the
    variables it names start with OPS_, and with a credential the URL is the environment's
    (``url`` in the file is refused then)."""
    url_env = settings.get("url_env", DEFAULT_URL_ENV)
    url = environ.get(url_env, "").strip() or settings.get("url")
    if not url:
        raise OpsError(
            f"no Prometheus URL: set the environment variable {url_env} or metrics.prometheus.url "
            "in project.yaml"
        )
    if urlsplit(url).scheme not in ("http", "https"):
        raise OpsError(
            f"the Prometheus URL (from {url_env} or project.yaml) must start with http:// or https://"
        )
    headers: dict[str, str] = {}
    token_env = settings.get("bearer_token_env")
    if token_env:
        headers["Authorization"] = f"Bearer {_secret(environ, token_env, 'bearer token')}"
    user_env, password_env = settings.get("username_env"), settings.get("password_env")
    if user_env or password_env:
        if not (user_env and password_env):
            raise OpsError(
                "metrics.prometheus: basic auth needs both username_env and password_env"
            )
        user = _secret(environ, user_env, "user name")
        password = _secret(environ, password_env, "password")
        headers["Authorization"] = basic_auth(user, password)
    for header, env in settings.get("headers_env", {}).items():
        if header.lower() == "authorization" and "Authorization" in headers:
            raise OpsError(
                "metrics.prometheus: headers_env sets Authorization, and so does "
                "bearer_token_env or username_env: choose one"
            )
        headers["Authorization" if header.lower() == "authorization" else header] = _secret(
            environ, env, f"{header} header"
        )
    return PrometheusSource(
        url,
        headers=headers,
        timeout=float(settings.get("timeout_seconds", 30)),
        max_bytes=int(settings.get("max_response_mb", DEFAULT_MAX_MB)) * http.MiB,
    )


def _secret(environ: Mapping[str, str], name: str, what: str) -> str:
    value = secrets.env(name, environ)
    if not value:
        raise OpsError(
            f"the Prometheus {what} comes from the environment variable {name}, which is not set"
        )
    return value
