"""pip-compile requirements files: one ``name==version`` pin per package, read with
``packaging`` (the PyPA's own parser of PEP 508 requirements).

pip-compile writes every package pinned with ``==`` (or as a direct URL), with ``--hash``
options on continuation lines and ``# via`` comments. A requirement that is not pinned means
the file is not a lockfile: it is refused rather than read as an unknown version.
"""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from checks.lockfiles.base import FormatError

EXPECTED = "a pip-compile requirements file (name==version pins)"
ECOSYSTEM = "pypi"

_COMMENT = re.compile(r"(^|\s+)#.*$")
_OPTIONS = re.compile(r"\s+--?[A-Za-z].*$")  # --hash=..., after the requirement
_EDITABLE = ("-e", "--editable")  # the project itself or a checkout: no released version


def parse(text: str) -> list[tuple[str, str]]:
    pins: list[tuple[str, str]] = []
    for line, logical in _logical_lines(text):
        requirement = _COMMENT.sub("", logical).strip()
        if not requirement:
            continue
        if requirement.startswith("-"):  # pip options: -r, -c, --index-url, -e ...
            continue
        pins.append(_pin(_OPTIONS.sub("", requirement), line))
    return pins


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each line, continuation lines (``\\``) joined."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 1
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
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
