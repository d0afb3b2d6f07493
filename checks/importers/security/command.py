"""``ops import security --project P --from TOOL [FILE|-] [--date D] [--as-of D]``: a
scanner's findings merged into the security log of the day."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from checks.dates import add_as_of
from checks.errors import EXIT_OK, OpsError
from checks.importers.security.group import Imported
from checks.importers.security.model import TOOLS, FormatProblem, json_path
from checks.report import say

SHOWN = 20  # findings named per kind of change; the rest are counted
# What to do about a report too large for one log. Never "split the report": each import is
# complete for its tool, so a second part would mark the first part's findings fixed.
NARROW = (
    "Import only what you act on, the same way every time (findings a filtered report leaves "
    "out are marked fixed): trivy --severity HIGH,CRITICAL, grype --only-fixed (or a grype "
    "config that ignores what you accept), or osv-scanner with a config that ignores them"
)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "security",
        help="merge a scanner's JSON report into the security log",
        description="Merge a scanner's JSON report (or the repository's Dependabot alerts) into "
        "ops/<project>/security/<date>.md: one finding per vulnerability, deduplicated by id "
        "and aliases; first-seen dates kept; findings the tool no longer reports marked fixed. "
        "The same import twice changes nothing. See docs/import-security.md.",
    )
    parser.add_argument("--project", required=True, metavar="P")
    parser.add_argument(
        "--from", dest="tool", required=True, choices=TOOLS, metavar="TOOL", help=", ".join(TOOLS)
    )
    parser.add_argument(
        "report",
        nargs="?",
        metavar="FILE|-",
        help="the tool's JSON report (- for standard input); github-dependabot without FILE "
        "fetches the alerts of backlog.github_repository with GITHUB_TOKEN",
    )
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="the log's date (default: --as-of)")
    add_as_of(parser, "today's date")


def run(args: argparse.Namespace) -> int:
    from checks import atomic, dates, document, newdoc
    from checks import project as projects
    from checks.evidence.record import check_writable, record
    from checks.importers.security import logfile
    from checks.importers.security.merge import first_seen, fixed_ids, merge
    from checks.paths import writable
    from checks.rules import records
    from checks.validation.engine import check_before_writing

    root = Path(args.root)
    project = projects.load(root, args.project)
    as_of = dates.as_of(args)
    day = (dates.option_date(args.date, "--date") if args.date else as_of).isoformat()
    recs = records.load(root, project)
    recs.require_readable("ops import security")  # a misplaced log would be missed
    imported = _imported(args, project)
    rel = f"ops/{project.slug}/security/{day}.md"
    logs = sorted(
        (r for r in recs.of("security-log") if Path(r.rel).stem <= day), key=lambda r: r.rel
    )
    current = next((r for r in logs if r.rel == rel), None)
    if current is not None:
        existing = current.data.get("findings")
        if not isinstance(existing, list):
            raise OpsError("findings is not a list; fix it first (ops validate)", path=rel)
    else:
        vals = newdoc.values(recs, "security-log", newdoc.Options(dt_date(day)))
        existing = vals["findings"]
    seen = first_seen(_listed(r.data.get("findings")) for r in logs)
    fixed_before = fixed_ids(_listed(r.data.get("findings")) for r in logs if r.rel != rel)
    outcome = merge(existing, seen, imported, args.tool, day, fixed_before)
    path = writable(root, rel)
    if current is not None:
        before = document.read_text(path)
        values: dict[str, list[Any]] = {"findings": outcome.findings}
        scanners = current.data.get("scanners")
        if isinstance(scanners, list) and args.tool not in scanners:
            values["scanners"] = [*scanners, args.tool]
        text = logfile.replace(before, values, rel)
    else:
        before = None
        vals["findings"], vals["scanners"] = [], [args.tool]
        text = logfile.replace(
            newdoc.render("security-log", vals)[1], {"findings": outcome.findings}, rel
        )
    data = text.encode()
    if len(data) > document.MAX_BYTES:
        raise OpsError(
            f"the log would be {len(data):,} bytes, above the {document.MAX_BYTES:,} a record may "
            f"have; nothing written. {NARROW}; or move fixed findings "
            "out of this log (they stay in the earlier logs that list them)",
            path=rel,
        )
    check_writable(root)  # the evidence, before the record: all or nothing
    changed = text != before
    if changed:
        check_before_writing(root, {rel: data}, "the security log")
        if before is None:
            atomic.create_bytes(path, data, display=rel)
        else:
            atomic.write_bytes(path, data)
    fixed = len(outcome.fixed) + len(outcome.alert_fixed)
    unaccepted = f", {len(outcome.unaccepted)} no longer accepted" if outcome.unaccepted else ""
    summary = (
        f"{rel}: {len(outcome.new)} new, {len(outcome.updated)} updated, {fixed} "
        f"fixed{unaccepted} from {args.tool} ({len(imported)} vulnerabilities reported)"
        + ("" if changed else "; unchanged")
    )
    record(
        root,
        command="import security",
        project=project.slug,
        result="ok",
        summary=summary,
        artefacts=[Path(rel)] if changed or before is not None else [],
        as_of=as_of.isoformat(),
    )
    _tell(outcome)
    say(summary)
    return EXIT_OK


def dt_date(day: str) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(day)


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _tell(outcome: Any) -> None:
    for label, ids in (
        ("new", outcome.new),
        ("fixed (no longer reported)", outcome.fixed),
        ("fixed (the alert is fixed)", outcome.alert_fixed),
        ("open again (reported after it was fixed)", outcome.reopened),
        (
            "no longer accepted (reported with a package or a severity its exception did not "
            "cover; review the exception)",
            outcome.unaccepted,
        ),
        (
            "left open (no longer reported by this tool; another tool reported it)",
            outcome.left_open,
        ),
        ("left open (the alert is fixed; another tool reported it)", outcome.alert_left_open),
    ):
        if ids:
            more = f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
            say(f"{label}: {', '.join(ids[:SHOWN])}{more}")


def _imported(args: argparse.Namespace, project: Any) -> list[Imported]:
    """The report's vulnerabilities, read to its end before anything is written; grouped as
    they are read, and refused as soon as they could not fit in one log."""
    from checks.importers.security import dependabot, tools
    from checks.importers.security.group import group

    if args.report is None:
        if args.tool != "github-dependabot":
            raise OpsError(f"name the {args.tool} report to import (FILE, or - for standard input)")
        from checks.importers.security import fetch

        answer, label = fetch.alerts(project)
        with _problems(label, args.tool):
            return group(dependabot.alerts(answer), _limit())
    label = "<stdin>" if args.report == "-" else args.report
    with _opened(args.report) as raw, _problems(label, args.tool):
        return group(tools.parse(args.tool, raw), _limit())


def _limit() -> int:
    from checks import document

    return document.MAX_BYTES


@contextmanager
def _opened(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        raw = open(name, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        raise OpsError(f"cannot read: {e.strerror or e}", path=name) from None
    with raw:
        yield raw


@contextmanager
def _problems(label: str, tool: str) -> Iterator[None]:
    from checks.importers.security.group import TooMany
    from checks.importers.security.tools import expected

    try:
        yield
    except TooMany as e:
        raise OpsError(
            f"{e.vulnerabilities:,} distinct vulnerabilities in the report's first "
            f"{e.advisories:,} advisories: their findings alone would take more than the "
            f"{e.limit:,} bytes a log may have; stopped reading, nothing written. {NARROW}",
            path=label,
        ) from None
    except FormatProblem as e:
        where = f"{json_path(e.path)}: " if e.path is not None else ""
        raise OpsError(
            f"{where}{e.message}; expected {expected(tool)}; nothing written",
            path=label,
            line=e.line,
        ) from None
    except OSError as e:
        raise OpsError(f"cannot read: {e.strerror or e}; nothing written", path=label) from None
