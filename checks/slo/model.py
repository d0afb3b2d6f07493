"""SLO definitions (from project.yaml); weeks and windows are checks.dates's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Slo:
    """One SLO. ``good``, ``bad`` and ``total`` are PromQL with a ``{{window}}`` placeholder
    (exactly one of ``good`` and ``bad`` is set). With ``group_by`` (label names), each query
    answers one series per group and the SLO has one SLI per group (checks.slo.groups)."""

    name: str
    objective: Decimal  # percent, 0 < objective < 100
    total: str
    good: str | None = None
    bad: str | None = None
    description: str | None = None
    group_by: tuple[str, ...] = ()

    @property
    def budget(self) -> Decimal:
        """The share of events allowed to be bad (0.001 for 99.9 %)."""
        return (100 - self.objective) / 100


def slos(project_data: dict[str, Any]) -> list[Slo]:
    """The project's SLOs (project.yaml has passed its schema)."""
    return [_slo(entry) for entry in project_data.get("slos", [])]


def _slo(entry: dict[str, Any]) -> Slo:
    objective = Decimal(str(entry["objective"]))
    description = entry.get("description")
    group_by = tuple(entry.get("group_by", ()))
    sli = entry["sli"]
    if "ratio" in sli:
        ratio = sli["ratio"]
        return Slo(
            entry["name"],
            objective,
            ratio["total"],
            ratio.get("good"),
            ratio.get("bad"),
            description,
            group_by,
        )
    latency = sli["latency"]
    histogram, selector = latency["histogram"], latency.get("selector", "")
    return Slo(
        entry["name"],
        objective,
        histogram_query(histogram, selector, "+Inf", group_by),
        histogram_query(histogram, selector, latency["threshold"], group_by),
        None,
        description,
        group_by,
    )


def histogram_query(histogram: str, selector: str, le: str, by: tuple[str, ...] = ()) -> str:
    """Events in the histogram's bucket ``le`` over the window (``le="+Inf"``: all events),
    summed by the ``by`` labels (one series per group) or into one series.

    ``le`` is compared as a string, exactly as Prometheus exposes it ("0.5", not "0.50").
    """
    labels = selector.strip()
    labels = labels[1:-1].strip() if labels.startswith("{") and labels.endswith("}") else labels
    matchers = ", ".join(part for part in (labels, f'le="{le}"') if part)
    grouping = f" by ({', '.join(by)}) " if by else ""
    return f"sum{grouping}(increase({histogram}{{{matchers}}}[{{{{window}}}}]))"


def prometheus_duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds}s"
