"""Spec-style Prometheus queries (``rate(x[5m])``, a counter's bare selector) rewritten to
count the events of the window, as ``{{window}}`` queries do.

The parse is bounded and exact: a query is ``rate(<selector>[<range>])`` or, with
``counter``, a bare ``<selector>``, possibly in ``sum(...)``, ``sum by (...) (...)`` or
``sum(...) by (...)``; anything else is refused with the reason. Range substitution
(``rate(x[5m])`` becomes ``increase(x[{{window}}])``) counts a counter's events over the
window, resets included: the rate's short range is how a dashboard smooths, not part of
what is counted.
"""

from __future__ import annotations

import re
from typing import NamedTuple

WINDOW = "{{window}}"
MAX_QUERY = 2000
RANGE_SUBSTITUTION = "range substitution"
COUNTER_INCREASE = "counter increase"
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_RANGE = re.compile(r"\[\s*(?:[0-9]+(?:ms|s|m|h|d|w|y))+\s*\]")
_OPS = ("=~", "!~", "!=", "=")


class Rewrite(NamedTuple):
    """A query that counts the window's events, and how it was made (None: as written)."""

    query: str
    method: str | None


class Unwritable(ValueError):
    """A query ops cannot count the window's events from; the message says why."""


def windowed(query: str, counter: bool) -> Rewrite:
    """The query with ``{{window}}`` (as written), or rewritten; Unwritable otherwise."""
    if WINDOW in query:  # the placeholder, only where a range goes: [{{window}}]
        if WINDOW not in code(query):  # a rate as the spec writes it, and a note about it?
            raise Unwritable(
                f"has {WINDOW} outside a range, only in a comment or a label value; it may "
                f"stand only as [{WINDOW}] (or write no {WINDOW} and a rate over a short range)"
            )
        return Rewrite(as_written(query), None)
    if len(query) > MAX_QUERY:
        raise Unwritable(f"is longer than {MAX_QUERY} characters")
    parser = _Parser(query)
    rewritten, method = parser.query(counter)
    return Rewrite(rewritten, method)


def as_written(query: str) -> str:
    """A query used as written (a value, not a count), its ``{{window}}`` only as a range;
    Unwritable otherwise."""
    if WINDOW in query.replace(f"[{WINDOW}]", ""):
        raise Unwritable(f"has {WINDOW} outside a range; it may stand only as [{WINDOW}]")
    return query


def enclosed(head: str, query: str, step: str = "  ") -> str:
    """``head(`` query ``)`` with the query on lines of its own, so that a PromQL comment
    (``# ...``) at its end cannot swallow what follows; its lines indented by ``step`` (give
    ``indent_step`` of every query the expression holds)."""
    return f"{head}(\n{indent(query.strip(), step)}\n)"


def indent_step(*queries: str | None) -> str:
    """Two spaces, or none when a query holds a raw string (`...`), whose text indenting
    would change."""
    return "" if any("`" in q for q in queries if q) else "  "


def indent(text: str, step: str) -> str:
    return "\n".join(step + line if line else line for line in text.split("\n"))


_CLOSE = {")": "(", "]": "[", "}": "{"}


def _skipped(text: str, at: int) -> int:
    """Where the string or ``#`` comment that starts at ``at`` ends (its closing quote, or
    the end of its line); ``at`` when none starts there, -1 for a string never closed."""
    char = text[at]
    if char in "\"'`":
        end = at + 1
        while end < len(text) and text[end] != char:
            end += 2 if text[end] == "\\" and char != "`" else 1
        return end if end < len(text) else -1
    if char == "#":
        newline = text.find("\n", at)
        return len(text) - 1 if newline < 0 else newline - 1
    return at


def code(text: str) -> str:
    """The query with its strings' contents and its ``#`` comments blanked out (the same
    length): where a ``{{window}}`` counts. One in a comment or a label value is no range."""
    out, at = [], 0
    while at < len(text):
        end = _skipped(text, at)
        if end == at:
            out.append(text[at])
        else:
            end = len(text) - 1 if end < 0 else end
            out.append(text[at] + " " * (end - at))
        at = (end if end != at else at) + 1
    return "".join(out)


def unbalanced(text: str) -> str | None:
    """Why ``text`` cannot be one PromQL expression, from its brackets alone (strings and
    ``#`` comments skipped), or None: a cheap guard that a query ops built is whole."""
    stack: list[str] = []
    at = 0
    while at < len(text):
        char = text[at]
        end = _skipped(text, at)
        if end < 0:
            return f"a string opened with {char} is not closed"
        if end != at:
            at = end
        elif char in "([{":
            stack.append(char)
        elif char in _CLOSE:
            opened = stack.pop() if stack else None
            if opened != _CLOSE[char]:
                return f"{char!r} closes {repr(opened) if opened else 'nothing'}"
        at += 1
    return f"{stack[-1]!r} is not closed" if stack else None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def _space(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in " \t\n\r":
            self.at += 1

    def _take(self, literal: str) -> bool:
        self._space()
        if self.text.startswith(literal, self.at):
            self.at += len(literal)
            return True
        return False

    def _expect(self, literal: str, what: str) -> None:
        if not self._take(literal):
            raise Unwritable(f"expected {literal!r} {what} at character {self.at + 1}")

    def _word(self) -> str | None:
        self._space()
        match = _NAME.match(self.text, self.at)
        return match[0] if match else None

    def query(self, counter: bool) -> tuple[str, str]:
        word = self._word()
        if word == "sum":
            self.at += 3
            before = self._grouping()
            self._expect("(", "after sum")
            inner, method = self._inner(counter)
            self._expect(")", "to close sum(")
            after = "" if before else self._grouping()
            grouping = before or after
            out = f"sum{grouping}({inner})"
        else:
            out, method = self._inner(counter)
        self._space()
        if self.at != len(self.text):
            raise Unwritable(
                f"has more after character {self.at}: ops rewrites rate(<selector>[<range>]), "
                "optionally in sum(...) or sum by (...) (...)"
            )
        return out, method

    def _grouping(self) -> str:
        for keyword in ("by", "without"):
            self._space()
            if self._word() == keyword:
                self.at += len(keyword)
                self._expect("(", f"after {keyword}")
                labels: list[str] = []
                while not self._take(")"):
                    if labels:
                        self._expect(",", "between labels")
                        if self._take(")"):
                            break
                    self._space()
                    match = _LABEL.match(self.text, self.at)
                    if match is None:
                        raise Unwritable(f"expected a label name at character {self.at + 1}")
                    labels.append(match[0])
                    self.at = match.end()
                return f" {keyword} ({', '.join(labels)}) "
        return ""

    def _inner(self, counter: bool) -> tuple[str, str]:
        start = self.at
        word = self._word()
        if word == "rate" and self.text[self.at + 4 :].lstrip().startswith("("):
            self.at += 4
            self._expect("(", "after rate")
            selector = self._selector()
            self._space()
            match = _RANGE.match(self.text, self.at)
            if match is None:
                raise Unwritable(f"expected a range such as [5m] at character {self.at + 1}")
            self.at = match.end()
            self._expect(")", "to close rate(")
            return f"increase({selector}[{WINDOW}])", RANGE_SUBSTITUTION
        self.at = start
        selector = self._selector()
        self._space()
        if self.at < len(self.text) and self.text[self.at] in "([":
            raise Unwritable(
                f"{word or 'the query'} is neither rate(<selector>[<range>]) nor a selector"
            )
        if not counter:
            raise Unwritable(
                "is a bare selector: it counts events only with counter: true, which ops then "
                f"counts as increase(<selector>[{WINDOW}])"
            )
        return f"increase({selector}[{WINDOW}])", COUNTER_INCREASE

    def _selector(self) -> str:
        self._space()
        start = self.at
        match = _NAME.match(self.text, self.at)
        if match is not None:
            if match[0] in ("sum", "rate", "increase", "by", "without", "irate"):
                self.at = match.end()
                self._space()
                if self.at < len(self.text) and self.text[self.at] == "(":
                    raise Unwritable(
                        f"{match[0]}(...) where ops expects a metric selector: it rewrites "
                        "rate(<selector>[<range>]), optionally in sum(...)"
                    )
            self.at = match.end()
        if self.at < len(self.text) and self.text[self.at] == "{":
            self.at += 1
            self._matchers()
        elif match is None:
            raise Unwritable(f"expected a metric selector at character {self.at + 1}")
        return self.text[start : self.at]

    def _matchers(self) -> None:
        first = True
        while True:
            self._space()
            if self._take("}"):
                return
            if not first:
                self._expect(",", "between label matchers")
                if self._take("}"):
                    return
                self._space()
            first = False
            match = _LABEL.match(self.text, self.at)
            if match is None:
                raise Unwritable(f"expected a label name at character {self.at + 1}")
            self.at = match.end()
            if not any(self._take(op) for op in _OPS):
                raise Unwritable(f"expected =, !=, =~ or !~ at character {self.at + 1}")
            self._string()

    def _string(self) -> None:
        self._space()
        if self.at >= len(self.text) or self.text[self.at] not in "\"'`":
            raise Unwritable(f"expected a quoted label value at character {self.at + 1}")
        quote = self.text[self.at]
        self.at += 1
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and quote != "`":
                self.at += 2
                continue
            self.at += 1
            if char == quote:
                return
        raise Unwritable("has a label value that is not closed")
