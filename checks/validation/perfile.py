"""Checks that need one file only: parse, schema, project folder, file name, sections.

Findings here depend only on the file's bytes, its place in the tree, the
schemas, the templates and this code: that is what makes them cacheable.
"""

from __future__ import annotations

import functools
from typing import Any

from checks import document, kinds, markdown, repo, schemas
from checks.document import Document, DocumentError
from checks.findings import Finding, json_path, shorten
from checks.tree import Target
from checks.validation import chronology, reports, schema_errors
from checks.validation.crossdoc import Facts


def required_sections(kind: str) -> tuple[str, ...]:
    """The ``##`` headings the kind's documents must have (checks.repo: the template that
    applies in the repository, and the packaged one's)."""
    return _required_sections(kind, repo.active().key)


@functools.cache
def _required_sections(kind: str, key: str) -> tuple[str, ...]:
    """Cached by the digest of the settings and the team's templates (``key``)."""
    return repo.required_sections(repo.active(), kind)


def prepare() -> None:
    """Compile every validator and read every template now (before worker processes fork)."""
    for kind in kinds.KINDS.values():
        schemas.fast_validator(kind.schema)
        required_sections(kind.name)
    schemas.fast_validator(kinds.PROJECT_SCHEMA)


Data = dict[str, Any] | None  # a file's data (front matter, project.yaml); None: unreadable


def check(target: Target, raw: bytes) -> tuple[list[Finding], Data]:
    """Every single-file finding for ``target``, and its data: what the cross-document rules
    (through :func:`facts`) and the gate's rules read, so that they never parse it again."""
    rel = target.rel
    try:
        text = document.decode(raw)
        doc = document.parse(target.role, text)
    except DocumentError as e:
        return [Finding(rel, e.line, None, e.message, rule="parse")], None
    schema = kinds.PROJECT_SCHEMA if target.kind is None else kinds.KINDS[target.kind].schema
    findings = schema_errors.check(schema, doc, rel)
    if target.role != "template":
        findings.extend(_place(target, doc))
    if target.role == "project" and not findings:
        findings.extend(_windows(rel, doc))
    if target.kind is not None:
        # The outline (every line's kind) costs most of a document's check: read once, only
        # for documents whose section contents are judged, or whose body must match its data.
        report = target.kind == "slo-report" and target.role != "template"
        finished = target.role == "document" and kinds.is_finished(target.kind, doc.data)
        outline = markdown.outline(doc.body) if report or finished else None
        findings.extend(_sections(target, doc, outline if finished else None, outline))
        findings.extend(
            Finding(rel, doc.line(path), json_path(path), message, rule="chronology")
            for path, message in chronology.check(target.kind, doc.data)
        )
        if target.kind == "slo-report":
            findings.extend(
                Finding(rel, doc.line(path), json_path(path), message, rule="report")
                for path, message in reports.check(doc.data)
            )
            if report and outline is not None:
                findings.extend(
                    Finding(rel, doc.body_line + number, None, message, rule="report")
                    for number, message in reports.check_body(doc.data, doc.body, outline)
                )
    return findings, (None if target.role == "template" else doc.data)


def _windows(rel: str, doc: Document) -> list[Finding]:
    """A ratio query's ``{{window}}`` must be code: one in a comment or a label value (which
    the schema's pattern lets through) is never a range, and the query would count nothing
    like the window's events."""
    from checks.slo import promql

    out = []
    for index, entry in enumerate(doc.data.get("slos") or []):
        ratio = entry.get("sli", {}).get("ratio") if isinstance(entry, dict) else None
        for part, query in (ratio or {}).items():
            if isinstance(query, str) and promql.WINDOW not in promql.code(query):
                path: list[str | int] = ["slos", index, "sli", "ratio", part]
                out.append(
                    Finding(
                        rel,
                        doc.line(path),
                        json_path(path),
                        f"{promql.WINDOW} stands only in a comment or a label value here; ops "
                        "replaces it with the window where it is a range, such as "
                        f"sum(increase(http_requests_total[{promql.WINDOW}]))",
                        rule="schema",
                    )
                )
    return out


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
    if target.kind is not None:
        out.extend(_file_name(target, doc))
    return out


_NAME_KEY = {"incident": "id", "slo-report": "week"}


def _file_name(target: Target, doc: Document) -> list[Finding]:
    assert target.kind is not None
    expected = kinds.expected_filename(target.kind, doc.data)
    actual = target.rel.rsplit("/", 1)[-1]
    if expected is None or expected == actual:  # exactly: git and Linux tell cases apart
        return []
    key = _NAME_KEY.get(target.kind, "date")
    if target.kind == "postmortem" and actual.startswith(str(doc.data.get("date"))):
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


def _sections(
    target: Target,
    doc: Document,
    finished: list[markdown.Line] | None,
    outline: list[markdown.Line] | None,
) -> list[Finding]:
    """Every required section is a heading (as GitHub renders it: not one inside a comment or
    a code fence); a published postmortem or a held retro (``finished``: its outline) has each
    one written."""
    assert target.kind is not None
    required = required_sections(target.kind)
    if outline is None:
        present = markdown.headings(doc.body)
    else:
        present = [x.text for x in outline if x.kind == markdown.HEADING and x.level == 2]
    have = set(present)
    missing = [name for name in required if name not in have]
    if not missing:
        return _unwritten(target, doc, required, finished) if finished is not None else []
    near: dict[str, str] = {}  # sets and a dict: linear however many headings either has
    for heading in present:
        near.setdefault(heading.casefold().strip(" .:"), heading)
    out = [
        Finding(
            target.rel,
            doc.body_line,
            None,
            f"missing section '## {name}' ({_article(target.kind)} {target.kind} has the "
            f"sections of {repo.section_source(repo.active(), target.kind, name)})"
            f"{_near(name, near)}",
            rule="sections",
        )
        for name in missing
    ]
    if finished is not None:
        out += _unwritten(target, doc, required, finished)
    return out


def _near(name: str, near: dict[str, str]) -> str:
    like = near.get(name.casefold())
    return f"; found '## {like}': write the heading as the template does" if like else ""


def _unwritten(
    target: Target, doc: Document, required: tuple[str, ...], outline: list[markdown.Line]
) -> list[Finding]:
    """Required sections left empty, or still holding the template's [TODO: ...] text."""
    what = "a published postmortem" if target.kind == "postmortem" else "a held retro"
    body_lines = markdown.source_lines(doc.body)
    wanted = set(required)
    out = []
    for section in markdown.sections(outline):
        if section.level != 2 or section.name not in wanted:
            continue
        if not markdown.written(section):
            message = (
                f"section '## {section.name}' is empty; {what} has every section written "
                "(the template's comments are guidance, not content)"
            )
            line = doc.body_line + section.line
            out.append(Finding(target.rel, line, None, message, rule="content"))
            continue
        left = markdown.placeholders(section, body_lines)
        if left:
            number, marker = left[0]
            more = f" (and {len(left) - 1} more)" if len(left) > 1 else ""
            message = (
                f"section '## {section.name}' still holds the template's placeholder "
                f"{shorten(marker)}{more}; write the section: {what} has no [TODO: ...] left"
            )
            out.append(Finding(target.rel, doc.body_line + number, None, message, "content"))
    return out


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _value(data: dict[str, Any], key: str) -> list[Any] | None:
    value = data.get(key)
    return [value, [key]] if isinstance(value, str) else None


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def facts(target: Target, data: Data) -> Facts:
    """What the cross-document rules need of a file, from its data: values with their paths in
    the document (lines are looked up only for the few that a rule reports: jobs.Lines)."""
    if data is None:
        return {"parsed": False}
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
        if isinstance(data.get("timezone"), str):
            facts["timezone"] = data["timezone"]
        owners = data.get("owners")
        if isinstance(owners, list) and all(isinstance(o, str) for o in owners):
            facts["owners"] = owners
        limit = data.get("vulnerability_exception_max_days")
        if isinstance(limit, int) and not isinstance(limit, bool):
            facts["exception_max_days"] = limit
        return facts
    for key in ("id", "incident", "severity", "date", "started"):
        found = _value(data, key)
        if found is not None:
            facts[key] = found
    items = data.get("action_items")
    if isinstance(items, list):
        facts["items"] = [
            [item["id"], ["action_items", i, "id"]]
            for i, item in enumerate(items)
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        ]
        facts["closed"] = [
            [item["closed"], ["action_items", i, "closed"]]
            for i, item in enumerate(items)
            if isinstance(item, dict) and isinstance(item.get("closed"), str)
        ]
    found = data.get("findings")
    if isinstance(found, list):
        facts["findings"] = [
            [f["id"], f.get("discovered"), ["findings", i]]
            for i, f in enumerate(found)
            if isinstance(f, dict) and isinstance(f.get("id"), str)
        ]
        facts["exceptions"] = [
            [f["id"], _text(f["exception"], "approver"), _text(f["exception"], "expires"), i]
            for i, f in enumerate(found)
            if isinstance(f, dict)
            and isinstance(f.get("id"), str)
            and isinstance(f.get("exception"), dict)
        ]
    return facts
