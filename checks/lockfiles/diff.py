"""Two lockfile readings in, the updates between them out (pure).

A package locked at several versions is paired old-to-new in version order: the versions
both sides share are no change, the rest pair off (``syn 1.0.109, 2.0.50 -> 1.0.109, 2.0.60``
is one patch update); what is left is added or removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from packaging.version import InvalidVersion, Version

from checks.lockfiles.base import Versions

NOT_COMPARABLE = "versions not comparable as semver; counted as major"


class Update(NamedTuple):
    ecosystem: str
    package: str
    old: str | None  # None: added
    new: str | None  # None: removed
    change: str  # major | minor | patch | added | removed
    note: str | None = None


def diff(before: Versions, after: Versions) -> list[Update]:
    """Every update from ``before`` to ``after``, by ecosystem and package."""
    out = []
    for key in sorted(before.keys() | after.keys()):
        ecosystem, package = key
        old, new = before.get(key, frozenset()), after.get(key, frozenset())
        order = _sort_key(ecosystem)
        gone, came = sorted(old - new, key=order), sorted(new - old, key=order)
        for a, b in zip(gone, came, strict=False):
            kind, note = change(ecosystem, a, b)
            out.append(Update(ecosystem, package, a, b, kind, note))
        out += [Update(ecosystem, package, a, None, "removed") for a in gone[len(came) :]]
        out += [Update(ecosystem, package, None, b, "added") for b in came[len(gone) :]]
    return out


def change(ecosystem: str, old: str, new: str) -> tuple[str, str | None]:
    """(major | minor | patch, note): the first of major, minor, patch that differs; a change
    past them (a pre-release, a build, a pseudo-version's date) is a patch."""
    a, b = release(ecosystem, old), release(ecosystem, new)
    if a is None or b is None:
        return "major", NOT_COMPARABLE
    if a[0] != b[0]:
        return "major", None
    return ("minor", None) if a[1] != b[1] else ("patch", None)


_SEMVER = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?![\d])")


def release(ecosystem: str, version: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of ``version``: PEP 440 for PyPI, semver-like elsewhere; None
    when it is neither (a URL, a commit)."""
    if ecosystem == "pypi":
        try:
            parsed = Version(version)
        except InvalidVersion:
            return None
        parts = (*parsed.release, 0, 0)
        return (parsed.epoch * 10**9 + parts[0], parts[1], parts[2])
    match = _SEMVER.match(version)
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0))


def _sort_key(ecosystem: str) -> Callable[[str], tuple[int, tuple[int, ...], str]]:
    def key(version: str) -> tuple[int, tuple[int, ...], str]:
        parts = release(ecosystem, version)
        return (0, parts, version) if parts is not None else (1, (), version)

    return key
