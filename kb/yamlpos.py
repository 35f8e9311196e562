"""Load YAML safely while remembering where each key and value sits in the file.

Validation messages must point at the offending key or value (``path:line:col``), and
PyYAML's safe composer already knows every node's position; this module keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


class YamlSyntaxError(Exception):
    """The file is not well-formed YAML."""

    def __init__(self, message: str, position: Position):
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass
class Located:
    """Parsed data plus the position of every value (and of every mapping key)."""

    data: Any
    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)

    def position(self, loc: Loc, *, key: bool = False) -> Position:
        """Best position for ``loc``: the exact node, else its nearest located parent."""
        table = self.keys if key else self.values
        if loc in table:
            return table[loc]
        for cut in range(len(loc) - 1, -1, -1):
            parent = loc[:cut]
            if parent in self.keys and not key:
                return self.keys[parent]
            if parent in self.values:
                return self.values[parent]
        return Position(1, 1)


def _pos(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def load(text: str) -> Located:
    """Parse one YAML document with the safe loader; raise :class:`YamlSyntaxError`."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        located = Located(None)
        if node is not None:
            _check_duplicate_keys(node)
            located.data = loader.construct_document(node)
            _walk(node, (), located)
        return located
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = _pos(mark) if mark else Position(1, 1)
        message = " ".join(p for p in (exc.context, exc.problem) if p)
        raise YamlSyntaxError(f"invalid YAML: {message}", position) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", Position(1, 1)) from None
    finally:
        loader.dispose()


def _walk(node: yaml.Node, loc: Loc, out: Located) -> None:
    out.values[loc] = _pos(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = loc + (key_node.value,)
            out.keys[child] = _pos(key_node.start_mark)
            _walk(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, loc + (i,), out)


def _check_duplicate_keys(node: yaml.Node) -> None:
    """A repeated key silently drops the first value in PyYAML; treat it as an error."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.MarkedYAMLError(
                        problem=f"duplicate key '{key_node.value}'", problem_mark=key_node.start_mark
                    )
                seen.add(key_node.value)
            _check_duplicate_keys(value_node)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item)
