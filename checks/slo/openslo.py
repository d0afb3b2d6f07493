"""OpenSLO v1 documents as an alternative to ``slos:`` in project.yaml.

Files ``ops/<project>/openslo/*.yaml`` (one or more YAML documents each, separated by
``---``) hold OpenSLO v1 documents of every kind, checked against the specification. An SLO
whose indicator (inline, or an ``indicatorRef`` to an SLI) is a ``ratioMetric`` of Prometheus
queries and whose budget is counted by Occurrences becomes one SLO per objective, as one in
project.yaml: named ``metadata.name`` with one objective, else ``<name>/<displayName>`` (or
``<name>/<position from 1>``). Queries hold ``{{window}}``, or are written as the specification
writes them and rewritten by checks.slo.promql. Its ``timeWindow`` (rolling in days or weeks,
or the calendar month in UTC) is its time window.

Two kinds of problem: a document that is not valid (``problems``: ``ops validate`` and ``ops
slo`` report them) and a valid SLO that ops cannot measure (``unmeasured``: another source
type, Timeslices, a thresholdMetric; ``ops slo`` refuses it, naming it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from checks import document
from checks.document import DocumentError
from checks.errors import OpsError
from checks.findings import Finding
from checks.slo import alertpolicy, measurable
from checks.slo.model import MAX_DAYS, MIN_DAYS, Slo, TimeWindow, rolling_days

SCHEMA = "openslo.schema.json"
RULE = "openslo"
MAX_DOCUMENTS = 500  # per file: a few dozen SLOs is a large service
# a document marker: --- at the start of a line, alone or followed by a blank and the next
# document's first content (a comment, or a flow mapping: --- {apiVersion: ...}), LF or CRLF
_MARKER = re.compile(r"^---(?:[ \t]+|(?=\r?$))", re.MULTILINE)
MEASURED_TYPES = "Prometheus"  # the metric source types ops slo measures (any letter case)


class Origin(NamedTuple):
    """Where an OpenSLO SLO is defined, its runbook (``metadata.annotations.runbook``) and
    the conditions of its alert policies (none: the project's alerts)."""

    path: str
    line: int
    runbook: str | None
    conditions: tuple[alertpolicy.Condition, ...] = ()


class Found(NamedTuple):
    """The SLOs ops can measure, the problems of the documents (``ops validate``), and the
    valid SLOs ops cannot measure (``ops slo`` refuses them)."""

    slos: list[Slo]
    problems: list[Finding]
    unmeasured: list[Finding]
    origins: dict[str, Origin]  # where each SLO of ``slos`` is defined, with its alerts


def load(root: Path, project: str) -> list[Slo]:
    """The SLOs of every OpenSLO file of the project, in file and document order; OpsError
    (the first problem, else the first SLO ops cannot measure) when a file cannot be used."""
    found = read(root, project)
    for first in found.problems[:1] or found.unmeasured[:1]:
        raise OpsError(first.message, path=first.path, line=first.line)
    return found.slos


class _Doc(NamedTuple):
    rel: str
    first: int
    doc: document.Document

    def line(self, keys: Sequence[str | int]) -> int:
        return self.doc.line(list(keys)) + self.first - 1


def read(root: Path, project: str) -> Found:
    """The SLOs of the project's OpenSLO files, every problem with them (what ``ops
    validate`` reports: a file that cannot be read or fails the schema, an indicatorRef to no
    SLI, a metricSourceRef to no DataSource, an SLO name used twice, here or in project.yaml's
    slos:, a Prometheus SLO's window or query ops cannot count) and the SLOs it cannot measure."""
    from checks import tree

    found = tree.scan(root, ("ops", project, "openslo"))
    problems = list(found.problems)  # a link or a stray file: never read around it
    files = sorted(k.rel for k in found.known if k.what == "openslo")
    slos: list[_Doc] = []
    invalid: set[str] = set()  # names of documents that fail the schema: reported already
    indicators: dict[str, tuple[_Doc, list[str]]] = {}
    sources: dict[str, str] = {}  # DataSource name: type
    defined: dict[tuple[str, str], _Doc] = {}  # (kind, name): where, for SLIs and DataSources
    alerting: dict[str, dict[str, alertpolicy.Defined]] = {"AlertPolicy": {}, "AlertCondition": {}}
    for rel in files:
        try:
            documents, broken, names_broken = _documents(root / rel, rel)
        except OpsError as e:
            problems.append(Finding(rel, e.line or 1, None, e.message, rule=RULE))
            continue
        problems += broken
        invalid |= names_broken
        for first, doc in documents:
            kind, name = doc.data.get("kind"), doc.data["metadata"]["name"]
            if kind in ("SLI", "DataSource", "AlertPolicy", "AlertCondition"):
                here = _Doc(rel, first, doc)
                earlier = defined.setdefault((str(kind), name), here)
                if earlier is not here:  # the last would win unseen: another metric measured
                    problems.append(
                        Finding(
                            rel,
                            here.line(["metadata", "name"]),
                            None,
                            f"{'an' if kind != 'DataSource' else 'a'} {kind} named {name!r} "
                            f"is already defined at {earlier.rel}:"
                            f"{earlier.line(['metadata', 'name'])}; rename one",
                            rule=RULE,
                        )
                    )
                    continue
            if kind == "SLO":
                slos.append(_Doc(rel, first, doc))
            elif kind == "SLI":
                indicators[name] = (_Doc(rel, first, doc), ["spec"])
            elif kind == "DataSource":
                sources[name] = doc.data["spec"]["type"]
            elif kind in ("AlertPolicy", "AlertCondition"):
                alerting[kind][name] = alertpolicy.Defined(_Doc(rel, first, doc), doc.data)
    out: list[Slo] = []
    unmeasured: list[Finding] = []
    origins: dict[str, Origin] = {}
    names = _project_names(root, project) if slos else {}  # read project.yaml only if needed
    for at in slos:
        spec = at.doc.data["spec"]
        alerts = alertpolicy.resolve(
            at,
            spec,
            alerting["AlertPolicy"],
            alerting["AlertCondition"],
            f"ops/{project}/openslo/",
            invalid,
        )
        problems += [Finding(p, n, None, m, rule=RULE) for p, n, m in alerts.problems]
        if "indicator" in spec:
            indicator = (at, ["spec", "indicator", "spec"])
        elif spec["indicatorRef"] in indicators:
            indicator = indicators[spec["indicatorRef"]]
        elif spec["indicatorRef"] in invalid:  # its SLI's own problems are reported
            continue
        else:
            problems.append(
                Finding(
                    at.rel,
                    at.line(["spec", "indicatorRef"]),
                    None,
                    f"indicatorRef {spec['indicatorRef']!r} names no SLI document in "
                    f"ops/{project}/openslo/",
                    rule=RULE,
                )
            )
            continue
        made, problem, refusal = _measure(at, indicator, sources, names)
        problems += problem
        unmeasured += refusal
        out += made
        annotations = at.doc.data["metadata"].get("annotations")
        runbook = annotations.get("runbook") if isinstance(annotations, dict) else None
        where = at.line(["metadata", "name"])
        for slo in made:
            origins[slo.name] = Origin(at.rel, where, runbook, tuple(alerts.conditions))
    return Found(out, problems, unmeasured, origins)


def _measure(
    at: _Doc,
    indicator: tuple[_Doc, list[str]],
    sources: dict[str, str],
    names: dict[str, str],
) -> tuple[list[Slo], list[Finding], list[Finding]]:
    """The SLOs of one SLO document, or its problems, or why ops cannot measure it."""
    data, spec = at.doc.data, at.doc.data["spec"]
    name = data["metadata"]["name"]
    objectives = spec["objectives"]
    labels = [_objective_name(name, objectives, index) for index in range(len(objectives))]
    line = at.line(["metadata", "name"])
    for index, label in enumerate(labels):
        where = line if len(objectives) == 1 else at.line(["spec", "objectives", index])
        if label in names:
            message = (
                f"the SLO name {label!r} is used twice ({names[label]}); rename one: a report "
                "measures each SLO once"
            )
            return [], [Finding(at.rel, where, None, message, rule=RULE)], []
        names[label] = f"{at.rel}:{where}"

    def finding(where: _Doc, keys: Sequence[str | int], message: str) -> list[Finding]:
        return [Finding(where.rel, where.line(keys), None, message, rule=RULE)]

    sli_at, sli_keys = indicator
    sli = sli_at.doc.data
    for key in sli_keys:
        sli = sli[key]
    metric = "ratioMetric" if "ratioMetric" in sli else "thresholdMetric"
    parts = ["good", "bad", "total", "raw"] if metric == "ratioMetric" else [None]
    for part in parts:
        if part is not None and part not in sli[metric]:
            continue
        keys = [*sli_keys, metric, *([part] if part else []), "metricSource"]
        source = sli[metric][part]["metricSource"] if part else sli[metric]["metricSource"]
        kind = source.get("type")
        if kind is None:
            ref = source["metricSourceRef"]
            if ref not in sources:
                return (
                    [],
                    finding(
                        sli_at,
                        [*keys, "metricSourceRef"],
                        f"metricSourceRef {ref!r} names no DataSource document in the project's "
                        "openslo/ folder; name one, or give the metric source's type",
                    ),
                    [],
                )
            kind = sources[ref]
        if kind.lower() != MEASURED_TYPES.lower():
            return (
                [],
                [],
                finding(
                    sli_at,
                    [*keys, "type" if "type" in source else "metricSourceRef"],
                    f"SLO {name!r}: ops cannot measure it from its metric source of type "
                    f"{kind!r}: ops slo measures metric sources of type {MEASURED_TYPES} (its "
                    "queries run on the project's metrics source)",
                ),
            )
    window, problem = time_window(spec.get("timeWindow"))
    if problem is not None:
        return [], finding(at, ["spec", "timeWindow", 0, problem[0]], problem[1]), []
    made = measurable.indicator(at, data, sli_at, sli_keys, sli, labels, window)
    return made.slos, made.problems, made.refusals


def _objective_name(name: str, objectives: list[dict[str, Any]], index: int) -> str:
    """An objective's SLO name: the SLO's with one objective, else ``<name>/<displayName>``,
    the displayName as a slug ("Good experience": ``good-experience``), or ``<name>/<position
    from 1>`` without one."""
    if len(objectives) == 1:
        return name
    shown = objectives[index].get("displayName")
    # as a slug: a name goes into the report's table and chart, and the rules' labels
    slug = "-".join(re.findall(r"[a-z0-9]+", shown.lower())) if isinstance(shown, str) else ""
    return f"{name}/{slug[:63] or index + 1}"


def _project_names(root: Path, project: str) -> dict[str, str]:
    """The SLO names of project.yaml's slos: (where each is); none when it cannot be read
    (validate reports project.yaml itself)."""
    rel = f"ops/{project}/project.yaml"
    try:
        doc = document.parse("project", document.read_text(root / rel))
    except (DocumentError, OSError):
        return {}
    entries = doc.data.get("slos")
    return {
        entry["name"]: f"{rel}:{doc.line(['slos', index, 'name'])}"
        for index, entry in enumerate(entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    }


# UTC under each of the IANA database's names for it (its calendar months are UTC's)
_UTC_ZONES = frozenset(
    f"{area}{name}"
    for area in ("", "Etc/")
    for name in ("UTC", "UCT", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Universal", "Zulu")
) | {"Z"}
_MONTH_START = re.compile(r"^[0-9]{4}-[0-9]{2}-01([ T]00:00(:00)?(\.0+)?(Z|[+-]00:?00)?)?$")


def time_window(windows: Any) -> tuple[TimeWindow | None, tuple[str, str] | None]:
    """An SLO's ``spec.timeWindow`` (schema-checked) as a TimeWindow, or the key of its entry
    that ops cannot count and why."""
    if not windows:
        return None, None
    entry = windows[0]
    duration = entry["duration"]
    if entry.get("isRolling") is True:
        if rolling_days(duration) is None:
            return None, (
                "duration",
                f"timeWindow: a rolling window of {duration!r} cannot be counted; ops counts "
                f"rolling windows of {MIN_DAYS} to {MAX_DAYS} days, in days or weeks (28d, 4w)",
            )
        return TimeWindow(rolling=duration), None
    if duration != "1M":
        return None, (
            "duration",
            f"timeWindow: a calendar window of {duration!r} cannot be counted; ops counts the "
            "calendar month (duration: 1M, isRolling: false) or a rolling window (duration: "
            "28d, isRolling: true); the weekly report is already the calendar week's",
        )
    calendar = entry.get("calendar") or {}
    zone = calendar.get("timeZone")
    if zone is not None and zone not in _UTC_ZONES:
        return None, (
            "calendar",
            f"timeWindow: calendar.timeZone {zone!r}: ops counts calendar months in UTC, as "
            "its weeks; set timeZone: UTC",
        )
    start = calendar.get("startTime")
    if start is not None and not _MONTH_START.match(str(start)):
        return None, (
            "calendar",
            f"timeWindow: calendar.startTime {str(start)!r}: a calendar month starts on the "
            "1st at 00:00 (such as 2026-01-01 00:00:00)",
        )
    return TimeWindow(calendar="month"), None


def _documents(
    path: Path, rel: str
) -> tuple[list[tuple[int, document.Document]], list[Finding], set[str]]:
    """(first line, document) of each valid YAML document in the file, checked against the
    OpenSLO subset (a document's own lines count from 1 at its first line), and the problems
    of every other one with their names; OpsError when the file cannot be read at all."""
    from checks import schemas

    try:
        text = document.read_text(path)
    except DocumentError as e:
        raise OpsError(e.message, path=rel, line=e.line) from None
    markers = list(_MARKER.finditer(text))
    if len(markers) >= MAX_DOCUMENTS:
        raise OpsError(
            f"holds more than {MAX_DOCUMENTS} YAML documents; split it into several files",
            path=rel,
            line=text.count("\n", 0, markers[MAX_DOCUMENTS - 1].start()) + 1,
        )
    starts = [0] + [m.end() for m in markers]  # a document's lines count from its marker's
    ends = [m.start() for m in markers] + [len(text)]
    out = []
    problems: list[Finding] = []
    broken: set[str] = set()  # names of the documents that fail the schema
    for start, end in zip(starts, ends, strict=True):
        chunk = text[start:end]
        if not chunk.strip() or all(
            not line.strip() or line.lstrip().startswith("#") for line in chunk.splitlines()
        ):
            continue
        first_line = text.count("\n", 0, start) + 1
        try:
            doc = document.parse_yaml_file(chunk)
        except DocumentError as e:  # the next document is read all the same
            problems.append(Finding(rel, e.line + first_line - 1, None, e.message, rule=RULE))
            continue
        if not schemas.fast_validator(SCHEMA).is_valid(doc.data):
            from checks.validation import schema_errors  # the one schema check

            found = schema_errors.check(SCHEMA, doc, rel)
            meta = doc.data.get("metadata") if isinstance(doc.data, dict) else None
            name = meta.get("name") if isinstance(meta, dict) else None
            broken.add(name if isinstance(name, str) else "")
            problems += [
                Finding(
                    rel, f.line + first_line - 1, None, f"{f.json_path}: {f.message}", rule=RULE
                )
                for f in found
            ] or [Finding(rel, first_line, None, f"does not match {SCHEMA}", rule=RULE)]
            continue
        out.append((first_line, doc))
    return out, problems, broken


def origins(root: Path, project: str) -> dict[str, Origin]:
    """The measured SLOs of the project's OpenSLO files by name (for ``ops slo rules``)."""
    return read(root, project).origins
