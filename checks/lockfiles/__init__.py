"""Lockfiles: which file names are read, and each format's bytes turned into versions.

Each format is one small module with ``EXPECTED`` (the format, as messages name it),
``ECOSYSTEM`` and a pure ``parse(text) -> list[(package, version)]`` that raises
:class:`~checks.lockfiles.base.FormatError` where the text stops matching. A package may be
locked at several versions at once (npm nesting, Cargo's semver-incompatible copies, uv's
per-Python forks), so a file's result is a set of versions per package.
"""

from __future__ import annotations

import posixpath
import re
from types import ModuleType

from checks.lockfiles import (
    cargo,
    gemfile,
    gomod,
    npm,
    pipfile,
    pnpm,
    poetry,
    requirements,
    uv,
    yarn,
)
from checks.lockfiles.base import MAX_BYTES, FormatError, Versions, decode

__all__ = ["MAX_BYTES", "FormatError", "Versions", "format_for", "read"]

_BY_NAME: dict[str, ModuleType] = {
    "poetry.lock": poetry,
    "uv.lock": uv,
    "Pipfile.lock": pipfile,
    "package-lock.json": npm,
    "npm-shrinkwrap.json": npm,  # the same format, published with a package
    "yarn.lock": yarn,
    "pnpm-lock.yaml": pnpm,
    "go.mod": gomod,
    "Cargo.lock": cargo,
    "Gemfile.lock": gemfile,
    "gems.locked": gemfile,  # Bundler's other name for the same file
}
# pip-compile's output: requirements.txt, requirements-dev.txt, requirements/prod.txt
_REQUIREMENTS = re.compile(r"(?:.*/)?(?:requirements[\w.-]*\.txt|requirements/[^/]+\.txt)")


def format_for(path: str) -> ModuleType | None:
    """The format module that reads the git path ``path``, or None when ops does not read it."""
    module = _BY_NAME.get(posixpath.basename(path))
    if module is None and _REQUIREMENTS.fullmatch(path):
        return requirements
    return module


def read(module: ModuleType, data: bytes) -> Versions:
    """``data`` read as ``module``'s format: {(ecosystem, package): versions}. FormatError
    (with the line where it stopped matching, when there is one) otherwise."""
    if len(data) > MAX_BYTES:
        raise FormatError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB; not read")
    pairs: list[tuple[str, str]] = module.parse(decode(data))
    versions: dict[tuple[str, str], set[str]] = {}
    for package, version in pairs:
        versions.setdefault((module.ECOSYSTEM, package), set()).add(version)
    return {key: frozenset(found) for key, found in versions.items()}
