"""A project's records, read once for the rules (the only I/O of this package)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks import document, kinds
from checks.document import Document, DocumentError
from checks.paths import escaping_link
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
    """Every record of the project; those that cannot be read (or lead out of the
    repository through a symlink) are listed as unreadable, for the rules to report."""
    by_kind: dict[str, list[Record]] = {}
    unreadable: list[str] = []
    for kind, path in _files(root, project.slug):
        rel = path.relative_to(root).as_posix()
        if escaping_link(root, rel) is not None:  # as ops validate and ops new: never read it
            unreadable.append(rel)
            continue
        try:
            doc = document.parse_front_matter(document.read_text(path))
        except (DocumentError, OSError):
            unreadable.append(rel)
            continue
        by_kind.setdefault(kind, []).append(Record(rel, doc))
    return Records(project, by_kind, unreadable)


def _files(root: Path, slug: str) -> Iterator[tuple[str, Path]]:
    folder = root / "ops" / slug
    for kind in kinds.KINDS.values():
        for path in sorted((folder / kind.folder).glob("*.md")):
            if path.name != "README.md" and path.is_file():
                yield kind.name, path


def as_date(value: object) -> dt.date | None:
    """A YYYY-MM-DD date, or the UTC date of an RFC 3339 instant; None otherwise."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        return as_instant(value).astimezone(dt.UTC).date()  # type: ignore[union-attr]
    except (ValueError, AttributeError, OverflowError):
        return None


def as_instant(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) <= 10:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment.astimezone(dt.UTC)  # an offset that leaves the calendar (year 1 at +01:00)
    except (ValueError, OverflowError):
        return None
    return moment if moment.tzinfo is not None else None
