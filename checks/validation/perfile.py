"""Checks that need one file only: parse, schema, project folder, file name, sections.

Findings here depend only on the file's bytes, its place in the tree, the
schemas, the templates and this code: that is what makes them cacheable.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from checks import document, kinds, schemas
from checks.document import Document, DocumentError
from checks.findings import Finding, json_path, shorten
from checks.resources import templates_dir
from checks.validation.targets import Facts, Target


@functools.cache
def required_sections(kind: str) -> tuple[str, ...]:
    """The ``##`` headings of the kind's template."""
    template = templates_dir() / kinds.KINDS[kind].template
    try:
        text = document.read_text(template)
        body = document.parse_front_matter(text).body
    except (DocumentError, OSError):
        return ()
    return tuple(document.headings(body))


def prepare() -> None:
    """Compile every validator and read every template now (before worker processes fork)."""
    for kind in kinds.KINDS.values():
        schemas.fast_validator(kind.schema)
        required_sections(kind.name)
    schemas.fast_validator(kinds.PROJECT_SCHEMA)


def check(target: Target, raw: bytes) -> tuple[list[Finding], Facts]:
    """Every single-file finding for ``target`` and the facts the cross-document rules need."""
    rel = target.rel
    try:
        text = document.decode(raw)
        doc = (
            document.parse_yaml_file(text)
            if target.role == "project"
            else document.parse_front_matter(text)
        )
    except DocumentError as e:
        return [Finding(rel, e.line, None, e.message, rule="parse")], {"parsed": False}
    schema = kinds.PROJECT_SCHEMA if target.kind is None else kinds.KINDS[target.kind].schema
    findings = schema_findings(schema, doc, rel)
    if target.role != "template":
        findings.extend(_place(target, doc))
    if target.kind is not None:
        findings.extend(_sections(target, doc))
    return findings, _facts(target, doc)


def schema_findings(schema: str, doc: Document, rel: str) -> list[Finding]:
    """Schema findings: the fast validator says whether there are any, the reference one which."""
    if schemas.fast_validator(schema).is_valid(doc.data):
        return []
    from checks.validation.schema_errors import findings_for

    errors = list(schemas.validator(schema).iter_errors(doc.data))
    # The validators differ on one thing: JSON has no NaN or infinity, so jsonschema-rs
    # rejects them where python-jsonschema compares them as numbers. We side with JSON:
    # a non-finite number is reported as such, unless it stands where text was expected.
    odd = {path: value for path, value in non_finite(doc.data)}
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
        for path, value in odd.items()
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


def _place(target: Target, doc: Document) -> list[Finding]:
    out: list[Finding] = []
    project = doc.data.get("project")
    if isinstance(project, str) and project != target.project:
        out.append(
            Finding(
                target.rel,
                doc.line(["project"]),
                "$.project",
                f"{shorten(project)} does not match the folder ops/{target.project}/; "
                f"set project: {target.project}",
                rule="place",
            )
        )
    if target.project is not None and not kinds.is_slug(target.project):
        out.append(
            Finding(
                target.rel,
                1,
                None,
                f"folder name '{target.project}' is not a project slug (lowercase "
                "letters, digits and '-', at most 63 characters); rename the folder",
                rule="place",
            )
        )
    if target.kind is not None:
        out.extend(_file_name(target, doc))
    return out


_NAME_KEY = {"incident": "id", "slo-report": "week"}


def _file_name(target: Target, doc: Document) -> list[Finding]:
    assert target.kind is not None
    expected = kinds.expected_filename(target.kind, doc.data)
    actual = target.rel.rsplit("/", 1)[-1]
    if expected is None or expected.lower() == actual.lower():
        return []
    key = _NAME_KEY.get(target.kind, "date")
    if target.kind == "postmortem" and actual.lower().startswith(str(doc.data.get("date"))):
        key = "incident"
    return [
        Finding(
            target.rel,
            doc.line([key]),
            f"$.{key}",
            f"file name '{actual}' does not match the record: expected {shorten(expected)}; "
            f"rename the file or fix '{key}'",
            rule="place",
        )
    ]


def _sections(target: Target, doc: Document) -> list[Finding]:
    assert target.kind is not None
    required = required_sections(target.kind)
    if _has_lines(doc.body, [f"## {name}" for name in required]):
        return []  # the common case, without parsing every heading
    present = set(document.headings(doc.body))
    template = kinds.KINDS[target.kind].template
    return [
        Finding(
            target.rel,
            doc.body_line,
            None,
            f"missing section '## {name}' ({_article(target.kind)} {target.kind} has the "
            f"sections of templates/{template})",
            rule="sections",
        )
        for name in required
        if name not in present
    ]


def _has_lines(body: str, lines: list[str]) -> bool:
    """Whether each of ``lines`` stands alone on a line of ``body``, outside code fences
    (False may be wrong: then :func:`document.headings` decides)."""
    if "```" in body or "~~~" in body:
        return False
    padded = f"\n{body}\n"
    return all(f"\n{line}\n" in padded for line in lines)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _value(doc: Document, key: str) -> list[Any] | None:
    value = doc.data.get(key)
    return [value, [key]] if isinstance(value, str) else None


def _facts(target: Target, doc: Document) -> Facts:
    """What the cross-document rules need: values with their paths in the document (lines
    are looked up only for the few that a rule reports: see engine.Lines)."""
    data = doc.data
    facts: Facts = {"parsed": True}
    if target.role == "project":
        if "severity_scale" in data:
            scale = data["severity_scale"]
            valid = isinstance(scale, list) and scale and all(isinstance(s, str) for s in scale)
            facts["scale"] = scale if valid else None  # None: broken, reported by the schema
        postmortem = data.get("postmortem")
        if isinstance(postmortem, dict):
            threshold = postmortem.get("required_at_or_above")
            if isinstance(threshold, str):
                facts["threshold"] = [threshold, ["postmortem", "required_at_or_above"]]
            due = postmortem.get("due_business_days")
            if isinstance(due, dict):
                facts["due_days"] = [[str(k), ["postmortem", "due_business_days", k]] for k in due]
        return facts
    for key in ("id", "incident", "severity", "title"):
        found = _value(doc, key)
        if found is not None:
            facts[key] = found
    items = data.get("action_items")
    if isinstance(items, list):
        facts["items"] = [
            [item["id"], ["action_items", i, "id"]]
            for i, item in enumerate(items)
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        ]
    return facts
