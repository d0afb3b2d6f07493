"""Progress where a person waits: drawn on a terminal's stderr, never in a pipe, a CI log or
with --quiet, and never changing what a command prints on stdout.

Each command runs in a child process whose stderr is a pseudo-terminal (pty.openpty) or a pipe,
its stdout always a pipe; OPS_PROGRESS_DELAY=0 draws the bar at once instead of after a second.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest
from casetree import BASE
from fakehttp import FakeServer, Request, answer

from checks import progress
from checks.slo.model import Slo
from checks.slo.sources.prometheus import waiting_label
from checks.validation.jobs import PARALLEL_MIN

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import treegen  # noqa: E402


class Run(NamedTuple):
    code: int
    out: bytes  # stdout, exactly
    err: str  # stderr as the terminal got it (\r\n for \n, \r between redraws)


def ops(argv: list[str], *, terminal: bool, **env: str) -> Run:
    """``ops argv`` in a child process, stderr on a 100-column pseudo-terminal or a pipe."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "TERM", "NO_COLOR", progress.DELAY_ENV)
    }
    environ.update({"TERM": "xterm", progress.DELAY_ENV: "0", **env})
    command = [sys.executable, "-m", "checks", *argv]
    if not terminal:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, env=environ, timeout=60
        )
        return Run(done.returncode, done.stdout, done.stderr.decode())
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    child = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=environ
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        out, _ = child.communicate(timeout=60)
    finally:
        child.kill()
        reader.join(5)
        os.close(master)
    return Run(child.returncode, out, b"".join(chunks).decode())


def erased(err: str) -> bool:
    """The last thing drawn on the terminal is a blank line: the bar took itself away."""
    return err.endswith("\r") and err.rstrip("\r").rsplit("\r", 1)[-1].strip() == ""


# --- a tree of a few hundred documents ---------------------------------------------------------


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> treegen.Tree:
    """Five projects of half a year: enough documents for the engine's worker processes."""
    made = treegen.generate(
        tmp_path_factory.mktemp("progress") / "repo", projects=5, weeks=26, manifest=False
    )
    assert made.documents > PARALLEL_MIN
    return made


def _commands(tree: treegen.Tree) -> dict[str, list[str]]:
    as_of = tree.as_of.isoformat()
    return {
        "validate": ["validate", "--no-cache"],
        "gate": ["gate", "--no-cache", "--as-of", as_of],
        "gate-one-project": ["gate", "--no-cache", "--as-of", as_of, "--project", tree.projects[0]],
    }


@pytest.mark.parametrize("command", ["validate", "gate", "gate-one-project"])
def test_a_terminal_shows_documents_read_and_stdout_stays_the_same(
    tree: treegen.Tree, command: str
) -> None:
    argv = ["--root", str(tree.root), *_commands(tree)[command]]
    shown = ops(argv, terminal=True)
    piped = ops(argv, terminal=False)
    assert shown.out == piped.out
    assert shown.code == piped.code
    assert piped.err == ""
    final = re.findall(r"(\d+)/\1 documents read \|", shown.err)  # every document read
    assert final
    assert re.search(rf"\r0/{final[-1]} documents read \|", shown.err)  # from the start
    assert erased(shown.err)


def test_validate_counts_every_document_it_checks(tree: treegen.Tree) -> None:
    shown = ops(["--root", str(tree.root), "validate", "--no-cache"], terminal=True)
    checked = int(shown.out.decode().split(" documents checked")[0])
    assert f"{checked}/{checked} documents read |" in shown.err


def test_the_gate_says_how_many_projects_it_has_judged(tree: treegen.Tree) -> None:
    as_of = tree.as_of.isoformat()
    shown = ops(["--root", str(tree.root), "gate", "--as-of", as_of], terminal=True)
    assert "5/5 projects judged" in shown.err
    one = ops(
        ["--root", str(tree.root), "gate", "--as-of", as_of, "--project", tree.projects[0]],
        terminal=True,
    )
    assert "1/1 projects judged" in one.err


# --- where nothing is drawn --------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    return root


@pytest.mark.parametrize(
    ("terminal", "env"),
    [
        pytest.param(False, {}, id="a-pipe"),
        pytest.param(False, {"CI": "true"}, id="a-pipe-in-ci"),
        pytest.param(True, {"CI": "true"}, id="a-terminal-in-ci"),
        pytest.param(True, {"TERM": "dumb"}, id="a-dumb-terminal"),
        pytest.param(True, {"PRE_COMMIT": "1"}, id="a-terminal-in-a-pre-commit-hook"),
    ],
)
def test_no_progress_without_a_terminal_a_person_watches(
    small: Path, terminal: bool, env: dict[str, str]
) -> None:
    argv = ["--root", str(small), "validate"]
    run = ops(argv, terminal=terminal, **env)
    assert run.out == b"7 documents checked: all valid\n"
    assert run.err == ""
    assert ops(argv, terminal=True).err != ""  # the same run on a terminal draws


@pytest.mark.parametrize("quiet", ["--quiet", "-q"])
@pytest.mark.parametrize("command", [["validate"], ["gate", "--as-of", "2026-01-13"]])
def test_quiet_silences_validate_and_the_gate_on_a_terminal(
    small: Path, quiet: str, command: list[str]
) -> None:
    argv = ["--root", str(small), *command]
    loud = ops(argv, terminal=True)
    run = ops([*argv, quiet], terminal=True)
    assert loud.err != "" and run.err == ""
    assert run.out == loud.out and run.code == loud.code


def test_tqdm_is_not_even_imported_without_a_terminal(small: Path) -> None:
    probe = (
        "import sys\nfrom checks.main import main\n"
        f"main(['--root', {str(small)!r}, 'validate'])\n"
        "print('tqdm' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.endswith("documents checked: all valid\nFalse\n")


# --- Prometheus -------------------------------------------------------------------------------

TOKEN = "OPS-progress-token-0123456789"
PROJECT_YAML = """\
project: shop
name: Shop
owners: ["@sre"]
timezone: UTC
metrics:
  source: prometheus
  prometheus:
    url_env: OPS_PROMETHEUS_URL
    bearer_token_env: OPS_PROMETHEUS_TOKEN
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        bad: sum(increase(errors_total[{{window}}]))
        total: sum(increase(requests_total[{{window}}]))
"""
SLOW_QUERY = "sum(increase(requests_total[7d]))"  # the week's total
SLOW_SECONDS = progress.SLOW + 1.5


def vector(value: str) -> dict[str, object]:
    result = [{"metric": {}, "value": [1763251200, value]}]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def prometheus(slow: bool):  # type: ignore[no-untyped-def]
    def reply(request: Request):  # type: ignore[no-untyped-def]
        query = request.query["query"][0]
        if slow and query == SLOW_QUERY:
            time.sleep(SLOW_SECONDS)
        return answer(200, vector("1" if "errors" in query else "100000"))

    return FakeServer(reply)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    (tmp_path / "ops/shop").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    return tmp_path


def slo(root: Path, url: str, *extra: str, terminal: bool) -> Run:
    argv = ["--root", str(root), "slo", "--project", "shop", "--week", "2026-W46", *extra]
    return ops(argv, terminal=terminal, OPS_PROMETHEUS_URL=url, OPS_PROMETHEUS_TOKEN=TOKEN)


def test_a_slow_prometheus_query_is_named_while_ops_slo_waits(shop: Path) -> None:
    with prometheus(slow=True) as server:
        run = slo(shop, server.url, terminal=True)
    assert run.code == 0
    assert run.out == b"ops/shop/slo/2026-W46.md: PASS, written\n"
    assert re.search(r"\r0/16 Prometheus queries \|", run.err)  # 8 windows, total and bad
    waiting = re.findall(r"waiting for availability 2026-11-09\.\.2026-11-16 \((\d+) s\)", run.err)
    assert waiting
    assert int(waiting[0]) >= progress.SLOW
    assert "16/16 Prometheus queries" in run.err
    assert TOKEN not in run.err and "127.0.0.1" not in run.err and "requests_total" not in run.err
    assert erased(run.err)


@pytest.mark.parametrize(
    ("extra", "terminal", "shown"),
    [
        pytest.param((), True, True, id="a-terminal"),
        pytest.param(("--quiet",), True, False, id="a-terminal-quiet"),
        pytest.param(("-q",), True, False, id="a-terminal-q"),
        pytest.param((), False, False, id="a-pipe"),
    ],
)
def test_ops_slo_counts_its_queries_unless_quiet(
    shop: Path, extra: tuple[str, ...], terminal: bool, shown: bool
) -> None:
    with prometheus(slow=False) as server:
        run = slo(shop, server.url, *extra, terminal=terminal)
    assert run.out == b"ops/shop/slo/2026-W46.md: PASS, written\n"
    if shown:
        assert "16/16 Prometheus queries" in run.err
        assert "waiting for" not in run.err  # nothing was slow
        assert erased(run.err)
    else:
        assert run.err == ""


# --- the pure parts ---------------------------------------------------------------------------


def test_the_waiting_note() -> None:
    slo_ = Slo("checkout-availability", Decimal("99.9"), "total")
    week = (dt.datetime(2026, 11, 16, tzinfo=dt.UTC), dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    label = waiting_label(slo_, *week)
    assert label == "checkout-availability 2026-11-16..2026-11-23"
    assert progress.waiting((label, 12.4)) == (
        "waiting for checkout-availability 2026-11-16..2026-11-23 (12 s)"
    )
    assert progress.waiting((label, progress.SLOW - 0.1)) == ""  # not slow yet
    assert progress.waiting(None) == ""  # nothing in flight


def test_inflight_names_the_task_waited_on_longest() -> None:
    inflight = progress.Inflight()
    assert inflight.slowest() is None
    with inflight.waiting("first"), inflight.waiting("second"):
        what, seconds = inflight.slowest(time.monotonic() + 10) or ("", 0.0)
        assert what == "first"
        assert seconds >= 10
    assert inflight.slowest() is None
    assert inflight.done == 2


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param(None, progress.DELAY, id="unset"),
        pytest.param("0", 0.0, id="at-once"),
        pytest.param("2.5", 2.5, id="seconds"),
        pytest.param("soon", progress.DELAY, id="not-a-number"),
        pytest.param("-1", progress.DELAY, id="negative"),
        pytest.param("nan", progress.DELAY, id="nan"),
        pytest.param("inf", progress.DELAY, id="infinite"),
    ],
)
def test_the_delay_before_a_bar_appears(value: str | None, seconds: float) -> None:
    environ = {} if value is None else {progress.DELAY_ENV: value}
    assert progress.delay(environ) == seconds


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "environ", "quiet", "expected"),
    [
        pytest.param(True, {"TERM": "xterm"}, False, True, id="a-terminal"),
        pytest.param(True, {}, False, True, id="a-terminal-without-TERM"),
        pytest.param(False, {"TERM": "xterm"}, False, False, id="a-pipe"),
        pytest.param(True, {"TERM": "xterm"}, True, False, id="quiet"),
        pytest.param(True, {"TERM": "dumb"}, False, False, id="dumb"),
        pytest.param(True, {"CI": "true"}, False, False, id="ci"),
        pytest.param(True, {"CI": "1"}, False, False, id="ci-1"),
        pytest.param(True, {"CI": "false"}, False, True, id="ci-false"),
        pytest.param(True, {"CI": ""}, False, True, id="ci-empty"),
    ],
)
def test_when_progress_is_wanted(
    tty: bool, environ: dict[str, str], quiet: bool, expected: bool
) -> None:
    assert progress.wanted(_Stream(tty), environ, quiet=quiet) is expected  # type: ignore[arg-type]


def test_off_the_bar_does_nothing() -> None:
    with progress.bar(10, "documents read", stream=io.StringIO()) as shown:
        shown.update(3)
        shown.note("1/2 projects judged")
    assert shown is progress.OFF
    assert not shown.live


def test_ctrl_c_sends_no_query_that_was_still_waiting_its_turn(shop: Path) -> None:
    """Eight windows at a time, two queries each: two SLOs of eight windows, interrupted while
    the first eight hang, never send the queries of the eight windows behind them (they were
    sent, once the hanging ones ended, before the interrupt cancelled the queue)."""
    import signal

    two = PROJECT_YAML + PROJECT_YAML[PROJECT_YAML.index("  - name: availability") :].replace(
        "availability", "latency"
    )
    (shop / "ops/shop/project.yaml").write_text(two, encoding="utf-8")

    release = threading.Event()

    def hang(request: Request):  # type: ignore[no-untyped-def]
        release.wait(30)
        return answer(200, vector("1"))

    with FakeServer(hang) as server:
        argv = ["--root", str(shop), "slo", "--project", "shop", "--week", "2026-W46"]
        environ = {**os.environ, "OPS_PROMETHEUS_URL": server.url, "OPS_PROMETHEUS_TOKEN": TOKEN}
        child = subprocess.Popen(
            [sys.executable, "-m", "checks", *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
        )
        deadline = time.monotonic() + 30
        while len(server.requests) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(server.requests) == 8  # the pool is full; 8 more wait their turn
        child.send_signal(signal.SIGINT)
        time.sleep(0.5)  # let the interrupt cancel the queue before the hanging queries end
        release.set()
        out, err = child.communicate(timeout=60)
    assert (child.returncode, out, err) == (130, b"", b"ops: interrupted\n")
    assert len(server.requests) == 16  # the eight windows begun, each its two queries; no more
