"""The tool's priority or severity to the project's severity: project.yaml's
``incident_import.severity_map``, and nothing else (an unmapped value stops the import)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from checks.errors import OpsError
from checks.importers.incidents.model import Imported, shown


def severity_map(project_data: Mapping[str, Any], config: str) -> dict[str, str]:
    """The map from project.yaml; OpsError saying how to add it when there is none."""
    found = (project_data.get("incident_import") or {}).get("severity_map") or {}
    if not found:
        raise OpsError(
            "no incident_import.severity_map: add one that gives each of the tool's "
            "priorities or severities a level of severity_scale, such as\n"
            "  incident_import:\n    severity_map: {P1: SEV1, P2: SEV2, P3: SEV3}",
            path=config,
        )
    return dict(found)


def severities(
    incidents: Sequence[Imported],
    mapping: Mapping[str, str],
    scale: Sequence[str],
    file: str,
    config: str,
) -> list[str]:
    """Each incident's project severity; every unmapped value named at once (OpsError)."""
    unmapped: dict[str, Imported] = {}
    out = []
    for item in incidents:
        level = mapping.get(item.tool_severity)
        if level is None:
            unmapped.setdefault(item.tool_severity, item)
        out.append(level or "")
    if unmapped:
        named = "; ".join(
            f"{shown(value)} (first at {item.where}: {item.system} incident {item.ext_id})"
            for value, item in unmapped.items()
        )
        keys = ", ".join(f"{_key(v)}: <level>" for v in unmapped)
        levels = ", ".join(scale) if scale else "the project's severity_scale"
        raise OpsError(
            f"no severity for {named}: add it to incident_import.severity_map in {config} "
            f"as {{{keys}}}, each <level> one of {levels} (the first the most severe); "
            "nothing written",
            path=file,
        )
    return out


def _key(value: str) -> str:
    """The value as a YAML flow-mapping key."""
    import json

    plain = value.replace(" ", "").replace("-", "").replace("_", "").isalnum()
    return value if plain else json.dumps(value, ensure_ascii=False)
