"""Reference pages from the JSON Schemas: one Markdown page per schema file, and an index.

Pure: the loaded schemas (file name -> schema, as :func:`checks.schemas.load_all` gives them) in,
page texts out, the same bytes for the same schemas. ``scripts/schema_docs.py`` writes them to
``docs/reference/`` and, with ``--check``, says which are out of date.

Each page has the schema's title and description, a table of every field at every depth (its
type, whether it is required, its default, what values it allows and its description), the
rules that tie fields together (``if``/``then``/``else``), and the schema's ``$defs``. A field
that is a ``$ref`` shows the referenced type's name, linked to its section, and its
constraints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import unquote

COMMON = "common.schema.json"
INDEX = "README.md"
SUFFIX = ".schema.json"
GENERATOR = "scripts/schema_docs.py"

Schemas = Mapping[str, Mapping[str, Any]]

# Keywords whose value is a schema, a map of schemas, or a list of schemas (Draft 2020-12).
_ONE = (
    "items",
    "additionalProperties",
    "propertyNames",
    "contains",
    "unevaluatedItems",
    "unevaluatedProperties",
    "not",
    "if",
    "then",
    "else",
)
_MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")

_HEADER = ("Field", "Type", "Required", "Default", "Allowed values", "Description")


class Row(NamedTuple):
    """One line of a field table."""

    field: str
    type: str
    required: str
    default: str
    allowed: str
    description: str


def page_name(schema_file: str) -> str:
    """``project.schema.json`` -> ``project.md``."""
    return schema_file.removesuffix(SUFFIX).removesuffix(".json") + ".md"


def pages(schemas: Schemas) -> dict[str, str]:
    """Every page by its file name (``README.md``, the index, first), each ending in a newline."""
    out = {INDEX: render_index(schemas)}
    for name in sorted(schemas):
        out[page_name(name)] = render_page(name, schemas)
    return out


def render_index(schemas: Schemas) -> str:
    lines = [
        _generated("schemas/*.schema.json"),
        "",
        "# Schema reference",
        "",
        "One page per JSON Schema in `schemas/`: every field of each kind of document, its type,",
        "whether it is required, its default, the values it allows and what it means. The pages",
        f"are generated from the schemas by `python {GENERATOR}` (do not edit them by hand; a test",
        "fails when one is out of date). Editors that read JSON Schema show the same descriptions.",
        "",
        "| Page | Schema | What it describes |",
        "|---|---|---|",
    ]
    for name in sorted(schemas):
        schema = schemas[name]
        title = _cell(str(schema.get("title") or name))
        lines.append(
            f"| [{title}]({page_name(name)}) | `schemas/{name}` "
            f"| {_cell(str(schema.get('description', '')))} |"
        )
    return "\n".join(lines) + "\n"


def render_page(name: str, schemas: Schemas) -> str:
    """The reference page of the schema file ``name``."""
    schema = schemas[name]
    page = _Page(name, schemas)
    lines = [
        _generated(f"schemas/{name}"),
        "",
        f"# {_text(str(schema.get('title') or name))}",
        "",
    ]
    if schema.get("description"):
        lines += [_text(str(schema["description"])), ""]
    shared = ""
    if name != COMMON and COMMON in schemas:
        title = _cell(str(schemas[COMMON].get("title") or COMMON))
        shared = f" Types shared by every kind are in [{title}]({page_name(COMMON)})."
    lines += [
        f"Schema: [`schemas/{name}`](../../schemas/{name}). [All schemas](README.md).{shared}",
        "",
    ]
    if "properties" in schema or "additionalProperties" in schema:
        lines += ["## Fields", ""]
        if schema.get("additionalProperties") is False:
            lines += ["No other fields are allowed.", ""]
        elif "properties" in schema:
            lines += ["Other fields are allowed.", ""]
        lines += _table(page.fields(schema, name, ""))
    rules = page.rules(schema, name, "")
    if rules:
        lines += ["## Rules between fields", ""]
        for rule in rules:
            lines += rule
    defs = schema.get("$defs")
    if isinstance(defs, Mapping) and defs:
        level = "##" if name == COMMON else "###"
        if name != COMMON:
            lines += ["## Definitions", ""]
        for def_name, sub in defs.items():
            lines += page.definition(def_name, sub, level)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, spaces to '-', punctuation dropped."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def refs(schema: Any) -> Iterator[str]:
    """Every ``$ref`` of a schema, at every depth, in document order."""
    for _, node in _schemas(schema):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref


_Where = tuple[str | int, ...]


def _schemas(schema: Any, path: _Where = ()) -> Iterator[tuple[_Where, Mapping[str, Any]]]:
    """Every (sub)schema with its path, reading keywords as keywords: a property named
    ``$ref`` or ``items`` is a property, never a keyword."""
    if not isinstance(schema, Mapping):
        return
    yield path, schema
    for key, value in schema.items():
        if key in _ONE:
            yield from _schemas(value, (*path, key))
        elif key in _MAP and isinstance(value, Mapping):
            for sub_name, sub in value.items():
                yield from _schemas(sub, (*path, key, sub_name))
        elif key in _LIST and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from _schemas(sub, (*path, key, i))


class _Target(NamedTuple):
    label: str  # the type's name
    link: str  # relative to the page being written
    file: str  # the schema file the target lives in (its own refs are relative to it)
    schema: Any  # None when the ref does not resolve


class _Page:
    """Renders the parts of one page; ``base`` is always the file a subschema comes from."""

    def __init__(self, name: str, schemas: Schemas) -> None:
        self.name = name
        self.schemas = schemas

    # --- references ---------------------------------------------------------------------

    def target(self, ref: str, base: str) -> _Target:
        file, _, fragment = ref.partition("#")
        file = file or base
        node: Any = self.schemas.get(file)
        parts = [unquote(p).replace("~1", "/").replace("~0", "~") for p in fragment.split("/")]
        parts = [p for p in parts if p]
        for part in parts:
            if isinstance(node, Mapping):
                node = node.get(part)
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node = None
        page = "" if file == self.name else page_name(file)
        if not parts:
            whole = self.schemas.get(file)
            label = str(whole.get("title") or file) if whole is not None else file
            return _Target(label, page or "#", file, node)
        label = parts[-1]
        if len(parts) == 2 and parts[0] == "$defs":
            return _Target(label, f"{page}#{anchor(label)}", file, node)
        return _Target(label, page or "#", file, node)

    def link(self, ref: str, base: str) -> str:
        found = self.target(ref, base)
        if found.schema is None:
            return _span(ref)
        return f"[{_cell(found.label)}]({found.link})"

    # --- one schema: its type and what it allows -----------------------------------------

    def type_of(self, schema: Any, base: str) -> str:
        if schema is True:
            return "any"
        if schema is False:
            return "nothing"
        if not isinstance(schema, Mapping):
            return "any"
        if isinstance(schema.get("$ref"), str):
            return self.link(schema["$ref"], base)
        declared = schema.get("type")
        if isinstance(declared, list):
            names = [str(t) for t in declared]
        elif isinstance(declared, str):
            names = [declared]
        elif "const" in schema:
            names = [_json_type(schema["const"])]
        elif isinstance(schema.get("enum"), list):
            names = list(dict.fromkeys(_json_type(v) for v in schema["enum"]))
        elif "properties" in schema or "additionalProperties" in schema:
            names = ["object"]
        elif "items" in schema:
            names = ["array"]
        else:
            names = []
        shown = [self._named(n, schema, base) for n in names]
        for keyword in ("anyOf", "oneOf"):
            branches = schema.get(keyword)
            if not names and isinstance(branches, list) and all(_typed(b) for b in branches):
                shown = [self.type_of(b, base) for b in branches]
        for sub in schema.get("allOf") or []:
            if isinstance(sub, Mapping) and isinstance(sub.get("$ref"), str):
                link = self.link(sub["$ref"], base)
                shown = [f"{shown[0]} ({link})"] if len(shown) == 1 else [link]
        if not shown and schema.get("not") is True:
            return "(absent)"
        return " or ".join(shown) if shown else "any"

    def _named(self, name: str, schema: Mapping[str, Any], base: str) -> str:
        if name == "array" and "items" in schema:
            return f"array of {self.type_of(schema['items'], base)}"
        extra = schema.get("additionalProperties")
        if name == "object" and isinstance(extra, Mapping) and not schema.get("properties"):
            return f"map of {self.type_of(extra, base)}"
        return name

    def allowed(self, schema: Any, base: str, seen: frozenset[str] = frozenset()) -> list[str]:
        """What the schema allows, in words, its $refs' constraints first."""
        if not isinstance(schema, Mapping):
            return []
        out: list[str] = []
        ref = schema.get("$ref")
        if isinstance(ref, str):
            found = self.target(ref, base)
            key = f"{found.file}#{ref.partition('#')[2]}"
            is_def = found.link.startswith(("#", page_name(found.file) + "#"))
            if found.schema is not None and key not in seen and is_def:
                out += self.allowed(found.schema, found.file, seen | {key})
        for sub in schema.get("allOf") or []:
            out += self.allowed(sub, base, seen)
        for keyword in ("anyOf", "oneOf"):
            for sub in schema.get(keyword) or []:
                out += self.allowed(sub, base, seen)
        out += self._own(schema, base)
        return list(dict.fromkeys(out))

    def _own(self, schema: Mapping[str, Any], base: str) -> list[str]:
        out: list[str] = []
        if "const" in schema:
            out.append(f"always {_word(schema['const'])}")
        if isinstance(schema.get("enum"), list):
            out.append("one of " + ", ".join(_word(v) for v in schema["enum"]))
        if isinstance(schema.get("format"), str):
            out.append(f"format {_span(schema['format'])}")
        if isinstance(schema.get("pattern"), str):
            out.append(f"matches {_span(schema['pattern'])}")
        out += _range(schema, "minLength", "maxLength", "character")
        out += _bounds(schema)
        out += _range(schema, "minItems", "maxItems", "item")
        if schema.get("uniqueItems") is True:
            out.append("no duplicates")
        out += _range(schema, "minProperties", "maxProperties", "key")
        names = schema.get("propertyNames")
        if isinstance(names, Mapping):
            keys = self.allowed(names, base)
            if isinstance(names.get("$ref"), str):
                keys = [self.link(names["$ref"], base)]
            if keys:
                out.append("keys: " + "; ".join(keys))
        negated = schema.get("not")
        if negated is True:
            out.append("must be absent")
        elif isinstance(negated, Mapping) and isinstance(negated.get("enum"), list):
            out.append("not " + ", ".join(_word(v) for v in negated["enum"]))
        for keyword, word in (("oneOf", "exactly one of"), ("anyOf", "at least one of")):
            branches = schema.get(keyword)
            if isinstance(branches, list) and branches and all(_only_required(b) for b in branches):
                names_set = [" and ".join(_span(str(n)) for n in b["required"]) for b in branches]
                out.append(f"{word} " + " or ".join(names_set))
        return out

    # --- tables of fields -----------------------------------------------------------------

    def fields(self, schema: Mapping[str, Any], base: str, prefix: str) -> list[Row]:
        rows: list[Row] = []
        required = schema.get("required")
        needed = set(required) if isinstance(required, list) else set()
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            for prop, sub in properties.items():
                path = f"{prefix}.{prop}" if prefix else str(prop)
                rows.append(self.row(path, sub, base, "yes" if prop in needed else "no"))
                rows += self.children(sub, base, path)
        patterns = schema.get("patternProperties")
        if isinstance(patterns, Mapping):
            for pattern, sub in patterns.items():
                path = f"{prefix}.<{pattern}>" if prefix else f"<{pattern}>"
                rows.append(self.row(path, sub, base, ""))
                rows += self.children(sub, base, path)
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            key = f"<{self.key_name(schema, base)}>"
            path = f"{prefix}.{key}" if prefix else key
            rows.append(self.row(path, extra, base, ""))
            rows += self.children(extra, base, path)
        return rows

    def children(self, schema: Any, base: str, path: str) -> list[Row]:
        if not isinstance(schema, Mapping):
            return []
        rows: list[Row] = []
        items = schema.get("items")
        if isinstance(items, Mapping):
            rows.append(self.row(f"{path}[]", items, base, ""))
            rows += self.children(items, base, f"{path}[]")
        rows += self.fields(schema, base, path)
        return rows

    def key_name(self, schema: Mapping[str, Any], base: str) -> str:
        names = schema.get("propertyNames")
        if isinstance(names, Mapping) and isinstance(names.get("$ref"), str):
            return self.target(names["$ref"], base).label
        return "key"

    def row(self, path: str, schema: Any, base: str, required: str) -> Row:
        node = schema if isinstance(schema, Mapping) else {}
        default = _value(node["default"]) if "default" in node else ""
        return Row(
            _span(path),
            self.type_of(schema, base),
            required,
            default,
            "; ".join(self.allowed(schema, base)),
            _cell(str(node.get("description", ""))),
        )

    # --- if/then/else -----------------------------------------------------------------------

    def rules(self, schema: Any, base: str, where: str) -> list[list[str]]:
        """Each conditional of the schema and of its fields, as Markdown lines."""
        if not isinstance(schema, Mapping):
            return []
        out: list[list[str]] = []
        conditionals = [schema] + [s for s in schema.get("allOf") or [] if isinstance(s, Mapping)]
        required = schema.get("required")
        needed = [n for n in required if isinstance(n, str)] if isinstance(required, list) else []
        for node in conditionals:
            if "if" in node and ("then" in node or "else" in node):
                out.append(self.rule(node, base, where, needed))
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            for prop, sub in properties.items():
                path = f"{where}.{prop}" if where else str(prop)
                out += self.rules(sub, base, path)
        items = schema.get("items")
        if isinstance(items, Mapping):
            out += self.rules(items, base, f"{where}[]")
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            out += self.rules(extra, base, f"{where}.<{self.key_name(schema, base)}>")
        return out

    def rule(self, node: Mapping[str, Any], base: str, where: str, needed: list[str]) -> list[str]:
        """One conditional in words; the fields a branch defines get a table of their own
        (``needed``: the fields the enclosing object requires in any case)."""
        scope = f"In {_span(where)}: w" if where else "W"
        condition = _condition(node["if"])
        lines: list[str] = []
        tables: list[str] = []
        parts: list[str] = []
        for keyword, lead in (("then", ""), ("else", "Otherwise: ")):
            branch = node.get(keyword)
            if not isinstance(branch, Mapping):
                continue
            said, defined = self.consequences(branch, needed)
            if said:
                parts.append(lead + "; ".join(said) + ".")
            if defined:
                heading = f"When {condition}" if keyword == "then" else f"Unless {condition}"
                tables += [f"### {heading}", "", *_table(self.fields(defined, base, where))]
        text = " ".join(parts) if parts else "see below."
        lines.append(f"- {scope}hen {condition}: {text}")
        lines.append("")
        return lines + tables

    def consequences(
        self, branch: Mapping[str, Any], needed: list[str]
    ) -> tuple[list[str], dict[str, Any] | None]:
        """What a then/else asks, in words, and the fields it defines (a schema with only
        those properties), if any."""
        said: list[str] = []
        listed = branch.get("required")
        required = [n for n in listed if isinstance(n, str)] if isinstance(listed, list) else []
        if required:
            said.append(_names(required) + (" is" if len(required) == 1 else " are") + " required")
        negated = branch.get("not")
        if isinstance(negated, Mapping) and _only_required(negated):
            said.append(_names(negated["required"]) + " must be absent")
        defined: dict[str, Any] = {}
        properties = branch.get("properties")
        for prop, sub in properties.items() if isinstance(properties, Mapping) else ():
            if not isinstance(sub, Mapping):
                continue
            if sub.get("not") is True:
                said.append(f"{_span(prop)} must be absent")
            elif _defines(sub):
                defined[prop] = sub
            else:
                items = sub.get("items")
                need = items.get("required") if isinstance(items, Mapping) else None
                if isinstance(need, list) and need:
                    said.append(f"each item of {_span(prop)} needs {_names(need)}")
        if defined:
            said.append("the fields below")
            return said, {
                "properties": defined,
                "required": [n for n in defined if n in needed or n in required],
            }
        return said, None

    # --- $defs ------------------------------------------------------------------------------

    def definition(self, name: str, schema: Any, level: str) -> list[str]:
        """A section of ``$defs``: its description, who uses it, and a table of it (its own
        row, then its fields)."""
        lines = [f"{level} {name}", ""]
        node = schema if isinstance(schema, Mapping) else {}
        if node.get("description"):
            lines += [_text(str(node["description"])), ""]
        users = self.users(name)
        if users:
            lines += [f"Used by {', '.join(users)}.", ""]
        own = self.row(name, schema, self.name, "")._replace(description="")
        lines += _table([own, *self.children(schema, self.name, name)])
        for rule in self.rules(schema, self.name, name):
            lines += rule
        return lines

    def users(self, def_name: str) -> list[str]:
        """Links to the other pages whose schema refers to this definition."""
        out = []
        for other in sorted(self.schemas):
            if other == self.name:
                continue
            for ref in refs(self.schemas[other]):
                file, _, fragment = ref.partition("#")
                if (file or other) == self.name and fragment == f"/$defs/{def_name}":
                    title = str(self.schemas[other].get("title") or other)
                    out.append(f"[{_cell(title)}]({page_name(other)})")
                    break
        return out


# --- text --------------------------------------------------------------------------------------


def _generated(source: str) -> str:
    return f"<!-- Generated from {source} by {GENERATOR}: do not edit by hand. -->"


def _table(rows: list[Row]) -> list[str]:
    if not rows:
        return []
    lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


_PLAIN = str.maketrans({"\\": "\\\\", "*": "\\*", "<": "&lt;", "[": "\\[", "]": "\\]"})


_CODE = re.compile(r"(`+)(.+?)\1")


def _text(text: str) -> str:
    """A description as Markdown that shows it as written (no emphasis, link or HTML tag);
    the code spans it has stay code spans."""
    text = " ".join(text.split())
    out, last = [], 0
    for span in _CODE.finditer(text):
        out += [text[last : span.start()].translate(_PLAIN), span.group(0)]
        last = span.end()
    return "".join([*out, text[last:].translate(_PLAIN)])


def _cell(text: str) -> str:
    """Plain text for a table cell."""
    return _text(text).replace("|", "\\|")


def _span(text: str) -> str:
    """A code span for a table cell: a '|' escaped (it would end the cell), fenced with more
    backticks than the text holds in a row."""
    text = " ".join(text.split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _value(value: Any) -> str:
    """A value as JSON, in a code span."""
    return _span(json.dumps(value, ensure_ascii=False))


def _word(value: Any) -> str:
    """An allowed value: a string as it is written in YAML (the type says it is one), any
    other value as JSON."""
    return (
        _span(value)
        if isinstance(value, str) and value.strip() == value and value
        else _value(value)
    )


def _names(names: list[Any]) -> str:
    return ", ".join(_span(str(n)) for n in names)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _typed(schema: Any) -> bool:
    return isinstance(schema, Mapping) and ("type" in schema or "$ref" in schema)


def _only_required(schema: Any) -> bool:
    return (
        isinstance(schema, Mapping)
        and set(schema) == {"required"}
        and isinstance(schema["required"], list)
    )


def _defines(schema: Mapping[str, Any]) -> bool:
    """A then/else property that defines a field (rather than tightening one)."""
    return any(k in schema for k in ("type", "$ref", "properties", "enum", "const"))


def _condition(schema: Any) -> str:
    """An ``if`` schema in words, for the cases the schemas use."""
    if not isinstance(schema, Mapping):
        return "the condition holds"
    said: list[str] = []
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for prop, sub in properties.items():
            if isinstance(sub, Mapping) and "const" in sub:
                said.append(f"{_span(str(prop))} is {_word(sub['const'])}")
            elif isinstance(sub, Mapping) and isinstance(sub.get("enum"), list):
                said.append(
                    f"{_span(str(prop))} is one of " + ", ".join(_word(v) for v in sub["enum"])
                )
    branches = schema.get("anyOf")
    if isinstance(branches, list) and branches and all(_only_required(b) for b in branches):
        said.append("any of " + _names([n for b in branches for n in b["required"]]) + " is set")
    return " and ".join(said) if said else "the condition holds"


def _range(schema: Mapping[str, Any], low: str, high: str, unit: str) -> list[str]:
    least, most = schema.get(low), schema.get(high)

    def units(n: Any) -> str:
        return f"{n} {unit}" + ("" if n == 1 else "s")

    if least is not None and most is not None:
        if least == most:
            return [f"exactly {units(least)}"]
        return [f"{least} to {units(most)}"]
    if least is not None and least != 0:
        return [f"at least {units(least)}"]
    if most is not None:
        return [f"at most {units(most)}"]
    return []


def _bounds(schema: Mapping[str, Any]) -> list[str]:
    """A number's range: ``1 to 366``, ``> 0 and <= 300``, ``>= 0``."""
    low, high = schema.get("minimum"), schema.get("maximum")
    low_x, high_x = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if low is not None and high is not None and low_x is None and high_x is None:
        return [f"{low} to {high}"]
    parts = []
    if low_x is not None:
        parts.append(f"> {low_x}")
    elif low is not None:
        parts.append(f">= {low}")
    if high_x is not None:
        parts.append(f"< {high_x}")
    elif high is not None:
        parts.append(f"<= {high}")
    return [" and ".join(parts)] if parts else []
