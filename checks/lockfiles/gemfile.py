"""Bundler's ``Gemfile.lock``: sections (``GEM``, ``GIT``, ``PATH``, ``PLATFORMS``,
``DEPENDENCIES``, ...) whose ``specs:`` list each gem as ``name (version)`` at four spaces.

No maintained Python package reads this format (Bundler's ``LockfileParser`` is Ruby), so
the few rules ops needs are written out here. A platform-specific gem
(``nokogiri (1.16.0-x86_64-linux)``) counts as its version without the platform.
"""

from __future__ import annotations

import re

from checks.lockfiles.base import FormatError, last_line

EXPECTED = "Bundler's Gemfile.lock (GEM, DEPENDENCIES and the other sections)"
ECOSYSTEM = "rubygems"
_SECTIONS = frozenset(
    {"GEM", "GIT", "PATH", "PLUGIN SOURCE", "PLATFORMS", "DEPENDENCIES", "RUBY VERSION"}
    | {"BUNDLED WITH", "CHECKSUMS"}
)
_READ = ("GEM", "GIT")  # PATH gems are local folders: no released version to follow
_SPEC = re.compile(r" {4}([A-Za-z0-9][\w.-]*) \(([0-9][0-9A-Za-z.]*)(?:-[\w.-]+)?\)")
_LINE = re.compile(r"( {2,})\S.*")


def parse(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    section, seen = "", set()
    for number, line in enumerate(source.splitlines(), 1):
        if not line.strip():
            continue
        if not line.startswith(" "):
            if line not in _SECTIONS:
                raise FormatError(f"{line[:40]!r} is not a Gemfile.lock section", number)
            section = line
            seen.add(line)
            continue
        if not section or not _LINE.fullmatch(line):
            raise FormatError("expected a section name, then indented lines", number)
        indent = len(line) - len(line.lstrip(" "))
        if section in _READ and indent == 4:
            match = _SPEC.fullmatch(line)
            if not match:
                raise FormatError("expected a gem such as '    rack (3.0.8)'", number)
            out.append((match.group(1), match.group(2)))
    if "DEPENDENCIES" not in seen:
        raise FormatError(
            "no DEPENDENCIES section (Bundler always writes one): cut short?", last_line(source)
        )
    return out
