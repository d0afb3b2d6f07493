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
    return f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}".encode()


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
    """An error whose body repeats the request, credentials included."""
    body = (
        b'{"status": "error", "errorType": "unauthorized", "error": "'
        + request.replace(b"\r\n", b" ").replace(b'"', b"'")
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
