"""What an entry script does with the app on every path out of it.

Facts (signal-semantics.md §5 Table 5a, measured as PID 1):
- `exec app` / `exec "$@"` / `exec gosu user app`: the app becomes PID 1 and
  gets the stop signal directly;
- `app` or `"$@"` without exec (dash or bash; bash does not apply its `-c`
  exec optimisation to script files): the shell stays PID 1, gets nothing it
  acts on, and the app is SIGKILLed after the grace period;
- `app & wait` without a trap: the same;
- `trap 'kill -TERM $pid' TERM; app & pid=$!; wait $pid`: racy, 9/20 runs
  delivered; adding `trap - TERM; wait $pid` after the first wait: 20/20;
- a trap that exits without killing the child leaves the app to be SIGKILLed
  when PID 1 exits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from sigcheck.shell.parse import node_text, parse_shell
from sigcheck.shell.words import SimpleCommand, simple_command

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["Outcome", "ScriptAnalysis", "TrapInfo", "analyse_script", "branch_outcomes", "shebang_of"]

Kind = Literal["exec", "foreground", "background"]

# Commands that are set-up or bookkeeping, never the long-running app.
_TRIVIAL = frozenset(
    {
        "set",
        "export",
        "echo",
        "printf",
        "cd",
        "[",
        "[[",
        "test",
        ":",
        "true",
        "false",
        "chmod",
        "chown",
        "mkdir",
        "rm",
        "cp",
        "mv",
        "ln",
        "touch",
        "source",
        ".",
        "umask",
        "ulimit",
        "trap",
        "wait",
        "shift",
        "local",
        "declare",
        "readonly",
        "unset",
        "exit",
        "return",
        "kill",
        "sleep",
        "envsubst",
        "sed",
        "grep",
        "cat",
        "find",
        "ls",
        "id",
        "whoami",
        "usermod",
        "groupmod",
        "install",
        "eval",
        "read",
        "getopts",
        "command",
        "type",
        "hash",
        "alias",
        "logger",
        "date",
        "env-check",
    }
)
_TERMINATING = frozenset(
    {"TERM", "SIGTERM", "INT", "SIGINT", "QUIT", "SIGQUIT", "HUP", "SIGHUP", "15", "2", "3", "1"}
)


@dataclass(frozen=True)
class TrapInfo:
    signals: tuple[str, ...]
    body: str
    line: int  # 1-based
    forwards: bool  # the body sends a signal to a child (kill ...)
    exits: bool  # the body ends the script


@dataclass(frozen=True)
class Outcome:
    """How one path out of the script runs the long-lived command."""

    kind: Kind
    command: SimpleCommand
    line: int  # 1-based line of the command in the script
    words: tuple[str, ...]  # the command without `exec`, `"$@"` already substituted by `set --`
    waits: int = 0  # for background: `wait` calls after it
    traps: tuple[TrapInfo, ...] = ()
    pipeline: bool = False
    loop: bool = False

    @property
    def forwarding_traps(self) -> tuple[TrapInfo, ...]:
        return tuple(t for t in self.traps if t.forwards and _catches_stop(t))

    @property
    def exiting_traps(self) -> tuple[TrapInfo, ...]:
        return tuple(t for t in self.traps if t.exits and not t.forwards and _catches_stop(t))


def _catches_stop(trap: TrapInfo) -> bool:
    return any(s.upper() in _TERMINATING for s in trap.signals)


@dataclass(frozen=True)
class ScriptAnalysis:
    shebang: tuple[str, ...] | None
    shebang_crlf: bool
    outcomes: tuple[Outcome, ...]
    parse_error: bool
    functions: tuple[str, ...] = field(default=())


def shebang_of(text: str) -> tuple[tuple[str, ...] | None, bool]:
    if not text.startswith("#!"):
        return None, False
    first = text.split("\n", 1)[0]
    crlf = first.endswith("\r")
    return tuple(first[2:].strip().split()), crlf


def _trap(cmd: SimpleCommand) -> TrapInfo | None:
    words = cmd.words[1:]
    if not words or words[0] in ("-l", "-p"):
        return None
    if words[0] == "-":
        return TrapInfo(tuple(words[1:]), "-", cmd.start_row + 1, False, False)
    body, signals = words[0], tuple(words[1:])
    forwards = bool(re.search(r"\bkill\b", body))
    exits = bool(re.search(r"\bexit\b", body))
    return TrapInfo(signals, body, cmd.start_row + 1, forwards, exits)


class _Walker:
    def __init__(self, root: Node) -> None:
        self.functions: dict[str, Node] = {}
        self.root = root
        self.depth = 0
        for node in self._all(root):
            if node.type == "function_definition":
                name = node.child_by_field_name("name")
                body = node.child_by_field_name("body")
                if name is not None and body is not None:
                    self.functions[node_text(name)] = body

    @staticmethod
    def _all(root: Node) -> list[Node]:
        out: list[Node] = []
        stack = [root]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(node.children)
        return out

    def statements(self, node: Node) -> list[Node]:
        return [c for c in node.children if c.is_named and c.type not in ("comment", "heredoc_body")]

    def outcomes(self, statements: list[Node], positional: tuple[str, ...] | None) -> list[Outcome]:
        """Outcomes of running `statements` in order (one path, or several through branches)."""
        self.depth += 1
        try:
            if self.depth > 32:
                return []
            return self._outcomes(statements, positional)
        finally:
            self.depth -= 1

    def _outcomes(self, statements: list[Node], positional: tuple[str, ...] | None) -> list[Outcome]:
        traps: list[TrapInfo] = []
        waits = 0
        candidate: list[Outcome] = []
        for stmt in statements:
            background = stmt.next_sibling is not None and stmt.next_sibling.type == "&"
            cmd = self._simple(stmt)
            if cmd is not None and cmd.name == "set" and cmd.words[1:2] == ("--",):
                positional = self._substitute(cmd.words[2:], positional)
                continue
            if cmd is not None and cmd.name == "trap":
                trap = _trap(cmd)
                if trap is not None:
                    traps.append(trap)
                continue
            if cmd is not None and cmd.name == "wait":
                waits += 1
                candidate = [
                    Outcome(o.kind, o.command, o.line, o.words, o.waits + 1, tuple(traps), o.pipeline, o.loop)
                    if o.kind == "background"
                    else o
                    for o in candidate
                ]
                continue
            if cmd is not None and cmd.name == "exec" and self._exec_words(cmd):
                words = self._substitute(self._exec_words(cmd), positional)
                return [Outcome("exec", cmd, cmd.start_row + 1, words or (), traps=tuple(traps))]
            if cmd is not None and cmd.name == "exit":
                return candidate
            found = self._statement(stmt, positional, background)
            if found:
                candidate = [
                    Outcome(
                        o.kind,
                        o.command,
                        o.line,
                        o.words,
                        o.waits,
                        tuple(traps) + o.traps,
                        o.pipeline,
                        o.loop,
                    )
                    for o in found
                ]
                if all(o.kind == "exec" for o in found) and stmt.type != "if_statement":
                    return candidate
        return candidate

    def _simple(self, stmt: Node) -> SimpleCommand | None:
        node = stmt
        redirected = False
        if node.type == "redirected_statement":
            body = node.child_by_field_name("body")
            if body is None:
                return None
            node, redirected = body, True
        if node.type != "command":
            return None
        return simple_command(node, redirected)

    @staticmethod
    def _exec_words(cmd: SimpleCommand) -> tuple[str, ...]:
        words = list(cmd.words[1:])
        while words and words[0].startswith("-"):
            words.pop(0)  # exec -a NAME / -c / -l
            if words and cmd.words[1] == "-a":
                words.pop(0)
        return tuple(words)

    @staticmethod
    def _substitute(words: tuple[str, ...], positional: tuple[str, ...] | None) -> tuple[str, ...]:
        if positional is None:
            return words
        out: list[str] = []
        for word in words:
            if word in ('"$@"', "$@", '"${@}"', "${@}"):
                out.extend(positional)
            else:
                out.append(word)
        return tuple(out)

    def _statement(self, stmt: Node, positional: tuple[str, ...] | None, background: bool) -> list[Outcome]:
        kind = stmt.type
        if kind == "redirected_statement":
            body = stmt.child_by_field_name("body")
            return self._statement(body, positional, background) if body is not None else []
        if kind == "command":
            cmd = simple_command(stmt)
            name = cmd.name
            if name in self.functions:
                return self.outcomes(self.statements(self.functions[name]), positional)
            if name is None and cmd.words and not cmd.words[0].startswith(('"$@"', "$@", '"${@}"')):
                return []
            if name in _TRIVIAL or not cmd.words:
                return []
            words = self._substitute(cmd.words, positional)
            return [Outcome("background" if background else "foreground", cmd, cmd.start_row + 1, words)]
        if kind == "list":
            named = [c for c in stmt.children if c.is_named]
            return self._statement(named[-1], positional, background) if named else []
        if kind == "pipeline":
            named = [c for c in stmt.children if c.is_named]
            found = self._statement(named[-1], positional, background) if named else []
            return [
                Outcome(
                    o.kind if o.kind != "exec" else "foreground", o.command, o.line, o.words, pipeline=True
                )
                for o in found
            ]
        if kind in ("subshell", "compound_statement"):
            return self.outcomes(self.statements(stmt), positional)
        if kind in ("if_statement", "case_statement"):
            return self._branches(stmt, positional)
        if kind in ("while_statement", "for_statement", "until_statement", "c_style_for_statement"):
            body = stmt.child_by_field_name("body")
            inner = self.outcomes(self.statements(body), positional) if body is not None else []
            return [
                Outcome(o.kind, o.command, o.line, o.words, loop=True) for o in inner if o.kind != "exec"
            ] or [o for o in inner if o.kind == "exec"]
        return []

    def _branches(self, stmt: Node, positional: tuple[str, ...] | None) -> list[Outcome]:
        found: list[Outcome] = []
        if stmt.type == "if_statement":
            body = [
                c
                for c in stmt.children
                if c.is_named and c.type not in ("elif_clause", "else_clause", "comment")
            ]
            # The first named children are the condition; the branch body follows `then`.
            after_then: list[Node] = []
            seen_then = False
            for child in stmt.children:
                if child.type == "then":
                    seen_then = True
                    continue
                if (
                    seen_then
                    and child.is_named
                    and child.type not in ("elif_clause", "else_clause", "comment")
                ):
                    after_then.append(child)
            del body
            found += self.outcomes(after_then, positional)
            for clause in stmt.children:
                if clause.type in ("elif_clause", "else_clause"):
                    parts: list[Node] = []
                    seen = clause.type == "else_clause"
                    for child in clause.children:
                        if child.type == "then":
                            seen = True
                            continue
                        if seen and child.is_named and child.type != "comment":
                            parts.append(child)
                    found += self.outcomes(parts, positional)
            return found
        for item in stmt.children:
            if item.type == "case_item":
                parts = [c for c in item.children if c.is_named and c.type not in ("comment",)]
                value = item.child_by_field_name("value")
                parts = [
                    p
                    for p in parts
                    if p != value
                    and p.type not in ("word", "extglob_pattern", "string", "raw_string", "concatenation")
                ]
                found += self.outcomes(parts, positional)
        return found


@lru_cache(maxsize=256)
def analyse_script(text: str) -> ScriptAnalysis:
    shebang, crlf = shebang_of(text)
    tree = parse_shell(text.replace("\r\n", "\n"))
    walker = _Walker(tree.root_node)
    top = [s for s in walker.statements(tree.root_node) if s.type != "function_definition"]
    outcomes = walker.outcomes(top, None)
    return ScriptAnalysis(shebang, crlf, tuple(outcomes), tree.root_node.has_error, tuple(walker.functions))


def branch_outcomes(node: Node) -> list[Outcome]:
    """Outcomes of one if/case/loop node (used for `sh -c` strings built around a case)."""
    walker = _Walker(node)
    return walker.outcomes([node], None)
