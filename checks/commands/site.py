"""``ops site [--out DIR] [--as-of D]``: the static status site of every project."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from checks.dates import add_as_of
from checks.errors import EXIT_OK, OpsError
from checks.progress import add_quiet

DEFAULT_OUT = "site"  # git-ignored (design.md); the Pages workflow passes its own --out


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "site",
        help="build the static status site (HTML) of every project",
        description="Build a static site from the repository alone: an overview of every "
        "project (this week's SLO status, the streak toward steady state, the exit criteria, "
        "late actions and vulnerabilities), a page per project with its SLO history as charts, "
        "and every weekly report and postmortem as HTML. The folder is built beside --out and "
        "swapped in whole. Prints the path of index.html. Exit 0 when the site was written "
        "(a project that fails a check is shown failing, not left out), 2 when it could not be.",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help=f"the folder to write, replaced whole (default: {DEFAULT_OUT} in the repository "
        "root); it must be new, empty, or made by ops site",
    )
    add_as_of(parser, "judge every project, and date the site, as of this date")
    add_quiet(parser)


def run(args: argparse.Namespace) -> int:
    from checks import dates, progress
    from checks.site import build, write

    root = Path(args.root)
    if not root.is_dir():
        raise OpsError(f"--root {root}: not a directory")
    as_of = dates.as_of(args)
    out = Path(args.out) if args.out else root / DEFAULT_OUT
    option = f"--out {args.out}" if args.out else f"the default --out ({out})"
    target = write.check_target(out, root, option)
    with progress.bar(None, "projects built") as shown, _terminate_as_interrupt():
        built = write.publish(
            target, option, lambda folder: build.build(root, as_of, folder, shown.update)
        )
    if built.repository:
        print(
            f"ops site: note: {len(built.repository)} ops validate error(s) outside any "
            "project; the overview lists them (run ops validate)",
            file=sys.stderr,
        )
    invalid = [m.slug for m in built.models if m.problems]
    if invalid:
        print(
            f"ops site: note: records of {', '.join(invalid)} fail ops validate; their pages "
            "list the errors (run ops validate)",
            file=sys.stderr,
        )
    print(target / "index.html")  # absolute: the file to open
    return EXIT_OK


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, ``kill``) stops the build as Ctrl-C does: the workers
    stopped, the half-built folder removed, the previous site left as it was."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: signals are not ours to take
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
