"""Reading YAML and JSON documents from outside kb: safely, and knowing where things are.

Every document that enters kb (a content file, a submission, `kb new --from`, the token
and rate-limit state) comes through here. Two promises:

* **Nothing can hang, exhaust or crash the reader.** Before anything is built from a
  document it is checked against :class:`Limits`: its size, its nesting depth and node
  count, no anchors or aliases (the "billion laughs" expands a 1 KB document into
  gigabytes), no explicit tags or merge keys, valid UTF-8 without control characters or
  bidirectional overrides. Each check is linear in the document's length.
* **Every problem has a place.** Refusals and syntax errors are a :class:`DocumentError`
  with a line and column, and :class:`Located` keeps the position of every key and value,
  so validation can say ``path:line:col: message``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

# libyaml's parser when PyYAML has it (as its wheels do): the same events, much faster.
if TYPE_CHECKING:
    _Loader = yaml.SafeLoader
else:
    _Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Limits:
    """What a document may be. The reasons are in CONTRIBUTING.md, "Limits on input"."""

    max_bytes: int = 256 * 1024  # the longest real entry is ~6 KB
    max_depth: int = 32  # real entries nest 4 deep (entry > metrics > metric > field)
    max_nodes: int = 10_000  # real entries have a few hundred keys and values


LIMITS = Limits()
# kb's own state files (tokens, rate-limit counts): written by kb, flat, larger.
STATE_LIMITS = Limits(max_bytes=4 * 1024 * 1024, max_depth=4, max_nodes=1_000_000)


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


class DocumentError(Exception):
    """The document is not well-formed, or is refused by a limit; ``position`` says where."""

    def __init__(self, message: str, position: Position = Position(1, 1)):
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


# --- text ------------------------------------------------------------------------------

# C0 and C1 controls except tab, newline and carriage return; DEL; bidirectional
# embeddings, overrides and isolates (they make text display other than it reads);
# lone surrogates and non-characters (not text at all).
# Written as regex escapes so the API's OpenAPI document can declare the same class.
REFUSED_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff"
_FORBIDDEN = re.compile(f"[{REFUSED_CHARACTERS}\\ud800-\\udfff]")
_NAMES = {0x00: "NUL", 0x1B: "ESC", 0x7F: "DEL", 0x202E: "RIGHT-TO-LEFT OVERRIDE", 0x202D: "LEFT-TO-RIGHT OVERRIDE"}


def _position_at(text: str, offset: int) -> Position:
    line_start = text.rfind("\n", 0, offset) + 1
    return Position(text.count("\n", 0, offset) + 1, offset - line_start + 1)


def forbidden_character(text: str) -> tuple[int, str] | None:
    """The offset of the first character kb refuses in ``text``, and why; else None."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    code = ord(found.group())
    name = f"U+{code:04X}" + (f" ({_NAMES[code]})" if code in _NAMES else "")
    if 0x202A <= code <= 0x2069:
        return found.start(), f"bidirectional control character {name} is not allowed: it makes text display differently from how it reads"
    if 0xD800 <= code <= 0xDFFF or code >= 0xFFFE:
        return found.start(), f"{name} is not a character (an unpaired surrogate or non-character)"
    return found.start(), f"control character {name} is not allowed (only tab and line breaks are)"


def check_text(text: str, limits: Limits = LIMITS) -> str:
    """``text`` without a leading byte-order mark, or :class:`DocumentError` with its place."""
    # Characters never outnumber their UTF-8 bytes, so the first test saves encoding a huge text.
    if len(text) > limits.max_bytes or len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise DocumentError(f"the document is too large (the limit is {limits.max_bytes // 1024} KB)")
    text = text.removeprefix("\ufeff")  # editors on Windows may add one; it means nothing
    bad = forbidden_character(text)
    if bad is not None:
        raise DocumentError(bad[1], _position_at(text, bad[0]))
    return text


def decode(data: bytes, limits: Limits = LIMITS) -> str:
    """UTF-8 ``data`` as checked text, or :class:`DocumentError` at the first bad byte."""
    if len(data) > limits.max_bytes:
        raise DocumentError(f"the document is too large (the limit is {limits.max_bytes // 1024} KB)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        where = Position(data.count(b"\n", 0, exc.start) + 1, len(data[line_start : exc.start].decode("utf-8", "replace")) + 1)
        raise DocumentError(f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot start or continue a character", where) from None
    return check_text(text, limits)


def read_text(path: Path, limits: Limits = LIMITS) -> str:
    """A file's checked text; reads at most one byte over the limit, whatever its size."""
    with open(path, "rb") as handle:
        return decode(handle.read(limits.max_bytes + 1), limits)


# --- YAML ------------------------------------------------------------------------------


def _pos(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1) if mark is not None else Position(1, 1)


def load(text: str, limits: Limits = LIMITS) -> Located:
    """One YAML document, checked and parsed with the safe loader, with positions."""
    text = check_text(text, limits)
    try:
        _scan(text, limits)
        loader = _Constructor(text)
        try:
            node = loader.get_single_node()
            located = Located(None)
            if node is not None:
                _walk(node, (), located)
                located.data = loader.construct_document(node)
            return located
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as exc:  # well-formed, but a value cannot be read
        raise DocumentError(str(exc.problem), _pos(exc.problem_mark)) from None
    except yaml.MarkedYAMLError as exc:
        message = " ".join(p for p in (exc.context, exc.problem) if p)
        raise DocumentError(f"invalid YAML: {message}", _pos(exc.problem_mark or exc.context_mark)) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML: {exc}") from None


class _Constructor(_Loader):
    """The safe loader, with a located error where PyYAML would raise a bare ValueError
    (a date such as 2026-13-45, a number of more than 4,300 digits)."""

    def _located(self, build: Any, node: yaml.ScalarNode) -> Any:
        try:
            return build(self, node)
        except (ValueError, OverflowError) as exc:
            shown = node.value if len(node.value) <= 40 else node.value[:40] + "…"
            raise yaml.constructor.ConstructorError(None, None, f"'{shown}' cannot be read as a value ({_first_sentence(exc)})", node.start_mark) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        return self._located(yaml.constructor.SafeConstructor.construct_yaml_int, node)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        return self._located(yaml.constructor.SafeConstructor.construct_yaml_timestamp, node)


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _scan(text: str, limits: Limits) -> None:
    """Refuse what could make building the document costly, before it is built: the
    parser's events arrive one at a time, so a refusal comes at the first offending one."""
    loader = _Loader(text)
    depth = nodes = 0
    try:
        while loader.check_event():
            event = loader.get_event()  # type: ignore[no-untyped-call]
            where = _pos(event.start_mark)
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise DocumentError("anchors and aliases (&name, *name) are not allowed: write each value out", where)
            if getattr(event, "tag", None) is not None:
                raise DocumentError(f"tags such as '{event.tag}' are not allowed: write plain values", where)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limits.max_depth:
                    raise DocumentError(f"nested more than {limits.max_depth} deep", where)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
                nodes += 1
                if nodes > limits.max_nodes:
                    raise DocumentError(f"more than {limits.max_nodes:,} keys and values", where)
    finally:
        loader.dispose()


def _walk(node: yaml.Node, loc: Loc, out: Located) -> None:
    """Record positions; refuse repeated keys, merge keys and escaped control characters."""
    out.values[loc] = _pos(node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        _check_scalar(node)
    elif isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise DocumentError("merge keys (<<) are not allowed: write each field out", _pos(key_node.start_mark))
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "<key>"
            if isinstance(key_node, yaml.ScalarNode):
                _check_scalar(key_node)
                if key in seen:  # PyYAML would silently keep the second
                    raise DocumentError(f"duplicate key '{key}'", _pos(key_node.start_mark))
                seen.add(key)
            out.keys[loc + (key,)] = _pos(key_node.start_mark)
            _walk(value_node, loc + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, loc + (i,), out)


def _check_scalar(node: yaml.ScalarNode) -> None:
    bad = forbidden_character(node.value)
    if bad is not None:  # written as an escape ("\\0", "\\u202e") in a quoted string
        raise DocumentError(bad[1], _pos(node.start_mark))


# --- JSON ------------------------------------------------------------------------------

_JSON_TOKENS = re.compile(r'["\\\[\]{}]')


def _json_depth_check(text: str, limits: Limits) -> None:
    """Refuse JSON nested deeper than the limit before parsing it: Python's parser would
    recurse once per level (and give up with a RecursionError near 1,000)."""
    depth = 0
    in_string = False
    skip_to = -1
    for match in _JSON_TOKENS.finditer(text):
        at = match.start()
        if at < skip_to:  # the character after a backslash, inside a string
            continue
        token = match.group()
        if in_string:
            if token == "\\":
                skip_to = at + 2
            elif token == '"':
                in_string = False
        elif token == '"':
            in_string = True
        elif token in "[{":
            depth += 1
            if depth > limits.max_depth:
                raise DocumentError(f"nested more than {limits.max_depth} deep", _position_at(text, at))
        elif token in "]}":
            depth -= 1


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key '{key}'")
        seen[key] = value
    return seen


def parse_json(text: str, limits: Limits = STATE_LIMITS) -> Any:
    """JSON data, checked, without positions (kb's own state files); :class:`DocumentError`."""
    text = check_text(text, limits)
    _json_depth_check(text, limits)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"invalid JSON: {exc.msg}", Position(exc.lineno, exc.colno)) from None
    except ValueError as exc:  # a duplicate key, or a number too long to read
        raise DocumentError(f"invalid JSON: {_first_sentence(exc)}") from None
    _check_strings(data)
    return data


def load_json(text: str, limits: Limits = LIMITS) -> Located:
    """One JSON document, checked and parsed, with positions where YAML reads it the same."""
    try:
        data = parse_json(text, limits)
    except DocumentError as exc:
        if exc.position != Position(1, 1):
            raise
        raise _locate_in_json(text, exc, limits) from None  # YAML may know where
    return _json_positions(text, data, limits)


def _locate_in_json(text: str, exc: DocumentError, limits: Limits) -> DocumentError:
    """YAML reads most JSON and can say where the problem is; where it reads this text
    otherwise, say what the problem is without where."""
    try:
        load(text, limits)
    except DocumentError as located:
        if not located.message.startswith("invalid YAML"):
            return located
    return exc


def _first_sentence(exc: Exception) -> str:
    return str(exc).split(": ")[0].split("; ")[0]


def _json_positions(text: str, data: Any, limits: Limits) -> Located:
    """JSON is (nearly) YAML: read it again for line numbers, and use them if it agrees."""
    try:
        again = load(text, limits)
    except DocumentError:
        return Located(data)
    return again if again.data == data else Located(data)


def _check_strings(value: Any) -> None:
    """Refuse control characters written as escapes ("\\u0000") in JSON strings."""
    texts = [value] if isinstance(value, str) else list(value) if isinstance(value, dict) else []
    for text in texts:
        bad = forbidden_character(text)
        if bad is not None:
            raise DocumentError(bad[1])
    for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else []:
        _check_strings(item)


def load_any(text: str, json_first: bool, limits: Limits = LIMITS) -> Located:
    """JSON when the sender said so, else YAML (which reads most JSON too)."""
    return load_json(text, limits) if json_first else load(text, limits)
