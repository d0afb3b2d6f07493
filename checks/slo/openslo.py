"""OpenSLO v1 documents as an alternative to ``slos:`` in project.yaml.

Files ``ops/<project>/openslo/*.yaml`` (one or more YAML documents each, separated by
``---``) hold ``SLO`` and ``SLI`` documents. An SLO with one objective, an Occurrences
budget and a ``ratioMetric`` indicator (inline, or an ``indicatorRef`` to an SLI) whose
metric sources are Prometheus queries with ``{{window}}`` becomes the same SLO as one in
project.yaml; the SLO's ``metadata.name`` is its name in the reports. Its ``timeWindow``
(rolling in days or weeks, or the calendar month in UTC) is its time window; one ops cannot
count is an error at its line. Other kinds (Service, AlertPolicy, ...) are skipped.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from checks import document
from checks.document import DocumentError
from checks.errors import OpsError
from checks.findings import Finding
from checks.slo.model import MAX_DAYS, MIN_DAYS, Slo, TimeWindow, rolling_days

SCHEMA = "openslo.schema.json"
RULE = "openslo"
MAX_DOCUMENTS = 500  # per file: a few dozen SLOs is a large service
_MARKER = re.compile(r"^---[ \t]*$", re.MULTILINE)


def load(root: Path, project: str) -> list[Slo]:
    """The SLOs of every OpenSLO file of the project, in file and document order; OpsError
    (the first problem) when a file cannot be used."""
    slos, problems = read(root, project)
    if problems:
        first = problems[0]
        raise OpsError(first.message, path=first.path, line=first.line)
    return slos


def read(root: Path, project: str) -> tuple[list[Slo], list[Finding]]:
    """The SLOs of the project's OpenSLO files, and every problem with them (what ``ops
    validate`` reports: a file that cannot be read or fails the schema, an indicatorRef to no
    SLI, an SLO name used twice, here or in project.yaml's slos:)."""
    from checks import tree

    found = tree.scan(root, ("ops", project, "openslo"))
    problems = list(found.problems)  # a link or a stray file: never read around it
    files = sorted(k.rel for k in found.known if k.what == "openslo")
    slos: list[tuple[str, int, document.Document]] = []  # (file, first line, document)
    indicators: dict[str, dict[str, Any]] = {}
    for rel in files:
        try:
            documents = _documents(root / rel, rel)
        except OpsError as e:
            problems.append(Finding(rel, e.line or 1, None, e.message, rule=RULE))
            continue
        for first, doc in documents:
            if doc.data.get("kind") == "SLO":
                slos.append((rel, first, doc))
            elif doc.data.get("kind") == "SLI":
                indicators[doc.data["metadata"]["name"]] = doc.data["spec"]
    out = []
    names = _project_names(root, project) if slos else {}  # read project.yaml only if needed
    for rel, first, doc in slos:
        data = doc.data
        spec = data["spec"]
        name = data["metadata"]["name"]
        line = doc.line(["metadata", "name"]) + first - 1
        if name in names:
            problems.append(
                Finding(
                    rel,
                    line,
                    None,
                    f"the SLO name {name!r} is used twice ({names[name]}); rename one: a report "
                    "measures each SLO once",
                    rule=RULE,
                )
            )
            continue
        names[name] = f"{rel}:{line}"
        if "indicator" in spec:
            indicator = spec["indicator"]["spec"]
        elif spec["indicatorRef"] in indicators:
            indicator = indicators[spec["indicatorRef"]]
        else:
            problems.append(
                Finding(
                    rel,
                    doc.line(["spec", "indicatorRef"]) + first - 1,
                    None,
                    f"indicatorRef {spec['indicatorRef']!r} names no SLI document in "
                    f"ops/{project}/openslo/",
                    rule=RULE,
                )
            )
            continue
        window, problem = time_window(spec.get("timeWindow"))
        if problem is not None:
            at = doc.line(["spec", "timeWindow", 0, problem[0]]) + first - 1
            problems.append(Finding(rel, at, None, problem[1], rule=RULE))
            continue
        out.append(_slo(data, indicator, window))
    return out, problems


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


_UTC_ZONES = ("UTC", "Etc/UTC", "Etc/GMT", "GMT", "Z")
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


def _slo(data: dict[str, Any], indicator: dict[str, Any], window: TimeWindow | None) -> Slo:
    objective = data["spec"]["objectives"][0]
    if "targetPercent" in objective:
        percent = Decimal(str(objective["targetPercent"]))
    else:
        percent = Decimal(str(objective["target"])) * 100
    ratio = indicator["ratioMetric"]

    def query(part: str) -> str | None:
        return ratio[part]["metricSource"]["spec"]["query"] if part in ratio else None

    return Slo(
        data["metadata"]["name"],
        percent.normalize(),
        query("total") or "",
        query("good"),
        query("bad"),
        data["spec"].get("description"),
        time_window=window,
    )


def _documents(path: Path, rel: str) -> list[tuple[int, document.Document]]:
    """(first line, document) of each YAML document in the file, checked against the
    OpenSLO subset; a document's own lines count from 1 at its first line."""
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
    starts = [0] + [m.end() + 1 for m in markers]
    ends = [m.start() for m in markers] + [len(text)]
    out = []
    for start, end in zip(starts, ends, strict=True):
        chunk = text[start:end]
        if not chunk.strip() or all(
            not line.strip() or line.lstrip().startswith("#") for line in chunk.splitlines()
        ):
            continue
        first_line = text.count("\n", 0, start) + 1
        try:
            doc = document.parse_yaml_file(chunk)
        except DocumentError as e:
            raise OpsError(e.message, path=rel, line=e.line + first_line - 1) from None
        if not schemas.fast_validator(SCHEMA).is_valid(doc.data):
            from checks.validation.schema_errors import findings_for

            found = findings_for(list(schemas.validator(SCHEMA).iter_errors(doc.data)), doc, rel)
            first = found[0] if found else None
            message = f"{first.json_path}: {first.message}" if first else f"does not match {SCHEMA}"
            line = (first.line if first else 1) + first_line - 1
            raise OpsError(message, path=rel, line=line)
        out.append((first_line, doc))
    return out


class Origin(NamedTuple):
    """Where an OpenSLO SLO is defined, and its runbook (``metadata.annotations.runbook``)."""

    path: str
    line: int
    runbook: str | None


def origins(root: Path, project: str) -> dict[str, Origin]:
    """The SLOs of the project's OpenSLO files by name (for ``ops slo rules``); files that
    cannot be read are left out (``load`` reports them)."""
    from checks import tree

    found = tree.scan(root, ("ops", project, "openslo"))
    out: dict[str, Origin] = {}
    for rel in sorted(k.rel for k in found.known if k.what == "openslo"):
        try:
            documents = _documents(root / rel, rel)
        except OpsError:
            continue
        for first, doc in documents:
            if doc.data.get("kind") != "SLO":
                continue
            annotations = doc.data["metadata"].get("annotations")
            runbook = annotations.get("runbook") if isinstance(annotations, dict) else None
            line = doc.line(["metadata", "name"]) + first - 1
            out.setdefault(doc.data["metadata"]["name"], Origin(rel, line, runbook))
    return out
