"""Does `sh -c STRING` exec its last command, or stay PID 1?

The answer depends on the shell, and every branch below is a row of the
measured Table 1 in signal-semantics.md §1:
- Debian's dash never execs (patch 0004), unless the string says `exec`;
- busybox ash and upstream dash exec the last simple command, also after
  `&&`/`;`, with redirections and inside `( )`/`{ }`, but not when the string
  ends in a newline;
- bash execs the last simple command unless it has a redirection or sits in a
  subshell or group;
- zsh execs almost everything; mksh only a lone command with no quote, `$`,
  `=`, `#`, `;`, `&`, `|`, `<`, `>`, glob or paren character;
- no shell execs a pipeline, `app || x`, `app &`, or anything once a trap is set.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import re
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from sigcheck.shell.parse import parse_shell
from sigcheck.shell.words import SimpleCommand, simple_command

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["CommandString", "ExecVerdict", "analyse_command_string", "decide_exec", "plain_words"]

# Set-up commands: in `test -f x || app` the app, on the right, runs last.
_SETUP = frozenset({"[", "[[", "test", "cd", "mkdir", "true", ":", "false", "command", "type", "grep", "id"})
_MKSH_SPECIAL = frozenset("<>[]=`#\n\t\"'&();|*\\?$")
_COMPOUND = frozenset(
    {
        "if_statement",
        "case_statement",
        "while_statement",
        "for_statement",
        "c_style_for_statement",
        "function_definition",
        "until_statement",
    }
)


class CommandString(NamedTuple):
    text: str
    final: SimpleCommand | None  # the command expected to be the long-running app
    explicit_exec: bool  # the final command is `exec app ...`
    app_not_last: bool  # `app || true`: something runs after the app
    pipeline: bool
    background: bool
    redirect: bool
    subshell: bool  # ( ... )
    group: bool  # { ...; }
    compound: bool  # if/case/loop/function around the final command
    loop: bool  # the compound is a loop or function (never exec'd out of)
    negated: bool
    has_trap: bool
    trailing_newline: bool
    parse_error: bool
    statements: int
    reported_after: bool = False  # `app; echo done`: a reporting command runs after the app

    @property
    def argv(self) -> tuple[str, ...] | None:
        """The app's argv with `exec` removed, if every word is literal."""
        if self.final is None or not self.final.words:
            return None
        words = self.final.words[1:] if self.explicit_exec else self.final.words
        return words or None


class ExecVerdict(NamedTuple):
    execs: bool | None  # None: cannot be known (unknown shell or construct)
    explicit: bool  # the string itself says exec
    reason: str


def _walk_final(node: "Node", state: dict[str, bool]) -> "Node | None":
    kind = node.type
    if kind == "redirected_statement":
        state["redirect"] = True
        body = node.child_by_field_name("body")
        return _walk_final(body, state) if body is not None else None
    if kind == "list":
        named = [c for c in node.children if c.is_named]
        ops = [c.type for c in node.children if not c.is_named]
        if len(named) < 2:
            return _walk_final(named[-1], state) if named else None
        right = named[-1]
        if ops and ops[-1] == "||":
            left = named[-2]
            probe = simple_command(left) if left.type == "command" else None
            if probe is None or probe.name not in _SETUP:
                # `app || fallback`: the shell must wait for the app's status.
                state["app_not_last"] = True
                return _walk_final(left, state)
        if ops and ops[-1] != "||" and _reporting(right):
            # `app && echo done`: the shell runs the echo after the app, so it waits for it.
            state["reported_after"] = True
            return _walk_final(named[-2], state)
        state["list"] = True
        return _walk_final(right, state)
    if kind == "pipeline":
        state["pipeline"] = True
        named = [c for c in node.children if c.is_named]
        return _walk_final(named[-1], state) if named else None
    if kind in ("subshell", "compound_statement"):
        state["subshell" if kind == "subshell" else "group"] = True
        inner = [c for c in node.children if c.is_named and c.type != "comment"]
        return _walk_final(inner[-1], state) if inner else None
    if kind == "negated_command":
        state["negated"] = True
        inner = [c for c in node.children if c.is_named]
        return _walk_final(inner[-1], state) if inner else None
    if kind in _COMPOUND:
        state["compound"] = True
        state["loop"] = kind not in ("if_statement", "case_statement")
        return None
    if kind == "command":
        return node
    return None


def _unwrap_redirect(node: "Node") -> "Node":
    body = node.child_by_field_name("body") if node.type == "redirected_statement" else None
    return body if body is not None else node


# Commands that only report after the app has ended: never the app itself.
_REPORTERS = frozenset({"echo", "printf", "logger", "true", ":"})


def _reporting(node: "Node") -> bool:
    node = _unwrap_redirect(node)
    if node.type != "command":
        return False
    name = node.child_by_field_name("name")
    return name is not None and name.text is not None and name.text.decode("utf-8", "replace") in _REPORTERS


def _is_wait(node: "Node") -> bool:
    if node.type != "command":
        return False
    name = node.child_by_field_name("name")
    return name is not None and name.text == b"wait"


def _branches_all_exec(node: "Node") -> SimpleCommand | None:
    """For an if/case around the app: the first exec'd command when every branch execs."""
    from sigcheck.shell.script import branch_outcomes

    outcomes = branch_outcomes(node)
    if outcomes and all(o.kind == "exec" for o in outcomes):
        return outcomes[0].command
    return None


def _has_trap(root: "Node") -> bool:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "command":
            name = node.child_by_field_name("name")
            if name is not None and name.text == b"trap":
                return True
        stack.extend(node.children)
    return False


# Plain words only: no quote, expansion, operator, redirection, glob, assignment or comment.
# The first word avoids characters tree-sitter-bash reads specially at the start of a
# command (a digit may open a redirection, `@` confuses it); tests compare both paths.
_PLAIN = re.compile(r"[A-Za-z_./][A-Za-z0-9_./:+,-]*(?: [A-Za-z0-9_./:@%+,-]+)*")
_RESERVED = frozenset(
    {
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "case",
        "esac",
        "for",
        "while",
        "until",
        "do",
        "done",
        "function",
        "select",
        "time",
        "coproc",
        "in",
    }
)


def plain_words(text: str) -> tuple[str, ...] | None:
    """The words of `text` if it is one simple command of literal words (the common
    `CMD app --flag value`), which needs no parser; None otherwise."""
    if not _PLAIN.fullmatch(text):
        return None
    words = tuple(text.split(" "))
    if words[0] in _RESERVED:
        return None
    return words


def _plain(text: str) -> CommandString | None:
    words = plain_words(text)
    if words is None:
        return None
    final = SimpleCommand(
        words=words,
        literal=(True,) * len(words),
        assignments=(),
        redirected=False,
        start_row=0,
        start_col=0,
        name_byte=0,
        end_row=0,
        end_col=len(text),
    )
    explicit = words[0] == "exec" and len(words) > 1 and not words[1].startswith("-")
    return CommandString(
        text=text,
        final=final,
        explicit_exec=explicit,
        app_not_last=False,
        pipeline=False,
        background=False,
        redirect=False,
        subshell=False,
        group=False,
        compound=False,
        loop=False,
        negated=False,
        has_trap=words[0] == "trap",
        trailing_newline=False,
        parse_error=False,
        statements=1,
    )


@lru_cache(maxsize=1024)
def analyse_command_string(text: str) -> CommandString:
    plain = _plain(text)
    if plain is not None:
        return plain
    tree = parse_shell(text)
    root = tree.root_node
    statements = [c for c in root.children if c.is_named and c.type != "comment"]
    state: dict[str, bool] = {}
    final_node: Node | None = None
    background = False
    if statements:
        last = statements[-1]
        if len(statements) > 1 and _is_wait(last):
            # `app & wait`: the app is the backgrounded statement before the wait.
            last = statements[-2]
        elif len(statements) > 1 and _reporting(last):
            # `app; echo stopped`: the echo is not the app, and the shell waits for the app to run it.
            state["reported_after"] = True
            last = statements[-2]
        following = last.next_sibling
        background = following is not None and following.type == "&"
        final_node = _walk_final(last, state)
    final = simple_command(final_node, state.get("redirect", False)) if final_node else None
    if final is None and state.get("compound") and statements:
        final = _branches_all_exec(_unwrap_redirect(statements[-1]))
    explicit = bool(
        final is not None
        and final.name == "exec"
        and len(final.words) > 1
        and not final.words[1].startswith("-")
    )
    return CommandString(
        text=text,
        final=final,
        explicit_exec=explicit,
        app_not_last=state.get("app_not_last", False),
        reported_after=state.get("reported_after", False),
        pipeline=state.get("pipeline", False),
        background=background,
        redirect=bool(final is not None and final.redirected),
        subshell=state.get("subshell", False),
        group=state.get("group", False),
        compound=state.get("compound", False),
        loop=state.get("loop", False),
        negated=state.get("negated", False),
        has_trap=_has_trap(root),
        trailing_newline=text.endswith("\n"),
        parse_error=root.has_error,
        statements=len(statements),
    )


def decide_exec(shell: str | None, cs: CommandString) -> ExecVerdict:
    """Will `shell -c cs.text` replace itself with the final command?"""
    if cs.final is None and not cs.compound:
        return ExecVerdict(False, False, "the string runs no command that could replace the shell")
    if shell == "none":
        return ExecVerdict(False, False, "the image has no /bin/sh, so the container cannot start")
    if cs.explicit_exec and not (cs.pipeline or cs.background):
        # `exec` replaces the shell whatever traps or fallbacks were set up around it.
        return ExecVerdict(True, True, "`exec` replaces the shell with the app")
    for flag, reason in (
        (cs.pipeline, "a pipeline keeps the shell as the parent of every stage"),
        (cs.reported_after, "a command after the app (`; echo done`) keeps the shell waiting for it"),
        (cs.app_not_last, "a command after `||` keeps the shell waiting for the app"),
        (cs.background, "`&` starts the app in the background"),
        (cs.has_trap, "a `trap` makes every shell stay to run it"),
        (cs.negated, "`!` keeps the shell to invert the exit status"),
    ):
        if flag:
            return ExecVerdict(False, False, reason)
    if cs.explicit_exec:
        return ExecVerdict(True, True, "`exec` replaces the shell with the app")
    if shell == "none":
        return ExecVerdict(False, False, "the image has no /bin/sh, so the container cannot start")
    if shell == "dash-debian":
        return ExecVerdict(False, False, "Debian's dash never execs the last command of `sh -c`")
    if cs.parse_error:
        return ExecVerdict(None, False, "the command string does not parse as shell")
    if cs.compound:
        if shell == "bash":
            return ExecVerdict(False, False, "bash does not exec out of if/case/loop constructs")
        if shell == "ash" and not cs.loop:
            # Measured with busybox 1.35 as PID 1 (tests/test_runtime_shell_form.py).
            return ExecVerdict(True, False, "busybox ash execs the last command of an if/case branch")
        if shell == "ash":
            return ExecVerdict(False, False, "busybox ash does not exec out of a loop")
        return ExecVerdict(None, False, "an if/case/loop around the app was not measured for this shell")
    if shell in ("ash", "dash"):
        if cs.trailing_newline:
            return ExecVerdict(False, False, "this shell does not exec when the string ends in a newline")
        return ExecVerdict(True, False, "this shell execs the last simple command")
    if shell == "bash":
        if cs.redirect:
            return ExecVerdict(False, False, "bash does not exec a command that has a redirection")
        if cs.subshell or cs.group:
            return ExecVerdict(False, False, "bash does not exec inside `( )` or `{ }`")
        return ExecVerdict(True, False, "bash execs a last simple command without redirection")
    if shell == "zsh":
        return ExecVerdict(True, False, "zsh execs the last command")
    if shell == "mksh":
        if cs.statements == 1 and not (cs.subshell or cs.group) and not (_MKSH_SPECIAL & set(cs.text)):
            return ExecVerdict(True, False, "mksh execs a lone command without special characters")
        return ExecVerdict(
            False, False, "mksh execs only a lone command without quotes, `$`, `=` or operators"
        )
    return ExecVerdict(None, False, "which shell runs the string is unknown")
