"""A fault-injecting HTTP server on 127.0.0.1: it answers the way a broken or hostile
server does, at the level of the socket (what http.server cannot do: trickle, hang, stream
hundreds of megabytes)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

Mode = Callable[[socket.socket, bytes], None]


def _head(status: str = "200 OK", extra: str = "") -> bytes:
    # The server closes each connection after its answer, and says so.
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n"
    return (head + extra).encode()


def trickle(conn: socket.socket, _: bytes) -> None:
    """A valid answer, one byte a second: each read is quick, the whole never ends in time."""
    for byte in _head() + b"Content-Length: 2\r\n\r\n{}":
        conn.sendall(bytes([byte]))
        time.sleep(1)


def silent(conn: socket.socket, _: bytes) -> None:
    """Accepts the request and never answers."""
    time.sleep(3600)


def huge(conn: socket.socket, _: bytes) -> None:
    """300 MB of JSON, streamed without a length."""
    conn.sendall(_head(extra="Transfer-Encoding: chunked\r\n\r\n"))
    chunk = b'{"status": "success", "pad": "' + b"x" * (1024 * 1024 - 40)
    for _ in range(300):
        conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    conn.sendall(b"0\r\n\r\n")


def deep_json(conn: socket.socket, _: bytes) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    conn.sendall(_head(extra=f"Content-Length: {len(body)}\r\n\r\n") + body)


def echo(conn: socket.socket, request: bytes) -> None:
    """An error whose body repeats the request, credentials first."""
    lines = request.split(b"\r\n")
    lines.sort(key=lambda line: not line.lower().startswith(b"authorization"))
    body = (
        b'{"status": "error", "errorType": "unauthorized", "error": "'
        + b" ".join(lines).replace(b'"', b"'")
        + b'"}'
    )
    conn.sendall(_head("401 Unauthorized", f"Content-Length: {len(body)}\r\n\r\n") + body)


def redirect(conn: socket.socket, _: bytes) -> None:
    conn.sendall(
        _head("302 Found", "Location: http://attacker.invalid/steal\r\nContent-Length: 0\r\n\r\n")
    )


class HostileServer:
    """Serves ``mode`` on every connection, in threads; ``requests`` keeps what came in."""

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.requests: list[bytes] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            request = conn.recv(65536)
            self.requests.append(request)
            self.mode(conn, request)
        except OSError:
            pass
        finally:
            conn.close()

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.sock.close()


def _host_of(request: bytes) -> str:
    """The Host header of a request."""
    for line in request.split(b"\r\n"):
        if line.lower().startswith(b"host:"):
            return line.split(b":", 1)[1].strip().decode()
    return ""


def redirect_to(template: str) -> Mode:
    """A redirect to ``template`` with {host} as the request's own Host (to build a URL that
    names this server to one parser and another to the next)."""

    def mode(conn: socket.socket, request: bytes) -> None:
        location = template.format(host=_host_of(request))
        conn.sendall(_head("302 Found", f"Location: {location}\r\nContent-Length: 0\r\n\r\n"))

    return mode


def link_to(template: str) -> Mode:
    """A GitHub page of issues whose next page is ``template`` ({host} as in redirect_to)."""

    def mode(conn: socket.socket, request: bytes) -> None:
        body = b"[]"
        link = f'<{template.format(host=_host_of(request))}>; rel="next"'
        extra = f"Link: {link}\r\nContent-Length: {len(body)}\r\n\r\n"
        conn.sendall(_head(extra=extra) + body)

    return mode


def echo_encoded(conn: socket.socket, request: bytes) -> None:
    """An error that repeats the credentials percent-encoded, and split across lines."""
    from urllib.parse import quote

    lines = [line for line in request.split(b"\r\n") if line.lower().startswith(b"authoriz")]
    value = lines[0].split(b":", 1)[1].strip().decode() if lines else ""
    token = value.split(" ", 1)[-1]
    half = len(token) // 2
    text = f"bad credentials {quote(token, safe='')} or rather {token[:half]}\n{token[half:]}"
    body = json_error(text)
    conn.sendall(_head("401 Unauthorized", f"Content-Length: {len(body)}\r\n\r\n") + body)


def json_error(text: str) -> bytes:
    import json

    return json.dumps({"status": "error", "errorType": "unauthorized", "error": text}).encode()


def huge_error(conn: socket.socket, _: bytes) -> None:
    """A 400 whose error message is 1.5 MB (within the size cap)."""
    body = json_error("x" * 1_500_000)
    conn.sendall(_head("400 Bad Request", f"Content-Length: {len(body)}\r\n\r\n") + body)


def slow_ok(seconds: float) -> Mode:
    """A correct answer, each after ``seconds``: within any one deadline, not many of them."""

    def mode(conn: socket.socket, _: bytes) -> None:
        time.sleep(seconds)
        body = b'{"status": "success", "data": {"resultType": "vector", "result": []}}'
        conn.sendall(_head(extra=f"Content-Length: {len(body)}\r\n\r\n") + body)

    return mode


_BOMB: list[bytes] = []


def gzip_bomb_ready() -> None:
    """Compress the bomb once, before the clock of a run starts."""
    import gzip

    if not _BOMB:
        _BOMB.append(gzip.compress(b"{" + b" " * 100_000_000 + b"}", compresslevel=6))


def gzip_bomb(conn: socket.socket, _: bytes) -> None:
    """100 MB of JSON whitespace in about 100 KB of gzip."""
    gzip_bomb_ready()
    body = _BOMB[0]
    extra = f"Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n"
    conn.sendall(_head(extra=extra) + body)
