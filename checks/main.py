"""The ``ops`` command line: parses arguments, dispatches, maps errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from checks import __version__, progress, repo
from checks.errors import EXIT_CRASH, EXIT_USAGE, OpsError

# subcommand -> module; each module has add_parser(subparsers) and run(args) -> int.
COMMANDS = {
    "init": "checks.commands.init",
    "validate": "checks.commands.validate",
    "new": "checks.commands.new",
    "evidence": "checks.commands.evidence",
    "check-schemas": "checks.commands.check_schemas",
    "slo": "checks.commands.slo",
    "gate": "checks.commands.gate",
    "exit-criteria": "checks.commands.exit_criteria",
    "retros": "checks.commands.retros",
    "followups": "checks.commands.followups",
    "import": "checks.commands.import_",
    "pr-comment": "checks.commands.pr_comment",
    "site": "checks.commands.site",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise OpsError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ops",
        description="Checks and tools for docs-as-code operations records under ops/<project>/.",
    )
    parser.add_argument("--version", action="version", version=f"ops {__version__}")
    parser.add_argument(
        "--root",
        default=".",
        metavar="DIR",
        help="the repository root that holds ops/, templates/ and evidence/ (default: .)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS.values():
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        _check_text(args)
        progress.configure(quiet=getattr(args, "quiet", False))
        repo.activate(Path(args.root))  # .ops.yaml and the team's templates, once
        module = importlib.import_module(COMMANDS[args.command])
        result: int = module.run(args)
        return result
    except OpsError as e:
        print(f"ops: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("ops: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_USAGE
    except Exception:
        traceback.print_exc()
        print(
            f"ops: unexpected error (ops {__version__}); please report it with the traceback above",
            file=sys.stderr,
        )
        return EXIT_CRASH
    finally:
        repo.deactivate()
        progress.reset()


_OPTIONS = {"ident": "--id", "root": "--root"}


def _check_text(args: argparse.Namespace) -> None:
    """Refuse option values that are not UTF-8 (a shell passes any bytes): they could not be
    written into a record or a log. Paths to check are the exception: a file name that is not
    UTF-8 is reported as such, like any other problem with a file."""
    from checks.findings import printable

    for dest, value in vars(args).items():
        if dest == "paths":
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and any("\udc80" <= c <= "\udcff" for c in item):
                option = _OPTIONS.get(dest, "--" + dest.replace("_", "-"))
                raise OpsError(
                    f"{option} {printable(item)!s} is not valid UTF-8 text; "
                    "check the shell's encoding (LANG, LC_ALL) and the value"
                )


def script(subcommand: str, argv: Sequence[str] | None = None) -> int:
    """``main`` for a documented script (scripts/monitor_slo.py = ops slo): its arguments are
    the subcommand's, and --root, which ops takes before the subcommand, may come anywhere."""
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--root" and i + 1 < len(args):
            return main([*args[i : i + 2], subcommand, *args[:i], *args[i + 2 :]])
        if arg.startswith("--root="):
            return main([arg, subcommand, *args[:i], *args[i + 1 :]])
    return main([subcommand, *args])


def entry() -> None:
    raise SystemExit(main())
