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


# The fewest bytes a finding takes in the log, beyond its ids and packages ("  - id: ...",
# package, severity, discovered, status, sources: about 106): a report with more distinct
# vulnerabilities than a 1 MiB log can hold is refused as soon as that is certain.
FINDING_BYTES = 100


class TooMany(Exception):
    """The vulnerabilities read so far already need a log larger than ``limit`` bytes."""

    def __init__(self, advisories: int, vulnerabilities: int, limit: int) -> None:
        super().__init__(f"{vulnerabilities} vulnerabilities")
        self.advisories = advisories
        self.vulnerabilities = vulnerabilities
        self.limit = limit


@dataclass
class _Acc:
    first: int  # the position of its first advisory in the report
    ids: dict[str, None] = field(default_factory=dict)
    primary: dict[str, int] = field(default_factory=dict)  # the tools' own ids -> position
    packages: dict[str, None] = field(default_factory=dict)
    severity: str = "unknown"
    source_severity: str | None = None
    reference: str | None = None
    states: set[str] = field(default_factory=set)
    fixed: str | None = None
    cost: int = FINDING_BYTES  # at least the bytes its finding takes in the log

    def add(self, a: Advisory, position: int) -> None:
        for i in a.ids:
            if i not in self.ids:
                self.ids[i] = None
                self.cost += len(i) + 2
        self.primary.setdefault(a.ids[0], position)
        if a.package not in self.packages:
            self.packages[a.package] = None
            self.cost += len(a.package) + 2
        self.severity, self.source_severity = _severity(
            (self.severity, self.source_severity), (a.severity, a.source_severity)
        )
        self.reference = self.reference or a.reference
        self.states.add(a.state)
        if a.fixed is not None and (self.fixed is None or a.fixed > self.fixed):
            self.fixed = a.fixed

    def absorb(self, other: _Acc) -> None:
        """``other`` merged into this one, in place (the caller passes the smaller one): as
        if the advisories of both had been added in the order the report gave them."""
        for i in other.ids:
            if i not in self.ids:
                self.ids[i] = None
                self.cost += len(i) + 2
        for i, position in other.primary.items():
            self.primary[i] = min(position, self.primary.get(i, position))
        for p in other.packages:
            if p not in self.packages:
                self.packages[p] = None
                self.cost += len(p) + 2
        self.states |= other.states
        mine = (self.severity, self.source_severity)
        theirs = (other.severity, other.source_severity)
        first, second = (mine, theirs) if self.first <= other.first else (theirs, mine)
        self.severity, self.source_severity = _severity(first, second)
        if other.first < self.first:
            self.reference = other.reference or self.reference
        else:
            self.reference = self.reference or other.reference
        if other.fixed is not None and (self.fixed is None or other.fixed > self.fixed):
            self.fixed = other.fixed
        self.first = min(self.first, other.first)

    def result(self) -> Imported:
        cves = sorted(i for i in self.ids if i.startswith("CVE-"))
        main = cves[0] if cves else min(self.primary, key=lambda i: self.primary[i])
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


def _severity(
    first: tuple[str, str | None], second: tuple[str, str | None]
) -> tuple[str, str | None]:
    """The severity of two reports of one vulnerability, the earlier first: the more severe;
    on a tie, the earlier's, unless only the later has the tool's own word for it."""
    if more_severe(second[0], first[0]) or (second[0] == first[0] and first[1] is None):
        return second
    return first


def group(advisories: Iterable[Advisory], limit: int | None = None) -> list[Imported]:
    """The vulnerabilities of one import, in the order the report first names them. Its id is
    its CVE when it has one (the id most tools share), else the reporting tool's id. With
    ``limit``: :class:`TooMany` as soon as the log would need more bytes than that.

    Union-find by size with path compression: linear in the advisories, whatever the aliases
    chain (a chain of 50,000 advisories is no more work than 50,000 separate ones)."""
    accs: dict[int, _Acc] = {}  # the live groups, by their index
    parent: list[int] = []
    owner: dict[str, int] = {}
    cost = 0  # the bytes the live groups need at least

    def root(index: int) -> int:
        top = index
        while parent[top] != top:
            top = parent[top]
        while parent[index] != top:
            parent[index], index = top, parent[index]
        return top

    for position, advisory in enumerate(advisories):
        hits = {root(owner[i]) for i in advisory.ids if i in owner}
        if hits:
            target = max(hits, key=lambda h: (len(accs[h].ids) + len(accs[h].packages), -h))
            cost -= accs[target].cost
            for other in hits - {target}:
                absorbed = accs.pop(other)
                cost -= absorbed.cost
                accs[target].absorb(absorbed)
                parent[other] = target
        else:
            target = len(parent)
            accs[target] = _Acc(position)
            parent.append(target)
        accs[target].add(advisory, position)
        cost += accs[target].cost  # the target's cost as it is now (subtracted above when old)
        for i in advisory.ids:
            owner.setdefault(i, target)
        if limit is not None and cost > limit:
            raise TooMany(position + 1, len(accs), limit)
    return [acc.result() for acc in sorted(accs.values(), key=lambda acc: acc.first)]
