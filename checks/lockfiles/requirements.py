"""pip-compile requirements files: one ``name==version`` pin per package, read with
``packaging`` (the PyPA's own parser of PEP 508 requirements).

pip-compile writes every package pinned with ``==`` (or as a direct URL), with ``--hash``
options on continuation lines and ``# via`` comments. A requirement that is not pinned means
the file is not a lockfile: it is refused rather than read as an unknown version.
"""

from __future__ import annotations

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from checks.lockfiles.base import FormatError

EXPECTED = "a pip-compile requirements file (name==version pins)"
ECOSYSTEM = "pypi"

MAX_LINE = 64 * 1024  # characters in one logical line; pip-compile's longest are a few KiB
_EDITABLE = ("-e", "--editable")  # the project itself or a checkout: no released version


def parse(text: str) -> list[tuple[str, str]]:
    pins: list[tuple[str, str]] = []
    for line, logical in _logical_lines(text):
        requirement = _without_comment(logical).strip()
        if not requirement:
            continue
        if requirement.startswith("-"):  # pip options: -r, -c, --index-url, -e ...
            continue
        pins.append(_pin(_without_options(requirement), line))
    return pins


def _without_comment(line: str) -> str:
    """``line`` up to its comment: a ``#`` at the start or after white space, as pip reads it.
    (str methods, not a regular expression: one pass, whatever the line holds.)"""
    at = line.find("#")
    while at > 0 and not line[at - 1].isspace():
        at = line.find("#", at + 1)
    return line if at < 0 else line[:at]


def _without_options(requirement: str) -> str:
    """``requirement`` up to its first option (``--hash=...``): white space, then ``-`` or
    ``--`` and a letter."""
    at = requirement.find("-")
    while at >= 0:
        if at > 0 and requirement[at - 1].isspace():
            rest = requirement[at + 1 : at + 3]
            flag = rest[1:2] if rest.startswith("-") else rest[:1]
            if flag.isascii() and flag.isalpha():
                return requirement[:at].rstrip()
        at = requirement.find("-", at + 1)
    return requirement


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each line, continuation lines (``\\``) joined; a line
    longer than ``MAX_LINE``, joined or not, is refused at the line where it starts."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    length = 0  # of the pending parts, with the spaces that will join them
    start = 1
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start, length = number, 0
        length += len(raw) + 1
        if length > MAX_LINE:
            raise FormatError(
                f"a line longer than {MAX_LINE // 1024} KiB (with the lines continued from it "
                "by a trailing \\); pip-compile writes none: is this a requirements file?",
                start,
            )
        if raw.endswith("\\") and not raw.lstrip().startswith("#"):
            pending.append(raw[:-1])
            continue
        out.append((start, " ".join([*pending, raw])))
        pending = []
    if pending:
        raise FormatError("the file ends inside a continued line (a trailing \\)", start)
    return out


def _pin(text: str, line: int) -> tuple[str, str]:
    try:
        requirement = Requirement(text)
    except InvalidRequirement as e:
        reason = str(e).splitlines()[0]
        raise FormatError(f"not a requirement ({reason})", line) from None
    name = canonicalize_name(requirement.name)
    if requirement.url:
        return name, requirement.url
    specifiers = list(requirement.specifier)
    if (
        len(specifiers) == 1
        and specifiers[0].operator in ("==", "===")
        and ("*" not in specifiers[0].version)
    ):
        return name, specifiers[0].version
    shown = str(requirement.specifier) or "no version"
    raise FormatError(
        f"{name} is not pinned with == ({shown}); pip-compile pins every package", line
    )
