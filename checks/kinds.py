"""The document kinds: where each lives, its schema, its template, its file name."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from checks.findings import shorten

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
DEFAULT_SEVERITY_SCALE = ("SEV1", "SEV2", "SEV3", "SEV4", "SEV5")
DEFAULT_THRESHOLD = "SEV2"  # postmortem.required_at_or_above
# A security finding's severities, most severe first, as schemas/security-log.schema.json lists
# them: for its SLA a finding keeps the most severe one any log gave it (checks.rules.facts)
FINDING_SEVERITIES = ("critical", "high", "medium", "low", "unknown")
DEFAULT_EXCEPTION_MAX_DAYS = 90  # vulnerability_exception_max_days: an exception's longest term


class Kind(NamedTuple):
    name: str
    folder: str
    schema: str
    template: str


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("incident", "incidents", "incident.schema.json", "Incident_Template.md"),
        Kind("postmortem", "postmortems", "postmortem.schema.json", "Postmortem_Template.md"),
        Kind("retro", "retros", "retro.schema.json", "Retro_Template.md"),
        Kind(
            "dependency-log",
            "dependencies",
            "dependency-log.schema.json",
            "Dependency_Update_Log.md",
        ),
        Kind("security-log", "security", "security-log.schema.json", "Security_Update_Log.md"),
        Kind("slo-report", "slo", "slo-report.schema.json", "SLO_Report_Template.md"),
    )
}
BY_FOLDER: dict[str, Kind] = {k.folder: k for k in KINDS.values()}
BY_TEMPLATE: dict[str, Kind] = {k.template: k for k in KINDS.values()}
PROJECT_FILE = "project.yaml"
PROJECT_SCHEMA = "project.schema.json"


def expected_filename(kind: str, data: dict[str, Any]) -> str | None:
    """The file name a record of ``kind`` must have, or None if the fields to derive it are bad."""

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) and value else None

    if kind == "incident":
        ident = text("id")
        return f"{ident}.md" if ident else None
    if kind == "postmortem":
        date, incident = text("date"), text("incident")
        return f"{date}-{incident}.md" if date and incident else None
    if kind == "slo-report":
        week = text("week")
        return f"{week}.md" if week else None
    date = text("date")
    return f"{date}.md" if date else None


def is_slug(value: str) -> bool:
    return bool(SLUG_RE.fullmatch(value))


CLOSED = ("done", "dropped")  # an action item's statuses that need a closed date


def is_finished(kind: object, data: dict[str, Any]) -> bool:
    """A document whose work is done: a published postmortem, a held retro. Its sections are
    written and its action items link to backlog issues."""
    return (kind, data.get("status")) in (("postmortem", "published"), ("retro", "held"))


def severity_problem(value: str, scale: tuple[str, ...]) -> str | None:
    """What is wrong with a severity on this scale, or None (one decision for ops new and
    ops validate)."""
    if value in scale:
        return None
    same = [level for level in scale if level.casefold() == value.strip().casefold()]
    hint = f"; did you mean '{same[0]}'?" if same else ""
    return f"{shorten(value)} is not in the project's severity_scale ({', '.join(scale)}){hint}"
