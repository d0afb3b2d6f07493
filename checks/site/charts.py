"""Line charts as inline SVG, written by hand (a few dozen lines: no charting library draws
without JavaScript, or deterministically). Pure: a :class:`Chart` in, SVG text out.

Every chart has ``role="img"`` with a ``<title>`` and a ``<desc>``, one ``<circle
class="point">`` per value (what the browser tests count), a reference line (the objective) and,
for each week marked FAIL, a cross and, where there is room, the text FAIL: never colour alone.
Colours come from style.css classes (no inline style: the pages' CSP forbids it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

from checks.site.html import esc

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 18, 36
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
LABEL_WIDTH = 72  # px an x label needs
LABEL_GAP = 34  # px between two FAIL labels, else only the cross
LIMIT = 1e6  # values are drawn within +-LIMIT (the table shows them as they are)
MIN_SPAN = 0.01  # the narrowest axis drawn: a tick label shows 4 decimals (number_text)
EDGE = 4 * WIDTH  # no coordinate written lies further than this from the chart


XFn = Callable[[int], float]
YFn = Callable[[float], float]
YText = Callable[[float], str]


class Chart(NamedTuple):
    ident: str  # unique in its page
    title: str
    desc: str
    labels: tuple[str, ...]  # one per x
    values: tuple[float | None, ...]  # None: no value (no point)
    reference: tuple[float | None, ...] = ()  # the objective at each x
    reference_label: str = ""
    failed: tuple[bool, ...] = ()
    low: float | None = None  # the axis' range; None: from the data
    high: float | None = None


def bounds(values: Sequence[float]) -> tuple[float, float, float]:
    """A round axis range around ``values`` and its tick step (at most 5 steps). Total: any
    values (none, NaN, infinite, subnormal) give a finite range at least MIN_SPAN wide."""
    known = [_clamp(v) for v in values if not math.isnan(v)]
    lo, hi = (min(known), max(known)) if known else (0.0, 100.0)
    span = max(hi - lo, MIN_SPAN) if hi > lo else max(abs(hi) * 0.01, MIN_SPAN)
    raw = span / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    low = math.floor(lo / step) * step
    high = math.ceil(hi / step) * step
    if high <= low:
        high = low + step
    return low, high, step


def number_text(value: float) -> str:
    """``99.9``, ``-250``, ``0.05``: as short as it can be, never ``1e-05`` for a tick."""
    if abs(value) >= 1e5:
        return f"{value:.3g}"
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _clamp(value: float) -> float:
    return max(-LIMIT, min(LIMIT, value))


def _value(value: float | None) -> float | None:
    """NaN is no value (a value off the axis is drawn at its edge)."""
    return None if value is None or math.isnan(value) else value


def _fit(values: Sequence[float | None], count: int) -> tuple[float | None, ...]:
    return tuple(_value(v) for v in values[:count]) + (None,) * (count - len(values))


def drawable(chart: Chart) -> Chart:
    """``chart`` with one value, reference and mark per label (NaN: no value), and an axis
    range that can be drawn, or none."""
    count = len(chart.labels)
    low, high = (None if v is None else _clamp(v) for v in (_value(chart.low), _value(chart.high)))
    if low is None or high is None or not high - low >= MIN_SPAN:
        low = high = None  # from the data instead
    return chart._replace(
        values=_fit(chart.values, count),
        reference=_fit(chart.reference, count) if chart.reference else (),
        failed=tuple(chart.failed[:count]),
        low=low,
        high=high,
    )


def render(chart: Chart) -> str:
    """The chart as an ``<svg>`` element. Total: any chart draws, with every coordinate
    finite (a hostile record must never stop the site)."""
    chart = drawable(chart)
    if chart.low is not None and chart.high is not None:
        low, high = chart.low, chart.high
        step = bounds([low, high])[2]
    else:
        low, high, step = bounds([v for v in (*chart.values, *chart.reference) if v is not None])
    count = len(chart.labels)

    step_x = 0.0 if count < 2 else PLOT_W / (count - 1)
    first_x = LEFT + PLOT_W / 2 if count < 2 else LEFT
    scale = PLOT_H / (high - low)
    bottom = TOP + PLOT_H

    def x(i: int) -> float:
        return first_x + i * step_x

    def y(v: float) -> float:  # a value off the axis is drawn at its edge
        return bottom - ((low if v < low else high if v > high else v) - low) * scale

    # Each coordinate formatted once: a chart repeats its x for each line, and the objective
    # repeats one y for every point.
    xs = [_n(x(i)) for i in range(count)]
    memo: dict[float, str] = {}

    def yn(v: float) -> str:
        text = memo.get(v)
        if text is None:
            text = memo[v] = _n(y(v))
        return text

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart.ident}-t {chart.ident}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart.ident}-t">{esc(chart.title)}</title>',
        f'<desc id="{chart.ident}-d">{esc(chart.desc)}</desc>',
        *_grid(low, high, step, y),
        *_x_labels(chart.labels, xs),
    ]
    if chart.reference:
        parts += _line(chart.reference, xs, yn, "objective")
        last = next((v for v in reversed(chart.reference) if v is not None), None)
        if last is not None and chart.reference_label:
            parts.append(
                f'<text class="objective-label" x="{LEFT + PLOT_W}" y="{_n(y(last) - 5)}" '
                f'text-anchor="end">{esc(chart.reference_label)}</text>'
            )
    parts += _line(chart.values, xs, yn, "series")
    parts += _points(chart, xs, yn)
    parts += _fails(chart, x, y)
    parts.append("</svg>")
    return "".join(parts)


def _n(value: float) -> str:
    """A coordinate: finite whatever happened upstream (a browser rejects NaN and infinity)."""
    if not -EDGE <= value <= EDGE:  # NaN too
        value = 0.0 if math.isnan(value) else math.copysign(EDGE, value)
    return f"{value:.1f}"


def _grid(low: float, high: float, step: float, y: YFn) -> list[str]:
    """A line and a label at each multiple of ``step`` from ``low`` to ``high``."""
    out = ['<g class="grid">']
    first = math.ceil(low / step - 1e-9)
    for k in range(first, first + 13):
        value = k * step
        if value > high + step * 1e-9:
            break
        at = _n(y(value))
        out.append(f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{at}" y2="{at}"/>')
        out.append(
            f'<text x="{LEFT - 6}" y="{at}" dy="4" text-anchor="end">'
            f"{esc(number_text(value))}</text>"
        )
    out.append("</g>")
    return out


def label_indices(count: int) -> list[int]:
    """The x labels shown: evenly spaced, the first and the last included, at most as many as
    fit (about LABEL_WIDTH each)."""
    if count <= 0:
        return []
    fit = max(2, PLOT_W // LABEL_WIDTH)
    if count <= fit:
        return list(range(count))
    step = math.ceil((count - 1) / (fit - 1))
    shown = list(range(0, count, step))
    if count - 1 - shown[-1] < step * 0.6:
        shown.pop()
    return [*shown, count - 1]


def _x_labels(labels: Sequence[str], xs: Sequence[str]) -> list[str]:
    count = len(labels)
    shown = label_indices(count)
    if not shown:
        return []
    out = ['<g class="axis">']
    for i in shown:
        anchor = "middle"
        if count > 1 and i == 0:
            anchor = "start"
        elif count > 1 and i == count - 1:
            anchor = "end"
        out.append(
            f'<text x="{xs[i]}" y="{HEIGHT - 12}" text-anchor="{anchor}">{esc(labels[i])}</text>'
        )
    out.append("</g>")
    return out


def _line(values: Sequence[float | None], xs: Sequence[str], yn: YText, cls: str) -> list[str]:
    """A polyline per run of known values (a gap, None, breaks the line)."""
    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append(f"{xs[i]},{yn(v)}")
    return [
        f'<polyline class="{cls}" points="{" ".join(run)}" fill="none"/>'
        for run in runs
        if len(run) > 1
    ]


def _points(chart: Chart, xs: Sequence[str], yn: YText) -> list[str]:
    out = ['<g class="points">']
    failed = chart.failed
    for i, v in enumerate(chart.values):
        if v is None:
            continue
        mark = " (FAIL)" if i < len(failed) and failed[i] else ""
        label = esc(f"{chart.labels[i]}: {number_text(v)}{mark}")
        out.append(
            f'<circle class="point" cx="{xs[i]}" cy="{yn(v)}" r="3"><title>{label}</title></circle>'
        )
    out.append("</g>")
    return out


def _fails(chart: Chart, x: XFn, y: YFn) -> list[str]:
    """A cross on each FAIL point (at the top when it has no value), and the word FAIL above
    where it does not run into the previous one."""
    out: list[str] = []
    last_label = -math.inf
    for i, failed in enumerate(chart.failed):
        if not failed:
            continue
        v = chart.values[i] if i < len(chart.values) else None
        cx, cy = x(i), (y(v) if v is not None else TOP + 6)
        d = 6
        out.append(
            f'<path class="fail-mark" d="M{_n(cx - d)},{_n(cy - d)}L{_n(cx + d)},{_n(cy + d)}'
            f'M{_n(cx - d)},{_n(cy + d)}L{_n(cx + d)},{_n(cy - d)}"/>'
        )
        if cx - last_label >= LABEL_GAP:
            ty = cy - 10 if cy - 10 > TOP else cy + 20
            anchor = "end" if cx > LEFT + PLOT_W - 12 else "start" if cx < LEFT + 12 else "middle"
            out.append(
                f'<text class="fail-label" x="{_n(cx)}" y="{_n(ty)}" text-anchor="{anchor}">'
                "FAIL</text>"
            )
            last_label = cx
    return ['<g class="fails">', *out, "</g>"] if out else []
