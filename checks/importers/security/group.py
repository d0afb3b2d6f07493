"""One import's advisories, one per vulnerability: advisories that share an id or an alias
(across packages, and across the ids one tool gives) become one :class:`Imported`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from checks.importers.security.model import Advisory
from checks.importers.security.severity import more_severe


class Imported(NamedTuple):
    """A vulnerability as one import reports it; ``ids[0]`` is its id for a new finding."""

    ids: tuple[str, ...]
    packages: tuple[str, ...]
    severity: str
    source_severity: str | None
    reference: str | None
    state: str  # open, fixed or dismissed
    fixed: str | None


@dataclass
class _Acc:
    first: int  # the position of its first advisory in the report
    ids: dict[str, None] = field(default_factory=dict)
    primary: dict[str, None] = field(default_factory=dict)  # the tools' own ids
    packages: dict[str, None] = field(default_factory=dict)
    severity: str = "unknown"
    source_severity: str | None = None
    reference: str | None = None
    states: set[str] = field(default_factory=set)
    fixed: str | None = None

    def add(self, a: Advisory) -> None:
        self.ids.update(dict.fromkeys(a.ids))
        self.primary[a.ids[0]] = None
        self.packages[a.package] = None
        if more_severe(a.severity, self.severity) or (
            a.severity == self.severity and self.source_severity is None
        ):
            self.severity, self.source_severity = a.severity, a.source_severity
        self.reference = self.reference or a.reference
        self.states.add(a.state)
        if a.fixed is not None and (self.fixed is None or a.fixed > self.fixed):
            self.fixed = a.fixed

    def absorb(self, other: _Acc) -> None:
        first, second = (self, other) if self.first <= other.first else (other, self)
        merged = _Acc(first.first)
        for acc in (first, second):
            merged.ids.update(acc.ids)
            merged.primary.update(acc.primary)
            merged.packages.update(acc.packages)
            merged.states |= acc.states
            if more_severe(acc.severity, merged.severity) or (
                acc.severity == merged.severity and merged.source_severity is None
            ):
                merged.severity, merged.source_severity = acc.severity, acc.source_severity
            merged.reference = merged.reference or acc.reference
            if acc.fixed is not None and (merged.fixed is None or acc.fixed > merged.fixed):
                merged.fixed = acc.fixed
        self.__dict__.update(merged.__dict__)

    def result(self) -> Imported:
        cves = sorted(i for i in self.ids if i.startswith("CVE-"))
        main = cves[0] if cves else next(iter(self.primary))
        aliases = sorted(i for i in self.ids if i != main)
        state = (
            "open"
            if "open" in self.states
            else "dismissed"
            if "dismissed" in self.states
            else "fixed"
        )
        return Imported(
            (main, *aliases),
            tuple(sorted(self.packages)),
            self.severity,
            self.source_severity,
            self.reference,
            state,
            self.fixed if state == "fixed" else None,
        )


def group(advisories: Iterable[Advisory]) -> list[Imported]:
    """The vulnerabilities of one import, in the order the report first names them. Its id is
    its CVE when it has one (the id most tools share), else the reporting tool's id."""
    accs: list[_Acc] = []
    parent: list[int] = []  # union-find: a group merged into another points to it
    owner: dict[str, int] = {}

    def root(index: int) -> int:
        while parent[index] != index:
            index = parent[index]
        return index

    for position, advisory in enumerate(advisories):
        hits = sorted({root(owner[i]) for i in advisory.ids if i in owner})
        if hits:
            target = hits[0]
            for other in hits[1:]:
                accs[target].absorb(accs[other])
                parent[other] = target
        else:
            target = len(accs)
            accs.append(_Acc(position))
            parent.append(target)
        accs[target].add(advisory)
        for i in advisory.ids:
            owner[i] = target
    live = [acc for index, acc in enumerate(accs) if parent[index] == index]
    return [acc.result() for acc in sorted(live, key=lambda acc: acc.first)]
