"""The pages' shared parts: escaping, the page shell, status badges, links. Pure.

Everything from the repository goes through :func:`esc`: it is text, never markup. Pages carry a
Content-Security-Policy that allows nothing but the site's own style sheet (and ``data:``
images, for the favicon), so that even a mistake here could run nothing and load nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from checks.dates import parse_instant

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'"
)
# Characters HTML forbids or that would confuse a reader: C0/C1 controls (but tab and newline),
# lone surrogates (YAML's "\ud800"), non-characters; each becomes U+FFFD. With the five that
# HTML escapes, one table for str.translate: a page has tens of thousands of texts.
_FORBIDDEN = [
    *range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0),
    *range(0xD800, 0xE000), *range(0xFDD0, 0xFDF0), 0xFFFE, 0xFFFF,
]  # fmt: skip
_ESCAPE = {
    **dict.fromkeys(_FORBIDDEN, "\ufffd"),
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord('"'): "&quot;",
    ord("'"): "&#x27;",
}
_CLEAN = dict.fromkeys(_FORBIDDEN, "\ufffd")
# What esc changes: most texts (a table's figures, a heading) have none of it, and a search
# costs a fraction of translate, which looks each character up.
_SPECIAL = re.compile(
    "[&<>\"'\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
STATUS = {  # a status's badge: a symbol and a word, never colour alone
    "PASS": ("pass", "✔", "PASS"),
    "FAIL": ("fail", "✖", "FAIL"),
    "NO_DATA": ("nodata", "○", "NO DATA"),
    "missing": ("missing", "?", "missing"),
    "not counted": ("fail", "✖", "not counted"),
    "met": ("pass", "✔", "met"),
    "not met": ("fail", "✖", "not met"),
    "overdue": ("fail", "✖", "overdue"),
    "late": ("fail", "✖", "late"),
    "pending": ("warn", "◷", "pending"),
    "open": ("warn", "◷", "open"),
    "error": ("fail", "✖", "error"),
    "warning": ("warn", "!", "warning"),
}
SAFE_SCHEMES = ("http", "https", "mailto")


def clean(text: str) -> str:
    return text.translate(_CLEAN)


def esc(value: object) -> str:
    """Text (or a number) as HTML text or a double-quoted attribute value (what html.escape
    does, and the characters HTML forbids replaced)."""
    text = "" if value is None else str(value)
    return text.translate(_ESCAPE) if _SPECIAL.search(text) else text


def bdi(value: object) -> str:
    """Record text within a sentence of the page's own: isolated, so that a bidi control in
    it (U+202E) cannot reorder the rest of the sentence."""
    return f"<bdi>{esc(value)}</bdi>"


def instant(value: str) -> str:
    """``2026-11-19T18:40:00Z`` as ``2026-11-19 18:40 UTC``; anything else as it is."""
    moment = parse_instant(value)
    if moment is None:
        return value
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def badge(status: str, word: str | None = None) -> str:
    """A status as a symbol and a word (``word`` instead of the status's own, e.g. a count)."""
    cls, symbol, own = STATUS.get(status, ("other", "•", status or "unknown"))
    word = own if word is None else word
    return (
        f'<span class="badge {cls}"><span class="sym" aria-hidden="true">{symbol}</span> '
        f"{esc(word)}</span>"
    )


def external(url: str) -> str | None:
    """``url`` when it is an absolute http(s) or mailto URL that can be linked, else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or (parts.scheme != "mailto" and not parts.netloc):
        return None
    return url.strip()


def link(href: str | None, text: str, *, cls: str = "") -> str:
    """A link to ``href`` (already relative or checked), or the text alone without one."""
    if href is None:
        return esc(text)
    extra = ' rel="noopener noreferrer"' if urlsplit(href).scheme else ""
    klass = f' class="{cls}"' if cls else ""
    return f'<a href="{esc(href)}"{klass}{extra}>{esc(text)}</a>'


def url_path(path: str) -> str:
    """A site path as it stands in an href (each part percent-encoded)."""
    return quote(path, safe="/")  # a "#" in a file name is part of the path, not a fragment


def relative(target: str, page: str) -> str:
    """The href from ``page`` to ``target``, both site paths (``checkout/index.html``: relative,
    normalised, no ``..``), as posixpath.relpath gives it, without its calls to the disk's
    current folder (a page has several, a site tens of thousands)."""
    here, there = page.split("/")[:-1], target.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return url_path("/".join([".."] * (len(here) - common) + there[common:]))


def page(
    *,
    title: str,
    path: str,
    crumbs: Iterable[tuple[str, str | None]],
    body: str,
    as_of: str,
) -> str:
    """A whole page at site path ``path``; ``crumbs`` are (text, site path or None)."""
    css = relative("style.css", path)
    trail = "".join(
        f"<li>{link(relative(target, path) if target else None, text)}</li>"
        for text, target in crumbs
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{esc(title)}</title>\n"
        '<link rel="icon" href="data:,">\n'
        f'<link rel="stylesheet" href="{css}">\n'
        "</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to the content</a>\n'
        f'<header class="top"><nav aria-label="Breadcrumb"><ol>{trail}</ol></nav>'
        f'<p class="asof">As of <time datetime="{esc(as_of)}">{esc(as_of)}</time></p></header>\n'
        f'<main id="main">\n{body}\n</main>\n'
        "<footer><p>Built by <code>ops site</code> from the repository alone, as of "
        f"{esc(as_of)}. Every verdict is the one <code>ops gate</code> and "
        "<code>ops exit-criteria</code> give.</p></footer>\n"
        "</body>\n</html>\n"
    )


def scroller(cls: str, label: str) -> str:
    """The opening of a box that scrolls sideways on a narrow screen: focusable, so that a
    keyboard can scroll it too, and named."""
    return f'<div class="{cls}" tabindex="0" role="region" aria-label="{esc(label)}">'


def table(caption: str, head: Iterable[str], rows: Iterable[Iterable[str]], cls: str = "") -> str:
    """A table of cells that are HTML already; ``caption`` is text."""
    klass = f' class="{cls}"' if cls else ""
    heads = "".join(f'<th scope="col">{esc(h)}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f"{scroller('table-wrap', caption)}<table{klass}><caption>{esc(caption)}</caption>"
        f"<thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table></div>"
    )
