"""``--format github``: findings as GitHub Actions workflow commands, shown on the lines of
"Files changed" (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).

``::error file=PATH,line=N,title=TITLE::MESSAGE``, warnings as ``::warning``. The runner reads a
command up to the end of its line, its properties up to ``,`` and its message after ``::``, so
both are escaped as the runner unescapes them (actions/toolkit ``command.ts``): ``%``, ``\\r``
and ``\\n`` everywhere, ``:`` and ``,`` in properties too. A message cannot end the command early
or start another.

GitHub shows at most 10 error and 10 warning annotations per step (and 50 per job): the rest
are printed as plain lines in the log (``error: path:line: ...``, never starting with ``::``, which
the runner would read as a command), and a notice says how many were not annotated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from checks.findings import Finding, printable, shown_path, sort_key
from checks.rulebook import describe

PER_STEP = 10  # annotations of each kind GitHub shows for one step

_DATA = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A"})
_PROPERTY = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"})


def escape_data(text: str) -> str:
    """A workflow command's message, escaped."""
    return text.translate(_DATA)


def escape_property(text: str) -> str:
    """A workflow command's property value (file, title), escaped."""
    return text.translate(_PROPERTY)


def command(finding: Finding, prefix: str = "") -> str:
    """One finding as a workflow command; ``prefix`` makes its path the repository's (the
    folder ``--root`` is, inside the git checkout)."""
    kind = "warning" if finding.severity == "warning" else "error"
    where = f"{finding.json_path}: " if finding.json_path else ""
    message = printable(f"{where}{finding.message}")
    path = shown_path(prefix + finding.path).replace("##[", "#\\#[")  # as printable() does
    title = f"ops {describe(finding.rule).id}"
    return (
        f"::{kind} file={escape_property(path)},line={max(finding.line, 1)},"
        f"title={escape_property(title)}::{escape_data(message)}"
    )


def write(findings: Sequence[Finding], stream: TextIO, summary: str, *, prefix: str = "") -> None:
    """The first findings of each kind as annotations, the others as log lines, then the
    summary line (a notice when some were not annotated)."""
    shown = {"error": 0, "warning": 0}
    left = {"error": 0, "warning": 0}
    for finding in sorted(findings, key=sort_key):
        kind = "warning" if finding.severity == "warning" else "error"
        if shown[kind] < PER_STEP:
            shown[kind] += 1
            stream.write(command(finding, prefix) + "\n")
        else:
            left[kind] += 1  # "error: " first: a log line that starts with "::" is a command
            stream.write(f"{kind}: {finding.render()}\n")
    stream.write(printable(summary) + "\n")
    if left["error"] or left["warning"]:
        parts = [f"{n:,} {kind}{'s' if n != 1 else ''}" for kind, n in left.items() if n]
        note = (
            f"{' and '.join(parts)} not annotated: GitHub shows {PER_STEP} errors and "
            f"{PER_STEP} warnings per step; every finding is in this step's log"
        )
        stream.write(f"::notice title=ops::{escape_data(note)}\n")
