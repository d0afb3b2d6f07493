"""Reporters: findings as text for people, JSON for machines, Markdown for job summaries,
GitHub workflow commands and SARIF (checks/reporters/)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from checks.findings import Finding, counted, printable, sort_key


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def count_line(findings: Sequence[Finding], checked: int, noun: str) -> str:
    errors = sum(counted(f) for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    files = len({f.path for f in findings if f.severity == "error"})
    plural = "" if checked == 1 else "s"
    if not errors:
        extra = f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
        return f"{checked} {noun}{plural} checked: all valid{extra}"
    return (
        f"{checked} {noun}{plural} checked: {errors:,} error{'s' if errors != 1 else ''}"
        f" in {files} file{'s' if files != 1 else ''}"
        + (f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else "")
    )


def say(text: str, stream: TextIO | None = None) -> None:
    """Print a line for people: through :func:`printable`, like every message ops prints."""
    print(printable(text), file=stream or sys.stdout)


# Characters that start inline Markdown (emphasis, code, links, images, HTML, strikethrough,
# mentions, entities) or end a table cell: escaped, so that text from a record, a file name or
# a server shows as written and never as a link, an image or a mention.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]<>!|~@&"})


def markdown_cell(text: str) -> str:
    """Text for a Markdown table cell or list item: printable, one line, shown as written."""
    return printable(" ".join(text.split())).translate(_MARKDOWN)


def write_text(findings: Sequence[Finding], stream: TextIO, checked: int, noun: str) -> None:
    color = use_color(stream)
    for f in sorted(findings, key=sort_key):
        line = f.render()
        if color:  # the location in bold, an error's message in red
            where = f"{f.where}:"
            line = _paint(where, "1", color) + line[len(where) :]
            if f.severity == "error":
                message = printable(f.message)
                line = line[: -len(message)] + _paint(message, "31", color)
        stream.write(f"{line}\n")
    stream.write(count_line(findings, checked, noun) + "\n")


def json_text(doc: object, **options: object) -> str:
    """``doc`` as JSON that is safe in a CI log: ``##[``, which the GitHub Actions runner reads
    as a command anywhere in a line, is written ``#\\u0023[`` (the same string once decoded)."""
    return json.dumps(doc, **options).replace("##[", "#\\u0023[")  # type: ignore[arg-type]


def write_json(findings: Sequence[Finding], stream: TextIO, checked: int, noun: str) -> None:
    errors = sum(counted(f) for f in findings if f.severity == "error")
    doc = {
        "ok": not errors,
        "checked": checked,
        "errors": errors,
        "warnings": sum(1 for f in findings if f.severity == "warning"),
        "findings": [f.to_json() for f in sorted(findings, key=sort_key)],
    }
    stream.write(json_text(doc, indent=2, sort_keys=True) + "\n")


def write_markdown(findings: Sequence[Finding], stream: TextIO, checked: int, noun: str) -> None:
    stream.write(f"**{count_line(findings, checked, noun)}**\n\n")
    if not findings:
        return
    stream.write("| Where | Path | Problem |\n|---|---|---|\n")
    for f in sorted(findings, key=sort_key):
        mark = "⚠️ " if f.severity == "warning" else "❌ "
        message = markdown_cell(f.message)
        path = markdown_cell(f.json_path or "")
        stream.write(f"| {markdown_cell(f.where)} | {path} | {mark}{message} |\n")


def write(
    findings: Sequence[Finding],
    stream: TextIO,
    fmt: str,
    *,
    checked: int,
    noun: str = "document",
    prefix: str = "",
    command: str = "ops",
) -> None:
    """``findings`` in format ``fmt``; ``prefix`` is where --root is in the repository (the
    paths of annotations and SARIF), ``command`` what SARIF says ran."""
    if fmt == "github":
        from checks.reporters import github

        github.write(findings, stream, count_line(findings, checked, noun), prefix=prefix)
    elif fmt == "sarif":
        from checks.reporters import sarif

        sarif.write(findings, stream, prefix=prefix, command=command)
    else:
        {"text": write_text, "json": write_json, "markdown": write_markdown}[fmt](
            findings, stream, checked, noun
        )
