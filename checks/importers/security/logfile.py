"""The security log as text: its ``findings:`` (and ``scanners:``) written into the front
matter, everything else left as the person wrote it."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode

from checks import document, yamlload
from checks.errors import OpsError


class _Dumper(yaml.SafeDumper):
    """Dates written plain (2026-01-05, as people write them): the project's loader keeps
    timestamps as strings, so they read back as the same strings."""


_Dumper.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    """Lists of plain values on one line (aliases: [CVE-2026-1, GHSA-...]), others as blocks."""
    flow = all(isinstance(v, str | int | float) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(list, _list)


def block(key: str, value: list[Any]) -> list[str]:
    """``key: value`` as front matter lines, a list of mappings in block style."""
    if not value:
        return [f"{key}: []"]
    if all(isinstance(v, str) for v in value):
        return [
            f"{key}: "
            + yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=10**6).strip()
        ]
    text = yaml.dump(
        value,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10**6,
    )
    return [f"{key}:", *("  " + line for line in text.splitlines())]


_COMMENT = re.compile(r"^\s*(#.*)?$")


def replace(text: str, values: dict[str, list[Any]], label: str) -> str:
    """``text`` with each top-level key of ``values`` rewritten in its front matter; a key
    that is not there yet goes at the end of the front matter. Comments and blank lines
    after a value stay."""
    try:
        doc = document.parse_front_matter(text)
    except document.DocumentError as e:
        raise OpsError(
            f"{e.message}; fix the log first (ops validate {label})", path=label, line=e.line
        ) from None
    lines = text.split("\n")
    end = doc.body_line - 2  # 0-based index of the closing '---'
    yaml_text = "\n".join(lines[1:end])
    root = yamlload.compose(yaml_text)
    spans: list[tuple[int, int, str]] = []
    if isinstance(root, MappingNode):
        for key_node, value_node in root.value:
            if isinstance(key_node, ScalarNode) and key_node.value in values:
                first = key_node.start_mark.line + 1
                last = value_node.end_mark.line + 1
                if value_node.end_mark.column == 0:
                    last -= 1
                while last > first and _COMMENT.match(lines[last]):
                    last -= 1
                spans.append((first, last, key_node.value))
    for first, last, key in sorted(spans, reverse=True):
        lines[first : last + 1] = block(key, values[key])
    missing = [k for k in values if k not in {s[2] for s in spans}]
    at = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "..."))
    for key in reversed(missing):
        lines[at:at] = block(key, values[key])
    return "\n".join(lines)
