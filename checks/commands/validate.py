"""``ops validate [PATHS]``: schema, sections and cross-references of documents."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from checks import outputs
from checks.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from checks.progress import add_quiet
from checks.report import write


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check documents against their schemas, templates and each other",
        description="Validate documents (all of ops/ and templates/ when no path is given). "
        "Exit 0 when valid, 1 when a document is invalid, 2 for usage or input errors.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to check")
    outputs.add_options(parser)
    add_quiet(parser)
    parser.add_argument(
        "--no-cache", action="store_true", help="ignore and do not update the validation cache"
    )


def run(args: argparse.Namespace) -> int:
    from checks.validation.engine import validate

    root = Path(args.root)
    result = validate(root, args.paths, use_cache=not args.no_cache)
    prefix = outputs.prefix_for(root, args.format, args.report)

    def render(fmt: str, stream: TextIO) -> None:
        write(
            result.findings,
            stream,
            fmt,
            checked=result.checked,
            prefix=prefix,
            command="ops validate",
        )

    outputs.emit(render, args.format, args.report, sys.stdout, root=root)
    if any(f.rule == "input" for f in result.findings):
        return EXIT_USAGE
    if any(f.severity == "error" for f in result.findings):
        return EXIT_FAILED
    return EXIT_OK
