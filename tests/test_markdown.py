"""Bodies are read as GitHub renders them: the quick reading (regular expressions) agrees with
markdown-it-py, a CommonMark parser, wherever it answers; where it cannot be sure it asks the
parser."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from checks import document, markdown
from checks.markdown import CODE, COMMENT, HEADING, TEXT, Line

REPO = Path(__file__).parent.parent


def _bodies() -> list[tuple[str, str]]:
    out = []
    for path in sorted([*REPO.glob("ops/*/*/*.md"), *REPO.glob("templates/*.md")]):
        out.append((path.name, document.parse_front_matter(path.read_text()).body))
    return out


BODIES = _bodies()
PIECES = [
    "## Root Cause",
    "## Summary ##",
    "##",
    "#  Title",
    "### Trigger",
    "####### seven",
    "<!--",
    "-->",
    "<!-- note -->",
    "<!-- note --> visible",
    "<!-->",
    "```",
    "```python",
    "````",
    "~~~",
    "``` not `a` fence",
    "    indented code",
    "  ## indented heading",
    "- item",
    "* * *",
    "> quote",
    "text [TODO: fill me]",
    "`[TODO: in code]`",
    "| a | b |",
    "<div>",
    "---",
    "===",
    "[ref]: /url",
    "\\## escaped",
    "",
    "",
]


def _random_bodies(count: int) -> list[str]:
    rnd = random.Random(9)
    out = []
    for _ in range(count):
        body = "\n".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 14)))
        out.append(body + ("\n" if rnd.random() < 0.5 else ""))
    return out


@pytest.mark.parametrize(("name", "body"), [pytest.param(n, b, id=n) for n, b in BODIES])
def test_the_quick_reading_takes_every_record_of_the_repository(name: str, body: str) -> None:
    assert markdown._quick(body) == markdown._parsed(body)
    headings = markdown._quick_headings(body)
    assert headings == [line for line in markdown._parsed(body) if line.kind == HEADING]


def test_the_quick_reading_agrees_with_commonmark_on_random_bodies() -> None:
    """20,000 bodies made of the constructs where the two could part ways."""
    answered = 0
    for body in _random_bodies(20_000):
        parsed = markdown._parsed(body)
        quick, headings = markdown._quick(body), markdown._quick_headings(body)
        if quick is not None:
            answered += 1
            assert quick == parsed, body
        if headings is not None:
            assert headings == [line for line in parsed if line.kind == HEADING], body
    assert answered > 2_000  # the quick reading is not just always deferring


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("## A\ntext\n", [Line(0, HEADING, 2, "A"), Line(1, TEXT)], id="plain"),
        pytest.param(
            "<!--\n## A\n-->\n",
            [Line(0, COMMENT), Line(1, COMMENT), Line(2, COMMENT)],
            id="comment",
        ),
        pytest.param("```\n## A\n```\n", [Line(0, CODE), Line(1, CODE), Line(2, CODE)], id="fence"),
        pytest.param(
            "<!-- x -->\n## A ##\n", [Line(0, COMMENT), Line(1, HEADING, 2, "A")], id="closing"
        ),
        pytest.param("A\n---\n", [Line(0, HEADING, 2, "A")], id="setext"),
    ],
)
def test_outline(body: str, expected: list[Line]) -> None:
    assert markdown.outline(body) == expected


def test_placeholders_outside_code_and_comments() -> None:
    body = "## S\n[TODO: a] `[TODO: b]` <!-- [TODO: c] -->\n```\n[TODO: d]\n```\n"
    [section] = markdown.sections(markdown.outline(body))
    assert markdown.placeholders(section, body.split("\n")) == [(1, "[TODO: a]")]
    assert markdown.written(section)


def test_a_section_of_comments_and_sub_headings_is_not_written() -> None:
    body = "## S\n<!-- guidance -->\n\n### Detail\n\n## T\nx\n"
    first, second = markdown.sections(markdown.outline(body))
    assert (first.name, markdown.written(first)) == ("S", False)
    assert (second.name, markdown.written(second)) == ("T", True)
