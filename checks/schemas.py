"""Load the JSON Schemas once per process, resolve $ref locally, compile validators."""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from checks.errors import OpsError
from checks.formats import format_checker
from checks.resources import schemas_dir


@functools.cache
def load_all() -> dict[str, dict[str, Any]]:
    """Every ``*.schema.json`` by file name."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(schemas_dir().glob("*.schema.json")):
        try:
            out[path.name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise OpsError(f"cannot load schema: {e}", path=str(path)) from None
    if not out:
        raise OpsError(f"no schemas found in {schemas_dir()}")
    return out


@functools.cache
def registry() -> Registry[Any]:
    """All schemas by their $id; nothing is ever retrieved from the network."""
    resources = [
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in load_all().values()
    ]
    return Registry().with_resources(resources).crawl()


@functools.cache
def validator(name: str) -> Draft202012Validator:
    """A compiled validator for ``name`` (e.g. ``postmortem.schema.json``)."""
    try:
        schema = load_all()[name]
    except KeyError:
        raise OpsError(f"no schema named {name} in {schemas_dir()}") from None
    return Draft202012Validator(schema, registry=registry(), format_checker=format_checker())
