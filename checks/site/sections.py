"""The parts of a project that both the overview and the project's page show. Pure: model
values in, HTML out. ``base`` is the project's folder as seen from the page (``""`` on its
own page, ``"checkout/"`` on the overview)."""

from __future__ import annotations

from collections.abc import Sequence

from checks.rules.criteria import Criterion
from checks.site.html import badge, bdi, esc, external, link, table, url_path
from checks.site.model import ActionRow, DueRow, Problem, ProjectModel, VulnRow

CRITERIA = {  # a criterion's name as people read it
    "valid": "Records pass ops validate",
    "slo": "SLO PASS streak",
    "dependency-log": "Dependency log within cadence",
    "security-log": "Security log within cadence",
    "actions": "Action items closed on time",
    "postmortems": "Postmortems published on time",
    "vulnerabilities": "Vulnerabilities fixed within SLA",
}


def href(base: str, page: str | None) -> str | None:
    return None if page is None else url_path(base + page)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def streak(model: ProjectModel) -> str:
    if not model.readable:
        return "cannot be judged: project.yaml cannot be read"
    return f"{model.streak} of {plural(model.needed, 'week')}"


def criteria_list(items: Sequence[Criterion]) -> str:
    """The criteria as a compact list (the overview)."""
    lines = "".join(
        f"<li>{badge('met' if c.met else 'not met')} <strong>{esc(CRITERIA.get(c.name, c.name))}"
        f"</strong>: {bdi(c.evidence)}</li>"
        for c in items
    )
    return f'<ul class="criteria-list">{lines}</ul>'


def time_left(row: VulnRow) -> str:
    if row.left is None:
        return "no SLA for its severity"
    if row.left < 0:
        return f"{plural(-row.left, 'day')} past its {row.sla}-day SLA"
    if row.left == 0:
        return f"SLA ends today ({row.sla} days)"
    return f"{plural(row.left, 'day')} left of {row.sla}"


def vulnerabilities(rows: Sequence[VulnRow], caption: str) -> str:
    cells = [
        (
            esc(r.ident),
            esc(r.package),
            esc(r.severity),
            esc(r.discovered),
            badge("late") if r.late else esc(r.status),
            esc(time_left(r)),
            esc(f"exception until {r.expires}" if r.expires else ""),
        )
        for r in rows
    ]
    head = ("Finding", "Package", "Severity (SLA)", "Discovered", "Status", "Time left", "Note")
    return table(caption, head, cells, "vulns")


def actions(rows: Sequence[ActionRow], caption: str, base: str) -> str:
    cells = []
    for r in rows:
        tracker = external(r.tracker) if r.tracker else None
        state = badge("overdue") if r.overdue else badge("open") if r.is_open else esc(r.status)
        cells.append(
            (
                esc(r.ident),
                esc(r.title),
                esc(r.owner),
                esc(r.due),
                state + (f" {esc(r.closed)}" if r.closed else ""),
                link(tracker, "issue") if tracker else esc(r.tracker or "none"),
                link(href(base, r.page), r.source.rsplit("/", 1)[-1]),
            )
        )
    head = ("Item", "Title", "Owner", "Due", "Status", "Tracker", "From")
    return table(caption, head, cells, "actions")


def due(rows: Sequence[DueRow], base: str) -> str:
    if not rows:
        return "<p>No postmortem is due.</p>"
    items = "".join(
        f"<li>{badge('late' if r.late else 'pending')} <strong>{esc(r.incident)}</strong> "
        f"({bdi(r.severity)}), due {esc(r.due)}"
        + (f": {link(href(base, r.page), 'the draft')}" if r.page else ": not written yet")
        + "</li>"
        for r in rows
    )
    return f'<ul class="due">{items}</ul>'


def problems(rows: Sequence[Problem]) -> str:
    """Findings as a list: ``path:line`` and the message, errors and warnings marked."""
    items = "".join(
        f"<li>{badge(p.severity)} <code>{esc(p.path)}:{p.line}</code> ({esc(p.rule)}): "
        f"{bdi(p.message)}</li>"
        for p in rows
    )
    return f'<ul class="problems">{items}</ul>'
