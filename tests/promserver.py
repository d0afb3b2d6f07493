"""A real Prometheus on 127.0.0.1, backfilled with promtool from tests/promdata.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, NamedTuple

import promdata


class Server(NamedTuple):
    url: str
    process: subprocess.Popen[bytes]
    dataset: promdata.Dataset
    version: str


class Missing(Exception):
    """prometheus or promtool is not installed."""


def binaries() -> tuple[str, str]:
    found = shutil.which("prometheus"), shutil.which("promtool")
    if None in found:
        raise Missing(
            "the prometheus and promtool binaries are needed (Debian: apt-get install "
            "prometheus; `make test` installs them)"
        )
    return found  # type: ignore[return-value]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(folder: Path, services: promdata.Services = promdata.SERVICES) -> Server:
    """``services``: promdata's per-service series (the benchmark asks for more)."""
    prometheus, promtool = binaries()
    dataset = promdata.generate(services)
    inputs = promdata.write(dataset, folder / "openmetrics")
    data = folder / "tsdb"

    def backfill(path: Path) -> None:  # one file per day: promtool re-reads it per 2 h block
        subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", str(path), str(data)],
            check=True,
            capture_output=True,
        )

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(backfill, inputs))
    config = folder / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n", encoding="utf-8")  # no targets
    port = free_port()
    with (folder / "prometheus.log").open("wb") as log:  # Popen keeps its own copy
        process = _popen(prometheus, config, data, port, log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"prometheus exited: {(folder / 'prometheus.log').read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    else:
        process.terminate()
        raise RuntimeError("prometheus did not become ready within 60 s")
    version = subprocess.run([prometheus, "--version"], capture_output=True, text=True).stdout
    return Server(url, process, dataset, version.split("\n", 1)[0])


def _popen(
    prometheus: str, config: Path, data: Path, port: int, log: IO[bytes]
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=100y",  # blocks older than retention would go
        ],
        stdout=log,
        stderr=log,
    )


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
