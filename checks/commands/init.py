"""``ops init``: scaffold a project (and, with --ci, the hooks and workflows) without
overwriting anything: what exists is kept, so running it twice changes nothing."""

from __future__ import annotations

import argparse
import re
import stat
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
WORKFLOWS = (
    "ops-gate.yml",
    "ops-gate-comment.yml",
    "ops-weekly-slo.yml",
    "ops-retros.yml",
    "ops-evidence.yml",
    "ops-site.yml",
)


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
        "--since", metavar="YYYY-MM-DD", help="the project's start (default: today, UTC)"
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
    name = args.name
    if name is not None and (not name.strip() or not name.isprintable() or len(name) > 200):
        raise OpsError(
            "--name must be one line of printable text, at most 200 characters (no line or "
            "paragraph separators, no control characters)"
        )
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


PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


def _fill(text: str, values: dict[str, str]) -> str:
    """The scaffold's @KEY@ placeholders replaced in one pass: a value is never read again, so
    one that looks like a placeholder stays as it is."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


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

    owners = list(dict.fromkeys(args.owners)) or ["@your-handle"]
    text = (SCAFFOLD / "project.yaml").read_text(encoding="utf-8")
    schema = _schema_line(root, args)
    if not schema:  # no schema an editor can reach: no modeline rather than a broken one
        text = text.split("\n", 1)[1]
    return _fill(
        text,
        {
            "SCHEMA": schema,
            "SLUG": scalar(args.project),  # a slug such as "null" or "0" stays a string
            "FOLDER": args.project,
            "NAME": args.name or args.project,
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


def _obstacle(root: Path, rel: str) -> str | None:
    """Why ``rel`` cannot be created or kept as a regular file: a folder on its way that is a
    file, or the file itself a folder or a special file (a link: checks.paths.writable)."""
    parts = rel.split("/")
    for depth in range(1, len(parts) + 1):
        path = root.joinpath(*parts[:depth])
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            return None
        last = depth == len(parts)
        if not last and not stat.S_ISDIR(mode):
            return f"{'/'.join(parts[:depth])} is not a folder; ops init needs it to be one"
        if last and not stat.S_ISREG(mode):
            return "exists and is not a regular file; remove it or make it the file"
    return None


def _check_top_level(root: Path) -> None:
    """--ci writes what GitHub and pre-commit read only at the top of a git repository."""
    from checks.evidence.runlog import git_toplevel

    top = git_toplevel(root)
    if top is not None and top.resolve() != root.resolve():
        raise OpsError(
            f"--ci writes .github/workflows/ and .pre-commit-config.yaml, which GitHub and "
            f"pre-commit read only at the repository's top ({top}); run ops init there (with "
            f"--root for where ops/ is, if elsewhere) or without --ci"
        )


def _kept_text(root: Path, name: str) -> str:
    """The text of a file ops init kept (the team's own), or "" when it cannot be read."""
    from checks import document
    from checks.document import DocumentError
    from checks.paths import writable

    try:
        return document.read_text(writable(root, name))
    except (DocumentError, OSError):
        return ""


def _note_attributes(root: Path, attributes: str) -> None:
    """An existing .gitattributes is the team's: say which of our lines it lacks."""
    have = _kept_text(root, ".gitattributes").splitlines()
    missing = [
        line
        for line in attributes.splitlines()
        if line and not line.startswith("#") and line not in have
    ]
    if missing:
        say(
            f"note: add {' and '.join(missing)} to .gitattributes, so that git never "
            "converts the line endings the evidence hashes",
            sys.stderr,
        )


def _note_hooks(root: Path) -> None:
    """An existing .pre-commit-config.yaml is the team's: say which of our hooks it lacks."""
    text = _kept_text(root, ".pre-commit-config.yaml")
    ids = re.findall(r"id: (ops-[a-z-]+)", (SCAFFOLD / "pre-commit-config.yaml").read_text())
    missing = [hook for hook in ids if hook not in text]
    if missing:
        say(
            f"note: .pre-commit-config.yaml has no {', '.join(missing)}: add the entry of "
            f"{SCAFFOLD.name}/pre-commit-config.yaml (docs/adopting.md) so that they run",
            sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    from checks import atomic, dates
    from checks.evidence.files import RUN_LOG
    from checks.evidence.pending import rel_of
    from checks.evidence.record import check_writable, record
    from checks.paths import writable
    from checks.validation.engine import check_before_writing

    _check(args)
    root = Path(args.root)
    if not root.is_dir():
        raise OpsError(f"--root {root}: not a directory")
    as_of = dates.as_of(args)
    since = dates.option_date(args.since, "--since") if args.since else as_of
    if args.ci:
        _check_top_level(root)
    if since > as_of:
        raise OpsError(
            f"--since {since} is after today ({as_of}): a project starts on a day that has come"
        )
    rel = f"ops/{args.project}/project.yaml"
    files = {rel: project_yaml(root, args, since.isoformat())}
    # the evidence's line endings must never be converted (a checkout with core.autocrlf would
    # change every hash): written when the repository has no .gitattributes, else checked
    attributes = (SCAFFOLD / "gitattributes").read_text(encoding="utf-8")
    files[".gitattributes"] = attributes
    if args.ci:
        files.update(_ci_files(args))
    # everything is checked before anything is written: all or nothing
    todo: dict[str, tuple[Path, bytes]] = {}
    kept: list[str] = []
    for name, text in files.items():
        path = writable(root, name)
        problem = _obstacle(root, name)
        if problem is not None:
            raise OpsError(problem, path=name)
        if path.exists():
            kept.append(name)
        else:
            todo[name] = (path, text.encode("utf-8"))
    if todo:
        problem = _obstacle(root, rel_of("0" * 8)) or _obstacle(root, RUN_LOG)
        if problem is not None:
            raise OpsError(problem, path="evidence/phase6/")
        check_writable(root)
    if rel in todo:
        check_before_writing(root, {rel: todo[rel][1]}, f"the new {rel}")
    for name, (path, data) in todo.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OpsError(f"cannot create the folder: {e.strerror}", path=name) from None
        atomic.create_bytes(path, data, display=name)
        say(f"created {name}")
    for name in kept:
        say(f"kept {name} (it exists; ops init never overwrites)")
    if ".pre-commit-config.yaml" in kept:
        _note_hooks(root)
    if ".gitattributes" in kept:
        _note_attributes(root, attributes)
    if todo:
        # the run waits in pending/ like every run: the default branch folds it (the evidence
        # workflow after the merge, or ops evidence fold), so this change only adds files
        entry = record(
            root,
            command="init",
            project=args.project,
            result="ok",
            summary=f"created {', '.join(todo)}",
            artefacts=[Path(rel)] if rel in todo else [],
            as_of=as_of.isoformat(),
        )
        say(f"recorded the run in {rel_of(entry['run_id'])} (folded on the default branch)")
    if rel in todo:
        say(
            f"next: check the owners and settings in {rel}, then run: "
            f"ops new incident --project {args.project} --title ... --severity SEV2",
            sys.stderr,
        )
    return EXIT_OK
