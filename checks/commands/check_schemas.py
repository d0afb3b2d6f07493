"""``ops check-schemas [FILES]``: meta-validate JSON Schemas and resolve their $refs locally."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from checks import jsonload
from checks.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from checks.findings import Finding, json_path
from checks.report import say, write


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check-schemas",
        help="meta-validate JSON Schema files and check that every $ref resolves locally",
        description="Meta-validate JSON Schemas against the metaschema their $schema names "
        "(Draft 2020-12 by default) and check that every $ref resolves among the given files "
        "(nothing is fetched). Default: the project's schemas/.",
    )
    parser.add_argument("paths", nargs="*", metavar="FILE")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _line_finder(text: str) -> Any:
    """Line numbers of JSON paths, composing the JSON as YAML (a superset) where it can."""
    from checks import yamlload

    try:
        _, node = yamlload.load(text)
    except yamlload.YamlProblem:
        node = None

    def line(parts: list[str | int]) -> int:
        found = yamlload.line_of(node, parts)
        return 1 if found is None else found + 1

    return line


def check(paths: list[Path], display: dict[Path, str]) -> tuple[list[Finding], int]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError, best_match
    from jsonschema.validators import validator_for
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource, Unresolvable
    from referencing.jsonschema import DRAFT202012

    findings: list[Finding] = []
    loaded: list[tuple[Path, dict[str, Any] | bool, Any]] = []
    for path in paths:
        name = display[path]
        try:
            text = path.read_text(encoding="utf-8")
            schema = jsonload.loads(text)
        except (OSError, UnicodeDecodeError) as e:
            findings.append(Finding(name, 1, None, f"cannot read: {e}", rule="input"))
            continue
        except json.JSONDecodeError as e:
            findings.append(Finding(name, e.lineno, None, f"invalid JSON: {e.msg}", rule="parse"))
            continue
        except ValueError as e:  # nested too deeply
            findings.append(Finding(name, 1, None, f"not a schema ops can read: {e}", "parse"))
            continue
        line = _line_finder(text)
        if not isinstance(schema, dict | bool):
            findings.append(Finding(name, 1, None, "a schema is a JSON object or a boolean"))
            continue
        cls = validator_for(schema, default=Draft202012Validator)
        for error in cls(cls.META_SCHEMA).iter_errors(schema):
            if error.context:  # anyOf/oneOf: the branch that came closest says more
                error = best_match(error.context)
            parts = list(error.absolute_path)
            findings.append(
                Finding(
                    name,
                    line(parts),
                    json_path(parts),
                    f"not a valid schema: {error.message}",
                    rule="metaschema",
                )
            )
        loaded.append((path, schema, line))
    resources = []
    for path, schema, _ in loaded:
        if isinstance(schema, dict):
            resource = Resource.from_contents(schema, default_specification=DRAFT202012)
            resources.append((schema.get("$id") or path.resolve().as_uri(), resource))
    registry: Registry[Any] = Registry().with_resources(resources)
    for path, schema, line in loaded:
        base = schema.get("$id") if isinstance(schema, dict) else None
        resolver = registry.resolver(base_uri=base or path.resolve().as_uri())
        for parts, ref in _refs(schema, []):
            try:
                resolver.lookup(ref)
            except (Unresolvable, NoSuchResource, SchemaError):
                findings.append(
                    Finding(
                        display[path],
                        line(parts),
                        json_path(parts),
                        f"$ref {ref!r} does not resolve among the checked schemas "
                        "(nothing is fetched from the network)",
                        rule="ref",
                    )
                )
    return findings, len(paths)


def _refs(node: Any, parts: list[str | int]) -> list[tuple[list[str | int], str]]:
    out: list[tuple[list[str | int], str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out.append(([*parts, key], value))
            elif key not in ("const", "enum", "examples", "default"):
                out.extend(_refs(value, [*parts, key]))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_refs(value, [*parts, i]))
    return out


def run(args: argparse.Namespace) -> int:
    from checks.resources import schemas_dir

    root = Path(args.root)
    if args.paths:
        paths = [Path(p) for p in args.paths]
    else:
        local = root / "schemas"
        paths = sorted((local if local.is_dir() else schemas_dir()).glob("*.json"))
    missing = [p for p in paths if not p.is_file()]
    if missing:
        for p in missing:
            say(f"{p}:1: no such file")
        return EXIT_USAGE
    display = {p: p.as_posix() for p in paths}
    findings, checked = check(paths, display)
    write(findings, sys.stdout, args.format, checked=checked, noun="schema")
    if any(f.rule == "input" for f in findings):
        return EXIT_USAGE
    return EXIT_FAILED if findings else EXIT_OK
