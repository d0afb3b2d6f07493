"""``ops import incidents --project P --from TOOL FILE``: incident records from an incident
tool's API answer or CSV export, merged with the records already there.

Everything is read and checked before the first file is written: the file to its end, the
severity of every incident, and the new and changed records against the schemas and the
project's other records. Then each file is written atomically and the run recorded.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from checks.errors import EXIT_OK, OpsError
from checks.importers.incidents.formats import TOOLS

_BOM = b"\xef\xbb\xbf"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from checks.dates import add_as_of

    parser = subparsers.add_parser(
        "incidents",
        help="write incidents from PagerDuty, Opsgenie or incident.io",
        description="Create and update ops/<project>/incidents/ from an incident tool's REST "
        "API answer (JSON) or CSV export. Severities come from project.yaml's "
        "incident_import.severity_map. A re-import updates status and times, never the text "
        "a person wrote, and never duplicates an incident.",
    )
    parser.add_argument("--project", required=True, metavar="P")
    parser.add_argument(
        "--from",
        dest="tool",
        required=True,
        choices=sorted(TOOLS),
        metavar="TOOL",
        help=", ".join(sorted(TOOLS)),
    )
    parser.add_argument("file", metavar="FILE", help="the tool's JSON answer or CSV export")
    add_as_of(parser, "the run's date in the evidence (default: today, UTC)")


def run(args: argparse.Namespace) -> int:
    from checks import dates, kinds
    from checks import project as projects
    from checks.evidence.record import check_writable, record
    from checks.importers.incidents import formats, merge, severity
    from checks.report import say
    from checks.rules import records
    from checks.validation.engine import check_before_writing

    root = Path(args.root)
    project = projects.load(root, args.project)
    as_of = dates.as_of(args)
    config = f"ops/{project.slug}/{kinds.PROJECT_FILE}"
    mapping = severity.severity_map(project.data, config)
    recs = records.load(root, project)
    recs.require_readable("ops import incidents")
    incidents = formats.read_all(args.tool, args.file, args.file)
    merge.check_unique(incidents, args.file)
    levels = severity.severities(incidents, mapping, project.severity_scale, args.file, config)
    existing = [merge.Existing(r.rel, r.data) for r in recs.of("incident")]
    taken = [n for r in recs.of("incident") for n in (str(r.data.get("id")), Path(r.rel).stem)]
    plan = merge.plan(existing, incidents, levels, taken)
    _check_size(len(plan.new) + len(plan.updates), args.file)
    contents = {**_created(recs, plan.new, as_of), **_updated(root, plan.updates)}
    check_writable(root)
    check_before_writing(root, contents, "the imported incidents")
    created = {n.ident for n in plan.new}
    _write(root, contents, created, project.slug)
    summary = (
        f"{args.tool} {Path(args.file).name}: {len(plan.new)} new, {len(plan.updates)} updated, "
        f"{plan.unchanged} unchanged" + (f", {plan.skipped} skipped" if plan.skipped else "")
    )
    record(
        root,
        command="import incidents",
        project=project.slug,
        result="ok",
        summary=summary,
        artefacts=[Path(rel) for rel in contents],
        as_of=as_of.isoformat(),
    )
    for rel in contents:
        say(f"{'created' if Path(rel).stem in created else 'updated'} {rel}")
    say(summary)
    return EXIT_OK


def _check_size(count: int, file: str) -> None:
    """Refuse (OpsError) before anything is written an import whose run could not be recorded:
    the evidence lists at most MAX_ARTEFACTS files a run wrote."""
    from checks.evidence.record import MAX_ARTEFACTS

    if count > MAX_ARTEFACTS:
        raise OpsError(
            f"{count:,} incidents to create or update, and one run records at most "
            f"{MAX_ARTEFACTS:,}: export fewer (a shorter date range, such as one month), import "
            "that, then the next; nothing written",
            path=file,
        )


def _created(recs: Any, new: list[Any], as_of: Any) -> dict[str, bytes]:
    from checks import newdoc
    from checks.rules.records import Records

    # the ids are chosen (merge.plan): no records for newdoc to number against, which would
    # read every record once per new incident
    empty = Records(recs.project)

    out: dict[str, bytes] = {}
    for entry in new:
        item = entry.incident
        opts = newdoc.Options(
            as_of,
            item.title,
            entry.severity,
            ident=entry.ident,
            started=item.started,
            services=item.services,
        )
        values = newdoc.values(empty, "incident", opts)
        values["status"] = item.status
        for key in ("detected", "mitigated", "resolved"):
            if getattr(item, key) is not None:
                values[key] = getattr(item, key)
        external = {"system": item.system, "id": item.ext_id}
        if item.url:
            external["url"] = item.url
        values["external"] = external
        name, text = newdoc.render("incident", values)
        out[f"ops/{recs.project.slug}/incidents/{name}"] = text.encode()
    return out


def _updated(root: Path, updates: list[Any]) -> dict[str, bytes]:
    from checks import document
    from checks.importers.incidents import edit

    out: dict[str, bytes] = {}
    for update in updates:
        raw = document.read_file(root / update.rel)[0]
        bom = _BOM if raw.startswith(_BOM) else b""
        text = document.decode(raw)
        out[update.rel] = bom + edit.apply(text, update.changes, update.drop).encode()
    return out


def _write(root: Path, contents: dict[str, bytes], new: set[str], slug: str) -> None:
    from checks import atomic
    from checks.paths import writable

    for rel, data in contents.items():
        path = writable(root, rel)
        if Path(rel).stem in new:
            atomic.create_bytes(path, data, display=rel)
        else:
            atomic.write_bytes(path, data)
    if not contents:
        return
    del slug  # the folder exists: records.load found the project
