"""ops retros: the calendar parses back, survives daylight-saving changes and re-runs, and
the placeholders are made once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from checks.main import main
from checks.retros import plan

BERLIN = ZoneInfo("Europe/Berlin")

PROJECT_YAML = """\
project: shop
name: Shop
owners: ["@ana"]
timezone: Europe/Berlin
severity_scale: [SEV1, SEV2, SEV3]
postmortem:
  required_at_or_above: SEV2
  due_business_days: {SEV1: 5, SEV2: 10}
retros:
  every_weeks: 2
  weekday: thursday
  time: "15:00"
  duration_minutes: 60
  first: 2027-03-04
  organizer: "@ana"
  attendees: ["@ana", "@ben", "@cai"]
  email_domain: shop.example
oncall:
  rotation: ["@ben", "@cai"]
  period_days: 7
  start: 2027-03-01
"""

INCIDENT = """\
---
kind: incident
project: shop
id: INC-2027-001
title: Checkout down
severity: SEV1
status: resolved
started: 2027-03-10T09:00:00Z
resolved: 2027-03-10T10:00:00Z
commander: "@cai"
---

# INC-2027-001: Checkout down

## Summary
Down.

## Impact
All orders.

## Timeline
One hour.

## Links
None.
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "ops/shop").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    return tmp_path


def retros(repo: Path, *args: str) -> int:
    return main(["--root", str(repo), "retros", "--project", "shop", *args])


def calendar(repo: Path) -> Calendar:
    return Calendar.from_ical((repo / "ops/shop/calendar/retros.ics").read_bytes())


def events(repo: Path) -> dict[str, dict[str, object]]:
    out = {}
    for event in calendar(repo).walk("VEVENT"):
        out[str(event["SUMMARY"])] = {
            "uid": str(event["UID"]),
            "start": event.decoded("DTSTART"),
            "sequence": int(event.get("SEQUENCE", 0)),
            "status": str(event["STATUS"]),
        }
    return out


def test_events_across_a_daylight_saving_change(repo: Path) -> None:
    """Berlin moves to summer time on 2027-03-28: 15:00 local is 14:00 UTC before, 13:00 after."""
    assert retros(repo, "--as-of", "2027-03-01", "--horizon-weeks", "6") == 0
    found = events(repo)
    starts = {name: value["start"] for name, value in found.items()}
    assert starts == {
        "Shop retro 2027-03-04": dt.datetime(2027, 3, 4, 15, tzinfo=BERLIN),
        "Shop retro 2027-03-18": dt.datetime(2027, 3, 18, 15, tzinfo=BERLIN),
        "Shop retro 2027-04-01": dt.datetime(2027, 4, 1, 15, tzinfo=BERLIN),
    }
    utc = [s.astimezone(dt.UTC).hour for s in starts.values()]  # type: ignore[attr-defined]
    assert utc == [14, 14, 13]
    cal = calendar(repo)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    event = cal.walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert str(event["ORGANIZER"]) == "mailto:ana@shop.example"
    assert [str(a) for a in event.get("ATTENDEE")] == [
        "mailto:ana@shop.example",
        "mailto:ben@shop.example",
        "mailto:cai@shop.example",
    ]


def test_two_runs_give_byte_identical_files(repo: Path) -> None:
    assert retros(repo, "--as-of", "2027-03-01") == 0
    first = (repo / "ops/shop/calendar/retros.ics").read_bytes()
    docs = {p.name: p.read_bytes() for p in (repo / "ops/shop/retros").iterdir()}
    assert retros(repo, "--as-of", "2027-03-01") == 0
    assert (repo / "ops/shop/calendar/retros.ics").read_bytes() == first
    assert {p.name: p.read_bytes() for p in (repo / "ops/shop/retros").iterdir()} == docs


def test_uids_stay_when_the_horizon_moves(repo: Path) -> None:
    assert retros(repo, "--as-of", "2027-03-01", "--horizon-weeks", "4") == 0
    before = events(repo)
    assert retros(repo, "--as-of", "2027-03-15", "--horizon-weeks", "4") == 0
    after = events(repo)
    shared = set(before) & set(after)
    assert shared == {"Shop retro 2027-03-18"}
    for name in shared:
        assert after[name] == before[name]  # same UID, same SEQUENCE: an update, not a new event
    assert "Shop retro 2027-03-04" not in after  # over: it leaves the file, it is not cancelled


def test_a_changed_schedule_bumps_sequence_and_cancels_what_it_drops(repo: Path) -> None:
    assert retros(repo, "--as-of", "2027-03-01", "--horizon-weeks", "4") == 0
    before = events(repo)
    moved = PROJECT_YAML.replace('time: "15:00"', 'time: "16:00"').replace(
        "every_weeks: 2", "every_weeks: 3"
    )
    (repo / "ops/shop/project.yaml").write_text(moved, encoding="utf-8")
    assert retros(repo, "--as-of", "2027-03-01", "--horizon-weeks", "4") == 0
    after = events(repo)
    assert after["Shop retro 2027-03-04"]["sequence"] == 1  # moved to 16:00
    assert after["Shop retro 2027-03-04"]["uid"] == before["Shop retro 2027-03-04"]["uid"]
    dropped = after["Shop retro 2027-03-18"]  # no longer in a three-week cadence
    assert (dropped["status"], dropped["sequence"]) == ("CANCELLED", 1)
    assert after["Shop retro 2027-03-25"]["sequence"] == 0


def test_placeholders_name_the_on_call_facilitator_and_are_never_overwritten(repo: Path) -> None:
    assert retros(repo, "--as-of", "2027-03-01", "--horizon-weeks", "4") == 0
    first = repo / "ops/shop/retros/2027-03-18.md"
    text = first.read_text(encoding="utf-8")
    # 2027-03-04 to 03-17: @ben on call 03-01..03-07 (4 of those days), @cai 03-08..03-14 (7),
    # @ben 03-15..03-17 (3): @ben 7 days, @cai 7 days; a tie goes to the earlier, @ben.
    assert 'facilitator: "@ben"' in text
    assert "period: {from: 2027-03-04, to: 2027-03-17}" in text
    assert "status: scheduled" in text
    first.write_text(text.replace("status: scheduled", "status: cancelled"), encoding="utf-8")
    edited = first.read_bytes()
    assert retros(repo, "--as-of", "2027-03-01", "--horizon-weeks", "4") == 0
    assert first.read_bytes() == edited
    assert main(["--root", str(repo), "validate", str(repo / "ops")]) == 0


def test_an_incident_without_postmortem_gets_a_draft_and_a_review(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "ops/shop/incidents").mkdir()
    (repo / "ops/shop/incidents/INC-2027-001.md").write_text(INCIDENT, encoding="utf-8")
    assert retros(repo, "--as-of", "2027-03-11", "--format", "json") == 0
    out = json.loads(capsys.readouterr().out)
    assert "ops/shop/postmortems/2027-03-11-INC-2027-001.md" in out["created"]
    review = [m for m in out["meetings"] if m["kind"] == "postmortem-review"]
    # resolved Wednesday 2027-03-10: 5 business days -> due Wednesday 03-17; review on the 16th
    assert review == [
        {
            "kind": "postmortem-review",
            "start": "2027-03-16T15:00:00+01:00",
            "facilitator": "@cai",
            "document": "ops/shop/postmortems/2027-03-11-INC-2027-001.md",
        }
    ]
    draft = (repo / "ops/shop/postmortems/2027-03-11-INC-2027-001.md").read_text(encoding="utf-8")
    assert "status: draft" in draft and "incident: INC-2027-001" in draft
    # the next run keeps the review (the draft is not published) and creates nothing
    assert retros(repo, "--as-of", "2027-03-11", "--format", "json") == 0
    again = json.loads(capsys.readouterr().out)
    assert again["created"] == [] and again["calendar_changed"] is False


def test_facilitators_follow_the_rotation() -> None:
    oncall = {"rotation": ["@a", "@b", "@c"], "period_days": 7, "start": "2027-01-04"}
    assert plan.on_call(oncall, dt.date(2027, 1, 10)) == "@a"
    assert plan.on_call(oncall, dt.date(2027, 1, 11)) == "@b"
    assert plan.on_call(oncall, dt.date(2027, 1, 3)) is None
    assert plan.facilitator(oncall, (dt.date(2027, 1, 9), dt.date(2027, 1, 20))) == "@b"


def test_the_script_is_the_same_command(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "schedule_retros", Path(__file__).parent.parent / "scripts/schedule_retros.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    code = module.main(["--project", "shop", "--as-of", "2027-03-01", "--root", str(repo)])
    assert code == 0
    assert "ops/shop/calendar/retros.ics: written" in capsys.readouterr().out


def test_a_shorter_horizon_keeps_the_retros_beyond_it(repo: Path) -> None:
    assert retros(repo, "--as-of", "2027-03-01", "--horizon-weeks", "6") == 0
    before = events(repo)
    assert retros(repo, "--as-of", "2027-03-01", "--horizon-weeks", "2") == 0
    assert events(repo) == before  # 03-18 and 04-01 are beyond two weeks, not cancelled


def test_a_retro_cancelled_in_its_document_is_cancelled_in_the_calendar(repo: Path) -> None:
    assert retros(repo, "--as-of", "2027-03-01", "--horizon-weeks", "4") == 0
    doc = repo / "ops/shop/retros/2027-03-18.md"
    doc.write_text(doc.read_text().replace("status: scheduled", "status: cancelled"))
    assert retros(repo, "--as-of", "2027-03-01", "--horizon-weeks", "4") == 0
    event = events(repo)["Shop retro 2027-03-18"]
    assert (event["status"], event["sequence"]) == ("CANCELLED", 1)


def test_the_review_meeting_is_dropped_once_its_day_has_passed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "ops/shop/incidents").mkdir()
    (repo / "ops/shop/incidents/INC-2027-001.md").write_text(INCIDENT, encoding="utf-8")
    for as_of, expected in (("2027-03-16", ["2027-03-16T15:00:00+01:00"]), ("2027-03-17", [])):
        capsys.readouterr()
        assert retros(repo, "--as-of", as_of, "--format", "json") == 0
        meetings = json.loads(capsys.readouterr().out)["meetings"]
        assert [m["start"] for m in meetings if m["kind"] == "postmortem-review"] == expected


def test_without_anyone_on_call_a_second_run_changes_nothing(repo: Path) -> None:
    (repo / "ops/shop/project.yaml").write_text(PROJECT_YAML.split("oncall:")[0], encoding="utf-8")
    assert retros(repo, "--as-of", "2027-03-01") == 0
    first = (repo / "ops/shop/calendar/retros.ics").read_bytes()
    assert retros(repo, "--as-of", "2027-03-01") == 0
    assert (repo / "ops/shop/calendar/retros.ics").read_bytes() == first
    assert 'facilitator: "@ana"' in (repo / "ops/shop/retros/2027-03-04.md").read_text()
