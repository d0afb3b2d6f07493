"""A project's records, read once for the rules (the only I/O of this package)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks import document, kinds, tree
from checks.dates import as_date
from checks.document import Document, DocumentError
from checks.project import Project


@dataclass(frozen=True)
class Record:
    rel: str
    doc: Document

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
    unreadable: list[str] = field(default_factory=list)  # reported by ops validate

    def of(self, kind: str) -> list[Record]:
        return self.by_kind.get(kind, [])

    def dated(self, kind: str) -> list[tuple[dt.date, Record]]:
        """The kind's records that have a date, oldest first."""
        out = [(d, r) for r in self.of(kind) if (d := r.date()) is not None]
        return sorted(out, key=lambda pair: (pair[0], pair[1].rel))

    @property
    def config_rel(self) -> str:
        return f"ops/{self.project.slug}/{kinds.PROJECT_FILE}"


def load(root: Path, project: Project) -> Records:
    """Every record of the project, as checks.tree enumerates them; those that cannot be read
    are listed as unreadable (ops validate, which the gate runs, says why)."""
    by_kind: dict[str, list[Record]] = {}
    unreadable: list[str] = []
    for target in tree.scan_project(root, project.slug).targets:
        if target.role != "document" or target.kind is None:
            continue
        try:
            doc = document.parse_front_matter(document.read_text(root / target.rel))
        except (DocumentError, OSError):
            unreadable.append(target.rel)
            continue
        by_kind.setdefault(target.kind, []).append(Record(target.rel, doc))
    return Records(project, by_kind, unreadable)
