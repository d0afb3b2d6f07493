"""Counts from the Prometheus HTTP API (also Thanos, Mimir, VictoriaMetrics).

Every query is an instant query (``/api/v1/query``) with an explicit ``time=`` at
the window's end, and ``{{window}}`` replaced by the window's length: a query
without ``time=`` would measure the week that ends now, not the one asked for.
Connection errors and 5xx answers are retried with backoff; anything else that is
not a clean answer is an error that says what came back. An empty result or NaN
is "no data" (NO_DATA, never PASS). Credentials come from environment variables
named in project.yaml and are never printed.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import math
import os
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from checks import jsonload
from checks.errors import OpsError
from checks.slo.compute import Counts
from checks.slo.model import Slo, prometheus_duration

RETRY_STATUSES = (500, 502, 503, 504)
POOL = 8  # concurrent queries, each thread with its own keep-alive connection


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
    ) -> None:
        parts = urlsplit(url.rstrip("/"))
        try:
            self.port = parts.port
        except ValueError:  # the URL itself is never shown: it may hold a password
            raise OpsError(
                "the Prometheus URL is not a valid URL; a user name or password in it must be "
                "percent-encoded (# / ? @ : as %23 %2F %3F %40 %3A)"
            ) from None
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.prefix = parts.path  # a Prometheus behind a path: https://host/prometheus
        self.shown_url = _without_credentials(url.rstrip("/"))
        self.headers = {"Accept": "application/json", **(headers or {})}
        if parts.username is not None and "Authorization" not in self.headers:
            user, password = unquote(parts.username), unquote(parts.password or "")
            self.headers["Authorization"] = basic_auth(user, password)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.local = threading.local()  # one keep-alive connection per thread
        self.opened: list[http.client.HTTPConnection] = []
        self.lock = threading.Lock()

    def measure(self, slo: Slo, windows: Sequence[tuple[dt.datetime, dt.datetime]]) -> list[Counts]:
        return self.measure_all([slo], windows)[0]

    def measure_all(
        self, slos: Sequence[Slo], windows: Sequence[tuple[dt.datetime, dt.datetime]]
    ) -> list[list[Counts]]:
        """Every SLO's counts in every window; the queries run eight at a time."""
        pairs = [(slo, window) for slo in slos for window in windows]
        try:
            if len(pairs) == 1:
                return [[self.counts(slos[0], *windows[0])]]
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=POOL) as pool:
                counts = list(pool.map(lambda pair: self.counts(pair[0], *pair[1]), pairs))
        finally:
            self.close()
        return [counts[i : i + len(windows)] for i in range(0, len(counts), len(windows))]

    def counts(self, slo: Slo, start: dt.datetime, end: dt.datetime) -> Counts:
        window = prometheus_duration(end - start)
        total = self.value(slo.total, window, end)
        if slo.good is not None:
            return Counts(self.value(slo.good, window, end), total)
        bad = self.value(slo.bad or "", window, end)
        if total is None:
            return Counts(None, None)
        # A series of bad events often does not exist until the first one: no answer for
        # bad while total has one means none were bad.
        return Counts(total - (bad or 0.0), total)

    def value(self, query: str, window: str, at: dt.datetime) -> float | None:
        """The query's value at ``at`` (summed over series), or None for no data."""
        promql = query.replace("{{window}}", window)
        target = f"{self.prefix}/api/v1/query?" + urlencode({"query": promql, "time": _unix(at)})
        status, kind, body = self.get(target)
        return parse_answer(status, kind, body, f"{self.shown_url}/api/v1/query", promql)

    def get(self, target: str) -> tuple[int, str, bytes]:
        """GET with retries and exponential backoff on connection errors and 5xx answers."""
        problem = "no answer"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                connection = self._connection()
                connection.request("GET", target, headers=self.headers)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as e:
                self._drop()
                problem = _reason(e)
                continue
            kind = response.getheader("Content-Type", "")
            if response.status in RETRY_STATUSES and attempt < self.retries:
                problem = f"HTTP {response.status}"
                continue
            return response.status, kind, body
        where = f"{self.shown_url}/api/v1/query"
        raise OpsError(
            f"cannot reach Prometheus at {where}: {problem} (tried {self.retries + 1} times)"
        )

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self.local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            connection = kind(self.host, self.port, timeout=self.timeout)
            self.local.connection = connection
            with self.lock:
                self.opened.append(connection)
        return connection

    def close(self) -> None:
        """Close every connection the queries opened."""
        with self.lock:
            for connection in self.opened:
                connection.close()
            self.opened.clear()
        self.local = threading.local()

    def _drop(self) -> None:
        connection = getattr(self.local, "connection", None)
        if connection is not None:
            connection.close()
            self.local.connection = None


def parse_answer(status: int, kind: str, body: bytes, where: str, promql: str) -> float | None:
    """The value in an ``/api/v1/query`` answer; OpsError for anything but a clean one."""
    try:
        answer = jsonload.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        snippet = body[:120].decode("utf-8", "replace").strip().replace("\n", " ")
        raise OpsError(
            f"Prometheus at {where} answered HTTP {status} with {kind or 'no content type'}, "
            f"not the API's JSON (an authentication proxy or a wrong URL?): {snippet!r}"
        )
    if answer.get("status") != "success":
        problem = f"{answer.get('errorType', 'error')}: {answer.get('error', 'no details')}"
        hint = " (check the credentials' environment variables)" if status in (401, 403) else ""
        raise OpsError(f"Prometheus at {where} refused the query {promql!r}: {problem}{hint}")
    if status >= 400:
        raise OpsError(f"Prometheus at {where} answered HTTP {status} to {promql!r}")
    return _value(answer.get("data"), promql, where)


def _value(data: Any, promql: str, where: str) -> float | None:
    if not isinstance(data, dict):
        raise OpsError(f"Prometheus at {where} answered {promql!r} without a data field")
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        samples = [result]
    elif kind == "vector" and isinstance(result, list):
        samples = [series.get("value") for series in result if isinstance(series, dict)]
    else:
        raise OpsError(
            f"Prometheus at {where} answered {promql!r} with a {kind} result; an SLO query must "
            "give an "
            "instant vector or a scalar (use increase(...[{{window}}]), not a range selector)"
        )
    values = [_number(sample, promql, where) for sample in samples]
    if not values or any(math.isnan(v) for v in values):
        return None
    return math.fsum(values)


def _number(sample: Any, promql: str, where: str) -> float:
    try:
        return float(sample[1])
    except (TypeError, ValueError, IndexError):
        raise OpsError(
            f"Prometheus at {where} answered {promql!r} with a sample that is not a number"
        ) from None


def _unix(moment: dt.datetime) -> str:
    return f"{moment.timestamp():.3f}".rstrip("0").rstrip(".")


def _reason(error: Exception) -> str:
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return "unknown host"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return type(error).__name__


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def from_settings(
    settings: Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> PrometheusSource:
    """A source from project.yaml's ``metrics.prometheus`` and the environment."""
    url_env = settings.get("url_env", "PROMETHEUS_URL")
    url = environ.get(url_env) or settings.get("url")
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
        headers[header] = _secret(environ, env, f"{header} header")
    return PrometheusSource(
        url, headers=headers, timeout=float(settings.get("timeout_seconds", 30))
    )


def _secret(environ: Mapping[str, str], name: str, what: str) -> str:
    value = environ.get(name)
    if not value:
        raise OpsError(
            f"the Prometheus {what} comes from the environment variable {name}, which is not set"
        )
    return value
