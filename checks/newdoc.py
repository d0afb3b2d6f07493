"""Build a new document from its template: values in, (file name, text) out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, NamedTuple

from checks import document, fill, kinds, repo
from checks.document import DocumentError
from checks.errors import OpsError
from checks.kinds import severity_problem
from checks.rules.records import Records

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
    services: tuple[str, ...] = ()  # an incident's affected services
    updates: tuple[dict[str, Any], ...] = ()  # a dependency log's, from its lockfiles


def values(recs: Records, kind: str, opts: Options) -> dict[str, Any]:
    """The front matter values to set for a new ``kind`` document of the project of ``recs``."""
    project = recs.project
    day = opts.date.isoformat()
    person = opts.person or project.owners[0]
    common: dict[str, Any] = {"kind": kind, "project": project.slug}
    if kind == "incident":
        if not opts.title or not opts.severity:
            raise OpsError("a new incident needs --title and --severity")
        problem = severity_problem(opts.severity, project.severity_scale)
        if problem is not None:
            raise OpsError(f"--severity {problem} (ops/{project.slug}/project.yaml)")
        # ids in the records and in their file names: a file misnamed for its id still takes one
        existing = [
            name for r in recs.of("incident") for name in (str(r.data.get("id")), Path(r.rel).stem)
        ]
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
            # the template's example services are not this incident's
            "services": list(opts.services),
        }
    if kind == "postmortem":
        if not opts.incident:
            raise OpsError("a new postmortem needs --incident ID (an incident of the project)")
        incident = _incident(recs, opts.incident)
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
        return {
            **common,
            "date": day,
            "window": opts.window or day,
            "reviewer": person,
            "updates": list(opts.updates),
        }
    if kind == "security-log":
        return {
            **common,
            "date": day,
            "reviewer": person,
            "findings": _carried_findings(recs, day),
        }
    raise OpsError(f"{kind} documents are generated (ops slo), not created with ops new")


def _incident(recs: Records, ident: str) -> dict[str, Any]:
    for record in recs.of("incident"):
        data = record.data
        if data.get("id") == ident:
            if not isinstance(data.get("title"), str) or not isinstance(data.get("severity"), str):
                raise OpsError(f"incident {ident} has no valid title or severity; fix it first")
            return data
    slug = recs.project.slug
    raise OpsError(f"no incident {ident} in ops/{slug}/incidents/ (ops new incident first)")


def _carried_findings(recs: Records, day: str) -> list[dict[str, Any]]:
    """Open and accepted findings of the newest earlier log, carried forward for review."""
    earlier = sorted(
        (r for r in recs.of("security-log") if r.rel.rsplit("/", 1)[-1][:-3] < day),
        key=lambda r: r.rel,
    )
    if not earlier:
        return []
    findings = earlier[-1].data.get("findings")
    if not isinstance(findings, list):
        return []
    return [f for f in findings if isinstance(f, dict) and f.get("status") in ("open", "accepted")]


def render(kind: str, vals: dict[str, Any]) -> tuple[str, str]:
    """(file name, text) of the filled template."""
    template = repo.active().template(kind)
    try:
        text = document.read_text(template.path)
        document.parse_front_matter(text)  # what fill needs: a template, not any Markdown
    except DocumentError as e:
        raise OpsError(
            f"{e.message}; a template starts with its front matter (ops validate "
            f"{template.label} says more)",
            path=template.label,
            line=e.line,
        ) from None
    # The templates use INC-2026-001 as their example incident: make the examples this one's.
    example_id = vals.get("id") if kind == "incident" else vals.get("incident")
    if isinstance(example_id, str):
        text = text.replace(TEMPLATE_INCIDENT, example_id)
    heading = _TITLES[kind].format_map({k: v for k, v in vals.items() if isinstance(v, str)})
    name = kinds.expected_filename(kind, vals)
    assert name is not None
    if kind == "dependency-log" and vals.get("updates"):
        text = _updates_table(text, vals["updates"])
    return name, fill.fill(text, vals, heading)


def _updates_table(text: str, updates: list[dict[str, Any]]) -> str:
    """The template's table under ``## Updates`` with the updates as its rows instead of the
    template's example row (a template without that table is left as it is)."""
    lines = text.split("\n")
    try:
        section = lines.index("## Updates")
        header = next(i for i in range(section + 1, len(lines)) if lines[i].startswith("| "))
    except (ValueError, StopIteration):
        return text
    if header + 1 >= len(lines) or not lines[header + 1].startswith("|-"):
        return text
    end = header + 2
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    rows = [_row(update) for update in updates]
    return "\n".join([*lines[: header + 2], *rows, *lines[end:]])


def _row(update: dict[str, Any]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ") if value is not None else ""

    reference = update.get("reference")
    commit = update.get("commit")
    where = (
        f"[release notes]({reference})"
        if reference
        else (f"commit {str(commit)[:12]}" if commit else "")
    )
    return (
        "| "
        + " | ".join(
            cell(v)
            for v in (
                update.get("package"),
                update.get("ecosystem"),
                update.get("from", ""),
                update.get("to", ""),
                update.get("change"),
                where,
            )
        )
        + " |"
    )
