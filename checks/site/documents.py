"""A weekly report's or a postmortem's page: its front matter's main fields, then its body as
HTML. Pure: the record's data and body in, HTML out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from checks.site import markdown_html
from checks.site.html import badge, esc, instant, link, page, relative
from checks.site.model import text

FIELDS = {  # kind -> the front matter shown above the body, in order
    "slo-report": (("week", "Week"), ("start", "From"), ("end", "To"), ("source", "Source")),
    "postmortem": (
        ("incident", "Incident"),
        ("severity", "Severity"),
        ("date", "Date"),
        ("published", "Published"),
        ("authors", "Authors"),
    ),
}


class Doc(NamedTuple):
    kind: str  # slo-report or postmortem
    rel: str  # ops/<project>/slo/2026-W47.md
    page: str  # <project>/slo/2026-W47.html
    data: Mapping[str, Any]
    body: str


class Neighbours(NamedTuple):
    previous: tuple[str, str] | None  # (label, site path)
    next: tuple[str, str] | None


def render(
    doc: Doc,
    project: tuple[str, str],
    as_of: str,
    pages: Mapping[str, str],
    around: Neighbours | None = None,
) -> str:
    """``project``: (slug, name); ``pages``: every record's page (for the body's links)."""
    slug, name = project
    body = markdown_html.render(doc.body, markdown_html.Context(doc.rel, doc.page, pages))
    title = body.title or _title(doc)
    parts = [
        f"<h1>{esc(title)}</h1>",
        _facts(doc),
        _nav(doc, around or Neighbours(None, None)),
        f'<article class="record">{body.html}</article>',
        f'<p class="source">Rendered from <code>{esc(doc.rel)}</code>.</p>',
    ]
    return page(
        title=f"{title} ({name})",
        path=doc.page,
        crumbs=[("Overview", "index.html"), (name, f"{slug}/index.html"), (title, None)],
        body="\n".join(p for p in parts if p),
        as_of=as_of,
    )


def _title(doc: Doc) -> str:
    if doc.kind == "slo-report":
        return f"SLO report {text(doc.data.get('week'))}"
    return text(doc.data.get("title")) or doc.rel.rsplit("/", 1)[-1]


def _value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(text(v) for v in value)
    return instant(text(value))


def _facts(doc: Doc) -> str:
    status = text(doc.data.get("status"))
    items = [("Status", badge(status) if doc.kind == "slo-report" else esc(status))]
    for key, label in FIELDS.get(doc.kind, ()):
        value = doc.data.get(key)
        if value is not None and value != "":
            items.append((label, esc(_value(value))))
    cells = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in items)
    return f'<dl class="summary">{cells}</dl>'


def _nav(doc: Doc, around: Neighbours) -> str:
    links = []
    if around.previous is not None:
        label, target = around.previous
        links.append(f"<li>{link(relative(target, doc.page), 'Previous: ' + label)}</li>")
    if around.next is not None:
        label, target = around.next
        links.append(f"<li>{link(relative(target, doc.page), 'Next: ' + label)}</li>")
    if not links:
        return ""
    return f'<nav class="pager" aria-label="Other weeks"><ul>{"".join(links)}</ul></nav>'


def unreadable(rel: str, page_path: str, project: tuple[str, str], as_of: str, why: str) -> str:
    """The page of a record that cannot be read: what ops validate says of it."""
    slug, name = project
    title = rel.rsplit("/", 1)[-1]
    body = (
        f"<h1>{esc(title)}</h1>\n<p>{badge('error')} This record cannot be read, so it is not "
        f"shown: <code>{esc(why)}</code></p>"
    )
    return page(
        title=f"{title} ({name})",
        path=page_path,
        crumbs=[("Overview", "index.html"), (name, f"{slug}/index.html"), (title, None)],
        body=body,
        as_of=as_of,
    )
