"""The schemas explain themselves: every property has a description, every default is one the
property accepts and the code applies, and docs/reference/ is what scripts/schema_docs.py makes
of the schemas."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator

from checks import document, formats, kinds, schemadoc, schemas
from checks.github import DEFAULT_DEADLINE
from checks.project import from_data
from checks.rules import settings
from checks.slo.sources import prometheus

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILES = sorted((ROOT / "schemas").glob("*.schema.json"))
REFERENCE = ROOT / "docs" / "reference"
SAMPLE = ROOT / "ops" / "checkout" / "project.yaml"

# Keywords whose value is a schema (or a map or list of them), Draft 2020-12. What sits under
# a map keyword is a property (or a definition) and needs a description; so does an element's
# schema (items, prefixItems) and a map's value (additionalProperties). The schemas under
# allOf/anyOf/oneOf/then/else are parts of one property, and an `if` is a test: walked, but
# their own properties are what needs describing.
_PROPERTY_MAPS = ("properties", "patternProperties", "$defs")
_ELEMENT = ("items", "additionalProperties", "unevaluatedProperties", "contains")
_PARTS = ("not", "then", "else", "propertyNames", "dependentSchemas")
_PART_LISTS = ("allOf", "anyOf", "oneOf")


def _load(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def properties(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON pointer, schema) of every property, definition and element schema, at every depth."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _PROPERTY_MAPS and isinstance(value, dict):
            for name, sub in value.items():
                if isinstance(sub, dict):
                    yield _pointer((*path, key, name)), sub
                yield from properties(sub, (*path, key, name))
        elif key in _ELEMENT and isinstance(value, dict):
            yield _pointer((*path, key)), value
            yield from properties(value, (*path, key))
        elif key == "prefixItems" and isinstance(value, list):
            for i, sub in enumerate(value):
                if isinstance(sub, dict):
                    yield _pointer((*path, key, str(i))), sub
                yield from properties(sub, (*path, key, str(i)))
        elif key in _PARTS and isinstance(value, dict):
            yield from properties(value, (*path, key))
        elif key in _PART_LISTS and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from properties(sub, (*path, key, str(i)))


def every_schema(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON pointer, schema) of the schema and each subschema, `if`s included."""
    if not isinstance(node, dict):
        return
    yield _pointer(path), node
    for key, value in node.items():
        if key in ("const", "enum", "default", "examples"):
            continue
        if key in (*_PROPERTY_MAPS, "dependentSchemas") and isinstance(value, dict):
            for name, sub in value.items():
                yield from every_schema(sub, (*path, key, name))
        elif isinstance(value, dict):
            yield from every_schema(value, (*path, key))
        elif isinstance(value, list) and key in (*_PART_LISTS, "prefixItems"):
            for i, sub in enumerate(value):
                yield from every_schema(sub, (*path, key, str(i)))


def _pointer(path: tuple[str, ...]) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def test_the_walk_reaches_every_depth() -> None:
    schema = {
        "properties": {"a": {"type": "object", "properties": {"b": {"items": {"type": "string"}}}}},
        "$defs": {"d": {"additionalProperties": {"type": "integer"}}},
        "allOf": [{"if": {"properties": {"z": {"const": 1}}}, "then": {"properties": {"c": {}}}}],
    }
    assert [pointer for pointer, _ in properties(schema)] == [
        "/properties/a",
        "/properties/a/properties/b",
        "/properties/a/properties/b/items",
        "/$defs/d",
        "/$defs/d/additionalProperties",
        "/allOf/0/then/properties/c",
    ]


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in SCHEMA_FILES])
def test_every_property_has_a_description(path: Path) -> None:
    missing = [
        f"{path.name}#{pointer}"
        for pointer, sub in properties(_load(path))
        if not (isinstance(sub.get("description"), str) and sub["description"].strip())
    ]
    assert not missing, "no description at:\n" + "\n".join(missing)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in SCHEMA_FILES])
def test_every_default_is_valid_against_its_own_property(path: Path) -> None:
    checked = 0
    for pointer, sub in every_schema(_load(path)):
        if "default" not in sub:
            continue
        # the property's own schema, as the registry has it: its $refs resolve as they do in ops
        own = {"$ref": f"{path.name}#{quote(pointer, safe='/$~')}"}
        validator = Draft202012Validator(
            own, registry=schemas.registry(), format_checker=formats.format_checker()
        )
        errors = [e.message for e in validator.iter_errors(sub["default"])]
        assert not errors, f"{path.name}#{pointer}: default {sub['default']!r}: {errors}"
        checked += 1
    if path.name == kinds.PROJECT_SCHEMA:
        assert checked >= 20  # the walk really found them


def _project_schema() -> dict[str, Any]:
    return _load(ROOT / "schemas" / kinds.PROJECT_SCHEMA)


def _at(schema: dict[str, Any], *keys: str) -> Any:
    node: Any = schema
    for key in keys:
        node = node["properties"][key] if key != "*" else node["additionalProperties"]
    return node["default"]


def test_the_project_defaults_are_the_ones_the_code_applies() -> None:
    schema = _project_schema()
    assert _at(schema, "severity_scale") == list(kinds.DEFAULT_SEVERITY_SCALE)
    assert _at(schema, "postmortem", "required_at_or_above") == kinds.DEFAULT_THRESHOLD
    assert _at(schema, "postmortem", "due_business_days", "*") == settings.DEFAULT_DUE_BUSINESS_DAYS
    assert _at(schema, "cadence", "dependency_log_days") == settings.DEFAULT_DEPENDENCY_DAYS
    assert _at(schema, "cadence", "security_log_days") == settings.DEFAULT_SECURITY_DAYS
    assert _at(schema, "incidents", "max_open_days") == settings.DEFAULT_MAX_OPEN_DAYS
    assert _at(schema, "vulnerability_sla_days") == settings.DEFAULT_SLA
    for level, days in settings.DEFAULT_SLA.items():
        assert _at(schema, "vulnerability_sla_days", level) == days
    assert _at(schema, "vulnerability_exception_max_days") == kinds.DEFAULT_EXCEPTION_MAX_DAYS
    assert _at(schema, "steady_state", "slo_consecutive_weeks") == settings.DEFAULT_STEADY_WEEKS
    assert _at(schema, "backlog", "timeout_seconds") == DEFAULT_DEADLINE
    assert _at(schema, "metrics", "prometheus", "url_env") == prometheus.DEFAULT_URL_ENV
    assert _at(schema, "metrics", "prometheus", "max_response_mb") == prometheus.DEFAULT_MAX_MB
    source = prometheus.from_settings({}, {prometheus.DEFAULT_URL_ENV: "http://127.0.0.1:9"})
    assert source.client.policy.deadline == _at(schema, "metrics", "prometheus", "timeout_seconds")


def _with_defaults(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every default of ``schema`` written out, in the objects it has."""
    out = dict(data)
    for key, sub in schema.get("properties", {}).items():
        if key not in out and "default" in sub:
            out[key] = json.loads(json.dumps(sub["default"]))
        if isinstance(out.get(key), dict) and "properties" in sub:
            out[key] = _with_defaults(sub, out[key])
    return out


def test_a_project_that_writes_out_every_default_is_judged_as_one_that_does_not() -> None:
    schema = _project_schema()
    bare = {"project": "shop", "name": "Shop", "owners": ["@a"], "timezone": "UTC"}
    containers = {
        **{key: {} for key in ("postmortem", "cadence", "incidents", "steady_state", "backlog")},
        "metrics": {"source": "mock", "prometheus": {}, "mock": {}},
    }
    spelled = _with_defaults(schema, {**bare, **containers})
    assert spelled["cadence"] == {"dependency_log_days": 14, "security_log_days": 7}
    validator = Draft202012Validator(
        {"$ref": kinds.PROJECT_SCHEMA},
        registry=schemas.registry(),
        format_checker=formats.format_checker(),
    )
    assert [e.message for e in validator.iter_errors(spelled)] == []
    assert settings.of(from_data("shop", spelled)) == settings.of(from_data("shop", bare))


def test_the_sample_project_is_valid() -> None:
    data = document.parse_yaml_file(document.read_text(SAMPLE)).data
    validator = Draft202012Validator(
        {"$ref": kinds.PROJECT_SCHEMA},
        registry=schemas.registry(),
        format_checker=formats.format_checker(),
    )
    assert [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)] == []


# --- the reference pages ---------------------------------------------------------------------


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("schema_docs", ROOT / "scripts/schema_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_pages_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/schema_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "up to date" in done.stdout


def test_check_names_each_page_that_is_out_of_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reference"
    shutil.copytree(REFERENCE, out)
    main = _script().main
    assert main(["--check", "--out", str(out)]) == 0
    capsys.readouterr()
    page = out / "incident.md"
    page.write_text(page.read_text(encoding="utf-8") + "Edited by hand.\n", encoding="utf-8")
    (out / "common.md").unlink()
    (out / "old.md").write_text("# A schema that is gone\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["--check", "--out", str(out)]) == 1
    said = capsys.readouterr().out.splitlines()
    rerun = f"run python scripts/schema_docs.py --out {out}"
    assert said == [
        f"{out.as_posix()}/common.md is out of date; {rerun}",
        f"{out.as_posix()}/incident.md is out of date; {rerun}",
        f"{out.as_posix()}/old.md is generated from no schema; remove it",
    ]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # --check writes nothing


def test_writing_the_pages_gives_the_repositorys_and_changes_nothing_the_second_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reference"
    main = _script().main
    assert main(["--out", str(out)]) == 0
    written = {p.name: p.read_bytes() for p in out.iterdir()}
    assert written == {p.name: p.read_bytes() for p in REFERENCE.iterdir()}
    assert set(written) == {schemadoc.INDEX, *map(schemadoc.page_name, schemas.load_all())}
    capsys.readouterr()
    assert main(["--out", str(out)]) == 0
    n = len(written)
    assert capsys.readouterr().out == f"0 of {n} pages written, {n} unchanged\n"


def test_a_page_shows_each_field_its_type_default_constraints_and_description() -> None:
    shared = {
        "title": "Shared",
        "description": "Shared types.",
        "$defs": {
            "day": {
                "description": "A day.",
                "type": "string",
                "format": "date",
                "pattern": "^\\d{4}$",
            }
        },
    }
    thing = {
        "title": "Thing",
        "description": "A thing.",
        "type": "object",
        "additionalProperties": False,
        "required": ["when"],
        "properties": {
            "when": {"description": "When | it was.", "$ref": "common.schema.json#/$defs/day"},
            "count": {"description": "How many.", "type": "integer", "minimum": 1, "default": 3},
            "tags": {
                "description": "Tags.",
                "type": "array",
                "items": {"description": "A tag.", "enum": ["a", "b"]},
            },
        },
    }
    pages = schemadoc.pages({"thing.schema.json": thing, "common.schema.json": shared})
    assert list(pages) == ["README.md", "common.md", "thing.md"]
    rows = pages["thing.md"].splitlines()
    when = "| `when` | [day](common.md#day) | yes |  | format `date`; matches `^\\d{4}$` "
    assert when + "| When \\| it was. |" in rows
    assert "| `count` | integer | no | `3` | >= 1 | How many. |" in rows
    assert "| `tags` | array of string | no |  |  | Tags. |" in rows
    assert "| `tags[]` | string |  |  | one of `a`, `b` | A tag. |" in rows
    assert "## day" in pages["common.md"]
    assert "Used by [Thing](thing.md)." in pages["common.md"]
    assert "| [Thing](thing.md) | `schemas/thing.schema.json` | A thing. |" in pages["README.md"]
    again = schemadoc.pages({"common.schema.json": shared, "thing.schema.json": thing})
    assert again == pages  # the same pages, whatever the order the schemas came in
