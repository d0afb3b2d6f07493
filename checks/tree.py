"""The one view of a repository's records.

Every entry under ``ops/`` is a known record (``project.yaml``, a document in its kind's
folder), a known non-record (a README, ``calendar/retros.ics``, ``openslo/*.yaml``, a
``.gitkeep``) or a problem that says what it is and where it belongs. validate, gate,
exit-criteria, the manifest, ``ops new``, retros and follow-ups all enumerate through here,
so that no command judges a file another one skips. Nothing under ``ops/`` is a symlink:
records are regular files (see :func:`checks.document.read_file`, which never follows one).

:func:`place` decides what one path is, from its parts alone; :func:`scan` walks the tree
and asks it about every entry.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from checks import repo
from checks.findings import Finding
from checks.kinds import BY_FOLDER, BY_TEMPLATE, PROJECT_FILE, is_slug

README = "README.md"
KEEP_FILES = frozenset({".gitkeep", ".keep"})
CALENDAR, CALENDAR_FILE, OPENSLO = "calendar", "retros.ics", "openslo"
RULE = "layout"
_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{6,}\.tmp$")  # checks.atomic's temporary files
_MARKDOWN_LIKE = (".markdown", ".mdown", ".mkd", ".txt")
_PLURAL = {
    "incident": "incidents",
    "postmortem": "postmortems",
    "retro": "retros",
    "dependency-log": "dependency logs",
    "security-log": "security logs",
    "slo-report": "SLO reports",
}
_BY_NAME = (  # a file name that says which folder it belongs in
    (re.compile(r"^\d{4}-\d{2}-\d{2}-INC-.+\.md$", re.IGNORECASE), "postmortems"),
    (re.compile(r"^INC-.+\.md$", re.IGNORECASE), "incidents"),
    (re.compile(r"^\d{4}-W\d{2}\.md$", re.IGNORECASE), "slo"),
)


class Target(NamedTuple):
    """A file ``ops validate`` checks."""

    rel: str  # posix path relative to the root: what messages show
    role: str  # "project" | "document" | "template"
    kind: str | None  # document kind; None for project.yaml
    project: str | None  # the folder under ops/


class Known(NamedTuple):
    """A file under ops/ that is no record: read only by the command that owns it."""

    rel: str
    what: str  # "readme" | "keep" | "calendar" | "openslo"
    project: str | None


class Descend(NamedTuple):
    """A folder to walk; ``project`` is set for a project's own folder."""

    project: str | None = None


Place = Target | Known | Descend | Finding


class Tree(NamedTuple):
    targets: list[Target]
    known: list[Known]
    problems: list[Finding]
    projects: list[str]  # every folder under ops/ that is a project (project.yaml or not)


# --- what one path is -------------------------------------------------------------------------


def _problem(rel: str, message: str) -> Finding:
    return Finding(rel, 1, None, message, rule=RULE)


_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, as os.fsdecode keeps them


def shown_name(name: str) -> str | None:
    """None for a name that can be shown and typed; else what is wrong with it."""
    if name.isascii() and name.isprintable():  # nearly every name: no character by character
        return None
    if _UNDECODED.search(name):
        return "file name is not valid UTF-8"
    if not name.isprintable():
        return (
            "file name holds characters that cannot be shown or typed (a newline, a tab, an "
            "escape, an invisible space...)"
        )
    return None


def place(parts: tuple[str, ...], what: str) -> Place:
    """What the entry at ``parts`` (``ops/<project>/...`` or ``templates/...``) is.

    ``what`` is the entry's own type, never followed through a link: "file", "dir", "link"
    or "special" (a pipe, socket or device).
    """
    rel, name = "/".join(parts), parts[-1]
    if parts[0] == templates_folder():
        return _template(parts, rel, what)
    odd = shown_name(name)
    if odd is not None:
        return _problem(rel, f"{odd}; rename it")
    if what == "link":
        return _problem(
            rel,
            "is a symlink; nothing under ops/ may be one (records are regular files, and a link "
            "could lead anywhere): replace it with the file or folder itself",
        )
    if what == "special":
        return _problem(rel, "is not a regular file (a pipe, socket or device?); remove it")
    if name.startswith(".") and len(parts) > 1:
        return _hidden(rel, name, what, parts)
    if len(parts) == 1:
        return Descend() if what == "dir" else _problem(rel, "ops must be a folder")
    if len(parts) == 2:
        return _top(rel, name, what)
    return _in_project(parts, rel, what)


def _hidden(rel: str, name: str, what: str, parts: tuple[str, ...]) -> Place:
    project = parts[1] if len(parts) > 2 else None
    if name in KEEP_FILES and what == "file":
        return Known(rel, "keep", project)
    if _TEMP.match(name) and what == "file":
        return _problem(rel, "is a temporary file left by an interrupted ops run; delete it")
    return _problem(
        rel,
        "is hidden; records are never hidden files or folders: rename it, or move it out of ops/",
    )


def _top(rel: str, name: str, what: str) -> Place:
    """``ops/<name>``: a project folder, or a README."""
    if what == "dir":
        if is_slug(name):
            return Descend(project=name)
        return _problem(
            rel,
            f"folder name '{name}' is not a project slug (lowercase letters, digits and '-', "
            "starting with a letter or digit, at most 63 characters); rename the folder",
        )
    if name == README:
        return Known(rel, "readme", None)
    return _problem(
        rel,
        "is not a record; records live in a project's folders (ops/<project>/incidents/ and "
        "the like), and ops/ holds only project folders and a README.md",
    )


def _in_project(parts: tuple[str, ...], rel: str, what: str) -> Place:
    project, name = parts[1], parts[-1]
    if len(parts) == 3:
        if name == PROJECT_FILE:
            if what == "file":
                return Target(rel, "project", None, project)
            return _problem(rel, f"is a folder; {PROJECT_FILE} is the project's settings file")
        if name == README and what == "file":
            return Known(rel, "readme", project)
        if what == "dir":
            return Descend()
        return _misplaced(rel, project, None, name)
    folder = parts[2]
    if len(parts) == 4 and folder in BY_FOLDER:
        return _in_record_folder(rel, project, folder, name, what)
    if folder in BY_FOLDER and what != "dir":  # deeper: in a subfolder of a record folder
        return _problem(
            rel,
            f"records sit directly in ops/{project}/{folder}/, not in a subfolder: move it to "
            f"ops/{project}/{folder}/{name}",
        )
    if len(parts) == 4 and folder in (CALENDAR, OPENSLO) and what == "file":
        return _in_generated_folder(rel, project, folder, name)
    if what == "dir":
        if name.lower().endswith(".md"):
            return _problem(rel, "is a folder named like a record; records are files")
        return Descend()
    return _misplaced(rel, project, folder, name)


def _in_record_folder(rel: str, project: str, folder: str, name: str, what: str) -> Place:
    kind = BY_FOLDER[folder]
    if what == "dir":
        if name.lower().endswith(".md"):
            return _problem(rel, "is a folder named like a record; records are files")
        return Descend()
    if name == README:
        return Known(rel, "readme", project)
    if name.endswith(".md"):
        return Target(rel, "document", kind.name, project)
    stem, dot, extension = name.rpartition(".")
    if dot and (extension.lower() == "md" or f".{extension.lower()}" in _MARKDOWN_LIKE):
        return _problem(rel, f"records are Markdown files named *.md; rename it to {stem}.md")
    return _problem(
        rel,
        f"is not a record; ops/{project}/{folder}/ holds only *.md {_PLURAL[kind.name]} (and a "
        "README.md): keep attachments outside ops/ and link to them",
    )


def _in_generated_folder(rel: str, project: str, folder: str, name: str) -> Place:
    if name == README:
        return Known(rel, "readme", project)
    if folder == CALENDAR:
        if name == CALENDAR_FILE:
            return Known(rel, "calendar", project)
        return _problem(rel, f"ops/{project}/calendar/ holds only {CALENDAR_FILE} (ops retros)")
    if name.endswith((".yaml", ".yml")):
        return Known(rel, "openslo", project)
    return _problem(rel, f"ops/{project}/openslo/ holds only OpenSLO *.yaml files")


def _misplaced(rel: str, project: str, folder: str | None, name: str) -> Finding:
    """A file in no known place, with a guess at where it belongs."""
    if folder is None and name in BY_FOLDER:
        return _problem(rel, f"is a file where the folder {name}/ belongs; make it a folder")
    guess = _guess_folder(folder) if folder is not None else None
    guess = guess or next((f for pattern, f in _BY_NAME if pattern.match(name)), None)
    if guess is not None:
        label = _PLURAL[BY_FOLDER[guess].name]
        where = f"{label} live in ops/{project}/{guess}/"
    else:
        folders = ",".join(BY_FOLDER)
        where = f"records live in ops/{project}/{{{folders}}}/ (and project.yaml)"
    return _problem(rel, f"is not in a known folder; {where}")


def templates_folder() -> str:
    """The folder of the repository's own templates (templates/, or as .ops.yaml says)."""
    return repo.active().folder


def _guess_folder(folder: str) -> str | None:
    lowered = folder.lower()
    if lowered in BY_FOLDER:
        return lowered
    close = difflib.get_close_matches(lowered, list(BY_FOLDER), n=1, cutoff=0.75)
    return close[0] if close else None


def _template(parts: tuple[str, ...], rel: str, what: str) -> Place:
    if len(parts) == 1:
        return Descend() if what == "dir" else Known(rel, "readme", None)
    kind = BY_TEMPLATE.get(parts[1]) if len(parts) == 2 else None
    if kind is None:  # notes beside the templates are none of ours
        return Known(rel, "readme", None)
    if what != "file":
        return _problem(rel, "is not a regular file; a template is a Markdown file")
    return Target(rel, "template", kind.name, None)


# --- walking ----------------------------------------------------------------------------------


def _type(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "special"


def entry_type(path: str) -> str | None:
    """The type of the entry at ``path`` itself (a link is "link"), or None when missing."""
    try:
        return _type(os.lstat(path).st_mode)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None


def _children(directory: str) -> list[tuple[str, str]]:
    """(name, type) of a folder's entries, sorted by name (OSError when it cannot be listed)."""
    out = []
    with os.scandir(directory) as it:
        for entry in it:  # the type from the folder listing: no system call per file
            try:
                if entry.is_symlink():
                    kind = "link"
                elif entry.is_dir(follow_symlinks=False):
                    kind = "dir"
                elif entry.is_file(follow_symlinks=False):
                    kind = "file"
                else:
                    kind = "special"
            except OSError:
                continue  # gone since it was listed
            out.append((entry.name, kind))
    return sorted(out)


def walk(root: Path, start: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Place]]:
    """Every entry under ``start`` (itself included) with its place, in a stable order."""
    what = entry_type(os.path.join(root, *start))
    if what is None:
        return
    stack = [(start, what)]
    while stack:
        parts, what = stack.pop()
        found = place(parts, what)
        if isinstance(found, Descend):
            try:
                children = _children(os.path.join(root, *parts))
            except FileNotFoundError:
                continue  # removed while we walked
            except OSError as e:  # a folder that hides its records is no pass
                yield parts, _problem("/".join(parts), f"cannot be read: {e.strerror or e}")
                continue
            stack.extend(((*parts, name), kind) for name, kind in reversed(children))
        yield parts, found


def scan(root: Path, under: tuple[str, ...] = ("ops",)) -> Tree:
    """The records, non-records and problems under ``under`` (default: all of ops/)."""
    targets: list[Target] = []
    known: list[Known] = []
    problems: list[Finding] = []
    projects: list[str] = []
    for _, found in walk(root, under):
        if isinstance(found, Target):
            targets.append(found)
        elif isinstance(found, Known):
            known.append(found)
        elif isinstance(found, Finding):
            problems.append(found)
        elif found.project is not None:
            projects.append(found.project)
    have = {t.project for t in targets if t.role == "project"}
    have |= {p.path.split("/")[1] for p in problems if p.path.endswith("/" + PROJECT_FILE)}
    problems += [missing_project_file(project) for project in projects if project not in have]
    return Tree(targets, known, sorted(problems), projects)


def missing_project_file(project: str) -> Finding:
    return _problem(
        f"ops/{project}/{PROJECT_FILE}",
        f"is missing: every folder under ops/ is a project and needs one (see the sample "
        f"ops/checkout/{PROJECT_FILE}), or move ops/{project}/ out of ops/",
    )


def obstacle(root: Path, rel: str) -> Finding | None:
    """The problem with ``rel`` or a folder on the way to it (a symlink, a bad project name,
    a misplaced file), as the walk of the whole tree reports it; None for a record or a known
    file, and for a path that does not exist."""
    parts = tuple(rel.split("/"))
    for i in range(1, len(parts) + 1):
        what = entry_type(str(root.joinpath(*parts[:i])))
        if what is None:
            return None
        found = place(parts[:i], what)
        if isinstance(found, Finding):
            return found
        if i < len(parts) and not isinstance(found, Descend):
            return _problem("/".join(parts[:i]), "is not a folder")
    return None


def scan_project(root: Path, project: str) -> Tree:
    return scan(root, ("ops", project))
