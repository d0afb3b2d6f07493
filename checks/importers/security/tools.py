"""Which module reads which tool's report: each has TOOL, FORMAT and parse(stream)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import IO

from checks.importers.security.model import TOOLS, Advisory

MODULES = {
    "osv-scanner": "osv_scanner",
    "pip-audit": "pip_audit",
    "trivy": "trivy",
    "grype": "grype",
    "npm-audit": "npm_audit",
    "github-dependabot": "dependabot",
}
assert tuple(MODULES) == TOOLS


def module(tool: str) -> ModuleType:
    return importlib.import_module(f"checks.importers.security.{MODULES[tool]}")


def expected(tool: str) -> str:
    """The format a report of ``tool`` must be in, for messages."""
    text: str = module(tool).FORMAT
    return text


def parse(tool: str, raw: IO[bytes]) -> Iterator[Advisory]:
    advisories: Iterator[Advisory] = module(tool).parse(raw)
    return advisories
