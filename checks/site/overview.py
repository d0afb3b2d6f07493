"""The overview, index.html: every project on one page. Pure: the projects' models in, HTML
out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from checks.site import sections
from checks.site.html import badge, esc, link, page, table, url_path
from checks.site.model import NOT_COUNTED, Problem, ProjectModel

SHOWN = 10  # rows of a project's lists on the overview; the rest are on its page
PATH = "index.html"


def render(
    models: Sequence[ProjectModel], as_of: dt.date, repository: Sequence[Problem] = ()
) -> str:
    """``repository``: ops validate's errors that fall in no project (they fail the gate
    too, so the overview says so first)."""
    parts = [
        "<h1>Operations status</h1>",
        _headline(models, as_of, repository),
        _table(models),
        _repository(repository),
        *(_project(m) for m in models),
    ]
    return page(
        title=f"Operations status as of {as_of}",
        path=PATH,
        crumbs=[("Overview", None)],
        body="\n".join(parts),
        as_of=as_of.isoformat(),
    )


def _names(models: Sequence[ProjectModel]) -> str:
    return ", ".join(link(url_path(f"{m.slug}/index.html"), m.name) for m in models)


def _late_postmortems(m: ProjectModel) -> int:
    return sum(1 for d in m.due if d.late)


def _headline(models: Sequence[ProjectModel], as_of: dt.date, repository: Sequence[Problem]) -> str:
    steady = [m for m in models if m.steady]
    failing = [m for m in models if m.this_week.status == "FAIL"]
    late = [m for m in models if m.overdue or any(v.late for v in m.vulns) or _late_postmortems(m)]
    week = models[0].this_week.week if models else ""
    lines = []
    if repository:
        errors = sections.plural(len(repository), "error")
        lines.append(
            f"{badge('error', 'Repository')} The repository has {errors} outside any project "
            '(<a href="#repository">listed below</a>): <code>ops validate</code> and '
            "<code>ops gate</code> fail until they are fixed."
        )
    lines += [
        f"{len(steady)} of {sections.plural(len(models), 'project')} in steady state as of "
        f"{esc(as_of)}.",
        f"FAIL in {esc(week)}: {_names(failing)}."
        if failing
        else f"No project FAIL in {esc(week)}.",
    ]
    uncounted = [m for m in models if m.this_week.status == NOT_COUNTED]
    if uncounted:
        lines.append(
            f"Not counted in {esc(week)} (measured against other SLOs than the project's): "
            f"{_names(uncounted)}."
        )
    if late:
        lines.append(f"Late action items, vulnerabilities or postmortems: {_names(late)}.")
    return '<p class="headline">' + " ".join(lines) + "</p>"


def _table(models: Sequence[ProjectModel]) -> str:
    rows = []
    for m in models:
        base = f"{m.slug}/"
        week = m.this_week
        rows.append(
            (
                f"{link(url_path(base + 'index.html'), m.name)} "
                f'<a class="more" href="#p-{esc(m.slug)}">details<span class="visually-hidden">'
                f" of {esc(m.name)}</span></a>",
                f"{badge(week.status)} {link(sections.href(base, week.page), week.week)}",
                esc(sections.streak(m)),
                badge("met" if m.steady else "not met"),
                _count(len(m.overdue), "overdue"),
                _count(sum(1 for v in m.vulns if v.late), "late"),
                _due(m),
                _count(len({p.path for p in m.problems}), "error"),
            )
        )
    head = (
        "Project",
        "This week",
        "Streak",
        "Steady state",
        "Overdue actions",
        "Past SLA",
        "Postmortems due",
        "Invalid records",
    )
    return table("Every project at a glance", head, rows, "overview")


def _count(count: int, status: str) -> str:
    return badge(status, str(count)) if count else "0"


def _due(m: ProjectModel) -> str:
    """The postmortems due: late when all are, "1 late of 2" when some are, else pending."""
    late, count = _late_postmortems(m), len(m.due)
    if late and late < count:
        return badge("late", f"{late} late of {count}")
    return _count(count, "late" if late else "pending")


def _repository(problems: Sequence[Problem]) -> str:
    if not problems:
        return ""
    return (
        '<section class="repository" aria-labelledby="repository">'
        f'<h2 id="repository">Repository {badge("error", sections.plural(len(problems), "error"))}'
        "</h2><p>What <code>ops validate</code> finds outside any project folder: each fails "
        "<code>ops validate</code> and <code>ops gate</code>.</p>"
        f"{sections.problems(problems)}</section>"
    )


def _project(m: ProjectModel) -> str:
    base = f"{m.slug}/"
    open_items = sorted((a for a in m.actions if a.is_open), key=lambda a: (not a.overdue, a.due))
    parts = [
        f'<section class="project" aria-labelledby="p-{esc(m.slug)}">',
        f'<h2 id="p-{esc(m.slug)}">{link(url_path(base + "index.html"), m.name)} '
        f"{badge('met' if m.steady else 'not met')}</h2>",
        f"<p>This week ({esc(m.this_week.week)}): {badge(m.this_week.status)}"
        f"{_note(m)}; streak toward "
        f"steady state: {esc(sections.streak(m))}.</p>",
        "<h3>Exit criteria</h3>",
        sections.criteria_list(m.criteria),
    ]
    if open_items:
        caption = f"{m.name}: open action items ({len(open_items)}), overdue first"
        shown = sections.actions(open_items[:SHOWN], caption, base)
        parts.append(shown + _more(len(open_items), base))
    if m.vulns:
        caption = f"{m.name}: vulnerabilities not fixed ({len(m.vulns)}), by time left on their SLA"
        parts.append(sections.vulnerabilities(m.vulns[:SHOWN], caption) + _more(len(m.vulns), base))
    if m.due:
        parts += ["<h3>Postmortems due</h3>", sections.due(m.due, base)]
    parts.append("</section>")
    return "\n".join(parts)


def _note(m: ProjectModel) -> str:
    return f" ({esc(m.this_week.note)})" if m.this_week.note else ""


def _more(count: int, base: str) -> str:
    if count <= SHOWN:
        return ""
    return f'<p class="more">{link(url_path(base + "index.html"), f"All {count} on its page")}</p>'
