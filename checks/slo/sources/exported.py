"""Counts from exported files, for teams whose metrics live outside Prometheus.

Two formats, both read in one streaming pass whatever their size:

- ``csv``: a header ``timestamp,good,total`` (an optional ``slo`` column names the SLO of each
  row), then one row per interval: the good and total events counted in it. ``timestamp`` is
  RFC 3339 (``2026-11-16T00:00:00Z``) or Unix seconds; a row counts in the window that holds it.
- ``prometheus-json``: the Prometheus HTTP API's answer to a range query (``resultType``
  ``matrix``) of counters, one file per SLO and series (``{slo}`` and ``{series}`` in the path:
  good, bad or total). A window's count is the counters' increase over the samples inside it,
  ends included, counter resets counted as Prometheus counts them; nothing is extrapolated.

Paths are relative to the repository root; ``{slo}`` is replaced by the SLO's name.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

from checks.errors import OpsError
from checks.slo.compute import Counts
from checks.slo.model import Slo

FORMATS = ("csv", "prometheus-json")


class FileSource:
    name = "file"

    def __init__(self, root: Path, path: str, fmt: str | None = None) -> None:
        self.root = root
        self.path = path
        self.format = fmt or ("csv" if path.endswith(".csv") else "prometheus-json")

    def measure(self, slo: Slo, windows: Sequence[tuple[dt.datetime, dt.datetime]]) -> list[Counts]:
        if self.format == "csv":
            return self._csv(slo, windows)
        total = self._json(slo, "total", windows)
        if slo.good is not None or "{series}" not in self.path:
            good = self._json(slo, "good", windows)
            return [Counts(g, t) for g, t in zip(good, total, strict=True)]
        bad = self._json(slo, "bad", windows)
        return [
            Counts(None if b is None or t is None else t - b, t)
            for b, t in zip(bad, total, strict=True)
        ]

    def _file(self, slo: Slo, series: str | None = None) -> Path:
        name = self.path.replace("{slo}", slo.name)
        if series is not None:
            name = name.replace("{series}", series)
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
        bounds, index = _bounds(windows)
        good = [0.0] * len(windows)
        total = [0.0] * len(windows)
        seen = [False] * len(windows)
        with path.open(encoding="utf-8", newline="") as f:
            header = f.readline()
            columns = [c.strip().lower() for c in header.strip().split(",")]
            if not {"timestamp", "good", "total"} <= set(columns):
                raise OpsError(
                    "the first line must be the header timestamp,good,total (and optionally slo)",
                    path=str(path),
                    line=1,
                )
            at_ts, at_good, at_total = (columns.index(c) for c in ("timestamp", "good", "total"))
            at_slo = columns.index("slo") if "slo" in columns else None
            width = len(columns)
            for number, line in enumerate(f, start=2):
                fields = line.rstrip("\r\n").split(",")
                if len(fields) != width:
                    if not line.strip():
                        continue
                    raise OpsError(
                        f"expected {width} comma-separated fields, found {len(fields)}",
                        path=str(path),
                        line=number,
                    )
                if at_slo is not None and fields[at_slo] != slo.name:
                    continue
                try:
                    when = _seconds(fields[at_ts])
                    g, t = float(fields[at_good]), float(fields[at_total])
                except ValueError:
                    raise OpsError(
                        "timestamp must be RFC 3339 or Unix seconds, good and total numbers",
                        path=str(path),
                        line=number,
                    ) from None
                if not (math.isfinite(g) and math.isfinite(t)) or g < 0 or t < 0:
                    raise OpsError(
                        "good and total must be finite and not negative",
                        path=str(path),
                        line=number,
                    )
                for i in _windows_of(when, bounds, index):
                    good[i] += g
                    total[i] += t
                    seen[i] = True
        return [
            Counts(g, t) if s else Counts(None, None)
            for g, t, s in zip(good, total, seen, strict=True)
        ]

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


def _seconds(text: str) -> float:
    text = text.strip()
    if text and (text[0].isdigit() or text[0] in "+-.") and "-" not in text[1:] and ":" not in text:
        return float(text)
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment.timestamp()


def _bounds(
    windows: Sequence[tuple[dt.datetime, dt.datetime]],
) -> tuple[list[float], list[list[int]]]:
    """Sorted edges of all windows, and for each gap between edges the windows covering it."""
    edges = sorted({t.timestamp() for window in windows for t in window})
    index = []
    for lo in edges[:-1]:
        index.append([i for i, (s, e) in enumerate(windows) if s.timestamp() <= lo < e.timestamp()])
    return edges, index


def _windows_of(when: float, edges: list[float], index: list[list[int]]) -> list[int]:
    at = bisect.bisect_right(edges, when) - 1
    if at < 0 or at >= len(index):
        return []
    return index[at]
