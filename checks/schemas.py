"""Load the JSON Schemas once per process, resolve $ref locally, compile validators."""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any

from checks import formats
from checks.errors import OpsError
from checks.resources import schemas_dir

if TYPE_CHECKING:
    import jsonschema_rs
    from jsonschema import Draft202012Validator
    from referencing import Registry


RS_BASE = "json-schema:///"


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
    """All schemas by their file name; nothing is ever retrieved from the network.

    The schemas have no ``$id``: their ``$ref``s name each other by file name, relative to
    where they are, so that check-jsonschema and editors resolve them from a checkout (or the
    installed package) offline, and here a bare name is the key a relative ``$ref`` resolves to.
    """
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = [
        (name, Resource.from_contents(_ecma(schema), default_specification=DRAFT202012))
        for name, schema in load_all().items()
    ]
    return Registry().with_resources(resources).crawl()


def _schema(name: str, fields: str) -> dict[str, Any]:
    """The schema ``name``, with the fields the active repository adds (``fields``: their key,
    which is what the compiled validators are cached under)."""
    from checks import repo

    try:
        schema = load_all()[name]
    except KeyError:
        raise OpsError(f"no schema named {name} in {schemas_dir()}") from None
    return repo.extended(name, schema, repo.active())


def validator(name: str) -> Draft202012Validator:
    """The reference validator for ``name`` (e.g. ``postmortem.schema.json``), with the
    fields the repository adds to it (checks.repo).

    python-jsonschema: it explains every error, so it is what findings come from.
    """
    from checks import repo

    return _validator(name, repo.active().fields_key())


@functools.cache
def _validator(name: str, fields: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    cls = (
        extend(Draft202012Validator, {TEAM_PATTERN: _team_pattern})  # type: ignore[no-untyped-call]
        if fields != "{}"
        else None
    )
    return (cls or Draft202012Validator)(
        _ecma(_schema(name, fields)), registry=registry(), format_checker=formats.format_checker()
    )


# --- a team's patterns (checks.repo): matched in linear time -----------------------------------
# The repository's settings are untrusted input: a pattern such as ^(a+)+$ would take Python's
# backtracking engine hours on a line of a's. A team's field patterns are matched by the regex
# crate's engine (through jsonschema-rs), which never backtracks; checks.repo refuses a pattern
# that needs look-around or back-references, which that engine lacks.
TEAM_PATTERN = "x-team-pattern"


@functools.cache
def linear_pattern(pattern: str) -> jsonschema_rs.Validator:
    """A validator of strings against ``pattern`` in linear time; ValueError if the pattern is
    not one the linear engine takes."""
    import jsonschema_rs

    try:
        return jsonschema_rs.validator_for(
            {"type": "string", "pattern": pattern}, pattern_options=jsonschema_rs.RegexOptions()
        )
    except jsonschema_rs.ValidationError as e:
        raise ValueError(str(e).splitlines()[0]) from None


def _team_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and not linear_pattern(pattern).is_valid(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


class _TeamPatternKeyword:
    """The same keyword for jsonschema-rs (checks.schemas.fast_validator)."""

    def __init__(self, parent_schema: Any, value: str, schema_path: Any) -> None:
        self.check = linear_pattern(value)

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not self.check.is_valid(instance):
            raise ValueError(f"{instance!r} does not match the pattern")


def _ecma(schema: Any) -> Any:
    """A copy whose patterns mean in Python what they mean in ECMA-262 (JSON Schema's regexes).

    ECMA's "$" ends the string, Python's also matches before a final newline (which would let
    "RETRO-1\\n" pass as an id); ECMA's "\\d" is 0-9, Python's any Unicode digit (Arabic-Indic too).
    """
    if isinstance(schema, dict):
        return {
            key: _ecma_pattern(value)
            if key == "pattern" and isinstance(value, str)
            else _ecma(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_ecma(item) for item in schema]
    return schema


def _ecma_pattern(pattern: str) -> str:
    pattern = re.sub(r"(?<!\\)\$$", r"\\Z", pattern)
    return re.sub(r"(?<!\\)\\d", "[0-9]", pattern)


def fast_validator(name: str) -> jsonschema_rs.Validator:
    from checks import repo

    return _fast_validator(name, repo.active().fields_key())


@functools.cache
def _fast_validator(name: str, fields: str) -> jsonschema_rs.Validator:
    """A compiled validator that only answers "valid or not", about 50 times faster.

    jsonschema-rs, given the same schemas through an offline registry and the
    same format functions, so it judges exactly as :func:`validator` does; a
    document it rejects is checked again by :func:`validator` for the messages.
    """
    import jsonschema_rs

    local = jsonschema_rs.Registry(
        # jsonschema-rs resolves a relative $ref of a schema without $id against this base
        [(RS_BASE + name, schema) for name, schema in load_all().items()],
        draft=jsonschema_rs.Draft202012,
    )
    return jsonschema_rs.Draft202012Validator(
        _schema(name, fields),
        registry=local,
        formats=formats.CHECKS,
        validate_formats=True,
        ignore_unknown_formats=False,
        offline=True,
        keywords={TEAM_PATTERN: _TeamPatternKeyword} if fields != "{}" else None,
    )
