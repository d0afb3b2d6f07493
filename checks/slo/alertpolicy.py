"""An OpenSLO SLO's ``spec.alertPolicies`` resolved to their burn-rate conditions. Pure.

Each entry is an ``alertPolicyRef`` naming an AlertPolicy document, or an AlertPolicy written
inline (``kind: AlertPolicy``, ``spec``); each policy has one condition, a ``conditionRef``
naming an AlertCondition document or one written inline (``kind: AlertCondition``, ``spec``).
A name that no document of the project's openslo/ folder defines is a problem (``ops
validate``) at the line that names it. ``ops slo rules`` turns each condition into an alert
(checks.slo.rules).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, Protocol


class Where(Protocol):
    @property
    def rel(self) -> str: ...

    def line(self, keys: Sequence[str | int]) -> int: ...


class Defined(NamedTuple):
    """A document and its data: an AlertPolicy or an AlertCondition."""

    at: Where
    data: dict[str, Any]


@dataclass(frozen=True)
class Condition:
    """One burn-rate condition of an SLO's alert policies, and where it is written."""

    policy: str  # the AlertPolicy's name
    name: str  # the AlertCondition's name
    severity: str
    op: str  # lt, lte, gt or gte
    threshold: Decimal  # the burn rate
    lookback: str  # lookbackWindow, an OpenSLO duration such as 1h
    alert_after: str | None  # alertAfter, such as 5m
    path: str
    line: int


class Resolved(NamedTuple):
    conditions: list[Condition]
    problems: list[tuple[str, int, str]]  # (path, line, message)


def resolve(
    at: Where,
    spec: dict[str, Any],
    policies: Mapping[str, Defined],
    conditions: Mapping[str, Defined],
    folder: str,
    invalid: Set[str] = frozenset(),
) -> Resolved:
    """The conditions of the SLO document ``at`` (its ``spec``), or what names no document;
    a name in ``invalid`` (a document that fails the schema, reported as such) is left out."""
    out: list[Condition] = []
    problems: list[tuple[str, int, str]] = []
    named: dict[str, int] = {}  # alertPolicyRef: the line that names it first
    for index, entry in enumerate(spec.get("alertPolicies") or []):
        keys: list[str | int] = ["spec", "alertPolicies", index]
        if "alertPolicyRef" in entry:
            name = entry["alertPolicyRef"]
            here = at.line([*keys, "alertPolicyRef"])
            if name in named:
                problems.append(
                    (
                        at.rel,
                        here,
                        f"alertPolicyRef {name!r} is listed twice (also at line {named[name]}); "
                        "list each policy once",
                    )
                )
                continue
            named[name] = here
            if name not in policies:
                if name in invalid:
                    continue
                problems.append(
                    (
                        at.rel,
                        here,
                        f"alertPolicyRef {name!r} names no AlertPolicy document in {folder}",
                    )
                )
                continue
            policy = policies[name]
            found = _policy(policy.at, policy.data, [], conditions, folder, invalid)
        elif entry.get("kind") == "AlertPolicy" and isinstance(entry.get("spec"), dict):
            found = _policy(at, entry, keys, conditions, folder, invalid)
        else:
            problems.append(
                (
                    at.rel,
                    at.line(keys),
                    "an alert policy is an alertPolicyRef, or an AlertPolicy written inline "
                    "(kind: AlertPolicy, metadata, spec with conditions)",
                )
            )
            continue
        out += found.conditions
        problems += found.problems
    return Resolved(out, problems)


def _policy(
    at: Where,
    data: dict[str, Any],
    keys: list[str | int],
    conditions: Mapping[str, Defined],
    folder: str,
    invalid: Set[str],
) -> Resolved:
    metadata = data.get("metadata")
    name = str(metadata.get("name", "inline")) if isinstance(metadata, dict) else "inline"
    entries = data["spec"].get("conditions")
    if not isinstance(entries, list) or not entries:
        here = at.line([*keys, "spec"])
        return Resolved([], [(at.rel, here, "an AlertPolicy needs one condition")])
    out, problems = [], []
    for index, entry in enumerate(entries):
        where: list[str | int] = [*keys, "spec", "conditions", index]
        if isinstance(entry, dict) and "conditionRef" in entry:
            ref = entry["conditionRef"]
            if ref not in conditions:
                if ref in invalid:
                    continue
                problems.append(
                    (
                        at.rel,
                        at.line([*where, "conditionRef"]),
                        f"conditionRef {ref!r} names no AlertCondition document in {folder}",
                    )
                )
                continue
            defined = conditions[ref]
            out.append(_condition(name, ref, defined.data["spec"], defined.at, ["spec"]))
        elif isinstance(entry, dict) and isinstance(entry.get("spec"), dict):
            inline = entry.get("metadata")
            label = str(inline.get("name", name)) if isinstance(inline, dict) else name
            out.append(_condition(name, label, entry["spec"], at, [*where, "spec"]))
        else:
            problems.append(
                (
                    at.rel,
                    at.line(where),
                    "a condition is a conditionRef, or an AlertCondition written inline "
                    "(kind: AlertCondition, metadata, spec with severity and condition)",
                )
            )
    return Resolved(out, problems)


def _condition(
    policy: str, name: str, spec: dict[str, Any], at: Where, keys: list[str | int]
) -> Condition:
    condition = spec.get("condition") if isinstance(spec.get("condition"), dict) else {}
    assert isinstance(condition, dict)
    return Condition(
        policy,
        name,
        str(spec.get("severity", "")),
        str(condition.get("op", "")),
        Decimal(str(condition.get("threshold", "0"))),
        str(condition.get("lookbackWindow", "")),
        condition.get("alertAfter"),
        at.rel,
        at.line([*keys, "condition"] if "condition" in spec else keys),
    )
