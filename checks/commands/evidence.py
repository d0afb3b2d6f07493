"""``ops evidence verify | record | fold | manifest``: check, add to and fold the trail."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from checks import outputs
from checks.errors import EXIT_FAILED, EXIT_OK, OpsError
from checks.evidence.files import MANIFEST, RUN_LOG, VALIDATION_MD
from checks.kinds import is_slug
from checks.report import say, write

# The evidence modules validate run.log entries with jsonschema: imported only when they run,
# so that other commands (the pre-commit hooks) start fast.

NOUN = "evidence file"
CHECKED = 2  # run.log and manifest.json


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "evidence",
        help="verify, record and fold the evidence trail in evidence/phase6/",
        description=(
            "The evidence trail: each run waits in pending/ until `ops evidence fold` (on the "
            "default branch) appends it to run.log and rebuilds manifest.json and validation.md."
        ),
    )
    sub = parser.add_subparsers(dest="evidence_command", metavar="SUBCOMMAND")
    sub.required = True

    p = sub.add_parser(
        "verify",
        help="check the trail: valid, append-only, and covering the tree (reads only)",
        description=(
            "Without --base: every run is valid and the manifest and validation.md cover the "
            "tree (the default branch, after a fold). With --base REF: the change since the merge "
            "base with REF only adds pending runs, or folds them; the derived files are REF's "
            "unless it folds (pull requests, pushes, the pre-commit hook with --base HEAD)."
        ),
    )
    p.add_argument(
        "--base",
        metavar="REF",
        help="judge the change since the merge base with REF (a pull request's base, HEAD)",
    )
    outputs.add_options(p)

    p = sub.add_parser("record", help="record manual evidence: one run.log line")
    p.add_argument("--project", required=True, metavar="P", help="the project's slug")
    p.add_argument("--summary", required=True, metavar="TEXT", help="what was done or found")
    p.add_argument(
        "--artefact",
        action="append",
        default=[],
        metavar="PATH",
        help="a file the evidence refers to, relative to the repository root (repeatable)",
    )
    p.add_argument("--result", choices=("ok", "failed"), default="ok")

    p = sub.add_parser(
        "fold",
        help="append the pending runs to run.log and rebuild the derived files (default branch)",
        description=(
            "Append every run in evidence/phase6/pending/ to run.log, in the order they ran, "
            "remove their files, and rebuild manifest.json, its shards and validation.md. The "
            "default branch's evidence workflow runs it after each merge."
        ),
    )

    p = sub.add_parser("manifest", help="rebuild manifest.json and validation.md")
    p.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if either is out of date"
    )


def _root(args: argparse.Namespace) -> Path:
    root = Path(args.root)
    if not root.is_dir():
        raise OpsError(f"--root {args.root}: not a directory")
    return root


def _run_verify(root: Path, args: argparse.Namespace) -> int:
    from checks.evidence import pending
    from checks.evidence.verify import verify

    findings = verify(root, args.base)
    runs = len(pending.scan(root)[0])
    prefix = outputs.prefix_for(root, args.format, args.report)

    def render(fmt: str, stream: TextIO) -> None:
        write(
            findings,
            stream,
            fmt,
            checked=CHECKED + runs,
            noun=NOUN,
            prefix=prefix,
            command="ops evidence verify",
        )

    outputs.emit(render, args.format, args.report, sys.stdout, root=root)
    return EXIT_FAILED if any(f.severity == "error" for f in findings) else EXIT_OK


def _text(value: str, option: str) -> str:
    from checks.evidence.record import MAX_SUMMARY

    if not value.strip():
        raise OpsError(f"{option} must not be empty")
    if len(value) > MAX_SUMMARY:
        raise OpsError(f"{option} is {len(value):,} characters; a run's is at most {MAX_SUMMARY:,}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise OpsError(f"{option} is not valid UTF-8") from None
    return value


def _run_record(root: Path, args: argparse.Namespace) -> int:
    from checks.evidence import pending
    from checks.evidence.record import record

    project = args.project
    if not is_slug(project):
        raise OpsError(
            f"--project {project!r} is not a project slug"
            " (lowercase letters, digits and '-', at most 63 characters)"
        )
    if not (root / "ops" / project).is_dir():
        raise OpsError(f"ops/{project}/ does not exist; is --project spelled right?")
    entry = record(
        root,
        command="evidence record",  # manual evidence never poses as another command
        project=project,
        result=args.result,
        summary=_text(args.summary, "--summary"),
        artefacts=args.artefact,
    )
    say(
        f"recorded in {pending.rel_of(entry['run_id'])}: {entry['command']} for {project} "
        f"({entry['result']}); folded into {RUN_LOG} on the default branch"
    )
    for artefact in entry["artefacts"]:
        say(f"  {artefact['path']}  sha256 {artefact['sha256']}")
    return EXIT_OK


def _run_fold(root: Path, args: argparse.Namespace) -> int:
    from checks.evidence import pending

    folded = pending.fold(root)
    count = len(folded.appended)
    say(f"folded {count} pending run{'s' if count != 1 else ''} into {RUN_LOG}")
    if folded.already:
        say(
            f"removed {len(folded.already)} pending file(s) of runs run.log held already "
            "(a squash merge or a cherry-pick brings them back)"
        )
    say(f"rebuilt {MANIFEST}, its shards and {VALIDATION_MD}")
    return EXIT_OK


def _run_manifest(root: Path, args: argparse.Namespace) -> int:
    from checks.evidence import files, manifest, runlog, validation_md
    from checks.evidence.record import rebuild

    if args.check:
        expected = {
            **manifest.build(root),
            VALIDATION_MD: validation_md.render(runlog.read(root)).encode("utf-8"),
        }
        stale = [path for path, data in expected.items() if files.read(root, path) != data]
        stale += [p for p in manifest.existing_shards(root) if p not in expected]
        for path in stale:
            say(f"{path}: out of date; run `ops evidence manifest` and commit it")
        if not stale:
            say(f"{MANIFEST} and {VALIDATION_MD} are up to date")
        return EXIT_FAILED if stale else EXIT_OK
    changed = rebuild(root)
    for path, did in zip((MANIFEST, VALIDATION_MD), changed, strict=True):
        say(f"{path}: {'rebuilt' if did else 'unchanged'}")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    root = _root(args)
    handler = {
        "verify": _run_verify,
        "record": _run_record,
        "fold": _run_fold,
        "manifest": _run_manifest,
    }
    return handler[args.evidence_command](root, args)
