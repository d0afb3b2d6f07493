"""OpenSLO v1 documents as an alternative to ``slos:`` in project.yaml.

Files ``ops/<project>/openslo/*.yaml`` (one or more YAML documents each, separated by
``---``) hold ``SLO`` and ``SLI`` documents. An SLO with one objective, an Occurrences
budget and a ``ratioMetric`` indicator (inline, or an ``indicatorRef`` to an SLI) whose
metric sources are Prometheus queries with ``{{window}}`` becomes the same SLO as one in
project.yaml; the SLO's ``metadata.name`` is its name in the reports. Other kinds
(Service, AlertPolicy, ...) are skipped.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from checks import document
from checks.document import DocumentError
from checks.errors import OpsError
from checks.slo.model import Slo

SCHEMA = "openslo.schema.json"
_MARKER = re.compile(r"^---[ \t]*$", re.MULTILINE)


def load(root: Path, project: str) -> list[Slo]:
    """The SLOs of every OpenSLO file of the project, in file and document order."""
    from checks import tree

    found = tree.scan(root, ("ops", project, "openslo"))
    if found.problems:  # a link or a stray file: never read around it
        raise OpsError(found.problems[0].message, path=found.problems[0].path)
    files = [k.rel for k in found.known if k.what == "openslo"]
    slos: list[tuple[str, int, document.Document]] = []  # (file, first line, document)
    indicators: dict[str, dict[str, Any]] = {}
    for rel in sorted(files):
        for first, doc in _documents(root / rel, rel):
            if doc.data.get("kind") == "SLO":
                slos.append((rel, first, doc))
            elif doc.data.get("kind") == "SLI":
                indicators[doc.data["metadata"]["name"]] = doc.data["spec"]
    out = []
    for rel, first, doc in slos:
        data = doc.data
        spec = data["spec"]
        if "indicator" in spec:
            indicator = spec["indicator"]["spec"]
        elif spec["indicatorRef"] in indicators:
            indicator = indicators[spec["indicatorRef"]]
        else:
            raise OpsError(
                f"indicatorRef {spec['indicatorRef']!r} names no SLI document in "
                f"ops/{project}/openslo/",
                path=rel,
                line=doc.line(["spec", "indicatorRef"]) + first - 1,
            )
        out.append(_slo(data, indicator))
    return out


def _slo(data: dict[str, Any], indicator: dict[str, Any]) -> Slo:
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
    )


def _documents(path: Path, rel: str) -> list[tuple[int, document.Document]]:
    """(first line, document) of each YAML document in the file, checked against the
    OpenSLO subset; a document's own lines count from 1 at its first line."""
    from checks import schemas

    try:
        text = document.read_text(path)
    except DocumentError as e:
        raise OpsError(e.message, path=rel, line=e.line) from None
    starts = [0] + [m.end() + 1 for m in _MARKER.finditer(text)]
    ends = [m.start() for m in _MARKER.finditer(text)] + [len(text)]
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
