"""Reading one field of an incident object, with the path of the field in messages."""

from __future__ import annotations

from typing import Any

from checks.importers.incidents.model import Place, shown, stop


def get(item: dict[str, Any], key: str, where: Place, *, required: bool = True) -> Any:
    """``item[key]``; missing (or null) and required stops the reader at ``$...key``."""
    value = item.get(key)
    if value is None and required:
        raise stop(where.at(f"{where.path}.{key}"), "missing")
    return value


def string(item: dict[str, Any], key: str, where: Place, *, required: bool = True) -> str | None:
    value = get(item, key, where, required=required)
    if value is not None and not isinstance(value, str):
        raise stop(where.at(f"{where.path}.{key}"), f"{shown(value)} is not a string")
    return value


def obj(item: dict[str, Any], key: str, where: Place) -> dict[str, Any] | None:
    value = item.get(key)
    if value is not None and not isinstance(value, dict):
        raise stop(where.at(f"{where.path}.{key}"), f"{shown(value)} is not an object")
    return value


def sub(where: Place, key: str) -> Place:
    return where.at(f"{where.path}.{key}")


def cell(row: dict[str, str], column: str) -> str | None:
    """A CSV cell, None when the column is absent or the cell empty."""
    value = row.get(column, "").strip()
    return value or None
