"""Build a new document from its template: values in, (file name, text) out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, NamedTuple

from checks import document, fill, kinds, tree
from checks.document import DocumentError
from checks.errors import OpsError
from checks.project import Project
from checks.resources import templates_dir

_TITLES = {
    "incident": "{id}: {title}",
    "postmortem": "Postmortem {incident}: {title}",
    "retro": "Retro {date}",
    "dependency-log": "Dependency updates {date}",
    "security-log": "Security review {date}",
}


TEMPLATE_INCIDENT = "INC-2026-001"


class Options(NamedTuple):
    date: dt.date
    title: str | None = None
    severity: str | None = None
    incident: str | None = None
    ident: str | None = None
    started: str | None = None
    window: str | None = None
    person: str | None = None  # reviewer, facilitator or author


def records(root: Path, project: str, kind: str) -> list[tuple[Path, dict[str, Any]]]:
    """The readable records of one kind, as checks.tree enumerates them (unreadable ones are
    ops validate's business)."""
    out: list[tuple[Path, dict[str, Any]]] = []
    for target in tree.records(root, project, kind):
        path = root / target.rel
        try:
            out.append((path, document.parse_front_matter(document.read_text(path)).data))
        except (DocumentError, OSError):
            continue
    return out


def values(root: Path, project: Project, kind: str, opts: Options) -> dict[str, Any]:
    """The front matter values to set for a new ``kind`` document."""
    day = opts.date.isoformat()
    person = opts.person or project.owners[0]
    common: dict[str, Any] = {"kind": kind, "project": project.slug}
    if kind == "incident":
        if not opts.title or not opts.severity:
            raise OpsError("a new incident needs --title and --severity")
        _check_severity(project, opts.severity)
        existing = [str(d.get("id")) for _, d in records(root, project.slug, "incident")]
        ident = opts.ident or fill.next_id(existing, f"INC-{opts.date.year}-")
        started = opts.started or f"{day}T00:00:00Z"
        return {
            **common,
            "id": ident,
            "title": opts.title,
            "severity": opts.severity,
            "status": "open",
            "started": started,
            "commander": person,
        }
    if kind == "postmortem":
        if not opts.incident:
            raise OpsError("a new postmortem needs --incident ID (an incident of the project)")
        incident = _incident(root, project.slug, opts.incident)
        return {
            **common,
            "incident": opts.incident,
            "title": opts.title or incident["title"],
            "severity": incident["severity"],
            "date": day,
            "status": "draft",
            "authors": [person],
        }
    if kind == "retro":
        retros = project.data.get("retros", {})
        return {
            **common,
            "date": day,
            "status": "scheduled",
            "facilitator": person,
            "attendees": list(retros.get("attendees", [])),
        }
    if kind == "dependency-log":
        return {**common, "date": day, "window": opts.window or day, "reviewer": person}
    if kind == "security-log":
        return {
            **common,
            "date": day,
            "reviewer": person,
            "findings": _carried_findings(root, project.slug, day),
        }
    raise OpsError(f"{kind} documents are generated (ops slo), not created with ops new")


def _check_severity(project: Project, severity: str) -> None:
    if severity not in project.severity_scale:
        raise OpsError(
            f"--severity {severity!r} is not in the severity_scale of "
            f"ops/{project.slug}/project.yaml ({', '.join(project.severity_scale)})"
        )


def _incident(root: Path, project: str, ident: str) -> dict[str, Any]:
    for _, data in records(root, project, "incident"):
        if data.get("id") == ident:
            if not isinstance(data.get("title"), str) or not isinstance(data.get("severity"), str):
                raise OpsError(f"incident {ident} has no valid title or severity; fix it first")
            return data
    raise OpsError(f"no incident {ident} in ops/{project}/incidents/ (ops new incident first)")


def _carried_findings(root: Path, project: str, day: str) -> list[dict[str, Any]]:
    """Open and accepted findings of the newest earlier log, carried forward for review."""
    earlier = [(p, d) for p, d in records(root, project, "security-log") if p.stem < day]
    if not earlier:
        return []
    findings = earlier[-1][1].get("findings")
    if not isinstance(findings, list):
        return []
    return [f for f in findings if isinstance(f, dict) and f.get("status") in ("open", "accepted")]


def render(kind: str, vals: dict[str, Any]) -> tuple[str, str]:
    """(file name, text) of the filled template."""
    template = templates_dir() / kinds.KINDS[kind].template
    text = document.read_text(template)
    # The templates use INC-2026-001 as their example incident: make the examples this one's.
    example_id = vals.get("id") if kind == "incident" else vals.get("incident")
    if isinstance(example_id, str):
        text = text.replace(TEMPLATE_INCIDENT, example_id)
    heading = _TITLES[kind].format_map({k: v for k, v in vals.items() if isinstance(v, str)})
    name = kinds.expected_filename(kind, vals)
    assert name is not None
    return name, fill.fill(text, vals, heading)
