"""The quick reader (yaml-rs) answers only where it reads exactly as yamlload (PyYAML) does.

ops validate takes yamlfast's data when it gives any, so a document must never
read differently, or pass where yamlload finds a problem, because of it.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml_rs

from checks import document, yamlfast, yamlload
from checks.yamlload import YamlProblem

REPO = Path(__file__).parent.parent


def _front_matters() -> list[tuple[str, str]]:
    found = []
    paths = [
        *REPO.glob("ops/*/*/*.md"),
        *REPO.glob("templates/*.md"),
        *REPO.glob("tests/data/**/*.md"),
    ]
    for path in sorted(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        match = re.match(r"---\n(.*?\n)---\n", text, re.DOTALL)
        if match:
            found.append((str(path.relative_to(REPO)), match.group(1)))
    return found


FRONT_MATTERS = _front_matters()


def _slow(text: str) -> object:
    try:
        return yamlload.load(text)[0]
    except YamlProblem as e:
        return ("error", e.message)


def test_every_sample_record_takes_the_quick_path() -> None:
    """The sample project is what users copy: if its records fall back to yamlload, the
    quick reader is as good as gone (for example when the yaml-rs wheel is missing)."""
    samples = [(name, text) for name, text in FRONT_MATTERS if name.startswith("ops/")]
    assert len(samples) > 30
    assert [name for name, text in samples if yamlfast.load(text) is None] == []


@pytest.mark.parametrize(("name", "text"), FRONT_MATTERS, ids=[n for n, _ in FRONT_MATTERS])
def test_repository_documents_read_alike(name: str, text: str) -> None:
    quick = yamlfast.load(text)
    if quick is not None:
        assert quick == _slow(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: yes\n",  # YAML 1.1 boolean, 1.2 text
        "a: Off\n",
        "a: 017\n",  # octal in 1.1, decimal in 1.2
        "a: 0o17\n",  # text in 1.1
        "a: 1e3\n",  # text in 1.1, a float in 1.2
        "a: +12\n",
        "a: -.5\n",
        "a: 1_000\n",
        "a: 1:30\n",  # sexagesimal in 1.1
        "a: [1, 2.5e+3]\n",
        "a: ~\nb: 'yes'\n",  # quoted: text in both, but we cannot tell it was quoted
        "1: one\n",  # a key that is not text
        "b: &x {c: 1}\nd:\n  <<: *x\n",  # aliases and merge keys
        "a: !!binary aGVsbG8=\n",
        "a: |\n  block\n",
        "a: >\n  folded\n",
        "? a\n: b\n",
        "a: 1\r\nb: 2\r\n",
        "a:\tb\n",
        "a: [x,\n  y]\n",  # a flow collection over two lines
        "period: {from: :2024-09-26, to: 2024-10-09}\n",
        "a: [b:, c]\n",
        "a: x\u2028y\n",
        "a: \x07\n",
        "- a\n- b\n",  # not a mapping: yamlload explains
        "a: 1\na: 2\n",  # duplicate keys: yamlload explains, with both lines
        "a: [1,\n",
        'title: "Order emails delayed \\ud83d\\udce7"\n',  # libyaml refuses surrogate escapes
        "... # a document end marker\na: 1\n",
        "--- # a second document\na: 1\n",
    ],
)
def test_defers_wherever_the_readers_could_differ(text: str) -> None:
    assert yamlfast.load(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "a: 7\nb: -0.25\nc: 99.95\nd: 0\n",
        "when: 2026-11-24\nat: 2026-11-24T10:00:00Z\n",
        "t: true\nf: false\nn: null\ne:\n",
        "q: \"say \\\"hi\\\"\\n\"\ns: 'it''s'\n",
        "items:\n  - id: AI-1\n    tags: [a, b]\n    period: {from: 2026-01-01, to: 2026-01-14}\n",
        "url: https://example.test/a/b#c\n",
        "title: Checkout down, no orders for 5 minutes # a comment\n",
    ],
)
def test_reads_plain_records(text: str) -> None:
    quick = yamlfast.load(text)
    assert quick is not None
    assert quick == _slow(text)


_INSERTS = [
    *":-[]{},#'\"|>?@` \t\n\\",
    *["  ", "- ", ": ", "\n  ", "\n- ", "\n...", "\n---", "\r", "\u00a0", "é"],
    *["yes", "0", "1", "~", "null", "x", "1e3", "+", ".", "_", "0o", "08", "-.5", ".inf"],
    *["1:30", "<<", "'", '"\\', '"\\ud83d\\ude00"', '"\\u00e9"', "\n... # x\n", "\n--- x\n"],
]


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        op, i = rng.random(), rng.randrange(len(text) + 1)
        if op < 0.35 and text:
            text = text[:i] + text[i + 1 :]
        elif op < 0.75:
            text = text[:i] + rng.choice(_INSERTS) + text[i:]
        elif op < 0.85:
            lines.insert(rng.randrange(len(lines)), rng.choice(lines))
            text = "\n".join(lines)
        else:
            j = rng.randrange(len(lines))
            lines[j] = " " * rng.randint(0, 4) + lines[j].lstrip()
            text = "\n".join(lines)
    return text


@pytest.mark.parametrize("seed", range(4))
def test_damaged_documents_read_alike(seed: int) -> None:
    """Random damage to real records: wherever yamlfast answers, yamlload agrees."""
    rng = random.Random(seed)
    texts = [text for name, text in FRONT_MATTERS if name.startswith(("ops/", "tests/data/val"))]
    answered, wrong = 0, []
    for _ in range(5000):
        text = _mutate(rng, rng.choice(texts))
        quick = yamlfast.load(text)
        if quick is None:
            continue
        answered += 1
        if quick != _slow(text):
            wrong.append(text)
    assert wrong == []
    assert answered > 1000  # the damage left many documents for the quick path to read


def test_every_word_yaml_rs_reads_as_a_number_is_caught() -> None:
    """yamlfast's view of which words may be numbers covers yaml-rs's (a newer yaml-rs
    that reads more words as numbers fails here, not in a user's repository)."""
    rng = random.Random(5)
    alphabet = "0123456789+-._eExXoObBaAfFiInNtT"
    words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 7))) for _ in range(60000)}
    numbers = []
    for word in sorted(words):
        try:
            value = yaml_rs.loads(f"a: {word}\n", parse_datetime=False)["a"]
        except Exception:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            numbers.append(word)
    assert len(numbers) > 500
    assert [w for w in numbers if not yamlfast._NUMBERISH.fullmatch(w)] == []


def test_lines_are_found_for_a_document_read_quickly() -> None:
    text = "---\nkind: incident\nproject: shop\nid: INC-1\n---\n## Summary\n"
    doc = document.parse_front_matter(text)
    assert doc.data["id"] == "INC-1"
    assert doc.line(["id"]) == 4
    assert doc.line(["project"]) == 3


def test_odd_characters_are_what_libyaml_refuses_and_the_special_ones() -> None:
    """yamlfast's one character class is PyYAML's NON_PRINTABLE plus the characters of
    YAML's rarer constructs (checked over the Basic Multilingual Plane and beyond)."""
    from yaml.reader import Reader

    special = set("*&!%|>?\t\r\x85\u2028\u2029\ufeff")
    codes = [*range(0xD800), *range(0xE000, 0x10000), 0x10000, 0x1F600, 0x10FFFF]
    wrong = [
        hex(code)
        for code in codes
        if yamlfast._has_odd_character(chr(code))
        != (bool(Reader.NON_PRINTABLE.match(chr(code))) or chr(code) in special)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("action_items:\n" + "- " * 20000 + "a\n", id="block-sequences"),
        pytest.param("a: " + "[" * 600 + "]" * 600 + "\n", id="flow-sequences"),
        pytest.param("".join(" " * i + f"k{i}:\n" for i in range(600)) + "x: 1\n", id="mappings"),
    ],
)
def test_deep_nesting_never_reaches_yaml_rs(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """yaml-rs recurses per level and takes the process down past about 11,000 levels (a
    segmentation fault, which no exception handler sees): text that could nest that deep is
    always read by yamlload, which stops at 1,000 levels with an error."""

    def crash(text: str, **_: object) -> object:
        raise AssertionError("yaml-rs was given text that could nest deeply")

    monkeypatch.setattr(yamlfast.yaml_rs, "loads", crash)
    assert yamlfast.load(text) is None


@pytest.mark.parametrize(
    "number",
    ["100000000000000000000", "9223372036854775808", "-10_000_000_000_000_000_000"],
    ids=["trailing-zeros", "two-to-the-63", "underscores"],
)
def test_a_number_too_large_says_so(number: str) -> None:
    """Trailing zeros are digits: 1 followed by 20 zeros is too large, not a bad tag."""
    with pytest.raises(yamlload.YamlProblem) as raised:
        yamlload.load(f"kind: x\nvalue: {number}\n")
    assert raised.value.line == 1
    assert "!!int" not in raised.value.message
    assert f"a number of {len(number)} characters is too large" in raised.value.message
