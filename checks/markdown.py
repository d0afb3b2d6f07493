"""A document's Markdown body, read as GitHub renders it (CommonMark).

:func:`outline` says, for every non-blank line of a body, whether it is a heading (and its
level and text), a comment, code, a thematic break or text. A heading inside an HTML comment
or a code fence is none. markdown-it-py, a CommonMark parser, is the authority; a quick
reading with regular expressions is used for bodies that avoid every construct where a line's
meaning depends on more than itself and the comments around it (fences, indented code, HTML
other than comments, setext headings, thematic breaks, link definitions, tabs).
``tests/test_markdown.py`` holds the two readings to the same outline.

:func:`sections` cuts the outline at top-level ``#`` and ``##`` headings; the rules on
required sections and on content that was never written are built on them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

HEADING, COMMENT, CODE, BREAK, TEXT = "heading", "comment", "code", "break", "text"

# The quick reading works on "\n" + body, so that every pattern starts with a newline (many
# times quicker than ^ with re.MULTILINE). It leaves to the parser any body with a tab, CR, VT
# or FF, and any line outside fences and comments that is a fence or '<' or '#' indented,
# starts with '<' but is no comment, is indented four columns, is a setext underline or a
# thematic break, or is a link reference definition.
_DEFER_CHARACTERS = ("\t", "\r", "\x0b", "\x0c")
_DEFER = re.compile(
    r"\n(?: {1,3}(?:```|~~~|<|#)|<(?!!--)| {4}| {0,3}(?:=+|-+)[ \t]*(?=\n|$)"
    r"| {0,3}([-*_])[ \t]*(?:\1[ \t]*){2,}(?=\n|$)| {0,3}\[[^\]\n]*\]:)"
)
_BLOCK_START = re.compile(r"\n(?:(<!--)|(`{3,}|~{3,})([^\n]*))")
_ATX = re.compile(r"\n(#{1,6})(?=[ \t\n]|$)([^\n]*)")
PLACEHOLDER = re.compile(r"\[TODO(?::[^\]\n]*)?\]")


class Line(NamedTuple):
    number: int  # 0-based in the body
    kind: str  # heading, comment, code, break or text
    level: int = 0  # a heading's level
    text: str = ""  # a heading's text


class Section(NamedTuple):
    name: str
    line: int  # 0-based in the body: the heading
    level: int
    lines: list[Line]  # what follows it, up to the next section


def outline(body: str) -> list[Line]:
    """Every non-blank line of ``body`` and what it is."""
    quick = _quick(body)
    return quick if quick is not None else _parsed(body)


def headings(body: str, level: int = 2) -> list[str]:
    """The text of the top-level headings of one level, in order."""
    found = _quick_headings(body)
    if found is None:
        found = [line for line in _parsed(body) if line.kind == HEADING]
    return [line.text for line in found if line.level == level]


def sections(lines: Sequence[Line]) -> list[Section]:
    """The outline cut at ``#`` and ``##`` headings (deeper ones stay inside their section)."""
    out: list[Section] = []
    for line in lines:
        if line.kind == HEADING and line.level <= 2:
            out.append(Section(line.text, line.number, line.level, []))
        elif out:
            out[-1].lines.append(line)
    return out


def written(section: Section) -> bool:
    """Whether a section holds anything but comments, sub-headings and rules."""
    return any(line.kind in (TEXT, CODE) for line in section.lines)


def visible(html: str) -> str:
    """``html`` without its comments, as CommonMark 0.31 delimits them (``<!-->`` and
    ``<!--->`` are whole comments; one left open runs to the end), in one pass."""
    out, at = [], 0
    while True:
        start = html.find("<!--", at)
        if start < 0:
            out.append(html[at:])
            return "".join(out)
        out.append(html[at:start])
        if html.startswith((">", "->"), start + 4):
            at = html.index(">", start + 4) + 1
            continue
        end = html.find("-->", start + 4)
        if end < 0:
            return "".join(out)
        at = end + 3


def source_lines(body: str) -> list[str]:
    """The body's lines as the outline numbers them (CRLF is one line end)."""
    return body.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def placeholders(section: Section, body_lines: Sequence[str]) -> list[tuple[int, str]]:
    """(0-based line, marker) of each ``[TODO: ...]`` left in the section's text (never in
    code, inline or fenced, nor in a comment)."""
    out = []
    for line in section.lines:
        if line.kind == TEXT:
            out += [(line.number, marker) for marker in _placeholders_in(body_lines[line.number])]
    return out


def _placeholders_in(line: str) -> list[str]:
    """The placeholders a reader sees on a line: not in a comment, not in inline code (which
    the parser delimits: a run of backticks, an escaped one, is no code span)."""
    text = visible(line)
    if "[TODO" not in text:
        return []
    if "`" in text:
        tokens = _parser().parseInline(text)
        text = "".join(c.content for t in tokens for c in t.children or () if c.type == "text")
    return PLACEHOLDER.findall(text)


# --- the quick reading ------------------------------------------------------------------------


class _Span(NamedTuple):
    start: int  # in "\n" + body: the newline before the block's first line
    end: int  # the newline after its last line (or the end)
    kind: str  # comment, text (a comment block with more beside it) or code


def _spans(text: str) -> list[_Span] | None:
    """The comment blocks and fenced code blocks that start at the margin, in order; None when
    the body needs the parser."""
    if any(c in text for c in _DEFER_CHARACTERS):
        return None
    spans: list[_Span] = []
    for match in _BLOCK_START.finditer(text):
        if spans and match.start() < spans[-1].end:
            continue  # inside the block before
        if match[1]:  # <!-- : up to the end of the first line that holds -->
            close = text.find("-->", match.start())
            end = len(text) if close < 0 else _line_end(text, close)
            hidden = visible(text[match.start() : end]).strip()
            spans.append(_Span(match.start(), end, TEXT if hidden else COMMENT))
            continue
        opening, info = match[2], match[3]
        if opening[0] == "`" and "`" in info:
            return None  # inline code, not a fence: the parser's call
        closing = re.compile(rf"\n {{0,3}}{re.escape(opening[0])}{{{len(opening)},}} *(?=\n|$)")
        found = closing.search(text, match.end())
        spans.append(_Span(match.start(), len(text) if found is None else found.end(), CODE))
    starts = [span.start for span in spans] + [len(text)]
    outside = text[: starts[0]] + "".join(
        text[span.end : after] for span, after in zip(spans, starts[1:], strict=False)
    )
    return None if _DEFER.search(outside) else spans


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    return len(text) if end < 0 else end


def _quick_headings(body: str) -> list[Line] | None:
    """The top-level headings, read with regular expressions alone (many times quicker than
    :func:`outline`); None: ask outline."""
    text = "\n" + body
    spans = _spans(text)
    if spans is None:
        return None
    out, line, seen, next_span = [], 0, 0, 0
    for m in _ATX.finditer(text):  # headings and spans are both in order: walk them together
        while next_span < len(spans) and spans[next_span].end <= m.start():
            next_span += 1
        if next_span < len(spans) and spans[next_span].start <= m.start():
            continue  # inside a comment or a fence
        line += text.count("\n", seen, m.start())
        seen = m.start()
        out.append(Line(line, HEADING, len(m[1]), _heading_text(m[2])))
    return out


def _quick(body: str) -> list[Line] | None:
    text = "\n" + body
    spans = _spans(text)
    if spans is None:
        return None
    kinds: dict[int, str] = {}
    first, seen = 0, 0
    for span in spans:  # in order: count the lines between them once
        first += text.count("\n", seen, span.start)
        seen = span.start
        last = first + text.count("\n", span.start + 1, span.end)
        kinds.update((n, span.kind) for n in range(first, last + 1))
    out = []
    for number, line in enumerate(body.split("\n")):
        if not line.strip(" "):
            continue
        kind = kinds.get(number)
        if kind is not None:
            out.append(Line(number, kind))
            continue
        heading = _ATX.match("\n" + line) if line[:1] == "#" else None  # at the margin only
        if heading:
            out.append(Line(number, HEADING, len(heading[1]), _heading_text(heading[2])))
        else:
            out.append(Line(number, TEXT))
    return out


def _heading_text(rest: str) -> str:
    """An ATX heading's text (what follows the opening ``#``s) without its closing sequence,
    exactly as markdown-it-py reads it."""
    end = len(rest.rstrip(" \t"))
    start = len(rest[:end].rstrip("#"))
    if 0 < start < end and rest[start - 1] in " \t":
        end = start
    return rest[:end].strip()


# --- the parser -------------------------------------------------------------------------------


@functools.cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def _parsed(body: str) -> list[Line]:
    tokens = _parser().parse(body)
    source = source_lines(body)
    out: list[Line] = []
    for index, token in enumerate(tokens):
        if token.level != 0 or token.map is None or token.type.endswith("_close"):
            continue
        first, end = token.map
        if token.type == "heading_open":
            text = tokens[index + 1].content if index + 1 < len(tokens) else ""
            out.append(Line(first, HEADING, int(token.tag[1]), text.strip(" \t")))
            continue
        if token.type == "hr":
            kind = BREAK
        elif token.type in ("fence", "code_block"):
            kind = CODE
        elif token.type == "html_block" and not visible(token.content).strip():
            kind = COMMENT
        else:
            kind = TEXT
        out += [
            Line(n, kind) for n in range(first, end) if n < len(source) and source[n].strip(" \t")
        ]
    return out
