"""The Mermaid charts ``ops slo`` writes into a weekly report (checks.slo.render), read back so
that the site draws them as the same SVG charts as the project page. Only that form is read:

    xychart-beta
        title "availability SLI per day, 2026-W43 (%)"
        x-axis ["Mon 19", "Tue 20", ...]
        y-axis "SLI (%)" 97.2 --> 100
        line [99.9458, ...]
        line [99.9, ...]

The first line is the SLI, the second the objective. Anything else is None: the page shows
the block as code.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from checks.site import charts

_TITLE = re.compile(r'title "([^"\n]*)"')
_X = re.compile(r"x-axis (\[.*\])")
_Y = re.compile(r'y-axis "([^"\n]*)" (-?[0-9.]+) --> (-?[0-9.]+)')
_LINE = re.compile(r"line (\[[-0-9., ]*\])")
MAX_POINTS = 400


class XyChart(NamedTuple):
    title: str
    labels: tuple[str, ...]
    axis: str
    low: float
    high: float
    values: tuple[float, ...]
    reference: tuple[float, ...]


def parse(source: str) -> XyChart | None:
    lines = [line.strip() for line in source.strip().splitlines()]
    if len(lines) != 6 or lines[0] != "xychart-beta":
        return None
    title, x, y = _TITLE.fullmatch(lines[1]), _X.fullmatch(lines[2]), _Y.fullmatch(lines[3])
    series = [_LINE.fullmatch(line) for line in lines[4:]]
    if title is None or x is None or y is None or None in series:
        return None
    try:
        labels = json.loads(x[1])
        values, reference = (json.loads(m[1]) for m in series if m is not None)
        low, high = float(y[2]), float(y[3])
    except (ValueError, RecursionError):  # RecursionError: brackets nested thousands deep
        return None
    if not (
        isinstance(labels, list)
        and all(isinstance(v, str) for v in labels)
        and 0 < len(labels) <= MAX_POINTS
        and len(values) == len(labels) == len(reference)
        and all(_finite(v) for v in (*values, *reference, low, high))
        and low < high
    ):
        return None
    return XyChart(
        title[1],
        tuple(labels),
        y[1],
        low,
        high,
        tuple(float(v) for v in values),
        tuple(float(v) for v in reference),
    )


def _finite(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and abs(float(value)) <= charts.LIMIT
    )


def chart(parsed: XyChart, ident: str) -> charts.Chart:
    """The daily chart of a report as the site draws it."""
    objective = parsed.reference[-1]
    lowest = min(range(len(parsed.values)), key=lambda i: parsed.values[i])
    desc = (
        f"{len(parsed.values)} days from {parsed.labels[0]} to {parsed.labels[-1]}; the "
        f"objective line at {charts.number_text(objective)}; lowest "
        f"{charts.number_text(parsed.values[lowest])} on {parsed.labels[lowest]}. The same "
        "figures are in the table below."
    )
    return charts.Chart(
        ident,
        parsed.title,
        desc,
        parsed.labels,
        parsed.values,
        parsed.reference,
        f"objective {charts.number_text(objective)}",
        (),
        parsed.low,
        parsed.high,
    )
