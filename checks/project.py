"""A project's configuration (ops/<project>/project.yaml) as an immutable value."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks import document, kinds
from checks.document import DocumentError
from checks.errors import OpsError


@dataclass(frozen=True)
class Project:
    slug: str
    name: str
    owners: tuple[str, ...]
    timezone: str
    severity_scale: tuple[str, ...]
    data: dict[str, Any] = field(repr=False, compare=False)


def check_slug(slug: str) -> str:
    if not kinds.is_slug(slug):
        raise OpsError(
            f"--project {slug!r} is not a project slug: lowercase letters, digits and '-', "
            "starting with a letter or digit, at most 63 characters"
        )
    return slug


def load(root: Path, slug: str) -> Project:
    """Load and schema-check project.yaml; every problem is an OpsError naming file and line."""
    check_slug(slug)
    rel = f"ops/{slug}/{kinds.PROJECT_FILE}"
    path = root / rel
    if not path.is_file():
        raise OpsError(f"no project '{slug}': {rel} not found; create the project folder first")
    try:
        doc = document.parse_yaml_file(document.read_text(path))
    except DocumentError as e:
        raise OpsError(e.message, path=rel, line=e.line) from None
    from checks import schemas

    problems = []
    if not schemas.fast_validator(kinds.PROJECT_SCHEMA).is_valid(doc.data):
        from checks.findings import Finding
        from checks.validation.schema_errors import findings_for

        errors = schemas.validator(kinds.PROJECT_SCHEMA).iter_errors(doc.data)
        problems = findings_for(list(errors), doc, rel) or [
            Finding(rel, doc.offset, "$", f"does not match {kinds.PROJECT_SCHEMA}", rule="schema")
        ]
    if problems:
        first = problems[0]
        more = (
            f" (and {len(problems) - 1} more; run ops validate {rel})" if len(problems) > 1 else ""
        )
        raise OpsError(f"{first.json_path}: {first.message}{more}", path=rel, line=first.line)
    data = doc.data
    return Project(
        slug=slug,
        name=data["name"],
        owners=tuple(data["owners"]),
        timezone=data["timezone"],
        severity_scale=tuple(data.get("severity_scale", kinds.DEFAULT_SEVERITY_SCALE)),
        data=data,
    )
