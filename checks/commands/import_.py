"""``ops import security | incidents``: records from the tools a team already runs."""

from __future__ import annotations

import argparse
import importlib

# what -> module; each has add_parser(subparsers) and run(args) -> int
IMPORTERS = {
    "security": "checks.importers.security.command",
    "incidents": "checks.importers.incidents.command",
}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import",
        help="write security logs and incidents from scanners and incident tools",
        description="Import a scanner's findings into the security log, or an incident tool's "
        "incidents into ops/<project>/incidents/: deduplicated, merged with what is there, and "
        "idempotent (the same import twice changes nothing).",
    )
    sub = parser.add_subparsers(
        dest="what", metavar="WHAT", required=True, parser_class=type(parser)
    )
    for module in IMPORTERS.values():
        importlib.import_module(module).add_parser(sub)


def run(args: argparse.Namespace) -> int:
    result: int = importlib.import_module(IMPORTERS[args.what]).run(args)
    return result
