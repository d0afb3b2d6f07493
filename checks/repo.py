"""The repository's own choices: its settings file (.ops.yaml), its templates, its fields.

A team adopts the packaged templates and schemas, and may override them in its repository:

- a template in ``templates/`` (or the folder ``.ops.yaml`` names) is what ``ops new`` fills
  and whose ``##`` sections validate requires, on top of the packaged template's sections
  (a seed section stays required unless ``.ops.yaml`` lists it under ``sections.<kind>.optional``);
- ``.ops.yaml`` ``fields.<kind>`` adds front matter fields to a kind's schema.

Every command reads these once, at its start (:func:`activate`, from ``ops``'s main); what
it reads is the ``active`` configuration the rest of the code asks. A settings file that is
not valid stops every command with its file and line: nothing is judged by half a setting.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from checks import document, kinds, markdown
from checks.document import DocumentError
from checks.errors import OpsError
from checks.resources import templates_dir

SETTINGS_FILE = ".ops.yaml"
SETTINGS_SCHEMA = "settings.schema.json"
DEFAULT_FOLDER = "templates"
# kinds a team's template or fields may change (an SLO report is written by ops slo)
MAX_SECTIONS = 100  # a team template's ## sections
TEAM_KINDS = ("incident", "postmortem", "retro", "dependency-log", "security-log")


@dataclass(frozen=True)
class Template:
    kind: str
    path: Path  # the file that is read
    label: str  # how messages name it
    team: bool  # the repository's own, not the packaged one


@dataclass(frozen=True)
class Repo:
    """What applies in one repository (or, without one, the packaged defaults)."""

    root: Path | None = None
    folder: str = DEFAULT_FOLDER
    optional: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    fields: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    key: str = ""  # the digest of the settings file and the team's templates
    fields_json: str = "{}"  # the fields, as JSON: made once, asked for every document

    def template(self, kind: str) -> Template:
        name = kinds.KINDS[kind].template
        if self.root is not None and kind in TEAM_KINDS:
            own = self.root / self.folder / name
            if os.path.lexists(own):  # a link or a folder there: read as the error it is
                return Template(kind, own, f"{self.folder}/{name}", True)
        return Template(kind, templates_dir() / name, f"the packaged {name}", False)

    def fields_key(self) -> str:
        """The key the compiled validators are cached under."""
        return self.fields_json


PACKAGED = Repo()
_active: Repo = PACKAGED


def active() -> Repo:
    return _active


def activate(root: Path) -> Repo:
    """Read ``root``'s settings and templates, and make them what applies from now on."""
    global _active
    _active = load(root)
    return _active


def deactivate() -> None:
    global _active
    _active = PACKAGED


def load(root: Path) -> Repo:
    """The configuration of the repository at ``root``; OpsError (file:line) when the settings
    file is not valid."""
    digest = hashlib.blake2b(digest_size=16)
    path = root / SETTINGS_FILE
    data: dict[str, Any] = {}
    read: list[tuple[str, str]] = []  # (file, its SHA-256): what the key is made of
    if os.path.lexists(path):
        data = _read(path)
        read.append((SETTINGS_FILE, hashlib.sha256(_bytes(path, SETTINGS_FILE)).hexdigest()))
    folder = data.get("templates", DEFAULT_FOLDER)
    _check_folder(root, folder, "templates" in data)
    repo = Repo(
        root=root,
        folder=folder,
        optional=MappingProxyType(
            {k: frozenset(v.get("optional", ())) for k, v in data.get("sections", {}).items()}
        ),
        fields=MappingProxyType(dict(data.get("fields", {}))),
    )
    for kind in TEAM_KINDS:
        template = repo.template(kind)
        if template.team:
            raw = _bytes(template.path, template.label)
            read.append((template.label, hashlib.sha256(raw).hexdigest()))
    _check_optional(repo, data)
    digest.update(json.dumps(read).encode())  # a list of pairs: no two set-ups share a key
    fields = json.dumps(data.get("fields", {}), sort_keys=True)
    return Repo(repo.root, repo.folder, repo.optional, repo.fields, digest.hexdigest(), fields)


def _check_folder(root: Path, folder: str, named: bool) -> None:
    """The templates folder is a folder of the repository: never a link out of it, and, when
    the settings name it, there (a typo must not turn the team's templates off)."""
    if folder.casefold() in {"ops", "evidence", ".git"}:  # case-insensitive file systems
        raise OpsError(
            f"$.templates: {folder!r} is a folder ops uses for something else; name another",
            path=SETTINGS_FILE,
        )
    path = root / folder
    if os.path.islink(path):
        raise OpsError(
            "is a symlink; the templates folder is a folder of the repository, not a link out "
            "of it: replace it with the folder itself",
            path=folder,
        )
    if named and not path.is_dir():
        raise OpsError(
            f"$.templates: the folder {folder}/ does not exist (or is not a folder); create it "
            "with your templates, or remove the setting to use the packaged ones",
            path=SETTINGS_FILE,
        )


def _bytes(path: Path, label: str) -> bytes:
    """A regular file's bytes, bounded: never a link's target, a pipe's or a folder's."""
    try:
        return document.read_file(path)[0]
    except DocumentError as e:
        raise OpsError(e.message, path=label, line=e.line) from None
    except OSError as e:
        raise OpsError(f"cannot read: {e.strerror}", path=label) from None


def _read(path: Path) -> dict[str, Any]:
    from checks import schemas
    from checks.validation import schema_errors

    rel = SETTINGS_FILE
    try:
        doc = document.parse_yaml_file(document.decode(_bytes(path, rel)))
    except DocumentError as e:
        raise OpsError(e.message, path=rel, line=e.line) from None
    schemas.load_all()
    problems = schema_errors.check(SETTINGS_SCHEMA, doc, rel)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise OpsError(
            f"{first.json_path}: {first.message}{more}; see docs/adopting.md",
            path=rel,
            line=first.line,
        )
    data = doc.data
    for kind, extension in data.get("fields", {}).items():
        known = _base_properties(kind)
        for name in extension.get("properties", {}):
            if name in known:
                raise OpsError(
                    f"$.fields.{kind}.properties.{name}: {kind} documents have a field "
                    f"'{name}' already; give yours another name",
                    path=rel,
                    line=doc.line(["fields", kind, "properties", name]),
                )
        for name, schema in extension.get("properties", {}).items():
            for where, pattern in _patterns(schema, ["fields", kind, "properties", name]):
                try:
                    schemas.linear_pattern(pattern)
                except ValueError:
                    raise OpsError(
                        f"$.{'.'.join(map(str, where))}: {pattern!r} is not a pattern team "
                        "fields can use: it must be a valid regular expression without "
                        "look-around or back-references (team patterns are matched in linear "
                        "time, so that no document can make validation hang)",
                        path=rel,
                        line=doc.line(where),
                    ) from None
        for index, name in enumerate(extension.get("required", ())):
            if name not in extension.get("properties", {}):
                raise OpsError(
                    f"$.fields.{kind}.required[{index}]: '{name}' is not one of the fields "
                    f"defined under fields.{kind}.properties",
                    path=rel,
                    line=doc.line(["fields", kind, "required", index]),
                )
    return data


def _base_properties(kind: str) -> set[str]:
    from checks import schemas

    return set(schemas.load_all()[kinds.KINDS[kind].schema].get("properties", {}))


def _check_optional(repo: Repo, data: dict[str, Any]) -> None:
    for kind, names in repo.optional.items():
        seed = seed_sections(kind)
        for name in sorted(names):
            if name not in seed:
                raise OpsError(
                    f"$.sections.{kind}.optional: '{name}' is not a section of the packaged "
                    f"{kinds.KINDS[kind].template} (its sections: {', '.join(seed)})",
                    path=SETTINGS_FILE,
                )


def headings(template: Template) -> tuple[str, ...]:
    try:
        text = document.read_text(template.path)
        body = document.parse_front_matter(text).body
    except (DocumentError, OSError) as e:  # a broken template must not turn the check off
        message = e.message if isinstance(e, DocumentError) else str(e.strerror)
        raise OpsError(
            f"cannot read the template {template.label}: {message}", path=str(template.path)
        ) from None
    return tuple(markdown.headings(body))


@functools.cache
def _heading_set(template: Template, key: str) -> frozenset[str]:
    """The template's headings, once per template and digest (``key``: the repository's)."""
    return frozenset(headings(template))


def seed_sections(kind: str) -> tuple[str, ...]:
    return headings(PACKAGED.template(kind))


def required_sections(repo: Repo, kind: str) -> tuple[str, ...]:
    """The team template's sections, then the packaged template's it lacks that are not made
    optional: a team adds sections, and drops one only by saying so."""
    own = repo.template(kind)
    seed = seed_sections(kind)
    if not own.team:
        return seed
    optional = repo.optional.get(kind, frozenset())
    team = headings(own)
    if len(team) > MAX_SECTIONS:
        raise OpsError(
            f"has {len(team):,} sections; a template has at most {MAX_SECTIONS} (each one is "
            "required in every document of its kind)",
            path=own.label,
        )
    return team + tuple(s for s in seed if s not in team and s not in optional)


def _linear(schema: Any) -> Any:
    """A team field's schema with its ``pattern``s matched in linear time (checks.schemas)."""
    from checks.schemas import TEAM_PATTERN

    if not isinstance(schema, dict):
        return schema
    return {
        (TEAM_PATTERN if key == "pattern" else key): _linear(value) if key == "items" else value
        for key, value in schema.items()
    }


def _patterns(schema: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    if isinstance(schema, dict):
        if isinstance(schema.get("pattern"), str):
            yield [*path, "pattern"], schema["pattern"]
        yield from _patterns(schema.get("items"), [*path, "items"])


def section_source(repo: Repo, kind: str, name: str) -> str:
    """Which template a required section comes from, as messages name it: the team's, or the
    packaged one (and how to stop requiring it)."""
    own = repo.template(kind)
    if own.team and name not in _heading_set(own, repo.key):
        return (
            f"the packaged {kinds.KINDS[kind].template}, which {own.label} leaves out; list it "
            f"under sections.{kind}.optional in {SETTINGS_FILE} to stop requiring it"
        )
    return own.label


def extended(kind_schema: str, schema: dict[str, Any], repo: Repo) -> dict[str, Any]:
    """``schema`` with the fields the repository adds to its kind."""
    kind = next((k.name for k in kinds.KINDS.values() if k.schema == kind_schema), None)
    extension = repo.fields.get(kind) if kind is not None else None
    if not extension:
        return schema
    out = copy.deepcopy(schema)
    out["properties"].update(
        {name: _linear(value) for name, value in extension.get("properties", {}).items()}
    )
    out["required"] = [*out.get("required", []), *extension.get("required", [])]
    return out
