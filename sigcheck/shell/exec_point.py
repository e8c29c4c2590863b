"""Where `exec ` can go before a command of a script or a `sh -c` string.

`exec_insertable` answers for a command of a script or string: it is the last
thing that runs on its path, in the shell itself (not a subshell, pipeline,
loop or function), and nothing traps. `insert_exec` applies it to an analysed
command string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sigcheck.shell.argv import BUILTINS, RESERVED

if TYPE_CHECKING:
    from tree_sitter import Node

    from sigcheck.shell.command_string import CommandString

__all__ = ["exec_insertable", "exec_point", "insert_exec"]


def _named(node: Node) -> list[Node]:
    return [c for c in node.children if c.is_named and c.type not in ("comment", "heredoc_body")]


def _commands_named(root: Node, names: frozenset[str]) -> bool:
    from sigcheck.shell.parse import node_text

    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "command":
            name = node.child_by_field_name("name")
            if name is not None and node_text(name) in names:
                return True
        stack.extend(node.children)
    return False


def _functions(root: Node) -> set[str]:
    from sigcheck.shell.parse import node_text

    found: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            name = node.child_by_field_name("name")
            if name is not None:
                found.add(node_text(name))
        stack.extend(node.children)
    return found


def _last_in_branch(parent: Node, child: Node) -> bool:
    """`child` is the last statement `parent` runs on its path (comments aside)."""
    kids = parent.children
    index = next((k for k, c in enumerate(kids) if c.id == child.id), None)
    if index is None:
        return False
    if parent.type in ("if_statement", "elif_clause") and not any(c.type == "then" for c in kids[:index]):
        return False  # a condition, not a branch
    if parent.type == "case_item" and any(v.id == child.id for v in parent.children_by_field_name("value")):
        return False
    for later in kids[index + 1 :]:
        if later.type == "&":
            return False
        if not later.is_named or later.type in ("comment", "heredoc_body"):
            continue
        if parent.type == "if_statement" and later.type in ("elif_clause", "else_clause"):
            continue
        return False
    return True


_CONTAINERS = frozenset(
    {"program", "compound_statement", "if_statement", "elif_clause", "else_clause", "case_item"}
)


def exec_insertable(text: str, name_byte: int) -> bool:
    """`exec ` may go before the command whose name starts at byte `name_byte` of `text`
    (a script or a `sh -c` string): the command is the last thing the shell runs on its
    path (the end of the script, of an `&&`/`;` list, of an if/case branch that ends the
    script), in the shell itself (no subshell, pipeline, loop, function or `!`), it is
    no builtin or function, and no trap is set (an EXIT trap would be skipped). A
    redirection of the command itself is fine: `exec app >log 2>&1` applies it."""
    from sigcheck.shell.command_string import plain_words

    words = plain_words(text)
    if words is not None:  # one command of literal words: no parser needed
        return name_byte == 0 and words[0] not in BUILTINS

    from sigcheck.shell.parse import parse_shell
    from sigcheck.shell.words import word_value

    root = parse_shell(text).root_node
    if root.has_error:
        return False
    node: Node | None = root.descendant_for_byte_range(name_byte, name_byte + 1)
    while node is not None and node.type != "command":
        node = node.parent
    if node is None:
        return False
    name = node.child_by_field_name("name")
    if name is None or name.start_byte != name_byte:
        return False
    inner = name.named_children[0] if name.named_children else name
    value, literal = word_value(inner)
    if literal and (value in BUILTINS or value in RESERVED or value in _functions(root)):
        return False
    if _commands_named(root, frozenset({"trap"})):
        return False
    child: Node = node
    while True:
        parent = child.parent
        if parent is None:
            return False
        kind = parent.type
        if kind == "redirected_statement":
            body = parent.child_by_field_name("body")
            if child.type != "command" or body is None or body.id != child.id:
                return False
            child = parent
            continue
        if kind == "list":
            named = _named(parent)
            if not named or named[-1].id != child.id:
                return False
            child = parent
            continue
        if kind in _CONTAINERS:
            if not _last_in_branch(parent, child):
                return False
            if kind == "program":
                return True
            if kind in ("elif_clause", "else_clause", "case_item"):
                grand = parent.parent
                if grand is None:
                    return False
                child = grand
            else:
                child = parent
            continue
        return False



def exec_point(cs: CommandString) -> int | None:
    """Byte offset in the string where `exec ` makes the final command replace the shell."""
    if cs.final is None or cs.explicit_exec or cs.compound or cs.subshell:
        return None
    if cs.pipeline or cs.app_not_last or cs.reported_after or cs.background or cs.has_trap or cs.negated:
        return None
    if not exec_insertable(cs.text, cs.final.name_byte):
        return None
    return cs.final.name_byte


def insert_exec(cs: CommandString) -> str | None:
    """The command string with `exec` before its final command, when that is correct."""
    at = exec_point(cs)
    if at is None:
        return None
    raw = cs.text.encode("utf-8", "surrogateescape")
    return (raw[:at] + b"exec " + raw[at:]).decode("utf-8", "surrogateescape")
