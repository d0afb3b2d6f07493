"""The merge rules, pure: the log's findings + what earlier logs saw + one import -> the new
findings. Nothing here reads a file or a clock."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, NamedTuple

from checks.importers.security.group import Imported
from checks.importers.security.model import TOOLS
from checks.importers.security.severity import more_severe, rank

# The order keys take in a finding the import writes (the schema's order); others follow.
KEY_ORDER = (
    "id",
    "aliases",
    "package",
    "severity",
    "source_severity",
    "discovered",
    "status",
    "fixed",
    "reference",
    "sources",
    "exception",
    "notes",
)
Finding = dict[str, Any]


class Outcome(NamedTuple):
    findings: list[Finding]
    new: list[str]
    updated: list[str]
    fixed: list[str]
    reopened: list[str]  # fixed before (in this log or an earlier one), reported again
    left_open: list[str]  # gone from this tool's report, still another tool's finding
    alert_fixed: list[str]  # its Dependabot alert is fixed, and only Dependabot reported it
    alert_left_open: list[str]  # its Dependabot alert is fixed, but another tool reported it
    unaccepted: list[str]  # accepted, now reported with more than its exception covered


def first_seen(logs: Iterable[Iterable[object]]) -> dict[str, str]:
    """Each id and alias -> the earliest ``discovered`` any of these findings gives it."""
    seen: dict[str, str] = {}
    for findings in logs:
        for f in findings:
            if not isinstance(f, dict) or not isinstance(f.get("discovered"), str):
                continue
            for ident in _ids(f):
                if ident not in seen or f["discovered"] < seen[ident]:
                    seen[ident] = f["discovered"]
    return seen


def fixed_ids(logs: Iterable[Iterable[object]]) -> set[str]:
    """Each id and alias of a finding these logs mark fixed."""
    return {
        ident
        for findings in logs
        for f in findings
        if isinstance(f, dict) and f.get("status") == "fixed"
        for ident in _ids(f)
    }


def _ids(finding: Mapping[str, Any]) -> list[str]:
    aliases = finding.get("aliases")
    extra = [a for a in aliases if isinstance(a, str)] if isinstance(aliases, list) else []
    main = finding.get("id")
    return ([main] if isinstance(main, str) else []) + extra


def merge(
    existing: Iterable[object],
    seen: Mapping[str, str],
    imported: Iterable[Imported],
    tool: str,
    day: str,
    fixed_before: Collection[str] = frozenset(),
) -> Outcome:
    """The log's findings after importing ``imported`` from ``tool`` on ``day``.

    A finding keeps its id, its exception and notes, and an accepted status; ``discovered``
    only ever moves earlier (to the first day any log saw any of its ids); aliases, sources
    and packages are unions. The import is complete for ``tool``: an open or accepted finding
    that only ``tool`` reported and that it no longer reports is fixed on ``day``.

    An imported vulnerability that matches several findings (an alias joins them) counts as
    reported for each, and each is updated; they stay apart (each keeps its id and
    discovered), and neither takes the ids or packages the other has. An accepted finding
    that an import reports with a package or a severity its exception did not cover is open
    again. ``fixed_before``: ids earlier logs marked fixed (a new finding with one of them is
    open again, not new).
    """
    findings = [dict(f) for f in existing if isinstance(f, dict)]
    where: dict[str, int] = {}
    for index, f in enumerate(findings):
        for ident in _ids(f):
            where.setdefault(ident, index)
    out = Outcome(findings, [], [], [], [], [], [], [], [])
    reported: set[int] = set()
    added: list[Finding] = []
    for item in imported:
        hits = sorted({where[i] for i in item.ids if i in where})
        for hit in hits:
            reported.add(hit)
            others = [findings[h] for h in hits if h != hit]
            taken = {i for f in others for i in _ids(f)}
            packages = {p for f in others for p in _package_list(f.get("package"))}
            _update(findings[hit], _without(item, taken, packages), seen, tool, day, out)
        if not hits and item.state == "open":
            added.append(_new(item, seen, tool, day))
    for index, f in enumerate(findings):
        if index in reported or tool not in _list(f, "sources"):
            continue
        if f.get("status") not in ("open", "accepted"):
            continue
        if _list(f, "sources") != [tool]:
            out.left_open.append(str(f.get("id")))
            continue
        _fix(f, day)
        out.fixed.append(str(f.get("id")))
    added.sort(key=lambda f: (rank(f["severity"]), f["id"]))
    for f in added:
        again = any(i in fixed_before for i in _ids(f))
        (out.reopened if again else out.new).append(f["id"])
    findings.extend(added)
    findings[:] = [_ordered(f) for f in findings]
    return out


def _update(
    f: Finding, item: Imported, seen: Mapping[str, str], tool: str, day: str, out: Outcome
) -> None:
    before = dict(f)
    ident = str(f.get("id"))
    if item.state == "dismissed":  # GitHub: a person decided; the log keeps what it says
        return
    if item.state == "fixed":  # like a disappearance: only when no other tool reported it
        if f.get("status") not in ("open", "accepted"):
            return
        if set(_list(f, "sources")) <= {tool}:
            _fix(f, min(item.fixed or day, day))
            out.alert_fixed.append(ident)
        else:
            out.alert_left_open.append(ident)
        return
    aliases = [a for a in (*_list(f, "aliases"), *item.ids) if a != ident]
    if aliases:
        f["aliases"] = list(dict.fromkeys(aliases))
    sources = {*_list(f, "sources"), tool}
    f["sources"] = [t for t in TOOLS if t in sources]
    had = _package_list(f.get("package"))
    f["package"] = _packages(f.get("package"), item.packages)
    more = _package_list(f["package"]) != had
    current = f.get("severity")
    if (
        not isinstance(current, str)
        or current == "unknown"
        or more_severe(item.severity, current)
        or (current == item.severity and "source_severity" not in f)
    ) and item.severity != "unknown":
        more = more or not isinstance(current, str) or more_severe(item.severity, current)
        f["severity"] = item.severity
        _set(f, "source_severity", item.source_severity)
    if f.get("status") == "accepted" and more:  # the exception did not cover this
        f["status"] = "open"
        out.unaccepted.append(ident)
    if "reference" not in f and item.reference is not None:
        f["reference"] = item.reference
    discovered = _first(f, item, seen, day)
    if discovered is not None:
        f["discovered"] = discovered
    if f.get("status") == "fixed":  # reported again: open, its SLA clock as it was
        f["status"] = "open"
        f.pop("fixed", None)
        out.reopened.append(ident)
    if f != before:
        out.updated.append(ident)


def _new(item: Imported, seen: Mapping[str, str], tool: str, day: str) -> Finding:
    f: Finding = {"id": item.ids[0]}
    if len(item.ids) > 1:
        f["aliases"] = list(item.ids[1:])
    f["package"] = ", ".join(item.packages)
    f["severity"] = item.severity
    _set(f, "source_severity", item.source_severity)
    f["discovered"] = _first(f, item, seen, day) or day
    f["status"] = "open"
    _set(f, "reference", item.reference)
    f["sources"] = [tool]
    return f


def _first(f: Finding, item: Imported, seen: Mapping[str, str], day: str) -> str | None:
    """The earliest of the finding's discovered, the day, and any earlier sighting of any of
    its ids (never later than what the finding says)."""
    dates = [seen[i] for i in (*_ids(f), *item.ids) if i in seen]
    own = f.get("discovered")
    if isinstance(own, str):
        dates.append(own)
    else:
        dates.append(day)
    return min(dates) if dates else None


def _fix(f: Finding, day: str) -> None:
    f["status"] = "fixed"
    discovered = f.get("discovered")
    f["fixed"] = max(day, discovered) if isinstance(discovered, str) else day


def _without(item: Imported, ids: Collection[str], packages: Collection[str]) -> Imported:
    """``item`` for one of several findings it matches: without the ids and packages the
    others have (which of the item's packages is whose, the import cannot say)."""
    if not ids and not packages:
        return item
    return item._replace(
        ids=tuple(i for i in item.ids if i not in ids),
        packages=tuple(p for p in item.packages if p not in packages),
    )


def _package_list(current: object) -> list[str]:
    return current.split(", ") if isinstance(current, str) and current.strip() else []


def _packages(current: object, imported: tuple[str, ...]) -> str:
    return ", ".join(dict.fromkeys([*_package_list(current), *imported]))


def _set(f: Finding, key: str, value: object) -> None:
    if value is None:
        f.pop(key, None)
    else:
        f[key] = value


def _list(f: Mapping[str, Any], key: str) -> list[Any]:
    value = f.get(key)
    return value if isinstance(value, list) else []


def _ordered(f: Finding) -> Finding:
    known = {k: f[k] for k in KEY_ORDER if k in f}
    return {**known, **{k: v for k, v in f.items() if k not in known}}
