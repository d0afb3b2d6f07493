"""Safe YAML with line numbers: the C loader where available, keys as strings,
timestamps kept as strings, duplicate keys and alias bombs refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from checks.findings import shorten

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
    from yaml._yaml import CParser as _CParser
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader
    _CParser = None  # type: ignore[assignment,misc]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
MAX_NODES = 100_000  # after expanding aliases; a front matter has a few hundred
MAX_DEPTH = 64


class YamlProblem(Exception):
    """A YAML problem at a 0-based line of the YAML text."""

    def __init__(self, line: int, message: str, first_line: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.first_line = first_line  # for duplicates: where the key first stands

    def text(self, offset: int) -> str:
        """The message, with related 0-based YAML lines turned into file lines."""
        if self.first_line is None:
            return self.message
        return self.message.replace("{first}", str(self.first_line + offset))


_YAML = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _YAML + "str", _YAML + "map", _YAML + "seq"
_MERGE = _YAML + "merge"
_RESOLVED: dict[tuple[str, Any], str] = {}


class Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The C safe loader, used to compose nodes (with their lines); see :class:`_Builder`."""

    def __init__(self, stream: str) -> None:
        # Only the C parser needs setting up: nodes are built into data by _Builder, not
        # by the constructor, and we use no path resolvers, so neither needs its state.
        if _CParser is None:  # pragma: no cover - PyYAML built without libyaml
            super().__init__(stream)
        else:
            _CParser.__init__(self, stream)

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        # A plain scalar's tag depends on its text alone (we use no path resolvers), and
        # documents repeat the same keys and values: remember the answers.
        if kind is ScalarNode:
            try:
                return _RESOLVED[value, implicit]
            except (KeyError, TypeError):
                known = str(super().resolve(kind, value, implicit))
                if len(_RESOLVED) < 50_000 and isinstance(value, str):
                    _RESOLVED[value, implicit] = known
                return known
        if implicit:
            return _MAP if kind is MappingNode else _SEQ
        return str(super().resolve(kind, value, implicit))

    # We use no path resolvers: skip PyYAML's bookkeeping for them on every node.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


# Timestamps stay strings, so JSON Schema's format: date / date-time applies to them.
Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


MAX_INT = 2**63  # a record's numbers are counts and days; JSON tools stop at 64 bits


def _int(loader: Any, node: ScalarNode) -> int:
    value = SafeConstructor.construct_yaml_int(loader, node)
    if not -MAX_INT <= value < MAX_INT:
        raise ValueError("too large")
    return int(value)


_SCALARS: dict[str, Callable[[Any, ScalarNode], Any]] = {
    _YAML + "null": SafeConstructor.construct_yaml_null,
    _YAML + "bool": SafeConstructor.construct_yaml_bool,
    _YAML + "int": _int,
    _YAML + "float": SafeConstructor.construct_yaml_float,
    _TIMESTAMP: lambda _, node: node.value,  # an explicit !!timestamp stays text too
}


class _Builder:
    """Composed nodes to plain data: str keys, JSON types only.

    This replaces PyYAML's generic constructor (about three times slower here):
    scalars go through SafeConstructor's own parsers, merge keys through its
    flatten_mapping; every other tag (!!binary, !!set, !!omap, !!python/...) is
    refused, because a record holds text, numbers, booleans, null, lists and mappings.
    """

    def __init__(self, loader: Loader) -> None:
        self.loader = loader
        self.built: dict[int, Any] = {}  # aliases share one value, as in PyYAML

    def build(self, node: Node, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise YamlProblem(
                node.start_mark.line, f"front matter is nested more than {MAX_DEPTH} levels deep"
            )
        if isinstance(node, ScalarNode):
            if node.tag == _STR:
                return node.value
            parse = _SCALARS.get(node.tag)
            if parse is None:
                raise _refused(node)
            try:
                return parse(self.loader, node)
            except (ValueError, KeyError, IndexError):
                raise _bad_scalar(node) from None
        key = id(node)
        if key in self.built:  # an alias: share the value, as PyYAML does
            return self.built[key]
        if isinstance(node, MappingNode) and node.tag == _MAP:
            mapping: dict[str, Any] = {}
            self.built[key] = mapping
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE:
                    return self._merged(node, depth)  # rare: let PyYAML flatten it
                name = key_node.value
                if name in mapping:
                    raise _duplicate(node, key_node)
                mapping[name] = self.build(value_node, depth + 1)
            return mapping
        if isinstance(node, SequenceNode) and node.tag == _SEQ:
            sequence: list[Any] = []
            self.built[key] = sequence
            sequence.extend([self.build(item, depth + 1) for item in node.value])
            return sequence
        raise _refused(node)

    def _merged(self, node: MappingNode, depth: int) -> dict[str, Any]:
        """A mapping with merge keys (``<<: *base``) or a key that is not a scalar."""
        _check_keys(node)  # before merge keys are flattened: an override is no duplicate
        self.loader.flatten_mapping(node)
        _check_key_types(node)  # keys that came in through a merge
        mapping: dict[str, Any] = self.built[id(node)]
        mapping.clear()
        for key_node, value_node in node.value:
            mapping[key_node.value] = self.build(value_node, depth + 1)
        return mapping


def _bad_scalar(node: ScalarNode) -> YamlProblem:
    digits = node.value.replace("_", "").lstrip("+-").lstrip("0")  # trailing zeros count
    if node.tag == _YAML + "int" and len(digits) > 18:
        message = (
            f"a number of {len(node.value):,} characters is too large (a record's numbers fit "
            "in 64 bits); quote it if it is text"
        )
    else:  # an explicit tag on a value it cannot read: !!bool maybe, !!int ""
        tag = "!!" + str(node.tag).removeprefix(_YAML)
        message = f"{shorten(node.value)} is not a valid {tag}; remove the tag or fix the value"
    return YamlProblem(node.start_mark.line, f"YAML error: {message}")


def _check_key_types(node: MappingNode) -> None:
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode):
            raise YamlProblem(
                key_node.start_mark.line, "a key must be a plain string, not a list or mapping"
            )


def _refused(node: Node) -> YamlProblem:
    tag = str(node.tag)
    if tag == _YAML + "value":  # YAML 1.1 reads a bare '=' as a "value key"
        return YamlProblem(
            node.start_mark.line, "YAML error: a bare '=' is special in YAML; quote it: '='"
        )
    shown = "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag
    return YamlProblem(
        node.start_mark.line,
        f"YAML error: tag {shown} is not allowed; front matter holds only text, numbers, "
        "booleans, null, lists and mappings",
    )


def _check_graph(root: Node, max_nodes: int = MAX_NODES, what: str = "front matter") -> None:
    """Refuse recursive aliases and alias bombs (the builder bounds the depth).

    Expanded sizes are memoised per node, so a billion-laughs document costs
    as many steps as it has nodes, not as many as it would expand to.
    """
    size: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size.get(id(c), 1) for c in children)
            if size[key] > max_nodes:
                raise YamlProblem(
                    node.start_mark.line,
                    f"{what} expands to more than {max_nodes} values through "
                    "aliases (a YAML alias bomb?); write the values out instead",
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlProblem(node.start_mark.line, "recursive YAML alias; remove the alias")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _check_keys(node: MappingNode) -> None:
    _check_key_types(node)
    seen: set[str] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE:
            continue
        if key_node.value in seen:
            raise _duplicate(node, key_node)
        seen.add(key_node.value)


def _duplicate(node: MappingNode, again: ScalarNode) -> YamlProblem:
    name = again.value
    first = next(k for k, _ in node.value if k.value == name and k.tag != _MERGE)
    return YamlProblem(
        again.start_mark.line,
        f"duplicate key '{name}' (first on line {{first}}); YAML would silently keep "
        "only the last value: remove or rename one",
        first_line=first.start_mark.line,
    )


def load(
    text: str, *, max_nodes: int = MAX_NODES, what: str = "front matter"
) -> tuple[Any, Node | None]:
    """Parse one YAML document; returns (data, composed root node). ``max_nodes`` bounds what
    it may expand to through aliases (a lockfile is far larger than a front matter)."""
    loader = Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line if mark is not None else 0
            problem = e.problem or e.context or "invalid YAML"
            raise YamlProblem(line, f"YAML syntax error: {problem}") from None
        except yaml.reader.ReaderError as e:  # control characters and the like
            raise YamlProblem(
                text.count("\n", 0, e.position),
                f"YAML error: unacceptable character #x{e.character:04x}: {e.reason}",
            ) from None
        except yaml.YAMLError as e:
            raise YamlProblem(0, f"YAML error: {e}") from None
        if node is None:
            return None, None
        if "*" in text:  # only aliases can expand or recurse; libyaml bounds plain nesting
            _check_graph(node, max_nodes, what)
        try:
            data = _Builder(loader).build(node)
        except yaml.MarkedYAMLError as e:  # a merge key whose value is not a mapping
            mark = e.problem_mark or e.context_mark
            raise YamlProblem(
                mark.line if mark is not None else 0, f"YAML error: {e.problem or e.context}"
            ) from None
        return data, node
    finally:
        loader.dispose()


def compose(text: str) -> Node | None:
    """The composed nodes of text that is known to load (for line numbers), else None."""
    loader = Loader(text)
    try:
        node: Node | None = loader.get_single_node()
        return node
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


Path_ = tuple[str | int, ...] | list[str | int]


def _keys(node: MappingNode) -> dict[str, tuple[int, Node]]:
    """A mapping's keys, indexed once: a file with thousands of findings asks for each line."""
    index: dict[str, tuple[int, Node]] | None = getattr(node, "_ops_keys", None)
    if index is None:
        index = {
            key.value: (key.start_mark.line, value)  # the last one wins, as in YAML
            for key, value in node.value
            if isinstance(key, ScalarNode)
        }
        node._ops_keys = index  # type: ignore[attr-defined]
    return index


def _step(node: Node, part: str | int) -> tuple[int, Node] | None:
    """One step down ``path``: the line where ``part`` stands, and its value node."""
    if isinstance(node, MappingNode) and isinstance(part, str):
        return _keys(node).get(part)
    elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item.start_mark.line, item
    return None


def node_at(root: Node | None, path: Path_) -> Node | None:
    """The value node at ``path``, or None when the path does not lead to one."""
    node = root
    for part in path:
        found = _step(node, part) if node is not None else None
        if found is None:
            return None
        node = found[1]
    return node


def line_of(root: Node | None, path: Path_) -> int | None:
    """0-based line of ``path``: the key's line in a mapping, the item's in a list.

    Where the path stops leading anywhere, the line of the last part that was found.
    """
    if root is None:
        return None
    node, line = root, root.start_mark.line
    for part in path:
        found = _step(node, part)
        if found is None:
            return line
        line, node = found
    return line
