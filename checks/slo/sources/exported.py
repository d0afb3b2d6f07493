"""Counts from exported files, for teams whose metrics live outside Prometheus.

Two formats, both read in one streaming pass whatever their size:

- ``csv``: a header ``timestamp,good,total`` (an optional ``slo`` column names the SLO of each
  row), then one row per interval: the good and total events counted in it. ``timestamp`` is
  RFC 3339 (``2026-11-16T00:00:00Z``) or Unix seconds; a row counts in the window that holds it.
- ``prometheus-json``: the Prometheus HTTP API's answer to a range query (``resultType``
  ``matrix``) of counters, one file per SLO and series (``{slo}`` and ``{series}`` in the path:
  good, bad or total). A window's count is the counters' increase over the samples inside it,
  ends included, counter resets counted as Prometheus counts them; nothing is extrapolated.

Paths are relative to the repository root; ``{slo}`` is replaced by the SLO's name. Neither
format has labels to group by: an SLO with ``group_by`` is refused.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from checks.dates import instant_seconds
from checks.errors import OpsError
from checks.findings import printable
from checks.paths import first_link
from checks.slo import groups, timeslices
from checks.slo.compute import Counts
from checks.slo.model import Slo

FORMATS = ("csv", "prometheus-json")
PARALLEL_BYTES = 32 * 1024 * 1024  # above this, a CSV export is read by every core
_LARGEST = 1.7976931348623157e308  # NaN and infinities fail 0 <= x <= _LARGEST


class FileSource:
    name = "file"

    def __init__(self, root: Path, path: str, fmt: str | None = None) -> None:
        self.root = root
        self.path = path
        self.format = fmt or ("csv" if path.endswith(".csv") else "prometheus-json")

    def measure(self, slo: Slo, windows: Sequence[tuple[dt.datetime, dt.datetime]]) -> list[Counts]:
        if self.format == "csv":
            return self._csv(slo, windows)
        if "{series}" not in self.path:
            raise OpsError(
                "a prometheus-json export holds one series: metrics.file.path needs {series} "
                "(replaced by good, bad or total), e.g. exports/{slo}-{series}.json"
            )
        total = self._json(slo, "total", windows)
        if slo.good is not None:
            good = self._json(slo, "good", windows)
            return [Counts(g, t) for g, t in zip(good, total, strict=True)]
        bad = self._json(slo, "bad", windows)
        return [
            Counts(None if b is None or t is None else t - b, t)
            for b, t in zip(bad, total, strict=True)
        ]

    def measure_all(
        self, slos: Sequence[Slo], windows: Sequence[tuple[dt.datetime, dt.datetime]]
    ) -> list[list[Counts]]:
        groups.refuse(slos, self.name, "an export is one series per SLO, or several summed")
        timeslices.refuse(
            slos, self.name, "an export holds counts per interval, not the SLO's slices"
        )
        return [self.measure(slo, windows) for slo in slos]

    def _file(self, slo: Slo, series: str | None = None) -> Path:
        name = self.path.replace("{slo}", slo.name)
        if series is not None:
            name = name.replace("{series}", series)
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or "\\" in name or first_link(self.root, name):
            raise OpsError(
                f"metrics.file.path in project.yaml leads to {printable(name)!r}: an export is "
                "read only from inside the repository, by a relative path without '..' or symlinks"
            )
        path = self.root / name
        if not path.is_file():
            raise OpsError(
                f"no exported metrics for SLO {slo.name!r}: {name} not found (metrics.file.path "
                "in project.yaml; {slo} and {series} are replaced)"
            )
        return path

    # --- CSV ------------------------------------------------------------------------------

    def _csv(self, slo: Slo, windows: Sequence[tuple[dt.datetime, dt.datetime]]) -> list[Counts]:
        path = self._file(slo)
        edges = sorted({t.timestamp() for window in windows for t in window})
        with path.open("rb") as f:
            header = f.readline()
        columns = [c.strip().lower() for c in header.decode("utf-8", "replace").split(",")]
        if not {"timestamp", "good", "total"} <= set(columns):
            raise OpsError(
                "the first line must be the header timestamp,good,total (and optionally slo)",
                path=str(path),
                line=1,
            )
        layout = _Layout(
            len(columns),
            columns.index("timestamp"),
            columns.index("good"),
            columns.index("total"),
            columns.index("slo") if "slo" in columns else None,
            slo.name.encode(),
        )
        size = path.stat().st_size
        parts = min(os.cpu_count() or 1, 4) if size > PARALLEL_BYTES else 1
        bounds = [len(header) + (size - len(header)) * i // parts for i in range(parts + 1)]
        jobs = [(str(path), bounds[i], bounds[i + 1], edges, layout) for i in range(parts)]
        if parts == 1:
            sums = [_csv_range(*jobs[0])]
        else:  # a large export: each core reads a share of the bytes
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=parts) as pool:
                sums = list(pool.map(_csv_range, *zip(*jobs, strict=True)))
        problem = next((s.problem for s in sums if s.problem is not None), None)
        if problem is not None:
            offset, message = problem
            raise OpsError(message, path=str(path), line=_line_at(path, offset))
        gaps = len(edges) - 1
        good = [math.fsum(s.good[i] for s in sums) for i in range(gaps)]
        total = [math.fsum(s.total[i] for s in sums) for i in range(gaps)]
        seen = [any(s.seen[i] for s in sums) for i in range(gaps)]
        out = []
        for start, end in windows:
            inside = range(edges.index(start.timestamp()), edges.index(end.timestamp()))
            if any(seen[i] for i in inside):
                out.append(
                    Counts(math.fsum(good[i] for i in inside), math.fsum(total[i] for i in inside))
                )
            else:
                out.append(Counts(None, None))
        return out

    # --- Prometheus JSON ------------------------------------------------------------------

    def _json(
        self, slo: Slo, series: str, windows: Sequence[tuple[dt.datetime, dt.datetime]]
    ) -> list[float | None]:
        path = self._file(slo, series)
        spans = [(start.timestamp(), end.timestamp()) for start, end in windows]
        increase = [0.0] * len(windows)
        seen = [False] * len(windows)
        last: list[float | None] = [None] * len(windows)
        for sample in _matrix(path):
            if sample is None:  # a new series
                last = [None] * len(windows)
                continue
            when, value = sample
            for i, (start, end) in enumerate(spans):
                if start <= when <= end:
                    before = last[i]
                    if before is not None:
                        increase[i] += value - before if value >= before else value
                    last[i] = value
                    seen[i] = True
        return [v if s else None for v, s in zip(increase, seen, strict=True)]


class _Layout(NamedTuple):
    width: int
    timestamp: int
    good: int
    total: int
    slo: int | None
    name: bytes


class _Sums(NamedTuple):
    good: list[float]
    total: list[float]
    seen: list[bool]
    problem: tuple[int, str] | None  # (byte offset of the line, message)


def _csv_range(path: str, start: int, end: int, edges: list[float], layout: _Layout) -> _Sums:
    """Sum the rows that start in bytes [start, end) per gap between ``edges``.

    The hot loop of a 10-million-row export: rows are mostly in time order, so a row
    usually lands in the same gap as the one before and is added to running sums.
    """
    gaps = len(edges) - 1
    good, total, seen = [0.0] * gaps, [0.0] * gaps, [False] * gaps
    width, at_ts, at_good, at_total, at_slo, name = layout
    gap, low, high, run_good, run_total = -1, math.inf, -math.inf, 0.0, 0.0
    largest = _LARGEST
    with open(path, "rb") as f:
        offset = start
        f.seek(start - 1)
        if f.read(1) != b"\n":  # a line that started before ``start`` is the last share's
            offset += len(f.readline())
        while offset < end:
            lines = f.readlines(1 << 20)
            if not lines:
                break
            for line in lines:
                if offset >= end:
                    break
                here = offset
                offset += len(line)
                fields = line.split(b",")
                if len(fields) != width:
                    if line.strip():
                        message = f"expected {width} comma-separated fields, found {len(fields)}"
                        return _Sums(good, total, seen, (here, message))
                    continue
                if at_slo is not None and fields[at_slo].strip() != name:
                    continue
                try:
                    when = _seconds(fields[at_ts])
                    g, t = float(fields[at_good]), float(fields[at_total])
                except ValueError:
                    message = "timestamp must be RFC 3339 or Unix seconds, good and total numbers"
                    return _Sums(good, total, seen, (here, message))
                if not (0.0 <= g <= largest and 0.0 <= t <= largest):
                    message = "good and total must be finite and not negative"
                    return _Sums(good, total, seen, (here, message))
                if low <= when < high:
                    run_good += g
                    run_total += t
                    continue
                if gap >= 0:
                    good[gap] += run_good
                    total[gap] += run_total
                gap = bisect.bisect_right(edges, when) - 1
                if 0 <= gap < gaps:
                    low, high, run_good, run_total = edges[gap], edges[gap + 1], g, t
                    seen[gap] = True
                else:
                    gap, low, high, run_good, run_total = -1, math.inf, -math.inf, 0.0, 0.0
    if gap >= 0:
        good[gap] += run_good
        total[gap] += run_total
    return _Sums(good, total, seen, None)


def _line_at(path: Path, offset: int) -> int:
    """The 1-based line number of the byte at ``offset`` (only for error messages)."""
    lines = 1
    with path.open("rb") as f:
        while offset > 0:
            chunk = f.read(min(offset, 1 << 20))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines


def _matrix(path: Path) -> Iterator[tuple[float, float] | None]:
    """A range-query answer, streamed: None where a series starts, then its (time, value)s."""
    import ijson  # type: ignore[import-untyped]

    status = result_type = None
    sample: list[object] = []
    try:
        with path.open("rb") as f:
            for prefix, event, value in ijson.parse(f, use_float=True):
                if prefix == "data.result.item.values.item.item":
                    sample.append(value)
                elif prefix == "data.result.item.values.item" and event == "end_array":
                    yield _sample(sample, path)
                    sample = []
                elif prefix == "data.result.item" and event == "start_map":
                    yield None
                elif prefix == "status" and event == "string":
                    status = value
                elif prefix == "data.resultType" and event == "string":
                    result_type = value
    except ijson.JSONError as e:
        raise OpsError(f"not valid JSON: {e}", path=str(path)) from None
    if status != "success" or result_type != "matrix":
        raise OpsError(
            "not a Prometheus range-query answer (status success, resultType matrix)",
            path=str(path),
        )


def _sample(sample: list[object], path: Path) -> tuple[float, float]:
    try:
        when, value = sample
        return float(when), float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise OpsError(
            f'a sample must be [time, "value"], found {sample!r}', path=str(path)
        ) from None


def _seconds(text: bytes | str) -> float:
    """Unix seconds, or an RFC 3339 instant with its offset."""
    try:
        seconds = float(text)
    except ValueError:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return instant_seconds(text)
    if not math.isfinite(seconds):
        raise ValueError("not a time")
    return seconds
