"""Placeholder documents: a scheduled retro for each retro in the horizon, a postmortem draft
for each resolved incident that needs one. Made from the templates by ops new's code, checked
like any document, and never written over an existing file."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from checks import newdoc
from checks.project import Project
from checks.retros.plan import Meeting
from checks.rules import facts
from checks.rules.records import Records
from checks.rules.settings import Settings

_PERIOD = re.compile(r"^# period: .*$", re.MULTILINE)


class New(NamedTuple):
    rel: str
    text: str


def plan(
    root: Path,
    project: Project,
    records: Records,
    settings: Settings,
    meetings: Sequence[Meeting],
    as_of: dt.date,
) -> list[New]:
    """The documents to create (none exists yet), each already validated."""
    out: list[New] = []
    for meeting in meetings:
        if meeting.kind != "retro":
            continue
        opts = newdoc.Options(meeting.day, person=meeting.facilitator)
        new = _new(project, "retro", newdoc.values(records, "retro", opts), root)
        if meeting.period is not None:  # the template shows an example period in a comment
            period = f"period: {{from: {meeting.period[0]}, to: {meeting.period[1]}}}"
            new = new._replace(text=_PERIOD.sub(period, new.text, count=1))
        out.append(new)
    for item in facts.postmortems_due(records, settings, as_of):
        if item.postmortem is not None:
            continue
        ident = str(item.incident.data.get("id"))
        opts = newdoc.Options(as_of, incident=ident)
        out.append(_new(project, "postmortem", newdoc.values(records, "postmortem", opts), root))
    fresh = [
        new for new in out if not (root / new.rel).exists() and not (root / new.rel).is_symlink()
    ]
    from checks.validation.engine import check_before_writing

    check_before_writing(root, {new.rel: new.text.encode() for new in fresh}, "a placeholder")
    return fresh


def _new(project: Project, kind: str, values: dict[str, object], root: Path) -> New:
    from checks.kinds import KINDS

    name, text = newdoc.render(kind, values)
    return New(f"ops/{project.slug}/{KINDS[kind].folder}/{name}", text)
