"""Which files are documents, and what each one is (from its place in the tree)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from checks.kinds import BY_FOLDER, BY_TEMPLATE, PROJECT_FILE

SKIP_NAMES = {"README.md"}

Facts = dict[str, Any]  # what the cross-document rules need to know of one file


class Target(NamedTuple):
    rel: str  # posix path relative to the root: what messages show
    role: str  # "project" | "document" | "template"
    kind: str | None  # document kind; None for project.yaml
    project: str | None  # the folder under ops/


def classify(rel: str) -> Target | None:
    """The target at ``rel``, or None when it is not an ops document."""
    parts = PurePosixPath(rel).parts
    if len(parts) == 3 and parts[0] == "ops" and parts[2] == PROJECT_FILE:
        return Target(rel, "project", None, parts[1])
    if (
        len(parts) == 4
        and parts[0] == "ops"
        and parts[2] in BY_FOLDER
        and parts[3].endswith(".md")
        and parts[3] not in SKIP_NAMES
    ):
        return Target(rel, "document", BY_FOLDER[parts[2]].name, parts[1])
    if len(parts) == 2 and parts[0] == "templates" and parts[1] in BY_TEMPLATE:
        return Target(rel, "template", BY_TEMPLATE[parts[1]].name, None)
    return None


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def project_targets(root: Path, project: str) -> list[Target]:
    """project.yaml and every document of one project, in a stable order."""
    base = root / "ops" / project
    out = [Target(f"ops/{project}/{PROJECT_FILE}", "project", None, project)]
    for folder in sorted(BY_FOLDER):
        directory = base / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix == ".md" and _visible(path) and path.name not in SKIP_NAMES:
                out.append(
                    Target(
                        f"ops/{project}/{folder}/{path.name}",
                        "document",
                        BY_FOLDER[folder].name,
                        project,
                    )
                )
    return out


def projects(root: Path) -> list[str]:
    ops = root / "ops"
    if not ops.is_dir():
        return []
    return sorted(p.name for p in ops.iterdir() if p.is_dir() and _visible(p))


def tree_targets(root: Path) -> list[Target]:
    """Everything ``ops validate`` checks when no path is given."""
    out: list[Target] = []
    for project in projects(root):
        out.extend(project_targets(root, project))
    templates = root / "templates"
    if templates.is_dir():
        for name in sorted(BY_TEMPLATE):
            if (templates / name).is_file():
                out.append(Target(f"templates/{name}", "template", BY_TEMPLATE[name].name, None))
    return out
