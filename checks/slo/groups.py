"""Per-label SLOs (``group_by``): an answer's series, checked and keyed by their group.

Without ``group_by`` a query must answer one series: several are an error that names the labels
that tell them apart, never a silent sum. With ``group_by`` every series carries exactly those
labels (one series per group), and a window's counts are per group:

- a group in total but not in bad has no bad events (a bad counter often does not exist until
  the first one); a group in total but not in good has no good events (a FAIL, never a PASS),
  unless the good query answered no series at all, which is no data for every group, as
  without ``group_by``;
- a group in good or bad but not in total has no data (NO_DATA) for that window;
- a NaN is no data for its group only (in the bad query too: never "no bad events");
- a label value longer than 200 characters or with a control character is an error.

Pure: series in, counts out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from checks import secrets
from checks.errors import OpsError
from checks.slo.compute import Counts
from checks.slo.model import Slo

Group = tuple[str, ...]  # the values of the SLO's group_by labels, in group_by's order
PerGroup = dict[Group, Counts]
Measured = Counts | PerGroup  # one window's counts: per group when the SLO has group_by
MAX_GROUPS = 500  # per SLO: a report of thousands of groups is a query that forgot to aggregate
MAX_VALUE = 200  # characters of a label value: a service, a handler, a tenant
SHOWN = 5  # label values named in a message; the rest are counted


class Series(NamedTuple):
    labels: Mapping[str, str]
    value: float


def single(slo: Slo | None, promql: str, series: Sequence[Series]) -> float | None:
    """The value of the answer's one series; None for none or NaN. Several series without
    group_by are an error: summing them here would hide which one failed."""
    if not series:
        return None
    if len(series) > 1:
        raise _error(slo, _several(slo, promql, series))
    value = series[0].value
    return None if math.isnan(value) else value


def keyed(slo: Slo, promql: str, series: Sequence[Series]) -> dict[Group, float | None]:
    """Each series' value by its group (None for NaN); a series with labels other than
    group_by's, or without one of them, is an error."""
    out: dict[Group, float | None] = {}
    for one in series:
        missing = [name for name in slo.group_by if name not in one.labels]
        extra = sorted(name for name in one.labels if name not in slo.group_by)
        if missing or extra:
            raise _error(slo, _mislabelled(slo, promql, one, missing, extra))
        group = tuple(one.labels[name] for name in slo.group_by)
        odd = next((v for v in group if len(v) > MAX_VALUE or not v.isprintable()), None)
        if odd is not None:  # a report holds it in YAML, Markdown and a file of at most 1 MiB
            raise _error(
                slo,
                f"{_where(slo, promql)} answers a group whose label value {label_value(odd)} "
                f"is longer than {MAX_VALUE} characters or holds a control character; "
                "relabel it in the query (label_replace) or group by another label",
            )
        if group in out:
            raise _error(
                slo,
                f"{_where(slo, promql)} answers two series for {label_text(slo.group_by, group)}",
            )
        out[group] = None if math.isnan(one.value) else one.value
    if len(out) > MAX_GROUPS:
        raise _error(
            slo,
            f"{_where(slo, promql)} answers {len(out):,} groups; an SLO has at most "
            f"{MAX_GROUPS} (group by fewer labels, or narrow the query)",
        )
    return out


def combine(
    slo: Slo, total: Mapping[Group, float | None], other: Mapping[Group, float | None]
) -> PerGroup:
    """Good and total events per group, from the total query's and the good or bad query's
    values by group (the rules are the module's)."""
    out: PerGroup = {}
    for group in sorted({*total, *other}):
        events = total.get(group)
        if slo.good is not None:
            good = other.get(group, 0.0) if other else None
            out[group] = Counts(good, events)
        elif events is None or (group in other and other[group] is None):
            out[group] = Counts(None, events)  # NaN bad events: no data, never none bad
        else:
            out[group] = Counts(events - (other.get(group) or 0.0), events)
    return out


def by_group(slo: Slo, windows: Sequence[Measured]) -> dict[Group, list[Counts]]:
    """Each group's counts in every window (a group missing from a window has no data there),
    groups in order; an SLO without group_by is the one group ``()``."""
    if not slo.group_by:
        return {(): [w if isinstance(w, Counts) else Counts(None, None) for w in windows]}
    found = sorted({group for w in windows if not isinstance(w, Counts) for group in w})
    if len(found) > MAX_GROUPS:
        raise _error(slo, f"SLO {slo.name!r} has {len(found):,} groups; at most {MAX_GROUPS}")
    empty = Counts(None, None)
    return {
        group: [empty if isinstance(w, Counts) else w.get(group, empty) for w in windows]
        for group in found
    }


def label_text(names: Sequence[str], group: Group) -> str:
    """``service=checkout, region=eu``: a group as people read it (values on one line)."""
    return ", ".join(
        f"{name}={label_value(value)}" for name, value in zip(names, group, strict=True)
    )


def label_value(value: str, limit: int = 60) -> str:
    """A label's value as people read it: as it is, or quoted (and cut) when it is not plain."""
    shown = secrets.excerpt(value, limit)
    return shown if shown and shown == value and "," not in value else repr(shown)


def _where(slo: Slo | None, promql: str) -> str:
    """The SLO and its query as the user wrote it (``promql``: never ops's subquery of it)."""
    query = secrets.excerpt(promql, 160)
    if slo is not None and slo.timeslices is not None:
        return f"SLO {slo.name!r}: the query {query!r}, in each time slice,"
    return f"SLO {slo.name!r}: the query {query!r}" if slo else f"the query {query!r}"


def _error(slo: Slo | None, message: str) -> OpsError:
    """An OpsError at the SLO's file and line, when it has them (OpenSLO)."""
    path, line = (slo.origin if slo is not None else None) or (None, None)
    return OpsError(message, path=path, line=line)


def _advice(slo: Slo | None) -> str:
    """How to make a query answer one series: its kind of value decides the aggregation."""
    metric = slo.timeslices.metric if slo is not None and slo.timeslices else "ratio"
    if metric == "threshold":
        return "aggregate them in the query as the threshold means (max(...) for a latency)"
    if metric == "raw":
        return "write the ratio of summed counts (sum(...) / sum(...))"
    return "sum them in the query (sum(...))"


def _several(slo: Slo | None, promql: str, series: Sequence[Series]) -> str:
    names = sorted({name for one in series for name in one.labels})
    differ = [n for n in names if len({one.labels.get(n) for one in series}) > 1]
    shown = []
    for name in differ[:3]:
        values = sorted({one.labels.get(name, "") for one in series})
        listed = ", ".join(label_value(v) for v in values[:SHOWN])
        more = f" and {len(values) - SHOWN} more" if len(values) > SHOWN else ""
        shown.append(f"{name}={listed}{more}")
    apart = f" ({'; '.join(shown)})" if shown else ""
    suggest = [n for n in differ if n != "__name__"][:2]
    hint = f", or set group_by: [{', '.join(suggest)}] for one SLI per group" if suggest else ""
    return (
        f"{_where(slo, promql)} answers {len(series):,} series{apart}; an SLO needs one: "
        f"{_advice(slo)}{hint}"
    )


def _mislabelled(slo: Slo, promql: str, one: Series, missing: list[str], extra: list[str]) -> str:
    by = ", ".join(slo.group_by)
    labels = label_text(sorted(one.labels), tuple(one.labels[n] for n in sorted(one.labels)))
    problems = []
    if extra:
        problems.append(f"labels not in group_by ({', '.join(extra)})")
    if missing:
        problems.append(f"no {', '.join(missing)} label")
    return (
        f"{_where(slo, promql)} answers a series with {' and '.join(problems)}: "
        f"{{{labels}}}; with group_by: [{by}] each series carries exactly those labels: "
        f"aggregate with {_aggregation(slo)} by ({by}) (...)"
    )


def _aggregation(slo: Slo) -> str:
    return "max" if slo.timeslices is not None and slo.timeslices.metric == "threshold" else "sum"


def refuse(slos: Sequence[Slo], source: str, why: str) -> None:
    """An OpsError for the first SLO with group_by, for a source that measures no groups, at
    its file and line when it has them (OpenSLO)."""
    grouped = next((slo for slo in slos if slo.group_by), None)
    if grouped is not None:
        raise _error(
            grouped,
            f"SLO {grouped.name!r} has group_by, which the {source} source cannot measure "
            f"({why}): use the prometheus source (--source prometheus), or define one SLO "
            "per group",
        )
