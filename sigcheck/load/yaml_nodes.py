"""YAML documents as plain values that remember where they were written.

Compose files and Kubernetes manifests are parsed by PyYAML's node API with its
libyaml C loader (`yaml.CSafeLoader`, falling back to the pure-Python
`SafeLoader` where libyaml is missing). Measured against ruamel.yaml 0.19.1
(with ruamel.yaml.clib) on a 10 MB, 11,312-document manifest: composing the
node graph takes 1.9 s with PyYAML's C composer, 7.9 s with ruamel's C parser
(its composer is Python) and 95 s with ruamel's round-trip loader; importing
PyYAML costs less than ruamel.yaml; both report identical 0-based lines and
character columns (BOM, CRLF, astral characters, flow and block scalars).
The figures and the command are in bench/RESULTS.md.

This module imports PyYAML, so it is imported only when a YAML file is linted:
a Dockerfile run never pays for it.

Every failure is a `YamlError` whose message is one line naming the file and
line. What is refused, and why:

- **syntax errors** (libyaml's message, flattened to one line);
- **duplicate keys**: YAML 1.2 §3.2.1.1 says mapping keys are unique, and
  Compose (go-yaml) rejects `mapping key "x" already defined`;
- **alias bombs** (billion laughs): aliases are expanded while converting, and
  the nodes they add are counted: at most `Limits.max_alias_nodes` per document
  (a real Compose file's `<<: *defaults` adds a few dozen);
- **tags**: the standard `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
  `!!map`, `!!seq`, `!!merge` are honoured; a caller may allow its own (Compose
  defines exactly `!reset` and `!override`, compose-spec 13-merge.md), which
  are kept on the node; any other tag is an error, since sigcheck cannot know
  what the consuming tool would make of it;
- **size** (`Limits.max_bytes`), **nesting depth** (`Limits.max_depth`; libyaml
  stops at 1000 on its own), **documents per stream** (`Limits.max_documents`).

Plain scalars are resolved with the YAML 1.2 core schema (what go-yaml v3/v4,
and so Compose, use): `yes`/`on` stay strings here; `as_bool` accepts the YAML
1.1 words for a typed boolean field, as go-yaml v3 and Kubernetes' go-yaml v2 do.
`<<` merge keys (YAML 1.1 merge type, supported by go-yaml and used by Compose
files for `x-` fragments) are applied: explicit keys win, then the merged
mappings in order.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import yaml

from sigcheck.load.files import DEFAULT_MAX_BYTES, LoadError
from sigcheck.span import Span

__all__ = [
    "COMPOSE_TAGS",
    "DEFAULT_LIMITS",
    "Limits",
    "Node",
    "Scalar",
    "YamlError",
    "as_bool",
    "load_documents",
    "with_logical",
]

Scalar = None | bool | int | float | str
COMPOSE_TAGS = frozenset({"!reset", "!override"})


class YamlError(LoadError):
    """A YAML file sigcheck cannot read; `str()` is one line: `path:line: reason`."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        reason = " ".join(reason.split())  # libyaml messages span lines
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class Limits(NamedTuple):
    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = 100
    max_alias_nodes: int = 100_000
    max_documents: int = 100_000


DEFAULT_LIMITS = Limits()


class Node(NamedTuple):
    """One YAML node: a mapping (`dict[str, Node]`), a sequence (`list[Node]`) or a scalar.

    `span` covers the value as written (a key's own span is in `keys`). `text` is a
    scalar's string as written (after unquoting): `1.10` stays `"1.10"` even though
    `value` is the float 1.1, which is what Compose does for `environment` values.
    `tag` is an allowed custom tag (`!reset`, `!override`), else None.
    """

    value: Any  # dict[str, Node] | list[Node] | Scalar
    span: Span
    text: str | None = None
    tag: str | None = None
    keys: dict[str, Span] | None = None

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, (dict, list))

    def get(self, key: str) -> "Node | None":
        if isinstance(self.value, dict):
            found: Node | None = self.value.get(key)
            return found
        return None

    def key_span(self, key: str) -> Span | None:
        return self.keys.get(key) if self.keys is not None else None

    def plain(self) -> Any:
        """The value without locations: dicts, lists and scalars."""
        if isinstance(self.value, dict):
            return {key: child.plain() for key, child in self.value.items()}
        if isinstance(self.value, list):
            return [child.plain() for child in self.value]
        return self.value


def with_logical(span: Span, logical: str) -> Span:
    """`span._replace(logical=...)` without NamedTuple's Python-level `_replace`."""
    return tuple.__new__(Span, (span[0], span[1], span[2], span[3], span[4], logical))


def as_bool(node: Node) -> bool | None:
    """A typed boolean field: YAML 1.2 true/false, and the YAML 1.1 words go-yaml accepts."""
    if isinstance(node.value, bool):
        return node.value
    if isinstance(node.value, str) and node.tag is None:
        word = node.value.lower()
        if word in ("yes", "y", "on"):
            return True
        if word in ("no", "n", "off"):
            return False
    return None


_STANDARD = "tag:yaml.org,2002:"
_TYPED_TAGS = frozenset(_STANDARD + kind for kind in ("str", "int", "float", "bool", "null"))
# Kept as their text: nothing sigcheck reads is binary or a timestamp.
_OPAQUE_TAGS = frozenset(_STANDARD + kind for kind in ("merge", "binary", "timestamp"))
_IMPLICIT = "?"  # what our resolver returns: sigcheck resolves plain scalars itself

# YAML 1.2.2 §10.3.2, the core schema (what go-yaml resolves plain scalars with).
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
# Not `\s`: YAML counts only space, tab and line breaks as white, so `&\u3000` is an anchor.
_ANCHOR = re.compile(r"&[^ \t\r\n\[\]{},]")
_ALIAS = re.compile(r"\*[^ \t\r\n\[\]{},]")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INF = frozenset({".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})
_NEG_INF = frozenset({"-.inf", "-.Inf", "-.INF"})
_NAN = frozenset({".nan", ".NaN", ".NAN"})


def _core_scalar(text: str) -> Scalar:
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    first = text[0]
    if first.isdigit() or first in "+-.":
        if _INT.match(text):
            return int(text)
        if _OCT.match(text):
            return int(text[2:], 8)
        if _HEX.match(text):
            return int(text[2:], 16)
        if _FLOAT.match(text):
            return float(text)
        if text in _INF:
            return float("inf")
        if text in _NEG_INF:
            return float("-inf")
        if text in _NAN:
            return float("nan")
    return text


def _typed_scalar(tag: str, text: str) -> Scalar:
    """A scalar with an explicit standard tag: `!!str 10`, `!!int "3"`."""
    kind = tag[len(_STANDARD) :]
    if kind == "str":
        return text
    value = _core_scalar(text)
    if kind == "null" and value is None:
        return None
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"cannot read {text!r} as !!{kind}")


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """libyaml's composer, with tag resolution left to `_core_scalar`.

    The composer calls `resolve` only for nodes without an explicit tag, so the
    sentinel tells an implicit `yes` from an explicit `!!bool yes`.
    """

    def resolve(self, kind: object, value: object, implicit: object) -> str:
        return _IMPLICIT


_new = tuple.__new__  # NamedTuple construction without its Python-level __new__: ~2x faster
_ScalarNode = yaml.ScalarNode
_SequenceNode = yaml.SequenceNode
_MappingNode = yaml.MappingNode


class _Converter:
    __slots__ = (
        "alias_budget",
        "allowed_tags",
        "limits",
        "line_starts",
        "lines",
        "path",
        "seen",
        "text",
        "track_aliases",
    )

    def __init__(self, path: str, text: str, limits: Limits, allowed_tags: frozenset[str]) -> None:
        self.path = path
        self.text = text
        self.limits = limits
        self.allowed_tags = allowed_tags
        self.lines: list[str] | None = None
        self.seen: set[int] = set()  # ids of yaml nodes converted once: a second visit is an alias
        self.alias_budget = limits.max_alias_nodes
        # Without an anchor and an alias there is nothing to count (YAML 1.2 §6.9.2: `&name`,
        # `*name`, a name being non-space, non-flow-indicator characters). A cron
        # schedule's `* * *` or a command's `&&` alone does not pay for the bookkeeping.
        self.track_aliases = _ANCHOR.search(text) is not None and _ALIAS.search(text) is not None
        # libyaml also breaks lines at a lone CR, NEL, LS and PS; sigcheck (and its
        # Dockerfile parser) count only LF. With any of those, positions are recomputed
        # from the character index.
        self.line_starts = _line_starts(text) if _other_line_breaks(text) else None

    def error(self, node: Any, reason: str) -> YamlError:
        return YamlError(self.path, _mark_line(node.start_mark, self.line_starts), reason)

    def span(self, node: Any) -> Span:
        if self.line_starts is not None:
            return self.remapped_span(node)
        start, end = node.start_mark, node.end_mark
        end_line, end_column = end.line, end.column
        if end_column == 0 and end_line > start.line:
            # Block nodes end at the start of the next line: end them at the end of
            # their last line instead, so a code frame shows only their own lines.
            if self.lines is None:
                self.lines = self.text.split("\n")
            lines = self.lines
            end_line -= 1
            while end_line > start.line and end_line < len(lines) and not lines[end_line].strip():
                end_line -= 1  # trailing blank lines a block scalar keeps are not its text
            end_column = len(lines[end_line].rstrip("\r")) if end_line < len(lines) else 0
        return _new(Span, (self.path, start.line + 1, start.column + 1, end_line + 1, end_column + 1, None))

    def remapped_span(self, node: Any) -> Span:
        starts = self.line_starts
        assert starts is not None
        line, column = _position(starts, node.start_mark.index)
        end_line, end_column = _position(starts, node.end_mark.index)
        if end_column == 1 and end_line > line:
            end_line -= 1
            end_column = len(self.text[starts[end_line - 1] : starts[end_line] - 1].rstrip("\r")) + 1
        return _new(Span, (self.path, line, column, end_line, end_column, None))

    def alias(self, node: Any) -> None:
        key = id(node)
        if key not in self.seen:
            self.seen.add(key)
            return
        # An alias: its nodes are copied again. Charge them to the budget.
        self.alias_budget -= 1
        if self.alias_budget < 0:
            raise self.error(
                node,
                "aliases expand to too many nodes (an alias bomb?): more than "
                f"{self.limits.max_alias_nodes} beyond the document's own",
            )

    def convert(self, node: Any, depth: int) -> Node:
        if depth > self.limits.max_depth:
            raise self.error(node, f"nested deeper than {self.limits.max_depth} levels")
        if self.track_aliases:
            self.alias(node)
        tag = node.tag
        custom: str | None = None
        if tag != _IMPLICIT and not tag.startswith(_STANDARD):
            if tag not in self.allowed_tags:
                raise self.error(node, f"unsupported YAML tag {tag!r}")
            custom = tag
        kind = type(node)
        if kind is _ScalarNode:
            text: str = node.value
            if tag == _IMPLICIT or custom is not None:
                # Plain style is None in PyYAML's Python composer and '' in its C one.
                value: Scalar = text if node.style else _core_scalar(text)
            elif tag in _OPAQUE_TAGS:
                value = text
            elif tag not in _TYPED_TAGS:
                raise self.error(node, f"unsupported YAML tag {tag!r}")
            else:
                try:
                    value = _typed_scalar(tag, text)
                except ValueError as exc:
                    raise self.error(node, str(exc)) from None
            start, end = node.start_mark, node.end_mark
            if (end.column == 0 and end.line > start.line) or self.line_starts is not None:
                span = self.span(node)
            else:
                line = start.line + 1
                span = _new(Span, (self.path, line, start.column + 1, end.line + 1, end.column + 1, None))
            return _new(Node, (value, span, text, custom, None))
        if kind is _SequenceNode:
            if tag not in (_IMPLICIT, _STANDARD + "seq") and custom is None:
                raise self.error(node, f"unsupported YAML tag {tag!r} on a sequence")
            convert = self.convert
            items = [convert(child, depth + 1) for child in node.value]
            span = self.span(node)
            if items and not node.flow_style:
                span = _end_at(span, items[-1].span)
            return _new(Node, (items, span, None, custom, None))
        if tag not in (_IMPLICIT, _STANDARD + "map") and custom is None:
            raise self.error(node, f"unsupported YAML tag {tag!r} on a mapping")
        return self.mapping(node, depth, custom)

    def mapping(self, node: Any, depth: int, custom: str | None) -> Node:
        values: dict[str, Node] = {}
        keys: dict[str, Span] = {}
        merged: list[Node] = []
        path = self.path
        convert = self.convert
        child_depth = depth + 1
        for key_node, value_node in node.value:
            if type(key_node) is not _ScalarNode:
                raise self.error(key_node, "a mapping key must be a scalar")
            name: str = key_node.value
            key_tag = key_node.tag
            if key_tag != _IMPLICIT:
                if key_tag == _STANDARD + "merge" and name == "<<":
                    merged.extend(self.merge_sources(value_node, depth))
                    continue
                if not key_tag.startswith(_STANDARD):
                    raise self.error(key_node, f"unsupported YAML tag {key_tag!r} on a key")
            elif name == "<<" and not key_node.style:
                merged.extend(self.merge_sources(value_node, depth))
                continue
            if name in values:
                first = keys[name].line
                raise self.error(key_node, f"duplicate key {name!r} (first at line {first})")
            start, end = key_node.start_mark, key_node.end_mark
            if end.line == start.line and self.line_starts is None:
                line = start.line + 1
                keys[name] = _new(Span, (path, line, start.column + 1, line, end.column + 1, None))
            else:
                keys[name] = self.span(key_node)
            values[name] = convert(value_node, child_depth)
        for source in merged:
            assert isinstance(source.value, dict)
            assert source.keys is not None
            for name, child in source.value.items():
                if name not in values:
                    values[name] = child
                    keys[name] = source.keys[name]
        span = self.span(node)
        if node.value and not node.flow_style:
            # A block mapping ends where the next token starts, often a later key's
            # line: end it with its last value instead.
            span = _end_at(span, self.convert_last(node, values))
        return _new(Node, (values, span, None, custom, keys))

    def convert_last(self, node: Any, values: dict[str, Node]) -> Span:
        last_key = node.value[-1][0].value
        last = values.get(last_key)
        return last.span if last is not None else self.span(node.value[-1][1])

    def merge_sources(self, value_node: Any, depth: int) -> Iterator[Node]:
        sources = value_node.value if type(value_node) is _SequenceNode else [value_node]
        for source in sources:
            if type(source) is not _MappingNode:
                raise self.error(source, "a `<<` merge key takes a mapping or a list of mappings")
            yield self.convert(source, depth + 1)


def _other_line_breaks(text: str) -> bool:
    return "\x85" in text or "\u2028" in text or "\u2029" in text or text.count("\r") != text.count("\r\n")


def _line_starts(text: str) -> list[int]:
    starts = [0]
    index = text.find("\n")
    while index >= 0:
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return starts


def _position(starts: list[int], index: int) -> tuple[int, int]:
    """1-based line and column of a character index, lines split at LF only."""
    line = bisect_right(starts, index)
    return line, index - starts[line - 1] + 1


def _mark_line(mark: Any, starts: list[int] | None) -> int:
    if starts is not None:
        return _position(starts, mark.index)[0]
    return int(mark.line) + 1


def _end_at(span: Span, last: Span) -> Span:
    if (last.end_line, last.end_column) < (span.end_line, span.end_column):
        return span._replace(end_line=last.end_line, end_column=last.end_column)
    return span


def load_documents(
    text: str,
    path: str,
    *,
    allowed_tags: frozenset[str] = frozenset(),
    limits: Limits = DEFAULT_LIMITS,
    keep_kind: Callable[[str | None], bool] | None = None,
) -> list[Node]:
    """Every document of a YAML stream, in order (an empty document is a `None` scalar).

    With `keep_kind`, a document is converted and returned only when it passes the
    test on its top-level `kind:` string (None when it has none): a manifest stream's
    Services, ConfigMaps and CRDs (often most of `helm template`'s output) are parsed
    but not converted. Raises `YamlError` for anything sigcheck cannot read; nothing
    else escapes.
    """
    if len(text) > limits.max_bytes:
        raise YamlError(path, 1, f"YAML text is larger than the {limits.max_bytes}-byte limit")
    if text.startswith("\ufeff"):
        text = text[1:]  # libyaml would accept it; the columns of line 1 then match the editor's
    converter = _Converter(path, text, limits, allowed_tags)
    documents: list[Node] = []
    try:
        loader = _Loader(text)
        try:
            composed = 0
            while loader.check_node():
                root = loader.get_node()
                composed += 1
                if composed > limits.max_documents:
                    reason = f"more than {limits.max_documents} documents in one stream"
                    raise YamlError(path, root.start_mark.line + 1, reason)
                if keep_kind is not None and not keep_kind(_raw_kind(root)):
                    continue
                converter.alias_budget = max(limits.max_alias_nodes, 0)
                documents.append(converter.convert(root, 0))
        finally:
            loader.dispose()
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = _mark_line(mark, _line_starts(text) if _other_line_breaks(text) else None) if mark else 1
        reason = _marked_reason(exc)
        lines = text.split("\n", line)
        source = lines[line - 1] if line <= len(lines) else ""
        if "\t" in source[: len(source) - len(source.lstrip())]:
            reason += " (a tab in the indentation: YAML indents with spaces)"
        raise YamlError(path, line, reason) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise YamlError(path, line, f"character U+{char:04X} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        raise YamlError(path, 1, str(exc)) from None
    except UnicodeEncodeError as exc:
        # A lone surrogate (only from a caller's str: sigcheck decodes files strictly).
        line = text.count("\n", 0, exc.start) + 1
        raise YamlError(path, line, "text is not valid Unicode (a lone surrogate)") from None
    except RecursionError:
        # The pure-Python composer (no libyaml) recurses once per nesting level.
        raise YamlError(path, 1, "nested too deeply") from None
    return documents


def _raw_kind(root: Any) -> str | None:
    """The plain `kind:` string of a composed document's top-level mapping, if any."""
    if type(root) is not _MappingNode:
        return None
    for key, value in root.value:
        if type(key) is _ScalarNode and key.value == "kind" and type(value) is _ScalarNode:
            return str(value.value)
    return None


def _marked_reason(exc: Any) -> str:
    parts = [part for part in (exc.context, exc.problem) if part]
    return ": ".join(parts) if parts else "invalid YAML"
