"""Rules across the documents of one project. Pure: facts in, findings out.

Facts name where a value stands by its path in the document; ``line`` turns a
path into a line number, for the few values a rule reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from checks.dates import local_date, parse_date
from checks.findings import Finding, days, json_path, shorten
from checks.kinds import (
    DEFAULT_EXCEPTION_MAX_DAYS,
    DEFAULT_SEVERITY_SCALE,
    DEFAULT_THRESHOLD,
    PROJECT_FILE,
    severity_problem,
)
from checks.tree import Target

Facts = dict[str, Any]  # what the cross-document rules need to know of one file

Record = tuple[Target, Facts]
Lines = Callable[[Target, list[str | int]], int]


def check_project(project: str, records: Sequence[Record], line: Lines) -> list[Finding]:
    """Every cross-document finding for one project's records (project.yaml included)."""
    config_record = next(
        ((t, f) for t, f in records if t.role == "project" and f.get("parsed")), None
    )
    config = config_record[1] if config_record else None
    documents = [(t, f) for t, f in records if t.role == "document" and f.get("parsed")]
    out: list[Finding] = []
    scale: tuple[str, ...] | None = DEFAULT_SEVERITY_SCALE
    if config is not None and "scale" in config:
        scale = tuple(config["scale"]) if config["scale"] is not None else None
    if scale is not None:  # a broken scale is reported once, by the schema
        if config_record is not None:
            out.extend(_config(*config_record, scale, line))
        out.extend(_severities(documents, scale, line))
    out.extend(_unique_incidents(documents, line))
    out.extend(_unique_items(documents, line))
    unreadable = {
        t.rel.rsplit("/", 1)[-1][:-3]
        for t, f in records
        if t.kind == "incident" and not f.get("parsed")
    }
    out.extend(_postmortem_links(project, documents, unreadable, scale or (), line))
    out.extend(_postmortems_after_incidents(documents, _zone(config), line))
    out.extend(_findings_across_logs(documents, line))
    out.extend(_exceptions(project, documents, config, line))
    return out


def _exceptions(
    project: str, documents: Sequence[Record], config: Facts | None, line: Lines
) -> list[Finding]:
    """An exception is approved by an owner of the project and lasts at most
    vulnerability_exception_max_days (default 90) after the log that records it: a renewal is
    a new approval, written in a later log. Without a readable project.yaml (an error of its
    own) the default limit holds and the approvers go unchecked."""
    config = config or {}
    limit = config.get("exception_max_days", DEFAULT_EXCEPTION_MAX_DAYS)
    owners: list[str] | None = config.get("owners")
    settings = f"ops/{project}/{PROJECT_FILE}"
    out = []
    for target, facts in documents:
        logged = parse_date(facts["date"][0]) if "date" in facts else None
        for ident, approver, expires, index in facts.get("exceptions", []):
            where: list[str | int] = ["findings", index, "exception"]
            if owners is not None and approver is not None and approver not in owners:
                same = [o for o in owners if o.casefold() == approver.casefold()]
                hint = f" (did you mean {shorten(same[0])}?)" if same else ""
                out.append(
                    Finding(
                        target.rel,
                        line(target, [*where, "approver"]),
                        json_path([*where, "approver"]),
                        f"{shorten(approver)} is not an owner of the project{hint}; an exception "
                        f"is approved by one of its owners ({_people(owners)}, in {settings}): "
                        "have one of them approve it and write their name here",
                        rule="exception",
                    )
                )
            ends = parse_date(expires)
            term = (ends - logged).days if logged is not None and ends is not None else 0
            if logged is None or term <= limit:
                continue
            latest = logged + dt.timedelta(days=limit)
            out.append(
                Finding(
                    target.rel,
                    line(target, [*where, "expires"]),
                    json_path([*where, "expires"]),
                    f"the exception for {shorten(ident)} runs to {ends}, {days(term)} after "
                    f"this log ({logged}); an exception lasts at most {days(limit)} after "
                    f"the log that records it (vulnerability_exception_max_days in {settings}): "
                    f"write {latest} or earlier, and renew it in a later log if the risk is "
                    "still accepted then",
                    rule="exception",
                )
            )
    return out


def _people(people: Sequence[str], shown: int = 5) -> str:
    """``'@ana', '@bo'``: the first few, and how many more."""
    names = ", ".join(shorten(p) for p in people[:shown])
    return names + (f" and {len(people) - shown} more" if len(people) > shown else "")


def _findings_across_logs(documents: Sequence[Record], line: Lines) -> list[Finding]:
    """A security finding is named once per log, and its discovery date never moves: the SLA
    clock runs from the first date any log gave it."""
    first: dict[str, tuple[Target, object]] = {}
    out = []
    for target, facts in documents:  # in file order: security/<date>.md, oldest first
        seen: set[str] = set()
        for ident, discovered, path in facts.get("findings", []):
            where = [*path, "discovered"]
            if ident in seen:
                message = f"{shorten(ident)} is named twice in this log; name it once"
                out.append(
                    Finding(target.rel, line(target, path), json_path(path), message, "unique")
                )
                continue
            seen.add(ident)
            if ident not in first:
                first[ident] = (target, discovered)
            elif discovered != first[ident][1]:
                earlier, date = first[ident]
                out.append(
                    Finding(
                        target.rel,
                        line(target, where),
                        json_path(where),
                        f"{shorten(ident)} was discovered on {date} ({earlier.rel}); a finding's "
                        f"discovery date never moves (its SLA runs from it): write {date} here",
                        rule="chronology",
                    )
                )
    return out


def _zone(config: Facts | None) -> dt.tzinfo:
    """The project's time zone (UTC when project.yaml cannot say: the schema reports it)."""
    try:
        return ZoneInfo(str(config["timezone"])) if config and "timezone" in config else dt.UTC
    except (ValueError, KeyError, OSError, ZoneInfoNotFoundError):
        return dt.UTC


def _postmortems_after_incidents(
    documents: Sequence[Record], zone: dt.tzinfo, line: Lines
) -> list[Finding]:
    """A postmortem is dated, and its action items closed, on or after the (local) day its
    incident started."""
    started = {
        f["id"][0]: f["started"][0]
        for t, f in documents
        if t.kind == "incident" and "id" in f and "started" in f
    }
    out = []
    for t, f in documents:
        if t.kind != "postmortem" or "incident" not in f:
            continue
        began = local_date(started.get(f["incident"][0]), zone)
        dated = [f["date"]] if "date" in f else []
        for value, path in dated + f.get("closed", []):
            day = parse_date(value)
            if day is not None and began is not None and day < began:
                out.append(
                    Finding(
                        t.rel,
                        line(t, path),
                        json_path(path),
                        f"{day} is before its incident {shorten(f['incident'][0])} started "
                        f"({began}); fix the date",
                        rule="chronology",
                    )
                )
    return out


def _config(target: Target, config: Facts, scale: tuple[str, ...], line: Lines) -> list[Finding]:
    rel = target.rel
    out: list[Finding] = []
    threshold = config.get("threshold")
    if threshold is None and DEFAULT_THRESHOLD not in scale:  # the rule would need no postmortem
        out.append(
            Finding(
                rel,
                line(target, ["severity_scale"]),
                "$.severity_scale",
                f"has no {DEFAULT_THRESHOLD}, the default of postmortem.required_at_or_above: set "
                "postmortem.required_at_or_above to the level from which an incident needs a "
                "postmortem",
                rule="severity",
            )
        )
    if threshold and threshold[0] not in scale:
        out.append(
            Finding(
                rel,
                line(target, threshold[1]),
                "$.postmortem.required_at_or_above",
                f"{shorten(threshold[0])} is not in severity_scale ({', '.join(scale)})",
                rule="severity",
            )
        )
    for name, path in config.get("due_days", []):
        if name not in scale:
            out.append(
                Finding(
                    rel,
                    line(target, path),
                    f"$.postmortem.due_business_days.{name}",
                    f"{shorten(name)} is not in severity_scale ({', '.join(scale)})",
                    rule="severity",
                )
            )
    return out


def _severities(documents: Sequence[Record], scale: tuple[str, ...], line: Lines) -> list[Finding]:
    out = []
    for t, f in documents:
        problem = severity_problem(f["severity"][0], scale) if "severity" in f else None
        if problem is not None:
            out.append(
                Finding(t.rel, line(t, f["severity"][1]), "$.severity", problem, rule="severity")
            )
    return out


def _unique_incidents(documents: Sequence[Record], line: Lines) -> list[Finding]:
    uses = ((f["id"][0], t, f["id"][1]) for t, f in documents if t.kind == "incident" and "id" in f)
    return _repeats("incident id", uses, line, cite_line=False)


def _unique_items(documents: Sequence[Record], line: Lines) -> list[Finding]:
    uses = ((ident, t, path) for t, f in documents for ident, path in f.get("items", []))
    return _repeats("action item id", uses, line, cite_line=True)


def _repeats(
    label: str,
    uses: Iterable[tuple[str, Target, list[str | int]]],
    line: Lines,
    *,
    cite_line: bool,
) -> list[Finding]:
    """A finding for every use of an id after its first. ``uses``: (id, target, path in the
    document), in document order; a later message names the first use by its file, and by
    its line too when ``cite_line``."""
    first: dict[str, tuple[Target, list[str | int]]] = {}
    out: list[Finding] = []
    for ident, target, path in uses:
        if ident not in first:
            first[ident] = (target, path)
            continue
        where, at = first[ident]
        place = f"at {where.rel}:{line(where, at)}" if cite_line else f"by {where.rel}"
        out.append(
            Finding(
                target.rel,
                line(target, path),
                json_path(path),
                f"{label} {shorten(ident)} is also used {place}; ids are unique in a project",
                rule="unique",
            )
        )
    return out


def _postmortem_links(
    project: str,
    documents: Sequence[Record],
    unreadable: set[str],
    scale: tuple[str, ...],
    line: Lines,
) -> list[Finding]:
    """Each postmortem names an existing incident (one postmortem per incident).

    An incident file that cannot be read is reported on its own; postmortems
    naming it are not reported again.
    """
    incidents = {f["id"][0]: (t, f) for t, f in documents if t.kind == "incident" and "id" in f}
    covered: dict[str, str] = {}
    out: list[Finding] = []
    for t, f in documents:
        if t.kind != "postmortem" or "incident" not in f:
            continue
        ident, where = f["incident"]
        if ident in unreadable:
            continue
        if ident not in incidents:
            out.append(
                Finding(
                    t.rel,
                    line(t, where),
                    "$.incident",
                    f"incident {shorten(ident)} does not exist: no ops/{project}/incidents/"
                    f"{ident}.md; fix the id or add the incident "
                    f"(ops new incident --project {project})",
                    rule="reference",
                )
            )
            continue
        if ident in covered:
            out.append(
                Finding(
                    t.rel,
                    line(t, where),
                    "$.incident",
                    f"incident {shorten(ident)} already has a postmortem: {covered[ident]}; "
                    "one postmortem per incident",
                    rule="reference",
                )
            )
        covered.setdefault(ident, t.rel)
        incident_target, incident = incidents[ident]
        mine, theirs = f.get("severity"), incident.get("severity")
        if mine and theirs and mine[0] != theirs[0] and mine[0] in scale:
            out.append(
                Finding(
                    t.rel,
                    line(t, f["severity"][1]),
                    "$.severity",
                    f"severity {shorten(f['severity'][0])} differs from the incident's "
                    f"{shorten(incident['severity'][0])} ({incident_target.rel}); make them "
                    "agree",
                    rule="reference",
                    severity="warning",
                )
            )
    return out
