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
    from checks import tree
    from checks.validation import schema_errors

    check_slug(slug)
    rel = f"ops/{slug}/{kinds.PROJECT_FILE}"
    if tree.entry_type(str(root / "ops" / slug)) is None:
        raise OpsError(
            f"no project '{slug}': ops/{slug}/ does not exist; is --project spelled right?"
        )
    problem = tree.obstacle(root, rel)
    if problem is not None:
        raise OpsError(problem.message, path=problem.path, line=problem.line)
    try:
        doc = document.parse_yaml_file(document.read_text(root / rel))
    except FileNotFoundError:
        raise OpsError(tree.missing_project_file(slug).message, path=rel) from None
    except DocumentError as e:
        raise OpsError(e.message, path=rel, line=e.line) from None
    problems = schema_errors.check(kinds.PROJECT_SCHEMA, doc, rel)
    if problems:
        first = problems[0]
        more = (
            f" (and {len(problems) - 1} more; run ops validate {rel})" if len(problems) > 1 else ""
        )
        raise OpsError(f"{first.json_path}: {first.message}{more}", path=rel, line=first.line)
    return from_data(slug, doc.data)


def from_data(slug: str, data: dict[str, Any]) -> Project:
    """The project of project.yaml's data, which has passed its schema."""
    return Project(
        slug=slug,
        name=data["name"],
        owners=tuple(data["owners"]),
        timezone=data["timezone"],
        severity_scale=tuple(data.get("severity_scale", kinds.DEFAULT_SEVERITY_SCALE)),
        data=data,
    )
