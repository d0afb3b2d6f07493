"""The output options the checking commands share: ``--format`` for what is printed, and
``--report FORMAT:PATH`` (repeatable) for more reports of the same run written to files, so
that one run of the gate gives the annotations, the job summary, the JSON for the pull-request
comment and the SARIF for code scanning.

A report file is written whole or not at all (checks.atomic), after the checks and before
anything is printed: a path that cannot be written is an error (exit 2) that names it.
"""

from __future__ import annotations

import argparse
import io
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, TextIO

from checks.errors import OpsError

FORMATS = ("text", "json", "markdown", "github", "sarif")
HELP = (
    "text for people, json for machines, markdown for a job summary, github for annotations "
    "on a pull request's lines (GitHub workflow commands), sarif for code scanning (SARIF 2.1.0)"
)


class Report(NamedTuple):
    fmt: str
    path: str


def report(value: str) -> Report:
    """``FORMAT:PATH``, as argparse reads ``--report``."""
    fmt, sep, path = value.partition(":")
    if not sep or fmt not in FORMATS or not path:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not FORMAT:PATH with FORMAT one of {', '.join(FORMATS)} "
            "(for example sarif:ops.sarif)"
        )
    return Report(fmt, path)


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help=HELP)
    parser.add_argument(
        "--report",
        type=report,
        action="append",
        default=[],
        metavar="FORMAT:PATH",
        help="also write the findings in FORMAT to PATH (repeatable; the file is replaced whole)",
    )


def repository_prefix(root: Path) -> str:
    """Where ``root`` is inside its git checkout (``sub/`` for ``--root sub``; empty at the top
    or outside git): annotations and SARIF name files as the repository does."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-prefix"],
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    if done.returncode != 0:
        return ""
    return done.stdout.decode("utf-8", "surrogateescape").strip("\n")


def prefix_for(root: Path, fmt: str, reports: Sequence[Report]) -> str:
    """The repository prefix when a format that names files as the repository does is asked
    for (one git call); empty otherwise."""
    if any(f in ("github", "sarif") for f in [fmt, *(r.fmt for r in reports)]):
        return repository_prefix(root)
    return ""


def emit(
    render: Callable[[str, TextIO], None],
    fmt: str,
    reports: Sequence[Report],
    out: TextIO,
    *,
    root: Path,
) -> None:
    """Write every ``--report`` file, then print ``--format``: ``render(fmt, stream)`` writes
    one format to a stream. Every target is checked before any is written: a report never
    lands on a record, a template or the evidence trail, and one that cannot be written stops
    the run before the others are."""
    from checks import atomic

    for wanted in reports:
        _check_target(wanted, root, reports)
    for wanted in reports:
        buffer = io.StringIO()
        render(wanted.fmt, buffer)
        try:
            atomic.write_bytes(
                Path(wanted.path), buffer.getvalue().encode("utf-8", "surrogateescape")
            )
        except OSError as e:
            raise _cannot(f"--report {wanted.fmt}:{wanted.path}", e.strerror or str(e)) from None
    render(fmt, out)


def _cannot(option: str, why: str) -> OpsError:
    return OpsError(
        f"{option}: cannot write it ({why}); check that its folder can be written and that "
        "the path is a file"
    )


def check_target(path: str, root: Path, option: str) -> None:
    """OpsError unless ``path`` (given as ``option``, such as ``--out FILE``) may be written: not
    inside ops/, evidence/, the templates or another folder of the repository's own files."""
    _check_target(Report("", path), root, [], shown_as=option)


def _check_target(
    wanted: Report, root: Path, reports: Sequence[Report], shown_as: str | None = None
) -> None:
    import os

    from checks import tree

    option = shown_as or f"--report {wanted.fmt}:{wanted.path}"
    if wanted.path == "-":
        raise OpsError(f"{option}: a report goes to a file; --format prints")
    if [r.path for r in reports].count(wanted.path) > 1:
        raise OpsError(f"{option}: the same file twice")
    target = Path(wanted.path)
    top = root.resolve()
    where = target.parent.resolve() / target.name  # a link at the target is replaced, not followed
    shown = str(where).casefold()  # OPS/x on a disk that ignores case is ops/x
    for kept in (
        "ops",
        "evidence",
        tree.templates_folder(),
        "schemas",
        ".ops.yaml",
        ".git",
        ".github",
    ):
        inside = str(top / kept).casefold()
        if shown == inside or shown.startswith(inside + os.sep):
            raise OpsError(
                f"{option}: inside {kept}, which holds the repository's own files; write "
                f"{'it' if shown_as else 'reports'} elsewhere (for example $RUNNER_TEMP)"
            )
    try:
        _writable(target)
    except OSError as e:
        raise _cannot(option, e.strerror or str(e)) from None


def _writable(target: Path) -> None:
    """OSError unless ``target`` is a regular file, a link (replaced, never followed) or
    nothing, in a folder (or where one can be made)."""
    import errno
    import os
    import stat

    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise OSError(errno.ENOTDIR, "Not a directory") from None
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise OSError(errno.EISDIR, "not a regular file")
