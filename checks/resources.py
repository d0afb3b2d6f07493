"""Where the schemas and templates are: inside an installed wheel, or in a source checkout."""

from __future__ import annotations

import functools
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    packaged = _HERE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _HERE.parent / name


@functools.cache
def schemas_dir() -> Path:
    return _find("schemas")


@functools.cache
def templates_dir() -> Path:
    return _find("templates")
