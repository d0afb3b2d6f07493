"""The one HTTP layer: Prometheus, GitHub and Slack all go through :class:`Client`.

One policy for every server, however slow, large or hostile:

- a deadline for each call, wall time: connecting, the headers, the body and every retry fit
  in it. A watchdog shuts the connection's socket down when it passes, so a server that
  trickles one byte a second (each read within its timeout) is cut off too, and an answer it
  cut short never counts as complete. The calls of one client share a budget as well (ten
  deadlines by default), so many slow answers cannot add up to hours;
- retries (connection errors, 5xx) with backoff, only while the deadline allows;
- a cap on every response body, read as it streams in (a length announced above the cap is
  refused before reading);
- JSON parsed with a bound on nesting (:mod:`checks.jsonload`);
- redirects followed only within the same origin (scheme, host and port), judged by the parser
  urllib3 connects with, and no URL with a character outside RFC 3986 (a backslash is a
  separator to one parser and not to another): credentials never go where they were not
  configured;
- messages that name the server as the caller describes it (never a URL with a password or a
  webhook's key) and hold no secret (:mod:`checks.secrets`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

from checks import jsonload
from checks.errors import OpsError

MiB = 1024 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Policy:
    deadline: float = 30.0  # seconds for one call, wall time, retries included
    attempts: int = 4  # the first try and three retries
    backoff: float = 0.5  # seconds before the first retry, doubling
    max_bytes: int = 16 * MiB  # a response body larger than this is refused
    retry_statuses: frozenset[int] = frozenset({500, 502, 503, 504})
    max_redirects: int = 3
    budget: float | None = None  # seconds for all the calls of a client (default 10 deadlines)

    @property
    def total(self) -> float:
        return self.budget if self.budget is not None else 10 * self.deadline


class Answer(NamedTuple):
    status: int
    headers: Mapping[str, str]  # case-insensitive (urllib3's HTTPHeaderDict)
    body: bytes

    def json(self) -> Any:
        """The body as JSON (ValueError when it is not JSON, or nests too deeply)."""
        return jsonload.loads(self.body)


class Failed(OpsError):
    """A call that got no usable answer; its message names the server and what went wrong."""


# --- the watchdog -------------------------------------------------------------------------------

_local = threading.local()


class _Watch:
    """The socket of the call in progress on this thread, and a timer that shuts it down."""

    def __init__(self, seconds: float) -> None:
        self.sock: socket.socket | None = None
        self.fired = False
        self.timer = threading.Timer(max(seconds, 0.0), self._fire)
        self.timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        sock = self.sock
        if sock is not None:  # unblocks any read or write on it, in any thread
            with suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Watch:
        _local.watch = self
        self.timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.timer.cancel()
        _local.watch = None


class _Watched:
    """A urllib3 connection that tells the watchdog of this thread which socket it uses."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _watch_socket(sock)  # before TLS: a handshake that trickles is cut off too
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:  # a kept-alive connection, used again
            _watch_socket(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


def _watch_socket(sock: socket.socket) -> None:
    watch: _Watch | None = getattr(_local, "watch", None)
    if watch is not None:
        watch.sock = sock
        if watch.fired:
            watch._fire()


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


# --- the client ---------------------------------------------------------------------------------


class Client:
    """Calls to one kind of server under one policy; safe to share between threads."""

    def __init__(self, what: str, policy: Policy | None = None, connections: int = 8) -> None:
        self.what = what  # how messages name the server: "Prometheus at https://prom.example"
        self.policy = policy or Policy()
        self.ends = time.monotonic() + self.policy.total
        self.pools = urllib3.PoolManager(num_pools=4, maxsize=connections)
        self.pools.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def close(self) -> None:
        """Close every connection kept open."""
        self.pools.clear()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        retry: bool = True,
    ) -> Answer:
        """The server's answer (any status), within the policy; Failed when there is none."""
        policy = self.policy
        problem = _url_problem(url)
        if problem is not None:
            raise Failed(f"{self.what}: {problem}")
        now = time.monotonic()
        over_budget = Failed(
            f"{self.what}: its answers took longer than {policy.total:g} s together, the "
            "budget of one run (ten times its timeout); is the server overloaded?"
        )
        if now >= self.ends:
            raise over_budget
        deadline = min(now + policy.deadline, self.ends)
        attempts = policy.attempts if retry else 1
        problem, made = "no answer", 0
        for attempt in range(attempts):
            if attempt:
                pause = policy.backoff * 2 ** (attempt - 1)
                if time.monotonic() + pause >= deadline:
                    break
                time.sleep(pause)
            made += 1
            try:
                answer = self._follow(method, url, headers or {}, body, deadline)
            except _Refused as e:
                raise Failed(f"{self.what} {e}") from None
            except _Problem as e:
                problem = str(e)
                continue
            if answer.status in policy.retry_statuses and attempt + 1 < attempts:
                problem = f"HTTP {answer.status}"
                continue
            return answer
        if deadline == self.ends:  # the run's budget, not the call's deadline, ran out
            raise over_budget
        raise Failed(
            f"cannot reach {self.what}: {problem} ({made} attempt{'s' if made != 1 else ''} "
            f"within {policy.deadline:g} s)"
        )

    def _follow(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        deadline: float,
    ) -> Answer:
        """One attempt, following redirects within the origin of ``url``."""
        origin = _origin(url)
        for _ in range(self.policy.max_redirects + 1):
            answer = self._once(method, url, headers, body, deadline)
            location = answer.headers.get("Location")
            if answer.status not in REDIRECTS or not location:
                return answer
            url = urljoin(url, location)
            if _url_problem(url) is not None or _origin(url) != origin:
                raise _Refused(
                    f"answered HTTP {answer.status}, a redirect to another host, which is not "
                    "followed (credentials go only where they were configured); configure the "
                    "URL it redirects to"
                )
            if answer.status == 303:
                method, body = "GET", None
        raise _Refused(f"redirected more than {self.policy.max_redirects} times")

    def _once(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        deadline: float,
    ) -> Answer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Problem("no answer in time")
        timeout = urllib3.Timeout(connect=min(remaining, 10.0), read=remaining)
        with _Watch(remaining) as watch:
            try:
                response = self.pools.urlopen(
                    method,
                    url,
                    body=body,
                    headers=dict(headers),
                    redirect=False,
                    retries=False,
                    timeout=timeout,
                    preload_content=False,
                )
                try:
                    data = self._body(response)
                finally:
                    response.release_conn()
            except _Refused:
                raise
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as e:
                raise _Problem(
                    "no complete answer in time" if watch.fired else _reason(e)
                ) from None
            if watch.fired:  # cut off: what was read may look whole, and is not
                raise _Problem("no complete answer in time")
        return Answer(response.status, response.headers, data)

    def _body(self, response: urllib3.BaseHTTPResponse) -> bytes:
        limit = self.policy.max_bytes
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > limit:
            response.close()
            raise _Refused(f"sent {int(length):,} bytes; answers are limited to {limit:,} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = response.read(64 * 1024)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                response.close()
                raise _Refused(f"sent more than {limit:,} bytes; answers are limited to that")
            chunks.append(chunk)


class _Problem(Exception):
    """A failed attempt, worth another try."""


class _Refused(Exception):
    """An answer that no retry will make acceptable."""


# RFC 3986: unreserved, reserved and '%' (of percent-encoding); nothing else may be in a URL.
_URL_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)


def _url_problem(url: str) -> str | None:
    """Why ``url`` is not one to send a request to, or None."""
    if not set(url) <= _URL_CHARS:
        return (
            "a URL with a character that is not allowed in one (a backslash, a space, a control "
            "or non-ASCII character) is not followed: parsers disagree on where its host ends"
        )
    if urlsplit(url).scheme not in ("http", "https"):
        return "only http and https URLs are followed"
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port, as urllib3 reads them to connect (its parser, not urllib's)."""
    try:
        parts = urllib3.util.parse_url(url)
    except urllib3.exceptions.LocationParseError:
        return "", "", -1
    scheme = (parts.scheme or "").lower()
    default = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.host or "").lower().rstrip("."), parts.port or default


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` is on the scheme, host and port of ``base`` (and one to follow)."""
    return _url_problem(url) is None and _origin(url) == _origin(base)


def _reason(error: BaseException) -> str:
    """What went wrong, in words, without the URL (it may hold a password)."""
    for kind, words in (  # NewConnectionError is a ConnectTimeoutError too: it comes first
        (urllib3.exceptions.NameResolutionError, "unknown host"),
        (urllib3.exceptions.NewConnectionError, "could not connect"),
        (urllib3.exceptions.ConnectTimeoutError, "could not connect in time"),
        (urllib3.exceptions.ReadTimeoutError, "no answer in time"),
        (urllib3.exceptions.SSLError, "TLS failed (certificate?)"),
        (urllib3.exceptions.ProtocolError, "the connection broke"),
        (TimeoutError, "no answer in time"),
        (ConnectionRefusedError, "connection refused"),
    ):
        if isinstance(error, kind):
            return words
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return type(error).__name__
