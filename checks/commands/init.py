"""``ops init``: scaffold a project (and, with --ci, the hooks and workflows) without
overwriting anything: what exists is kept, so running it twice changes nothing."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from checks import __version__
from checks.errors import EXIT_OK, OpsError
from checks.report import say

SCAFFOLD = Path(__file__).resolve().parent.parent / "scaffold"
UPSTREAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")
HANDLE = re.compile(r"@[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# the caller workflows --ci writes, from checks/scaffold/workflows/
WORKFLOWS = ("ops-gate.yml", "ops-weekly-slo.yml", "ops-retros.yml", "ops-evidence.yml")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "init",
        help="scaffold a project (and, with --ci, pre-commit and the workflows)",
        description="Write ops/<project>/project.yaml with every setting at its default, the "
        "evidence files when missing and, with --ci, a .pre-commit-config.yaml and the caller "
        "workflows. Never overwrites: what exists is kept and named.",
    )
    parser.add_argument("--project", required=True, metavar="SLUG", help="the project's slug")
    parser.add_argument("--name", help="the project's name (default: the slug)")
    parser.add_argument(
        "--timezone", default="UTC", metavar="ZONE", help="IANA time zone (default: UTC)"
    )
    parser.add_argument(
        "--owner",
        dest="owners",
        action="append",
        default=[],
        metavar="@HANDLE",
        help="an owner (repeat for each; default: @your-handle, to replace)",
    )
    parser.add_argument(
        "--since", metavar="YYYY-MM-DD", help="the project's start (default: --as-of, today)"
    )
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help=argparse.SUPPRESS)
    parser.add_argument(
        "--ci",
        action="store_true",
        help="also write .pre-commit-config.yaml and the caller workflows under .github/",
    )
    parser.add_argument(
        "--upstream",
        metavar="OWNER/NAME",
        help="the GitHub repository your organisation keeps Operations Protocol in (--ci "
        "takes its hooks and reusable workflows from there)",
    )
    parser.add_argument(
        "--ref",
        default=f"v{__version__}",
        help=f"the tag of it to pin (default: v{__version__}, this version)",
    )


def _check(args: argparse.Namespace) -> None:
    from checks.project import check_slug

    check_slug(args.project)
    if args.name is not None and (not args.name.strip() or "\n" in args.name):
        raise OpsError("--name must be a single line of text")
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise OpsError(
            f"--timezone {args.timezone!r} is not an IANA time zone such as Europe/Berlin or UTC"
        ) from None
    for owner in args.owners:
        if not HANDLE.fullmatch(owner):
            raise OpsError(f"--owner {owner!r} must be a handle such as @ana.silva")
    if args.ci and args.upstream is None:
        raise OpsError(
            "--ci needs --upstream OWNER/NAME: the GitHub repository your organisation keeps "
            "Operations Protocol in (the hooks and reusable workflows come from there)"
        )
    if args.upstream is not None and not UPSTREAM.fullmatch(args.upstream):
        raise OpsError(f"--upstream {args.upstream!r} must be OWNER/NAME of a GitHub repository")
    if not REF.fullmatch(args.ref) or ".." in args.ref:
        raise OpsError(f"--ref {args.ref!r} must be a tag or branch name such as v{__version__}")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def _schema_line(root: Path, args: argparse.Namespace) -> str:
    """Where an editor finds project.schema.json: the checkout's schemas/ (a repository made
    from Operations Protocol's template), or the tagged file the upstream repository serves."""
    if (root / "schemas" / "project.schema.json").is_file():
        return "../../schemas/project.schema.json"
    if args.upstream is not None:
        return (
            f"https://raw.githubusercontent.com/{args.upstream}/{args.ref}/schemas/"
            "project.schema.json"
        )
    return ""


def project_yaml(root: Path, args: argparse.Namespace, since: str) -> str:
    from checks.fill import render_value, scalar

    owners = args.owners or ["@your-handle"]
    text = (SCAFFOLD / "project.yaml").read_text(encoding="utf-8")
    schema = _schema_line(root, args)
    if not schema:  # no schema an editor can reach: no modeline rather than a broken one
        text = text.split("\n", 1)[1]
    return _fill(
        text,
        {
            "SCHEMA": schema,
            "SLUG": args.project,
            "NAME": (args.name or args.project).replace("@", "(at)"),
            "NAME_SCALAR": scalar(args.name or args.project),
            "OWNERS": render_value(owners),
            "FIRST_OWNER": scalar(owners[0]),
            "TIMEZONE": scalar(args.timezone),
            "SINCE": since,
        },
    )


def _ci_files(args: argparse.Namespace) -> dict[str, str]:
    values = {"UPSTREAM": args.upstream, "REF": args.ref}
    out = {
        ".pre-commit-config.yaml": _fill(
            (SCAFFOLD / "pre-commit-config.yaml").read_text(encoding="utf-8"), values
        )
    }
    for name in WORKFLOWS:
        source = SCAFFOLD / "workflows" / name
        if source.is_file():
            out[f".github/workflows/{name}"] = _fill(source.read_text(encoding="utf-8"), values)
    return out


def run(args: argparse.Namespace) -> int:
    from checks import atomic, dates, document
    from checks.evidence.files import RUN_LOG
    from checks.evidence.pending import fold
    from checks.evidence.record import check_writable, record
    from checks.paths import writable

    _check(args)
    root = Path(args.root)
    if not root.is_dir():
        raise OpsError(f"--root {root}: not a directory")
    as_of = dates.as_of(args)
    since = dates.option_date(args.since, "--since") if args.since else as_of
    rel = f"ops/{args.project}/project.yaml"
    files = {rel: project_yaml(root, args, since.isoformat())}
    if args.ci:
        files.update(_ci_files(args))
    # check every file can be written before writing one: all or nothing
    todo: dict[str, tuple[Path, bytes]] = {}
    kept: list[str] = []
    for name, text in files.items():
        path = writable(root, name)
        if path.exists() or path.is_symlink():
            kept.append(name)
        else:
            data = text.encode("utf-8")
            if name == rel:  # what ops validate will say of it, before it exists
                document.parse_yaml_file(text)
            todo[name] = (path, data)
    new_trail = not (root / RUN_LOG).exists()
    if todo:
        check_writable(root)
    for name, (path, data) in todo.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.create_bytes(path, data, display=name)
        say(f"created {name}")
    for name in kept:
        say(f"kept {name} (it exists; ops init never overwrites)")
    if todo:
        record(
            root,
            command="init",
            project=args.project,
            result="ok",
            summary=f"created {', '.join(todo)}",
            artefacts=[Path(rel)] if rel in todo else [],
            as_of=as_of.isoformat(),
        )
        if new_trail:  # a new repository: start the trail (run.log, manifest, validation.md)
            fold(root)
            say(f"created the evidence trail in {Path(RUN_LOG).parent}/")
    if rel in todo:
        say(
            f"next: check the owners and settings in {rel}, then run: "
            f"ops new incident --project {args.project} --title ... --severity SEV2",
            sys.stderr,
        )
    return EXIT_OK
