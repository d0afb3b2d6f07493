"""Timeslices and RatioTimeslices (OpenSLO budgeting methods) as Prometheus queries. Pure.

A window (the week, a day, a budget window) is cut into slices of ``timeSliceWindow``, aligned
on the window's start (a slice divides a day, so days and weeks hold whole slices). A slice's
value is the SLO's indicator over the slice, evaluated at the slice's end with ``{{window}}``
the slice: a ratio's good (or total less bad) over total, a raw ratio as written (1 - it for
``rawType: failure``), either clamped to [0, 1], or a thresholdMetric's value. A slice whose
value is not a number (no events: 0/0; no series) is counted neither good nor bad; a slice in
which the SLI's series answer (0/0 included) is covered, and a window with fewer than
checks.slo.compute.COVERAGE of its slices covered has no verdict (NO_DATA).

- Timeslices: good is the slices whose value passes (a ratio at least ``timeSliceTarget``; a
  threshold metric ``op`` its ``value``), total the slices with data; SLI = good/total.
- RatioTimeslices: good is the sum of the slices' ratios, total the slices with data; SLI =
  their average.

Both are one subquery per count, at ``time=`` the window's end: ``sum_over_time`` (good) and
``count_over_time`` (total) of ``(<slice value>)[<window - 1s>:<slice>]``, and
``count_over_time`` of ``(<answers>)[...]`` (covered). Subquery steps are
aligned on multiples of the step since 1970, so a window that starts on a slice boundary gets
its slices' ends: start + slice, ..., end. The range is one second short of the window so that
the window's start (the previous slice's end) is left out on Prometheus 2 (closed ranges) and
3 (left-open ranges) alike: a week of 5m slices is 2016 slices on both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from checks.errors import OpsError
from checks.slo import promql
from checks.slo.model import Slo, Timeslices

WINDOW = "{{window}}"
DAY_SECONDS = 86400
LOOKBACK = 300  # Prometheus's default lookback: a sample stands for this long, then is stale
MIN_SECONDS = 60  # a week of 1m slices is 10,080 points a series; seconds would be 604,800
OPS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
WORDS = {"lt": "below", "lte": "at most", "gt": "above", "gte": "at least"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RECORD = "slo:timeslice_good:ratio_rate"  # the slice indicator's recording rule (checks.slo.rules)


def slice_seconds(value: object) -> tuple[int | None, str | None]:
    """OpenSLO's ``timeSliceWindow`` (``5m``, or a number of minutes) in seconds, or why ops
    cannot cut windows into such slices."""
    if isinstance(value, bool):
        return None, "timeSliceWindow must be a duration such as 5m"
    if isinstance(value, int | float):
        seconds = Decimal(str(value)) * 60
    elif isinstance(value, str) and value[-1:] in _UNITS and value[:-1].isdigit():
        seconds = Decimal(value[:-1]) * _UNITS[value[-1]]
    else:
        return None, (
            f"timeSliceWindow {value!r}: ops cuts days into slices of seconds, minutes or "
            "hours (1m to 1d), not weeks, months, quarters or years"
        )
    if seconds != seconds.to_integral_value() or not (
        MIN_SECONDS <= seconds <= DAY_SECONDS and DAY_SECONDS % int(seconds) == 0
    ):
        return None, (
            f"timeSliceWindow {value!r}: a slice is 1m to 1d and divides a day evenly (1m, "
            "5m, 10m, 15m, 30m, 1h, ...), so that every day and week holds whole slices"
        )
    return int(seconds), None


def slice_value(slo: Slo) -> str:
    """PromQL of a slice's value (per group with group_by), NaN and no data left out. Each of
    the user's queries stands on lines of its own (checks.slo.promql.enclosed)."""
    sliced, step = _sliced(slo), promql.indent_step(slo.total, slo.good, slo.bad)
    if sliced.metric == "ratio":
        total = _summed(slo, slo.total, step)
        part = _summed(slo, slo.good or slo.bad or "", step)
        either = promql.enclosed("", f"{part}\nor\n{total} * 0", step)
        value = f"{either}\n/\n{total}"
        value = value if slo.good is not None else f"1 - {promql.enclosed('', value, step)}"
    else:
        value = _over_slice(slo, slo.total)
        value = f"1 - {promql.enclosed('', value, step)}" if sliced.failure else value
    if sliced.metric != "threshold":  # a ratio is 0 to 1: a slice above 1 (a raw ratio,
        # counters that do not match) would make up for a bad one in an average
        value = f"clamp(\n{promql.indent(value, step)},\n{step}0,\n{step}1\n)"
    return f"{promql.enclosed('', value, step)} >= -Inf"  # drops NaN: 0/0 has no data


def _summed(slo: Slo, query: str, step: str) -> str:
    """One of a ratio's queries over the slice, summed (by the SLO's group_by labels)."""
    by = f"sum by ({', '.join(slo.group_by)}) " if slo.group_by else "sum "
    return promql.enclosed(by, _over_slice(slo, query), step)


def _over_slice(slo: Slo, query: str) -> str:
    return query.replace(WINDOW, duration(_sliced(slo).seconds))


def slice_good(slo: Slo) -> str:
    """PromQL of a slice's indicator: 1 (good) or 0 (bad) with Timeslices, the slice's ratio
    with RatioTimeslices; nothing for a slice without data."""
    sliced = _sliced(slo)
    value = slice_value(slo)
    if sliced.method == "RatioTimeslices":
        return value
    return f"({value}) {OPS[sliced.op]} bool {_number(sliced.threshold or Decimal(1))}"


class Queries(NamedTuple):
    """A window's subqueries: its good slices (or the sum of their ratios), its slices with
    data, and its slices in which the SLI's series answered (``covered``)."""

    good: str
    total: str
    covered: str


def queries(slo: Slo, length: dt.timedelta) -> Queries:
    """The queries of a window of ``length`` ending at the query's time."""
    sliced = _sliced(slo)
    seconds = int(length.total_seconds())
    if seconds % sliced.seconds:  # budget.windows and weeks hold whole days: never
        raise ValueError(f"a window of {seconds} s does not hold whole slices")
    span = f"[{seconds - 1}s:{sliced.seconds}s]"
    indicator = f"({slice_good(slo)}){span}"
    return Queries(
        f"sum_over_time({indicator})",
        f"count_over_time({indicator})",
        f"count_over_time(({answers(slo)}){span})",
    )


def answers(slo: Slo) -> str:
    """PromQL that answers (per group) in every slice in which the SLI's series exist: a
    ratio's total summed, even with no events (0), or a threshold metric's or raw ratio's
    query, even NaN. A slice in which it does not answer has no data."""
    step = promql.indent_step(slo.total, slo.good, slo.bad)
    if _sliced(slo).metric == "ratio":
        return _summed(slo, slo.total, step)
    return promql.enclosed("", _over_slice(slo, slo.total), step)


def slices(slo: Slo, length: dt.timedelta) -> int:
    """How many slices a window of ``length`` holds."""
    return int(length.total_seconds()) // _sliced(slo).seconds


def shown(slo: Slo) -> str:
    """The SLO's queries as messages name them: ops's subqueries are built from them."""
    from checks import secrets

    queries = [q for q in (slo.good, slo.bad, slo.total) if q is not None]
    quoted = " over ".join(repr(secrets.excerpt(q, 160)) for q in queries)
    return f"the query of the {duration(_sliced(slo).seconds)} slices of {quoted}"


def describe(slo: Slo) -> str:
    """The method as the report says it, such as ``Timeslices: good 5m slices over the 5m
    slices with data, a slice good when its good/total ratio is at least 0.95``."""
    sliced = _sliced(slo)
    step = duration(sliced.seconds)
    ratio = "raw ratio" if sliced.metric == "raw" else "good/total ratio"
    if sliced.method == "RatioTimeslices":
        return (
            f"RatioTimeslices: the average of the {step} slices' {ratio}s (good is their sum, "
            f"total the {step} slices with data)"
        )
    if sliced.metric == "threshold":
        rule = f"its value is {WORDS[sliced.op]} {_number(sliced.threshold or Decimal(0))}"
    else:
        rule = f"its {ratio} is {WORDS[sliced.op]} {_number(sliced.threshold or Decimal(1))}"
    return (
        f"Timeslices: good {step} slices over the {step} slices with data, a slice good when {rule}"
    )


def refuse(slos: Sequence[Slo], source: str, why: str) -> None:
    """An OpsError for the first SLO counted by time slices, for a source without slices."""
    sliced = next((slo for slo in slos if slo.timeslices is not None), None)
    if sliced is None or sliced.timeslices is None:
        return
    path, line = sliced.origin or (None, None)
    raise OpsError(
        f"SLO {sliced.name!r} is counted by {sliced.timeslices.method}, which the {source} "
        f"source cannot measure ({why}): use the prometheus source (--source prometheus), or "
        "budgetingMethod: Occurrences",
        path=path,
        line=line,
    )


def duration(seconds: int) -> str:
    """``5m``, ``1h``, ``90s``: a Prometheus duration in its largest whole unit."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _sliced(slo: Slo) -> Timeslices:
    if slo.timeslices is None:
        raise ValueError(f"SLO {slo.name!r} counts events, not time slices")
    return slo.timeslices


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
