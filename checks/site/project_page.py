"""A project's page: its status, exit criteria, SLO history as charts, incidents, action items
and security findings. Pure: a :class:`ProjectModel` in, HTML out."""

from __future__ import annotations

from collections.abc import Sequence

from checks.dates import week_from
from checks.site import charts, sections
from checks.site.html import badge, bdi, esc, instant, link, page, scroller, table, url_path
from checks.site.model import IncidentRow, ProjectModel, SloPoint, SloSeries

FAIL = "FAIL"


def path(slug: str) -> str:
    return f"{slug}/index.html"


def render(model: ProjectModel) -> str:
    parts = [
        f'<h1>{esc(model.name)} <span class="slug">({esc(model.slug)})</span></h1>',
        _owners(model),
        summary(model, ""),
        _contents(model),
        _section(
            "exit-criteria",
            "Exit criteria",
            f"<p>{_steady(model)}</p>",
            sections.criteria_list(model.criteria),
        ),
        _findings(model),
    ]
    if model.readable:
        parts += [
            _slos(model),
            _reports(model),
            _incidents(model),
            _actions(model),
            _security(model),
        ]
    return page(
        title=f"{model.name}: operations status as of {model.as_of}",
        path=path(model.slug),
        crumbs=[("Overview", "index.html"), (model.name, None)],
        body="\n".join(parts),
        as_of=model.as_of.isoformat(),
    )


def _owners(model: ProjectModel) -> str:
    if not model.owners:
        return ""
    return f'<p class="owners">Owners: {esc(", ".join(model.owners))}</p>'


def _steady(model: ProjectModel) -> str:
    if model.steady:
        return f"{badge('met')} In steady state: every criterion is met."
    unmet = [sections.CRITERIA.get(c.name, c.name) for c in model.criteria if not c.met]
    return f"{badge('not met')} Not in steady state: {esc('; '.join(unmet))}."


def summary(model: ProjectModel, base: str) -> str:
    """The few figures everyone looks at, as a definition list."""
    week = model.this_week
    report = link(sections.href(base, week.page), week.week)
    items = [
        (
            f"This week ({report})",
            badge(week.status) + (f"<br><small>{esc(week.note)}</small>" if week.note else ""),
        ),
        ("Streak toward steady state", esc(sections.streak(model))),
        ("Steady state", badge("met" if model.steady else "not met")),
        ("Overdue action items", esc(len(model.overdue))),
        ("Vulnerabilities past SLA", esc(sum(1 for v in model.vulns if v.late))),
        ("Postmortems due", esc(len(model.due))),
        ("Invalid records", esc(len({p.path for p in model.problems}))),
    ]
    cells = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in items)
    return f'<dl class="summary">{cells}</dl>'


def _contents(model: ProjectModel) -> str:
    entries = [("exit-criteria", "Exit criteria"), ("findings", "What the gate says")]
    if model.readable:
        entries += [
            ("slos", "SLOs"),
            ("reports", "Weekly reports"),
            ("incidents", "Incidents"),
            ("actions", "Action items"),
            ("security", "Security findings"),
        ]
    items = "".join(f'<li><a href="#{i}">{esc(t)}</a></li>' for i, t in entries)
    return f'<nav class="toc" aria-label="On this page"><ul>{items}</ul></nav>'


def _section(ident: str, title: str, *parts: str) -> str:
    """A section of the page, its heading the target of the contents' link ``#ident``."""
    head = f'<section aria-labelledby="{ident}"><h2 id="{ident}">{esc(title)}</h2>'
    return "\n".join([head, *parts, "</section>"])


def _findings(model: ProjectModel) -> str:
    out = []
    if model.problems:
        out.append(
            f"<p>{esc(sections.plural(len(model.problems), 'error'))} of <code>ops validate"
            "</code>: the page shows what the records say, but fix these first.</p>"
        )
        out.append(sections.problems(model.problems))
    if model.findings:
        out.append(f"<p><code>ops gate --project {esc(model.slug)}</code> says:</p>")
        out.append(sections.problems(model.findings))
    if not model.problems and not model.findings:
        out.append("<p>No findings: the gate passes this project, without warnings.</p>")
    return _section("findings", "What the gate says", *out)


def _slos(model: ProjectModel) -> str:
    out = [slo(series, f"slo-{index}") for index, series in enumerate(model.slos)]
    return _section("slos", "SLOs", *(out or ["<p>No SLO is defined or reported yet.</p>"]))


def _fail_weeks(series: SloSeries) -> list[str]:
    return [p.week for p in series.points if p.status == FAIL]


MAX_WEEKS = 1040  # weeks an axis spans at most (20 years); beyond, one place per report


def week_axis(points: Sequence[SloPoint]) -> list[str]:
    """Every ISO week from the first report to the last, so that a week without one shows
    as a gap; the reports' own weeks when they are not all ISO weeks, or too far apart."""
    labels = [p.week for p in points]
    weeks = [week_from(label) for label in labels]
    if not weeks or any(w is None for w in weeks):
        return labels
    first, last = min(w for w in weeks if w), max(w for w in weeks if w)
    axis = [first]
    while axis[-1] < last and len(axis) < MAX_WEEKS:
        axis.append(axis[-1].next())
    return [w.label for w in axis] if axis[-1] == last else labels


def _listed(weeks: Sequence[str], most: int = 10) -> str:
    return ", ".join(weeks[:most]) + (", ..." if len(weeks) > most else "")


def slo(series: SloSeries, ident: str) -> str:
    """One SLO: its weekly SLI and error budget as charts (a point per ISO week that has a
    report; a week without one is a gap), and their figures as a table."""
    points = series.points
    head = f'<h3 id="{ident}">{esc(series.name)}</h3>'
    if not points:
        return head + "<p>No weekly report measured it yet.</p>"
    labels = tuple(week_axis(points))
    at = {p.week: p for p in points}
    placed = [at.get(label) for label in labels]
    missing = [label for label, p in zip(labels, placed, strict=True) if p is None]
    failed = tuple(p is not None and p.status == FAIL for p in placed)
    fails = _fail_weeks(series)
    span = f"{sections.plural(len(points), 'weekly report')} from {labels[0]} to {labels[-1]}"
    if missing:
        span += f"; no report in {sections.plural(len(missing), 'week')} ({_listed(missing)})"
    failing = (
        f"{sections.plural(len(fails), 'week')} FAIL ({_listed(fails)})"
        if fails
        else "no week FAIL"
    )
    objective = points[-1].objective
    target = f"objective {charts.number_text(objective)} %" if objective is not None else ""
    sli = charts.Chart(
        f"{ident}-sli",
        f"{series.name}: SLI per week (%)",
        f"{span}; {target or 'no objective'}; {failing}. The figures are in the table below.",
        labels,
        tuple(None if p is None else p.sli for p in placed),
        tuple(None if p is None else p.objective for p in placed),
        target,
        failed,
    )
    budget = charts.Chart(
        f"{ident}-budget",
        f"{series.name}: error budget left per week (% of the week's budget)",
        f"{span}; below 0 the week's budget was overspent; {failing}. The figures are in the "
        "table below.",
        labels,
        tuple(None if p is None or p.budget is None else p.budget * 100 for p in placed),
        tuple(None if p is None else 0.0 for p in placed),
        "budget spent",
        failed,
    )
    return "\n".join(
        [
            head,
            '<div class="charts">',
            _figure(sli, "SLI per week against the objective"),
            _figure(budget, "Error budget left per week"),
            "</div>",
            _data(series, ident, missing),
        ]
    )


def _figure(chart: charts.Chart, caption: str) -> str:
    legend = (
        '<span class="key-series">● SLI or budget</span> '
        '<span class="key-objective">- - objective or zero</span> '
        '<span class="key-fail">✕ FAIL week</span>'
    )
    return (
        f'<figure class="chart-box"><figcaption>{esc(caption)}<br><span class="legend">'
        f"{legend}</span></figcaption>{scroller('chart-wrap', chart.title)}"
        f"{charts.render(chart)}</div>"
        "</figure>"
    )


def _number(value: float | None, scale: float = 1, unit: str = " %") -> str:
    return "n/a" if value is None else charts.number_text(value * scale) + unit


def _data(series: SloSeries, ident: str, missing: Sequence[str] = ()) -> str:
    """The figures, newest first, with a row saying so for each week without a report."""
    rows = [
        (
            p.week,
            (
                link(url_path(p.page) if p.page else None, p.week),
                badge(p.status or "missing"),
                _number(p.sli),
                _number(p.objective),
                _number(p.budget, 100),
            ),
        )
        for p in series.points
    ]
    rows += [(week, (esc(week), badge("missing", "no report"), "", "", "")) for week in missing]
    head = ("Week", "Status", "SLI", "Objective", "Budget left")
    newest = [cells for _, cells in sorted(rows, key=lambda row: row[0], reverse=True)]
    return (
        f'<details class="data"><summary>The figures of {esc(series.name)}, week by week'
        f"</summary>{table(f'{series.name}, newest first', head, newest)}</details>"
    )


def _reports(model: ProjectModel) -> str:
    if not model.reports:
        shown = "<p>No weekly SLO report yet (<code>ops slo</code> writes them).</p>"
    else:
        items = "".join(
            f"<li>{link(url_path(r.page), r.week)} {badge(r.status)}</li>"
            for r in reversed(model.reports)
        )
        shown = f'<ul class="reports">{items}</ul>'
    return _section("reports", "Weekly reports", shown)


def _incident(row: IncidentRow) -> str:
    when = f'<time datetime="{esc(row.started)}">{esc(instant(row.started))}</time>'
    resolved = f", resolved {esc(instant(row.resolved))}" if row.resolved else ""
    if row.postmortem:
        pm = f"postmortem: {link(url_path(row.postmortem), row.postmortem_status or 'draft')}"
    elif row.due:
        pm = f"postmortem due {esc(row.due)}, not written yet"
    else:
        pm = "no postmortem required"
    return (
        f"<li>{when} <strong>{esc(row.ident)}</strong> ({bdi(row.severity)}, "
        f"{bdi(row.status)}{resolved}): {bdi(row.title)}. {pm}</li>"
    )


def _incidents(model: ProjectModel) -> str:
    rows = model.incidents
    timeline = (
        f'<ol class="timeline" reversed>{"".join(_incident(r) for r in rows)}</ol>'
        if rows
        else "<p>No incident recorded.</p>"
    )
    return _section(
        "incidents",
        "Incidents",
        f"<h3>Postmortems due</h3>{sections.due(model.due, '')}",
        "<h3>Timeline, newest first</h3>",
        timeline,
    )


def _actions(model: ProjectModel) -> str:
    shown = (
        sections.actions(model.actions, "Action items, open first", "")
        if model.actions
        else "<p>No action item recorded.</p>"
    )
    return _section("actions", "Action items", shown)


def _security(model: ProjectModel) -> str:
    shown = (
        sections.vulnerabilities(
            model.vulns, "Findings not fixed, least time left on their SLA first"
        )
        if model.vulns
        else "<p>No finding is open or accepted.</p>"
    )
    return _section("security", "Security findings", shown)
