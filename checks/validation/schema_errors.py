"""Turn jsonschema errors into findings a person can act on, at the line of the key."""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from checks.document import Document
from checks.findings import Finding, json_path, shorten

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
}

_FORMAT_NAMES = {"x-iana-timezone": "time zone", "uri": "URL", "x-iso-week": "ISO week"}


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


MAX_PER_FILE = 40  # explained at most, then counted (findings.capped caps a whole file at 50)
MAX_ERRORS = 10_000  # jsonschema's errors read at most, so that a hostile file stays quick


def check(schema: str, doc: Document, rel: str) -> list[Finding]:
    """The one schema check: the compiled validator says whether there is a problem, the
    reference validator explains it. Every caller (ops validate, project.yaml for every
    command) goes through here."""
    from checks import schemas

    if schemas.fast_validator(schema).is_valid(doc.data):
        return []
    errors = list(itertools.islice(schemas.validator(schema).iter_errors(doc.data), MAX_ERRORS))
    # The validators differ on one thing: JSON has no NaN or infinity, so jsonschema-rs
    # rejects them where python-jsonschema compares them as numbers. We side with JSON:
    # a non-finite number is reported as such, unless it stands where text was expected.
    odd = dict(non_finite(doc.data))
    typed = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    errors = [e for e in errors if tuple(e.absolute_path) not in odd or e.validator == "type"]
    found = findings_for(errors, doc, rel)
    found.extend(
        Finding(
            rel,
            doc.line(path),
            json_path(path),
            f"expected a finite number, got {doc.source(path) or value}",
        )
        for path, value in list(odd.items())[:MAX_PER_FILE]
        if path not in typed
    )
    if not found:  # the validators disagree: never let the document pass unexplained
        found.append(
            Finding(
                rel,
                doc.offset,
                "$",
                f"does not match {schema}, but the reason could not be explained; please report "
                "this document to the maintainers of ops",
            )
        )
    return found


def non_finite(
    value: Any, path: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], float]]:
    """Paths of NaN and infinite numbers (YAML's .nan and .inf)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [(path, value)]
    if isinstance(value, dict):
        return [hit for key, item in value.items() for hit in non_finite(item, (*path, key))]
    if isinstance(value, list):
        return [hit for i, item in enumerate(value) for hit in non_finite(item, (*path, i))]
    return []


def findings_for(
    errors: Iterable[ValidationError], doc: Document, path: str, limit: int = MAX_PER_FILE
) -> list[Finding]:
    """Findings for jsonschema's errors: at most ``limit``, then one that counts the rest."""
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    format_paths: set[tuple[Any, ...]] = set()
    more, next_line = 0, None
    errors = sorted(errors, key=lambda e: e.validator != "format")  # format before pattern
    for error in errors:
        where = tuple(error.absolute_path)
        if error.validator == "format":
            format_paths.add(where)
        elif error.validator == "pattern" and where in format_paths:
            continue  # one problem, one message
        if len(out) >= limit:
            more += _count(error)
            next_line = next_line or doc.line(list(where))
            continue
        produced = 0
        explained = _explain(error, doc)
        for parts, message in explained:
            produced += 1
            key = (json_path(parts), message)
            if key in seen:
                continue
            seen.add(key)
            line = doc.line(parts[:-1] if error.validator == "required" else parts)
            out.append(Finding(path, line, json_path(parts), message))
            if len(out) >= limit:
                more += max(_count(error) - produced, 0)
                following = next(explained, None)  # where the first one not shown stands
                next_line = doc.line(list(following[0])) if following else None
                break
    if more:
        out.append(
            Finding(
                path,
                next_line or max(f.line for f in out),
                None,
                f"... and {more:,} more problems like these from here on; fix the ones above first",
            )
        )
    return out


def _count(error: ValidationError) -> int:
    """How many findings ``_explain`` makes of ``error``, without making them."""
    instance, value = error.instance, error.validator_value
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return sum(1 for key in instance if key not in allowed)
    if error.validator == "required" and isinstance(instance, dict) and isinstance(value, list):
        return sum(1 for key in value if key not in instance)
    return 1


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
