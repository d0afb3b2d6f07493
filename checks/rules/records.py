"""A project's records, read once for the rules (the only I/O of this package)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks import document, kinds, tree
from checks.dates import as_date
from checks.document import Document, DocumentError
from checks.errors import OpsError
from checks.findings import Finding
from checks.project import Project


class LazyDocument:
    """A record as the gate reads it: its front matter from the validation cache, and its YAML
    composed from the file only when a finding needs a line number."""

    def __init__(self, data: dict[str, Any], path: Path, raw: bytes | None = None) -> None:
        self.data = data
        self._path = path
        self._raw = raw  # the bytes about to be written (ops new), instead of the file's
        self._doc: Document | None = None
        self._failed = False
        self._body: str | None = None

    def line(self, path: list[str | int]) -> int:
        if self._doc is None and not self._failed:
            try:
                raw = self._raw if self._raw is not None else document.read_file(self._path)[0]
                self._doc = document.parse_front_matter(document.decode(raw))
            except (DocumentError, OSError):  # changed since it was checked: no line to give
                self._failed = True
        return 1 if self._doc is None else self._doc.line(path)

    @property
    def body(self) -> str:
        """The Markdown after the front matter, read from the file when first asked for
        (without parsing the front matter again); "" when it cannot be read now."""
        if self._body is None:
            try:
                raw = self._raw if self._raw is not None else document.read_file(self._path)[0]
                self._body = document.split_front_matter(document.decode(raw))[1]
            except (DocumentError, OSError):  # changed since it was checked
                self._body = ""
        return self._body


@dataclass(frozen=True)
class Record:
    rel: str
    doc: Document | LazyDocument

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data

    def line(self, *path: str | int) -> int:
        return self.doc.line(list(path))

    def date(self, key: str = "date") -> dt.date | None:
        return as_date(self.data.get(key))


@dataclass(frozen=True)
class Records:
    project: Project
    by_kind: dict[str, list[Record]] = field(default_factory=dict)
    # Files of the project that are no readable record (misplaced, links, unreadable): what
    # ops validate reports. The gate fails on them; commands that write refuse to.
    problems: list[Finding] = field(default_factory=list)

    def require_readable(self, what: str) -> None:
        """Refuse (OpsError) to ``what`` while a file of the project is a problem: a record in
        the wrong place would be missed (a second postmortem written, an item not synced)."""
        if not self.problems:
            return
        first, more = self.problems[0], len(self.problems) - 1
        others = f" (and {more} more)" if more else ""
        raise OpsError(
            f"{first.message}{others}; {what} reads every record of the project, so it stops "
            f"here: run ops validate ops/{self.project.slug}",
            path=first.path,
            line=first.line,
        )

    def of(self, kind: str) -> list[Record]:
        return self.by_kind.get(kind, [])

    def dated(self, kind: str) -> list[tuple[dt.date, Record]]:
        """The kind's records that have a date, oldest first."""
        out = [(d, r) for r in self.of(kind) if (d := r.date()) is not None]
        return sorted(out, key=lambda pair: (pair[0], pair[1].rel))

    @property
    def config_rel(self) -> str:
        return f"ops/{self.project.slug}/{kinds.PROJECT_FILE}"


def load(
    root: Path,
    project: Project,
    found: tree.Tree | None = None,
    data: Mapping[str, Any] | None = None,
) -> Records:
    """Every record of the project, as checks.tree enumerates them (``found``: a scan made
    already), with the files that are problems: misplaced, or unreadable. ``data``: the front
    matter ops validate read (engine.check's keep_data), taken as the gate takes it instead of
    parsing each file again; a file it has no mapping for is read here."""
    found = found or tree.scan_project(root, project.slug)
    prefix = f"ops/{project.slug}/"
    by_kind: dict[str, list[Record]] = {}
    problems = [p for p in found.problems if p.path.startswith(prefix)]
    for target in found.targets:
        if target.role != "document" or target.kind is None or target.project != project.slug:
            continue
        front = data.get(target.rel) if data is not None else None
        if isinstance(front, dict):
            lazy = LazyDocument(front, root / target.rel)
            by_kind.setdefault(target.kind, []).append(Record(target.rel, lazy))
            continue
        try:
            doc = document.parse_front_matter(document.read_text(root / target.rel))
        except DocumentError as e:
            problems.append(Finding(target.rel, e.line, None, e.message, rule="parse"))
            continue
        except OSError as e:
            problems.append(Finding(target.rel, 1, None, f"cannot read: {e.strerror}", "parse"))
            continue
        by_kind.setdefault(target.kind, []).append(Record(target.rel, doc))
    return Records(project, by_kind, sorted(problems))
