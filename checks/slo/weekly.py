"""One week's report: choose the source, measure, render, and write it if it changed."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from checks import atomic, document
from checks.dates import Week, parse_instant
from checks.document import DocumentError
from checks.errors import OpsError
from checks.project import Project
from checks.slo import SOURCES, budget, compute, groups, render
from checks.slo.compute import Counts
from checks.slo.groups import Measured
from checks.slo.model import Slo, TimeWindow, slos
from checks.slo.render import GroupWeek, Report, SloWeek
from checks.slo.sources import Source

_NOTHING = Counts(None, None)  # a window the source could not measure
_NOTES = re.compile(r"^##[ \t]+Notes[ \t#]*\r?$", re.MULTILINE)  # as document.headings reads it


class Written(NamedTuple):
    rel: str
    report: Report
    changed: bool


def source_for(
    root: Path, project: Project, name: str | None, environ: Mapping[str, str] = os.environ
) -> Source:
    metrics: dict[str, Any] = project.data.get("metrics", {"source": "mock"})
    chosen = name or metrics.get("source", "mock")
    settings = metrics.get(chosen, {})
    if chosen == "mock":
        from checks.slo.sources.mock import MockSource

        return MockSource(project.slug, settings.get("seed"), settings.get("bad_weeks", []))
    if chosen == "prometheus":
        from checks.slo.sources.prometheus import from_settings

        return from_settings(settings, environ)
    if chosen == "file":
        from checks.slo.sources.exported import FileSource

        if "path" not in settings:
            raise OpsError(
                "the file source needs metrics.file.path in project.yaml",
                path=f"ops/{project.slug}/project.yaml",
            )
        return FileSource(root, settings["path"], settings.get("format"))
    raise OpsError(f"unknown metrics source {chosen!r}; choose one of {', '.join(SOURCES)}")


def all_slos(root: Path, project: Project) -> list[Slo]:
    """project.yaml's ``slos:`` and the SLOs of ops/<project>/openslo/, names unique."""
    from checks.slo import openslo

    found = [*slos(project.data), *openslo.load(root, project.slug)]
    seen: set[str] = set()
    for slo in found:
        if slo.name in seen:
            raise OpsError(
                f"two SLOs are named {slo.name!r} (in project.yaml slos: and "
                f"ops/{project.slug}/openslo/); rename one"
            )
        seen.add(slo.name)
    return found


def measure(root: Path, project: Project, source: Source, week: Week) -> Report:
    """Every SLO over the week and over each of its days, and over its time window."""
    definitions = all_slos(root, project)
    measured = measure_slos(source, definitions, week)
    entries = [slo_week(slo, week, m) for slo, m in zip(definitions, measured, strict=True)]
    status = compute.overall([e.week.status for e in entries])
    return Report(project.slug, week, source.name, status, entries)


def measure_slos(source: Source, slos: Sequence[Slo], week: Week) -> list[list[Measured]]:
    """Each SLO's counts in the week, its days and the windows of its time window
    (checks.slo.budget): one ``measure_all`` per distinct time window (one without any)."""
    batches: dict[TimeWindow | None, list[int]] = {}
    for index, slo in enumerate(slos):
        batches.setdefault(slo.time_window, []).append(index)
    weekly = [(week.start, week.end), *week.days()]
    out: list[list[Measured]] = [list(m) for m in source.measure_all(list(slos), weekly)]
    for indexes in batches.values():
        chosen = [slos[i] for i in indexes]
        extra = budget.windows(chosen[0], week)
        if not extra:
            continue
        try:  # a long window may be refused (sample limits, timeouts): the week stands alone
            found = source.measure_all(chosen, extra)
        except OpsError as e:
            from checks.report import say

            say(
                f"warning: the time window of {chosen[0].name!r} cannot be measured: {e}",
                sys.stderr,
            )
            found = [[_NOTHING] * len(extra) for _ in chosen]
        for index, counts in zip(indexes, found, strict=True):
            out[index].extend(counts)
    return out


def slo_week(slo: Slo, week: Week, measured: Sequence[Measured]) -> SloWeek:
    """One SLO's figures for the week (``measured[0]``), its days (the next seven) and its time
    window (the rest). With group_by: each group's, and for the SLO the groups' counts added up,
    its status the groups' (FAIL if one failed, PASS only if all passed)."""
    if not slo.group_by:
        counts = groups.by_group(slo, measured)[()]
        figures = [compute.figures(slo, c) for c in counts[:8]]
        return SloWeek(slo, figures[0], figures[1:], (), budget.budget(slo, week, counts))
    per_group = groups.by_group(slo, measured[:8])  # the week's groups: the window's may differ
    extra: list[list[Counts]] = []
    if len(measured) > 8:
        try:
            everything = groups.by_group(slo, measured)
        except OpsError:  # more groups over a long window than a report holds
            everything = {}
        nothing = [Counts(None, None)] * (len(measured) - 8)
        per_group = {g: [*c, *everything.get(g, [*c, *nothing])[8:]] for g, c in per_group.items()}
        extra = [list(c[8:]) for c in everything.values()] or [nothing]
    parts = []
    for group, counts in per_group.items():
        figures = [compute.figures(slo, c) for c in counts[:8]]
        parts.append(GroupWeek(group, figures[0], figures[1:], budget.budget(slo, week, counts)))
    weekly = zip(*(c[:8] for c in per_group.values()), strict=True) if per_group else [()] * 8
    summed = [compute.summed(c) for c in weekly]
    # the window's counts: every group's in the window, also one that had no event this week
    summed += [compute.summed(c) for c in zip(*extra, strict=True)]
    together = [compute.figures(slo, c) for c in summed[:8]]
    status = compute.overall([p.week.status for p in parts])
    return SloWeek(
        slo,
        together[0]._replace(status=status),
        together[1:],
        tuple(parts),
        budget.budget(slo, week, summed),
    )


def report_path(project: str, week: Week) -> str:
    return f"ops/{project}/slo/{week.label}.md"


def write(root: Path, report: Report, now: dt.datetime) -> Written:
    """Write the report unless the file already says the same; Notes are kept."""
    from checks.paths import writable

    rel = report_path(report.project, report.week)
    path = writable(root, rel)
    notes, generated_at = render.DEFAULT_NOTES, now
    existing: str | None = None
    if path.exists() or path.is_symlink():
        existing, notes, generated_at = _existing(path, rel)
        same = render.render(report, generated_at, notes)
        if same == existing:
            return Written(rel, report, False)
    text = render.render(report, now, notes)
    _check(rel, text)
    atomic.write_bytes(path, text.encode())
    return Written(rel, report, True)


def _existing(path: Path, rel: str) -> tuple[str, str, dt.datetime]:
    """The existing report's text, its Notes section and when it was generated."""
    try:
        text = document.read_text(path)
        doc = document.parse_front_matter(text)
    except DocumentError as e:
        raise OpsError(
            f"{e.message}; ops slo rewrites this report but keeps its Notes, so it must be "
            "readable: fix it, or delete it to start again",
            path=rel,
            line=e.line,
        ) from None
    except OSError as e:
        raise OpsError(f"cannot read: {e.strerror or e}", path=rel) from None
    match = _NOTES.search(doc.body)
    if match is None:
        raise OpsError(
            "has no '## Notes' section; ops slo rewrites everything above Notes and keeps "
            "Notes, so it will not rewrite a report without one: add the heading back (with "
            "your notes under it), or delete the file to start again",
            path=rel,
            line=doc.body_line,
        )
    notes = doc.body[match.end() :].lstrip("\r\n") or render.DEFAULT_NOTES
    stamp = doc.data.get("generated_at")
    generated = parse_instant(stamp) or dt.datetime.now(dt.UTC)
    return text, notes, generated


def _check(rel: str, text: str) -> None:
    """The report must pass the single-file checks of ops validate before it is written
    (schema, sections, file name); a failure here is a bug in ops."""
    from checks import tree
    from checks.document import MAX_BYTES
    from checks.validation.perfile import check

    data = text.encode("utf-8", "surrogateescape")
    if len(data) > MAX_BYTES:  # as ops validate reads it: a report it could not read again
        raise OpsError(
            f"the report would be {len(data):,} bytes; a record is at most {MAX_BYTES:,} "
            "(ops validate): too many groups or too long label values; nothing written",
            path=rel,
        )
    target = tree.place(tuple(rel.split("/")), "file")
    assert isinstance(target, tree.Target)
    findings, _ = check(target, data)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        details = "; ".join(f.render() for f in errors[:3])
        raise OpsError(f"the report would not validate, nothing written: {details}")
