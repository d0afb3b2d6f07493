"""ops retros on a hostile ops/<project>/calendar/retros.ics (anyone can push one).

Each run happens in a fresh process with a time guard, and ends within 200 MB with either a
correct calendar or ``path:line: message`` naming what to do, no traceback, and not one file
changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from casetree import MiB, run_child, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from test_retros import PROJECT_YAML

from checks.errors import OpsError
from checks.main import main
from checks.retros import ics, icsread

CAL = "ops/shop/calendar/retros.ics"
AS_OF = "2027-03-01"
GUARD_SECONDS = 20  # each case takes well under a second; the MINUTELY one took minutes
MAX_RSS = 200 * MiB
BERLIN = ZoneInfo("Europe/Berlin")
DELETE = "delete the file to have ops retros write a new one"
BIG = 2_147_483_647


def ics_bytes(*lines: str, newline: str = "\r\n") -> bytes:
    return "".join(f"{line}{newline}" for line in lines).encode()


def event(uid: str, *extra: str, start: str = "TZID=Europe/Berlin:20270304T150000") -> list[str]:
    """A small VEVENT; ``start`` is what follows ``DTSTART;`` (or ``DTSTART:`` for a value)."""
    dtstart = f"DTSTART;{start}" if "=" in start.split(":")[0] else f"DTSTART:{start}"
    return ["BEGIN:VEVENT", f"UID:{uid}", dtstart, "DTSTAMP:20270101T000000Z", *extra, "END:VEVENT"]


def calendar(*events: list[str], head: tuple[str, ...] = ()) -> list[str]:
    body = [line for lines in events for line in lines]
    return ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x", *head, *body, "END:VCALENDAR"]


# The VTIMEZONE of the report: a transition every minute since 1970, once expanded by icalendar
# when the DTSTART on line 21 was decoded (over 60 s and 1.5 GB).
EVIL_ZONE = (
    "BEGIN:VTIMEZONE",
    "TZID:Evil",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "RRULE:FREQ=MINUTELY",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:19700101T000000",
    "RRULE:FREQ=MINUTELY;INTERVAL=2",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
)
EVIL = ics_bytes(
    *calendar(
        [
            "BEGIN:VEVENT",
            "UID:a",
            "DTSTART;TZID=Evil:20270101T100000",
            "DTSTAMP:20260101T000000Z",
            "END:VEVENT",
        ],
        head=EVIL_ZONE,
    )
)


def _padded(size: int) -> bytes:
    pad = "X-PAD:" + "p" * 70
    return ics_bytes(*calendar(head=(pad,) * (size // (len(pad) + 2))))


def _events(count: int) -> bytes:
    return ics_bytes(
        *calendar(*(event(f"e{i}", start="20990101") for i in range(count))), newline="\n"
    )


class Refused(NamedTuple):
    content: bytes
    line: int
    message: str  # what ics.load says, before "; delete the file ..."


def _too_large(content: bytes) -> Refused:
    limit = f"a retro calendar is limited to {icsread.MAX_BYTES:,} bytes"
    return Refused(content, 1, f"file is {len(content):,} bytes; {limit}")


ZONES = ["Europe/Berlin", "Europe/Paris", "UTC", "Asia/Tokyo", "America/New_York"]
ZONES += ["Europe/London", "Australia/Sydney", "Africa/Cairo", "Asia/Kolkata"]
REFUSED = {
    "minutely-vtimezone": Refused(
        EVIL,
        21,
        "TZID 'Evil' is not an IANA time zone name (like Europe/Berlin); ops takes time zones "
        "from the tz database, never from the file",
    ),
    "file-of-2-mb": _too_large(_padded(2 * MiB)),
    "20000-events": _too_large(_events(20_000)),
    "10001-events": Refused(
        _events(10_001), 50_004, "more than 10,000 events; a retro calendar has a few hundred"
    ),
    "60001-lines": Refused(
        ics_bytes(*calendar(head=("X:a",) * 60_000)),
        60_001,
        "file has more than 60,000 lines; a retro calendar has a few thousand",
    ),
    "sequence-2147483647": Refused(
        ics_bytes(*calendar(event("a", f"SEQUENCE:{BIG}"))),
        8,
        f"SEQUENCE {BIG} is too large: a change adds 1, and RFC 5545 allows at most {BIG}",
    ),
    "sequence-10-to-the-26": Refused(
        ics_bytes(*calendar(event("a", f"SEQUENCE:{10**26}"))),
        8,
        f"SEQUENCE {10**26} is too large: a change adds 1, and RFC 5545 allows at most {BIG}",
    ),
    "sequence-not-a-number": Refused(
        ics_bytes(*calendar(event("a", "SEQUENCE:soon"))),
        8,
        "SEQUENCE 'soon' is not a whole number (0 or more)",
    ),
    "sequence-negative": Refused(
        ics_bytes(*calendar(event("a", "SEQUENCE:-1"))),
        8,
        "SEQUENCE '-1' is not a whole number (0 or more)",
    ),
    "binary-garbage": Refused(
        bytes(range(256)) * 64, 1, "binary file (contains NUL bytes); expected UTF-8 text"
    ),
    "not-utf-8": Refused(
        b"BEGIN:VCALENDAR\r\nX-NAME:caf\xe9\r\nEND:VCALENDAR\r\n",
        2,
        "not valid UTF-8 (byte 0xe9); save the file as UTF-8",
    ),
    "empty-file": Refused(b"", 1, "file is empty; expected BEGIN:VCALENDAR"),
    "not-a-calendar": Refused(
        b"---\ntitle: x\n---\n",
        1,
        "'---' is not an iCalendar line (NAME;PARAM=VALUE:VALUE, at most 50 parameters)",
    ),
    "cut-short": Refused(
        ics_bytes(*calendar(event("a"))[:-2]),
        7,
        "BEGIN:VEVENT on line 4 has no END: the file is cut short",
    ),
    "alarm-in-an-event": Refused(
        ics_bytes(*calendar(event("a", "BEGIN:VALARM", "END:VALARM"))),
        8,
        "BEGIN:VALARM inside an event; ops writes events without alarms or other components",
    ),
    "nine-time-zones": Refused(
        ics_bytes(
            *calendar(
                *(event(str(i), start=f"TZID={z}:20990101T100000") for i, z in enumerate(ZONES))
            )
        ),
        46,
        "more than 8 time zones (the next is 'Asia/Kolkata'); ops writes events in the project's "
        "time zone",
    ),
    "a-million-parameters": Refused(
        ics_bytes(*calendar(event("a", "X" + ";A=b" * 250_000 + ":v"))),
        8,
        "'X;A=b;A=b;A=b;A=b;A=b;A=b;A=b;A=b;A=b;A=b;A=b;A=b;A=b;A=... is not an iCalendar "
        "line (NAME;PARAM=VALUE:VALUE, at most 50 parameters)",
    ),
    "no-dtstamp": Refused(
        ics_bytes(*calendar([line for line in event("a") if "DTSTAMP" not in line])),
        4,
        "the event that starts here has no DTSTAMP",
    ),
    "dtstart-in-year-1": Refused(
        ics_bytes(*calendar(event("a", start="TZID=Asia/Tokyo:00010101T000000"))),
        6,
        "DTSTART is in the year 1; ops writes years 1900 to 9998",
    ),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "ops/shop/calendar").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    return tmp_path


def retros(root: Path, env: dict[str, str] | None = None) -> tuple[int, str, str, int]:
    child = run_child(
        root,
        ["--root", str(root), "retros", "--project", "shop", "--as-of", AS_OF],
        env,
        timeout=GUARD_SECONDS,
    )
    assert "Traceback" not in child.err
    assert child.peak < MAX_RSS, f"{child.peak / MiB:.0f} MB"
    return child.code, child.out, child.err, child.peak


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_hostile_calendar_is_refused_quickly_and_changes_nothing(repo: Path, name: str) -> None:
    case = REFUSED[name]
    (repo / CAL).write_bytes(case.content)
    before = snapshot(repo)
    code, out, err, _ = retros(repo)
    assert code == 2, err
    assert f"ops: error: {CAL}:{case.line}: {case.message}; {DELETE}\n" in err
    assert out == ""
    assert snapshot(repo) == before


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_load_says_which_line_and_what_to_do(repo: Path, name: str) -> None:
    case = REFUSED[name]
    (repo / CAL).write_bytes(case.content)
    with pytest.raises(OpsError) as caught:
        ics.load(repo / CAL, CAL, BERLIN)
    assert str(caught.value) == f"{CAL}:{case.line}: {case.message}; {DELETE}"


def test_a_symlink_in_place_of_the_calendar_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.ics"
    outside.write_bytes(ics_bytes(*calendar(event("a"))))
    (repo / CAL).symlink_to(outside)
    before, kept = snapshot(repo), outside.read_bytes()
    code, _, err, _ = retros(repo)
    assert code == 2
    assert f"{CAL}:1: is a symlink" in err
    assert snapshot(repo) == before and outside.read_bytes() == kept
    with pytest.raises(OpsError, match="is a symlink; ops writes the calendar only as a regular"):
        ics.load(repo / CAL, CAL, BERLIN)


def test_a_huge_calendar_is_never_read(repo: Path) -> None:
    with open(repo / CAL, "wb") as f:
        f.truncate(300 * MiB)  # sparse: nothing on disk
    code, _, err, _ = retros(repo)
    assert code == 2
    assert f"{CAL}:1: file is 314,572,800 bytes; a retro calendar is limited to " in err


def test_missing_calendar_is_no_calendar(repo: Path) -> None:
    assert ics.load(repo / CAL, CAL, BERLIN) == {}


def _first_run(repo: Path) -> bytes:
    assert main(["--root", str(repo), "retros", "--project", "shop", "--as-of", AS_OF]) == 0
    return (repo / CAL).read_bytes()


def test_a_vtimezone_in_the_file_is_never_used(repo: Path) -> None:
    """The MINUTELY rules under the project's own TZID: ops takes Europe/Berlin from the tz
    database, and writes the same calendar as without the file."""
    expected = _first_run(repo)
    evil_berlin = EVIL.replace(b"Evil", b"Europe/Berlin")
    (repo / CAL).write_bytes(evil_berlin)
    code, _, err, _ = retros(repo)
    assert code == 0, err
    written = (repo / CAL).read_bytes()
    assert b"MINUTELY" not in written
    kept = ics_bytes(
        "BEGIN:VEVENT",
        "UID:a",
        "DTSTART;TZID=Europe/Berlin:20270101T100000",
        "DTSTAMP:20260101T000000Z",
        "END:VEVENT",
    )
    assert kept not in written  # 2027-01-01 is over: it leaves the file
    assert written == expected


def test_a_kept_event_is_written_back_as_it_was(repo: Path) -> None:
    """Beyond the horizon, an event is not judged: its lines, folds and unknown properties
    included, go back into the file unread; its zone's VTIMEZONE comes from the tz database."""
    expected = _first_run(repo)
    far = event(
        "far@elsewhere",
        "RRULE:FREQ=SECONDLY",
        'X-NOTE;X-P="a:b":folded',
        " line",
        "SEQUENCE:7",
        start="TZID=Asia/Tokyo:20991231T235959",
    )
    text = expected.replace(b"END:VCALENDAR\r\n", ics_bytes(*far) + b"END:VCALENDAR\r\n")
    (repo / CAL).write_bytes(text)
    code, _, err, _ = retros(repo)
    assert code == 0, err
    written = (repo / CAL).read_bytes()
    assert written.endswith(ics_bytes(*far, "END:VCALENDAR"))
    parsed = Calendar.from_ical(written)
    assert [str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")] == ["Asia/Tokyo", "Europe/Berlin"]
    assert b"FREQ=MINUTELY" not in written


def test_the_largest_sequence_that_can_grow_grows(repo: Path) -> None:
    first = _first_run(repo)
    changed = first.replace(b"SEQUENCE:0", f"SEQUENCE:{BIG - 1}".encode(), 1)
    changed = changed.replace(b"X-OPS-FINGERPRINT:", b"X-OPS-FINGERPRINT:x", 1)
    (repo / CAL).write_bytes(changed)
    code, _, err, _ = retros(repo)
    assert code == 0, err
    sequences = [
        int(e["SEQUENCE"]) for e in Calendar.from_ical((repo / CAL).read_bytes()).walk("VEVENT")
    ]
    assert sequences == [BIG, 0, 0, 0]


def test_a_cancellation_changes_only_what_it_must(repo: Path) -> None:
    """An upcoming event that left the schedule keeps its lines; STATUS, SEQUENCE, DTSTAMP and
    the fingerprint are replaced where they were, or added before its end."""
    first = _first_run(repo)
    gone = event(
        "gone",
        "STATUS:CONFIRMED",
        "SEQUENCE:3",
        "X-OPS-FINGERPRINT:f",
        start="TZID=Europe/Berlin:20270311T150000",
    )
    bare = event("bare", start="TZID=Europe/Berlin:20270312T150000")
    extra = ics_bytes(*gone, *bare)
    (repo / CAL).write_bytes(first.replace(b"END:VCALENDAR\r\n", extra + b"END:VCALENDAR\r\n"))
    assert main(["--root", str(repo), "retros", "--project", "shop", "--as-of", AS_OF]) == 0
    written = (repo / CAL).read_bytes()
    stamp = "DTSTAMP:20270301T000000Z"
    assert (
        ics_bytes(
            "BEGIN:VEVENT",
            "UID:gone",
            "DTSTART;TZID=Europe/Berlin:20270311T150000",
            stamp,
            "STATUS:CANCELLED",
            "SEQUENCE:4",
            "X-OPS-FINGERPRINT:cancelled",
            "END:VEVENT",
        )
        in written
    )
    assert (
        ics_bytes(
            "BEGIN:VEVENT",
            "UID:bare",
            "DTSTART;TZID=Europe/Berlin:20270312T150000",
            stamp,
            "STATUS:CANCELLED",
            "SEQUENCE:1",
            "X-OPS-FINGERPRINT:cancelled",
            "END:VEVENT",
        )
        in written
    )
    again = (repo / CAL).read_bytes()
    assert main(["--root", str(repo), "retros", "--project", "shop", "--as-of", AS_OF]) == 0
    assert (repo / CAL).read_bytes() == again


def test_time_zones_come_in_the_same_order_in_every_process(repo: Path) -> None:
    """Two zones: icalendar's add_missing_timezones takes them from a set, whose order changes
    with the hash seed."""
    first = _first_run(repo)
    tokyo = event("tokyo", start="TZID=Asia/Tokyo:20991231T100000")
    (repo / CAL).write_bytes(
        first.replace(b"END:VCALENDAR\r\n", ics_bytes(*tokyo) + b"END:VCALENDAR\r\n")
    )
    results = set()
    for seed in ("1", "2", "3", "4"):
        code, _, err, _ = retros(repo, {"PYTHONHASHSEED": seed})
        assert code == 0, err
        results.add((repo / CAL).read_bytes())
    assert len(results) == 1


GOOD_BUT_LARGE: dict[str, Callable[[], bytes]] = {
    "10000-events-kept": lambda: _events(10_000),
    "25000-nested-components": lambda: ics_bytes(
        *calendar(head=("BEGIN:X-A",) * 25_000 + ("END:X-A",) * 25_000)
    ),
    "one-line-of-a-megabyte": lambda: ics_bytes(
        *calendar(event("a", "DESCRIPTION:" + "d" * 1_000_000, start="20990101"))
    ),
}


@pytest.mark.parametrize("name", sorted(GOOD_BUT_LARGE))
def test_a_large_calendar_within_the_limits_is_used(repo: Path, name: str) -> None:
    """Within the limits, a large calendar is read in well under a second: the events beyond
    the horizon stay, the other components go."""
    content = GOOD_BUT_LARGE[name]()
    (repo / CAL).write_bytes(content)
    code, _, err, _ = retros(repo)
    assert code == 0, err
    kept = content.count(b"BEGIN:VEVENT")
    assert (repo / CAL).read_bytes().count(b"BEGIN:VEVENT") == 4 + kept  # 4 retros, and those


_GOOD = ics_bytes(
    *calendar(
        event("a", "SEQUENCE:3", "STATUS:CONFIRMED", "X-OPS-FINGERPRINT:f"),
        event("b", "DESCRIPTION:two", " lines", start="TZID=Asia/Tokyo:20270401T090000"),
        event("c", start="20270402"),
        head=EVIL_ZONE,
    )
)
_PIECES = [
    b"BEGIN:",
    b"END:",
    b"VEVENT",
    b"VTIMEZONE",
    b"\r\n",
    b"\r\n ",
    b";",
    b":",
    b'"',
    b"=",
    b"TZID=",
    b"SEQUENCE:",
    b"2147483646",
    b"DTSTART",
    b"Z",
    b"\x00",
    b"\xff",
    b"00010101",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(_GOOD)), st.integers(0, 12), st.sampled_from(_PIECES)),
        min_size=1,
        max_size=6,
    )
)
def test_any_calendar_is_read_or_refused_and_what_ops_writes_it_reads(
    edits: list[tuple[int, int, bytes]],
) -> None:
    """Pieces of iCalendar cut into a good file anywhere: read gives events or CalendarError,
    nothing else; a calendar built from them reads back to the same calendar."""
    data = bytearray(_GOOD)
    for at, cut, piece in edits:
        data[at : at + cut] = piece
    try:
        previous = ics.read(bytes(data), BERLIN)
    except icsread.CalendarError as e:
        assert e.line >= 1
        return
    now = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    until = dt.datetime(2027, 5, 1, tzinfo=dt.UTC)

    def build(previous: dict[str, icsread.Previous]) -> bytes:
        return ics.build(
            project="shop",
            name="Shop",
            meetings=[],
            settings={},
            previous=previous,
            now=now,
            until=until,
        )

    written = build(previous)
    assert build(ics.read(written, BERLIN)) == written
