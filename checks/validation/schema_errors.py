"""Turn jsonschema errors into findings a person can act on, at the line of the key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema.exceptions import ValidationError

from checks.document import Document
from checks.findings import Finding, json_path, shorten

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
}

_FORMAT_NAMES = {"x-iana-timezone": "time zone", "uri": "URL"}


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean; quote it if you meant text)"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"{value!r} (a number)"
    return shorten(value)


def _xmsg(error: ValidationError) -> str | None:
    schema = error.schema
    if isinstance(schema, dict):
        message = schema.get("x-message")
        return message if isinstance(message, str) else None
    return None


def findings_for(errors: Iterable[ValidationError], doc: Document, path: str) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    format_paths: set[tuple[Any, ...]] = set()
    errors = sorted(errors, key=lambda e: e.validator != "format")  # format before pattern
    for error in errors:
        where = tuple(error.absolute_path)
        if error.validator == "format":
            format_paths.add(where)
        elif error.validator == "pattern" and where in format_paths:
            continue  # one problem, one message
        for parts, message in _explain(error, doc):
            key = (json_path(parts), message)
            if key in seen:
                continue
            seen.add(key)
            line = doc.line(parts[:-1] if error.validator == "required" else parts)
            out.append(Finding(path, line, json_path(parts), message))
    return out


def _explain(error: ValidationError, doc: Document) -> Iterator[tuple[tuple[Any, ...], str]]:
    where = tuple(error.absolute_path)
    validator, instance = error.validator, error.instance
    value: Any = error.validator_value
    custom = _xmsg(error)
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        for key in instance:
            if key in allowed:
                continue
            hint = difflib.get_close_matches(key, allowed, n=1)
            advice = (
                f"; did you mean '{hint[0]}'?" if hint else f"; allowed keys: {', '.join(allowed)}"
            )
            yield (*where, key), f"unknown key '{key}'{advice}"
    elif validator == "required" and isinstance(instance, dict):
        for key in value:
            if key not in instance:
                yield (*where, key), custom or f"missing required key '{key}'"
    elif validator == "format":
        name = _FORMAT_NAMES.get(str(value), str(value))
        yield (
            where,
            f"{shorten(instance)} is not a valid {name}" + (f" ({custom})" if custom else ""),
        )
    elif validator == "pattern":
        yield (
            where,
            f"{shorten(instance)} {custom}"
            if custom
            else f"{shorten(instance)} does not match {str(value).replace(chr(92) + 'Z', '$')}",
        )
    elif validator == "const":
        yield where, f"must be {value!r}, not {describe(instance)}"
    elif validator == "enum":
        yield where, f"{describe(instance)} is not one of: {', '.join(map(str, value))}"
    elif validator == "type":
        names = value if isinstance(value, list) else [value]
        wanted = " or ".join(_TYPE_NAMES.get(str(n), str(n)) for n in names)
        written = doc.source(where)
        if "string" in names and written is not None and not isinstance(instance, str):
            # YAML turned text into a number or boolean (1.10 -> 1.1, on -> true).
            read_as = "a boolean" if isinstance(instance, bool) else "a number"
            yield where, f'expected text, but {written} reads as {read_as}; quote it: "{written}"'
        else:
            yield where, f"expected {wanted}, got {describe(instance)}"
    elif validator == "maxLength" and isinstance(instance, str):
        yield where, f"is {len(instance):,} characters long; the limit is {value:,}"
    elif validator == "minLength" and value == 1:
        yield where, "must not be empty"
    elif validator == "minItems" and value == 1:
        yield where, custom or "must not be empty"
    elif custom:
        yield where, custom
    else:  # jsonschema's own words, without echoing a huge value
        yield where, error.message.replace(repr(instance), shorten(instance))
