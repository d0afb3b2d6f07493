"""Rules across the documents of one project. Pure: facts in, findings out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from checks.findings import Finding, shorten
from checks.kinds import DEFAULT_SEVERITY_SCALE
from checks.validation.targets import Facts, Target

Record = tuple[Target, Facts]


def check_project(project: str, records: Sequence[Record]) -> list[Finding]:
    """Every cross-document finding for one project's records (project.yaml included)."""
    config = next((f for t, f in records if t.role == "project" and f.get("parsed")), None)
    exists = any(t.role == "project" and f.get("present", True) for t, f in records)
    documents = [(t, f) for t, f in records if t.role == "document" and f.get("parsed")]
    out: list[Finding] = []
    if not exists:
        out.extend(_missing_project(project, records))
    scale: tuple[str, ...] | None = DEFAULT_SEVERITY_SCALE
    if config is not None and "scale" in config:
        scale = tuple(config["scale"]) if config["scale"] is not None else None
    if scale is not None:  # a broken scale is reported once, by the schema
        if config is not None:
            out.extend(_config(project, config, scale))
        out.extend(_severities(documents, scale))
    out.extend(_unique_incidents(documents))
    out.extend(_unique_items(documents))
    unreadable = {
        t.rel.rsplit("/", 1)[-1][:-3]
        for t, f in records
        if t.kind == "incident" and not f.get("parsed")
    }
    out.extend(_postmortem_links(project, documents, unreadable, scale or ()))
    return out


def _missing_project(project: str, records: Sequence[Record]) -> list[Finding]:
    return [
        Finding(
            t.rel,
            1,
            None,
            f"ops/{project}/project.yaml is missing; every project folder needs one "
            "(see the sample ops/checkout/project.yaml)",
            rule="project",
        )
        for t, _ in records
        if t.role == "document"
    ]


def _config(project: str, config: Facts, scale: tuple[str, ...]) -> list[Finding]:
    rel = f"ops/{project}/project.yaml"
    out: list[Finding] = []
    threshold = config.get("threshold")
    if threshold and threshold[0] not in scale:
        out.append(
            Finding(
                rel,
                threshold[1],
                "$.postmortem.required_at_or_above",
                f"{shorten(threshold[0])} is not in severity_scale ({', '.join(scale)})",
                rule="severity",
            )
        )
    for name, line in config.get("due_days", []):
        if name not in scale:
            out.append(
                Finding(
                    rel,
                    line,
                    f"$.postmortem.due_business_days.{name}",
                    f"{shorten(name)} is not in severity_scale ({', '.join(scale)})",
                    rule="severity",
                )
            )
    return out


def _severities(documents: Sequence[Record], scale: tuple[str, ...]) -> list[Finding]:
    return [
        Finding(
            t.rel,
            f["severity"][1],
            "$.severity",
            f"{shorten(f['severity'][0])} is not in the project's severity_scale "
            f"({', '.join(scale)})",
            rule="severity",
        )
        for t, f in documents
        if "severity" in f and f["severity"][0] not in scale
    ]


def _unique_incidents(documents: Sequence[Record]) -> list[Finding]:
    return _repeats(
        "incident id",
        (
            (f["id"][0], t.rel, f["id"][1], "$.id", f"by {t.rel}")
            for t, f in documents
            if t.kind == "incident" and "id" in f
        ),
    )


def _unique_items(documents: Sequence[Record]) -> list[Finding]:
    return _repeats(
        "action item id",
        (
            (ident, t.rel, line, where, f"at {t.rel}:{line}")
            for t, f in documents
            for ident, line, where in f.get("items", [])
        ),
    )


def _repeats(label: str, uses: Iterable[tuple[str, str, int, str, str]]) -> list[Finding]:
    """A finding for every use of an id after its first. ``uses``: (id, path, line, json path,
    how to name this place in a later message), in document order."""
    first: dict[str, str] = {}
    out: list[Finding] = []
    for ident, rel, line, where, place in uses:
        if ident in first:
            message = f"{label} {shorten(ident)} is also used {first[ident]}; "
            out.append(
                Finding(rel, line, where, message + "ids are unique in a project", rule="unique")
            )
        else:
            first[ident] = place
    return out


def _postmortem_links(
    project: str, documents: Sequence[Record], unreadable: set[str], scale: tuple[str, ...]
) -> list[Finding]:
    """Each postmortem names an existing incident (one postmortem per incident).

    An incident file that cannot be read is reported on its own; postmortems
    naming it are not reported again.
    """
    incidents = {f["id"][0]: (t, f) for t, f in documents if t.kind == "incident" and "id" in f}
    covered: dict[str, str] = {}
    out: list[Finding] = []
    for t, f in documents:
        if t.kind != "postmortem" or "incident" not in f:
            continue
        ident, line = f["incident"]
        if ident in unreadable:
            continue
        if ident not in incidents:
            out.append(
                Finding(
                    t.rel,
                    line,
                    "$.incident",
                    f"incident {shorten(ident)} does not exist: no ops/{project}/incidents/"
                    f"{ident}.md; fix the id or add the incident "
                    f"(ops new incident --project {project})",
                    rule="reference",
                )
            )
            continue
        if ident in covered:
            out.append(
                Finding(
                    t.rel,
                    line,
                    "$.incident",
                    f"incident {shorten(ident)} already has a postmortem: {covered[ident]}; "
                    "one postmortem per incident",
                    rule="reference",
                )
            )
        covered.setdefault(ident, t.rel)
        incident_target, incident = incidents[ident]
        mine, theirs = f.get("severity"), incident.get("severity")
        if mine and theirs and mine[0] != theirs[0] and mine[0] in scale:
            out.append(
                Finding(
                    t.rel,
                    f["severity"][1],
                    "$.severity",
                    f"severity {shorten(f['severity'][0])} differs from the incident's "
                    f"{shorten(incident['severity'][0])} ({incident_target.rel}); make them "
                    "agree",
                    rule="reference",
                    severity="warning",
                )
            )
    return out
