"""Which files are documents, and what each one is (from its place in the tree)."""

from __future__ import annotations

import os
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


def ignored(rel: str) -> bool:
    """Files beside the documents that are no records: a README, notes in templates/."""
    parts = PurePosixPath(rel).parts
    in_record_folder = len(parts) == 4 and parts[0] == "ops" and parts[2] in BY_FOLDER
    return (in_record_folder and parts[3] in SKIP_NAMES) or (
        len(parts) == 2 and parts[0] == "templates" and parts[1] not in BY_TEMPLATE
    )


class Scan(NamedTuple):
    targets: list[Target]
    links: set[str]  # rel paths of symlinks met on the way (files or folders)


def _entries(directory: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as it:
            return sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def scan_project(root: Path, project: str) -> Scan:
    """project.yaml and every document of one project, in a stable order."""
    base = f"ops/{project}"
    out = [Target(f"{base}/{PROJECT_FILE}", "project", None, project)]
    links: set[str] = set()
    if os.path.islink(os.path.join(root, base)):
        links.add(base)
    for folder in _entries(os.path.join(root, base)):
        kind = BY_FOLDER.get(folder.name)
        if kind is None or not folder.is_dir():
            continue
        rel_folder = f"{base}/{folder.name}"
        if folder.is_symlink():
            links.add(rel_folder)
        for entry in _entries(folder.path):
            if entry.name.endswith(".md") and entry.name not in SKIP_NAMES:
                rel = f"{rel_folder}/{entry.name}"
                if entry.is_symlink():
                    links.add(rel)
                out.append(Target(rel, "document", kind.name, project))
    return Scan(out, links)


def projects(root: Path) -> list[str]:
    return [e.name for e in _entries(os.path.join(root, "ops")) if e.is_dir()]


def scan_tree(root: Path) -> Scan:
    """Everything ``ops validate`` checks when no path is given."""
    targets: list[Target] = []
    links: set[str] = set()
    if os.path.islink(os.path.join(root, "ops")):
        links.add("ops")
    for project in projects(root):
        found = scan_project(root, project)
        targets.extend(found.targets)
        links |= found.links
    for entry in _entries(os.path.join(root, "templates")):
        kind = BY_TEMPLATE.get(entry.name)
        if kind is not None and entry.is_file():
            rel = f"templates/{entry.name}"
            if entry.is_symlink():
                links.add(rel)
            targets.append(Target(rel, "template", kind.name, None))
    return Scan(targets, links)
