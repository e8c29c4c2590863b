"""Turn tree-sitter-bash command nodes into argv, without running anything."""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

from typing import TYPE_CHECKING, NamedTuple

from sigcheck.shell.parse import node_text

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["ALL_ARGS", "SimpleCommand", "args_from", "args_index", "simple_command", "word_value"]


class SimpleCommand(NamedTuple):
    words: tuple[str, ...]  # each word as the shell would see it, or its source text if not literal
    literal: tuple[bool, ...]  # whether the word has no expansion or substitution
    assignments: tuple[str, ...]  # FOO=1 prefixes
    redirected: bool
    start_row: int  # 0-based, within the parsed text
    start_col: int  # byte column
    name_byte: int  # byte offset of the command name within the parsed text
    end_row: int
    end_col: int

    @property
    def name(self) -> str | None:
        if not self.words or not self.literal[0]:
            return None
        return self.words[0]

    @property
    def argv_text(self) -> str:
        return " ".join(self.words)


# The spellings of "all the script's arguments" that keep them as separate words.
ALL_ARGS = frozenset({'"$@"', "$@", '"${@}"', "${@}"})


def args_from(index: int) -> str:
    """A word standing for a script's arguments from `index` on (after `shift`)."""
    return f"\x00@{index}"


def args_index(word: str) -> int | None:
    """The index an args_from() word stands for, or None for any other word."""
    return int(word[2:]) if word.startswith("\x00@") and word[2:].isdigit() else None


def word_value(node: "Node") -> tuple[str, bool]:
    """The value of one shell word and whether it is literal."""
    kind = node.type
    if kind == "word" or kind == "number":
        return _unescape(node_text(node)), True
    if kind == "raw_string":
        return node_text(node)[1:-1], True
    if kind == "string":
        parts: list[str] = []
        literal = True
        for child in node.named_children:
            if child.type == "string_content":
                parts.append(node_text(child))
            else:
                literal = False
                parts.append(node_text(child))
        if literal:
            return "".join(parts), True
        return node_text(node), False
    if kind == "concatenation":
        parts = []
        literal = True
        for child in node.named_children:
            value, is_literal = word_value(child)
            parts.append(value)
            literal = literal and is_literal
        return ("".join(parts), True) if literal else (node_text(node), False)
    return node_text(node), False


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out)


def simple_command(node: "Node", redirected: bool = False) -> SimpleCommand:
    words: list[str] = []
    literal: list[bool] = []
    assignments: list[str] = []
    name_byte = node.start_byte
    for index, child in enumerate(node.children):
        field = node.field_name_for_child(index)
        if child.type == "variable_assignment":
            assignments.append(node_text(child))
        elif field == "name":
            name_byte = child.start_byte
            inner = child.named_children[0] if child.named_children else child
            value, is_literal = word_value(inner)
            words.append(value)
            literal.append(is_literal)
        elif field == "argument":
            value, is_literal = word_value(child)
            words.append(value)
            literal.append(is_literal)
        elif child.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
            redirected = True
    return SimpleCommand(
        words=tuple(words),
        literal=tuple(literal),
        assignments=tuple(assignments),
        redirected=redirected,
        start_row=node.start_point[0],
        start_col=node.start_point[1],
        name_byte=name_byte,
        end_row=node.end_point[0],
        end_col=node.end_point[1],
    )
