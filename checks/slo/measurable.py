"""How ops measures one OpenSLO SLO document: its indicator and budgeting method as SLOs.

- ``ratioMetric`` good (or bad) over total, by Occurrences: events counted over the window
  (queries with ``{{window}}``, or rewritten by checks.slo.promql).
- Timeslices and RatioTimeslices, of a ratioMetric (good/bad over total, or ``raw`` with its
  ``rawType``) or, Timeslices only, a ``thresholdMetric`` compared with each objective's ``op``
  and ``value``: the window cut into ``timeSliceWindow`` slices (checks.slo.timeslices).

Refused (valid, but not measured): a thresholdMetric or a raw ratio with Occurrences (they
have no events to count: each says to use Timeslices), and RatioTimeslices of a thresholdMetric
(it has no ratio to average). Problems (``ops validate``): a Timeslices objective without its
``timeSliceWindow`` or ``timeSliceTarget``, a thresholdMetric objective without ``op`` and
``value``, a slice ops cannot cut days into, and queries ops cannot count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from checks import secrets
from checks.findings import Finding
from checks.slo import promql, timeslices
from checks.slo.model import Slo, Timeslices, TimeWindow

RULE = "openslo"
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# a bare selector, which a range follows directly: name{matchers} or {matchers}
_SELECTOR = re.compile(r"^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?(?:\{[^{}]*\})?$")
SLICED = ("Timeslices", "RatioTimeslices")


class Where(Protocol):
    @property
    def rel(self) -> str: ...

    def line(self, keys: Sequence[str | int]) -> int: ...


class Measured(NamedTuple):
    slos: list[Slo]
    problems: list[Finding]
    refusals: list[Finding]


def finding(where: Where, keys: Sequence[str | int], message: str) -> list[Finding]:
    return [Finding(where.rel, where.line(keys), None, message, rule=RULE)]


def indicator(
    at: Where,
    data: dict[str, Any],
    sli_at: Where,
    sli_keys: list[str],
    sli: dict[str, Any],
    labels: list[str],
    window: TimeWindow | None,
) -> Measured:
    """The SLOs (one per objective, named ``labels``) of a valid SLO whose metric sources
    ops measures, or its problems, or why ops does not measure it."""
    spec, name = data["spec"], data["metadata"]["name"]
    method = spec.get("budgetingMethod", "Occurrences")
    metric = (
        "threshold"
        if "thresholdMetric" in sli
        else "raw"
        if "raw" in sli["ratioMetric"]
        else "ratio"
    )
    block = "thresholdMetric" if metric == "threshold" else "ratioMetric"
    problems = _objective_problems(at, spec["objectives"], method, metric)
    group_by, wrong = _group_by(data)
    problems += finding(at, ["metadata", "annotations", "group_by"], wrong) if wrong else []
    if problems:
        return Measured([], problems, [])
    refusal = _refusal(name, method, metric)
    if refusal is not None:
        keys = ["spec", "budgetingMethod"] if "budgetingMethod" in spec else [*sli_keys, block]
        return Measured([], [], finding(at if "budgetingMethod" in spec else sli_at, keys, refusal))
    queries, methods, problems = _queries(sli_at, sli_keys, sli[block], metric)
    if not problems and method in SLICED and metric != "ratio":
        problems = _sampled(sli_at, sli_keys, metric, queries["total"], spec["objectives"])
    if problems:
        return Measured([], problems, [])
    origin = (at.rel, at.line(["metadata", "name"]))
    out = []
    for index, (objective, label) in enumerate(zip(spec["objectives"], labels, strict=True)):
        sliced = None
        if method in SLICED:
            sliced = _timeslices(objective, method, metric, sli[block])
        out.append(
            Slo(
                label,
                _percent(objective),
                queries["total"],
                queries.get("good"),
                queries.get("bad"),
                spec.get("description"),
                group_by=group_by,
                time_window=window,
                method=", ".join(sorted(methods)) or None,
                timeslices=sliced,
                origin=origin
                if len(labels) == 1
                else (at.rel, at.line(["spec", "objectives", index])),
            )
        )
    return Measured(out, [], [])


def _group_by(data: dict[str, Any]) -> tuple[tuple[str, ...], str | None]:
    """``metadata.annotations.group_by`` (``service`` or ``service, region``): the labels of an
    SLO with one SLI per group, as project.yaml's group_by (OpenSLO has no such field)."""
    annotations = data["metadata"].get("annotations")
    text = annotations.get("group_by") if isinstance(annotations, dict) else None
    if text is None:
        return (), None
    names = [n.strip() for n in text.split(",")] if isinstance(text, str) else []
    if (
        not 1 <= len(names) <= 10
        or len(set(names)) != len(names)
        or not all(_LABEL.match(n) for n in names)
    ):
        return (), (
            f"annotation group_by {text!r}: 1 to 10 different Prometheus label names, "
            "separated by commas (such as 'service' or 'service, region')"
        )
    return tuple(names), None


def _percent(objective: dict[str, Any]) -> Decimal:
    if "targetPercent" in objective:
        return Decimal(str(objective["targetPercent"])).normalize()
    return (Decimal(str(objective["target"])) * 100).normalize()


def _refusal(name: str, method: str, metric: str) -> str | None:
    if method == "Occurrences" and metric == "threshold":
        return (
            f"SLO {name!r}: a thresholdMetric has no events for budgetingMethod Occurrences to "
            "count; ops slo measures it with budgetingMethod: Timeslices (a slice is good when "
            "its value passes the objective's op and value)"
        )
    if method == "Occurrences" and metric == "raw":
        return (
            f"SLO {name!r}: a raw ratioMetric has no event counts for budgetingMethod "
            "Occurrences to weigh; ops slo measures it with budgetingMethod: Timeslices or "
            "RatioTimeslices, or give good (or bad) and total queries"
        )
    if method == "RatioTimeslices" and metric == "threshold":
        return (
            f"SLO {name!r}: budgetingMethod RatioTimeslices averages each slice's ratio, and a "
            "thresholdMetric has none; use budgetingMethod: Timeslices"
        )
    return None


def _objective_problems(
    at: Where, objectives: list[dict[str, Any]], method: str, metric: str
) -> list[Finding]:
    out: list[Finding] = []
    for index, objective in enumerate(objectives):
        keys: list[str | int] = ["spec", "objectives", index]
        needed = []
        if method in SLICED:
            needed.append("timeSliceWindow")
        if method == "Timeslices" and metric != "threshold":
            needed.append("timeSliceTarget")
        if metric == "threshold":
            needed += ["op", "value"]
        missing = [key for key in needed if key not in objective]
        if missing:
            why = f"budgetingMethod {method}" if method in SLICED else "a thresholdMetric"
            if metric == "threshold" and method in SLICED:
                why = f"budgetingMethod {method} of a thresholdMetric"
            out += finding(
                at,
                keys,
                f"this objective needs {' and '.join(missing)} with {why} (such as "
                f"{_example(missing[0])})",
            )
            continue
        if method in SLICED:
            _, problem = timeslices.slice_seconds(objective["timeSliceWindow"])
            if problem is not None:
                out += finding(at, [*keys, "timeSliceWindow"], problem)
        if method in SLICED and metric != "threshold" and objective.get("op") in ("lt", "lte"):
            out += finding(
                at,
                [*keys, "op"],
                f"op {objective['op']}: a slice of a ratio is good when its good ratio is at "
                "least (op: gte, the default) or above (op: gt) timeSliceTarget, never below "
                "it; a ratio of bad events is given as bad, or as raw with rawType: failure",
            )
    return out


def _example(key: str) -> str:
    return {
        "timeSliceWindow": "timeSliceWindow: 5m",
        "timeSliceTarget": "timeSliceTarget: 0.95",
        "op": "op: lt",
        "value": "value: 0.3",
    }[key]


def _timeslices(
    objective: dict[str, Any], method: str, metric: str, block: dict[str, Any]
) -> Timeslices:
    seconds, _ = timeslices.slice_seconds(objective["timeSliceWindow"])
    assert seconds is not None  # _objective_problems let none other through
    threshold: Decimal | None
    if metric == "threshold":
        op, threshold = objective["op"], Decimal(str(objective["value"]))
    else:
        target = objective.get("timeSliceTarget")
        op = objective.get("op", "gte")  # gt or gte (_objective_problems refuses lt and lte)
        threshold = None if target is None else Decimal(str(target))
    failure = metric == "raw" and block.get("rawType") == "failure"
    return Timeslices(method, metric, seconds, op, threshold, failure)


def _queries(
    sli_at: Where, sli_keys: list[str], block: dict[str, Any], metric: str
) -> tuple[dict[str, str], list[str], list[Finding]]:
    """The SLI's queries by part (good, bad, total; a raw ratio's and a threshold metric's
    query as ``total``) and the rewrites of spec-style queries."""
    parts = {"ratio": ("good", "bad", "total"), "raw": ("raw",), "threshold": (None,)}[metric]
    queries: dict[str, str] = {}
    methods: list[str] = []
    for part in parts:
        if part is not None and part not in block:
            continue
        source = (block[part] if part else block)["metricSource"]
        keys = [*sli_keys, "ratioMetric" if part else "thresholdMetric"]
        keys += [part, "metricSource", "spec"] if part else ["metricSource", "spec"]
        query = source["spec"].get("query") if isinstance(source.get("spec"), dict) else None
        if not isinstance(query, str) or not query.strip():
            return (
                {},
                [],
                finding(sli_at, keys, "a Prometheus metric source needs spec.query: its PromQL"),
            )
        try:
            if part in (None, "raw"):  # a value, not a count: as written
                rewrite = promql.Rewrite(promql.as_written(query), None)
            else:
                rewrite = promql.windowed(query, block.get("counter") is True)
        except promql.Unwritable as e:
            return {}, [], finding(sli_at, [*keys, "query"], _unwritable(query, part, e))
        queries["total" if part in (None, "raw") else part] = rewrite.query
        if rewrite.method is not None and rewrite.method not in methods:
            methods.append(rewrite.method)
    return queries, methods, []


def _sampled(
    sli_at: Where, sli_keys: list[str], metric: str, query: str, objectives: list[dict[str, Any]]
) -> list[Finding]:
    """A threshold metric's (or raw ratio's) query without ``{{window}}`` is one sample at the
    slice's end, looked back for up to LOOKBACK: a longer slice would be judged by its last
    moment alone, and the rest of it would pass unseen."""
    if promql.WINDOW in promql.code(query):
        return []
    longest = max(timeslices.slice_seconds(o["timeSliceWindow"])[0] or 0 for o in objectives)
    if longest <= timeslices.LOOKBACK:
        return []
    step = timeslices.duration(longest)
    keys = [*sli_keys, "thresholdMetric" if metric == "threshold" else "ratioMetric"]
    keys += ["metricSource", "spec", "query"] if metric == "threshold" else ["raw"]
    if metric == "raw":
        keys += ["metricSource", "spec", "query"]
    text = query.strip()
    window = promql.WINDOW
    inner = f"{text}[{window}]" if _SELECTOR.match(text) else f"({text})[{window}:]"
    lookback = timeslices.duration(timeslices.LOOKBACK)
    return finding(
        sli_at,
        keys,
        f"{secrets.excerpt(text, 160)!r} has no {window}, so each {step} slice would be "
        f"judged by one sample at its end (Prometheus looks back {lookback} for it) and the "
        "rest of the slice would go unseen: aggregate it over the slice, such as "
        f"max_over_time({inner}) (or avg_over_time, or quantile_over_time(0.99, ...), as meant)",
    )


def _unwritable(query: str, part: str | None, error: promql.Unwritable) -> str:
    if part in (None, "raw"):
        return f"{query!r}: {promql.WINDOW} stands for the slice's length: it {error}"
    return (
        f"{query!r} needs the {{{{window}}}} placeholder, or to be written as "
        f"rate(<selector>[<range>]) (in sum(...) if need be) for ops to count the window's "
        f"events: it {error}"
    )
