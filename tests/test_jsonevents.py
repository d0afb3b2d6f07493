"""The shared JSON event reader: its bounds and where it places what it refuses."""

from __future__ import annotations

import io

import pytest

from checks.importers.jsonevents import MAX_TOKEN, Counting, JsonProblem, events


def _events(data: bytes, max_depth: int = 64, **kwargs: bool) -> list[tuple[str, object]]:
    return list(events(Counting(io.BytesIO(data)), max_depth, **kwargs))


def _problem(data: bytes, max_depth: int = 64, *, sniff: bool = True) -> JsonProblem:
    with pytest.raises(JsonProblem) as caught:
        list(events(Counting(io.BytesIO(data), sniff=sniff), max_depth))
    return caught.value


def test_events_are_basic_parse_events() -> None:
    assert _events(b'{"a": [1, "x"]}') == [
        ("start_map", None),
        ("map_key", "a"),
        ("start_array", None),
        ("number", 1),
        ("string", "x"),
        ("end_array", None),
        ("end_map", None),
    ]


@pytest.mark.parametrize("bound", [32, 64])
def test_nesting_is_bounded_from_the_top_by_the_callers_limit(bound: int) -> None:
    assert _events(b"[" * bound + b"]" * bound)[0] == ("start_array", None)
    problem = _problem(b'{"a":' + b"\n" * 100_000 + b"[" * bound + b"]" * bound + b"}", bound)
    assert problem.kind == "depth"
    assert problem.message == f"the JSON nests more than {bound} levels deep"
    assert problem.line == 1 + (65_536 - 5)  # the first line of the chunk it was met in


def test_deep_nesting_is_refused_lazily_without_reading_it_all() -> None:
    reader = Counting(io.BytesIO(b"[" * 1_000_000))
    with pytest.raises(JsonProblem, match="more than 32 levels"):
        list(events(reader, 32))
    assert reader.total < 1_000_000


def test_a_string_over_the_token_bound_is_refused() -> None:
    problem = _problem(b'{"a":\n"' + b"x" * (MAX_TOKEN + 1) + b'"}')
    assert problem.kind == "token"
    assert problem.line == 2
    assert f"longer than {MAX_TOKEN:,} bytes" in problem.message


def test_without_value_checks_only_bytes_without_an_event_are_bounded() -> None:
    just_over = b'["' + b"x" * (MAX_TOKEN + 1) + b'"]'
    assert _events(just_over, check_values=False)[1][0] == "string"
    reader = Counting(io.BytesIO(b"[" + b"9" * (3 * MAX_TOKEN) + b"]"))
    with pytest.raises(JsonProblem) as caught:
        list(events(reader, 64, check_values=False))
    assert caught.value.kind == "token"
    assert 0 < caught.value.offset < 3 * MAX_TOKEN  # refused before the rest is read


def test_truncation_is_placed_at_the_last_line_read() -> None:
    data = b'{"a": 1,\n "b": [\n  2,\n'
    problem = _problem(data)
    assert problem.kind == "truncated"
    assert problem.line == 4
    assert problem.offset == len(data)
    assert "premature EOF" in problem.detail


def test_a_syntax_error_is_placed_on_its_line() -> None:
    problem = _problem(b'{"a": 1,\n "b": x,\n "c": 3}')
    assert problem.kind == "syntax"
    assert problem.line == 2
    assert problem.message.startswith("not valid JSON (lexical error")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_named(encoding: str) -> None:
    problem = _problem('{"a": 1}'.encode(encoding))
    assert (problem.kind, problem.line) == ("utf16", 1)
    assert "UTF-16" in problem.message


def test_without_sniffing_utf16_and_a_bom_reach_the_parser() -> None:
    assert _problem('{"a": 1}'.encode("utf-16"), sniff=False).kind == "syntax"
    assert _problem(b'\xef\xbb\xbf{"a": 1}', sniff=False).kind == "syntax"


def test_a_utf8_bom_is_dropped() -> None:
    assert _events(b'\xef\xbb\xbf{"a": 1}')[1] == ("map_key", "a")
