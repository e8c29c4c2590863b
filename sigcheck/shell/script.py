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

import posixpath
import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, NamedTuple

from sigcheck.model.knowledge import (
    daemonizes,
    identify_app,
    identify_init,
    identify_supervisor,
    is_one_shot,
    is_teardown,
)
from sigcheck.model.launchers import identify_launcher
from sigcheck.shell.parse import node_text, parse_shell
from sigcheck.shell.sourced import MAX_BYTES, MAX_GLOB, MAX_READS, SourceFiles, expand_path
from sigcheck.shell.sourced import MAX_DEPTH as MAX_SOURCE_DEPTH
from sigcheck.shell.words import (
    ALL_ARGS,
    SimpleCommand,
    args_from,
    args_index,
    simple_command,
    word_value,
)

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = [
    "Outcome",
    "ScriptAnalysis",
    "TrapInfo",
    "analyse_script",
    "analyse_with_files",
    "args_index",
    "branch_outcomes",
    "shebang_of",
]

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
        # Builtins of bash, dash and busybox ash that set the shell up and return; reserved words
        # (`fi`, `done`...) appear as commands only where the parser recovered from an error.
        "shopt",
        "break",
        "continue",
        "let",
        "typeset",
        "builtin",
        "enable",
        "mapfile",
        "readarray",
        "pushd",
        "popd",
        "dirs",
        "disown",
        "jobs",
        "times",
        "caller",
        "complete",
        "compgen",
        "bind",
        "help",
        "history",
        "killall",
        "pkill",
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "do",
        "done",
        "case",
        "esac",
        "in",
        "{",
        "}",
        "!",
    }
)
_TERMINATING = frozenset(
    {"TERM", "SIGTERM", "INT", "SIGINT", "QUIT", "SIGQUIT", "HUP", "SIGHUP", "15", "2", "3", "1"}
)


class TrapInfo(NamedTuple):
    signals: tuple[str, ...]
    body: str
    line: int  # 1-based
    forwards: bool  # the handler sends a signal to a child (kill ...)
    exits: bool  # the handler ends the script
    waits: bool = False  # the handler waits for the child after signalling it
    only_reports: bool = False  # the handler does nothing but print and exit


class Outcome(NamedTuple):
    """How one path out of the script runs the long-lived command."""

    kind: Kind
    command: SimpleCommand
    line: int  # 1-based line of the command in the script
    words: tuple[str, ...]  # the command without `exec`, `"$@"` already substituted by `set --`
    waits: int = 0  # for background: `wait` calls after it
    traps: tuple[TrapInfo, ...] = ()
    pipeline: bool = False
    loop: bool = False
    default_path: bool = True  # False: only other arguments than the image's CMD take this path
    file: str | None = None  # the sourced file (its path in the image) the command is in; None: the script

    @property
    def follower(self) -> bool:
        """`tail -f LOG` or `sleep infinity`: it shows a log or keeps the container alive
        while the app, started before it, runs; signalling it or not loses nothing."""
        return _is_follower(self.words)

    @property
    def forwarding_traps(self) -> tuple[TrapInfo, ...]:
        if self.follower:
            # The handler itself is what stops the app (`stopWebLogic.sh`, `nginx -s quit`),
            # synchronously; the follower it leaves behind has no shutdown to cut.
            return tuple(
                t._replace(forwards=True, waits=True)
                for t in self.traps
                if _catches_stop(t) and not t.only_reports and t.body != "-"
            )
        return tuple(t for t in self.traps if t.forwards and _catches_stop(t))

    @property
    def exiting_traps(self) -> tuple[TrapInfo, ...]:
        if self.follower:
            return tuple(t for t in self.traps if t.only_reports and _catches_stop(t))
        return tuple(t for t in self.traps if t.exits and not t.forwards and _catches_stop(t))

    def but(self, **changes: object) -> Outcome:
        return self._replace(**changes)  # type: ignore[arg-type]


def _catches_stop(trap: TrapInfo) -> bool:
    return any(s.upper() in _TERMINATING for s in trap.signals)


def _is_follower(words: tuple[str, ...]) -> bool:
    if not words:
        return False
    name = posixpath.basename(words[0])
    if name == "tail":
        # -f, -F, --follow, and the combined spellings (`-900f`, `-fn0`)
        return any(
            w.startswith("--follow") or (w[:1] == "-" and w[1:2] != "-" and w.strip("-0123456789n") in "fF")
            for w in words[1:]
        )
    return name == "sleep" and _keeps_alive(words)


# `sleep N` as the container's keep-alive (GNU and busybox suffixes s, m, h, d).
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _keeps_alive(words: tuple[str, ...]) -> bool:
    """`sleep infinity`, or a sleep of a minute or more: what the container waits on, not a
    pause between set-up steps (`sleep 2`)."""
    total = 0.0
    for word in words[1:]:
        if word in ("infinity", "inf"):
            return True
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", word)
        if match is None:
            return False  # `sleep "$DELAY"`: unknown, taken for a pause
        total += float(match.group(1)) * _SECONDS[match.group(2)]
    return total >= 60


def _long_running(words: tuple[str, ...]) -> bool:
    """A server or runtime the knowledge base knows (not a follower such as `tail`)."""
    app = identify_app(words)
    return app is not None and app.id != "sleep"


def _known_program(words: tuple[str, ...]) -> bool:
    """A program the knowledge base names: never a function from a sourced file."""
    name = posixpath.basename(words[0])
    return (
        name in _SHELLS
        or identify_app(words) is not None
        or identify_launcher(words) is not None
        or identify_init(words) is not None
        or identify_supervisor(words) is not None
    )


_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_RUN_AS = frozenset({"sudo", "su-exec", "gosu", "runuser", "chpst", "s6-setuidgid", "setpriv"})
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "mksh", "ksh", "busybox"})
# A name a shell function can have and a program on PATH rarely has: an identifier with an
# underscore (`configure_nginx`, `log_error`, `_main`). Plain words (`getmail`, `rsync`) are
# programs as often as functions, so they stay candidates for the app.
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9]*_[A-Za-z0-9_]*$")
_VARIABLE = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")


def _settle(running: list[Outcome], exiting: bool = False) -> list[Outcome]:
    """What is still running when the script ends: the long-lived command(s) it leaves.

    - After `wait` for a background job, the job (the app) has exited: a foreground
      command that follows is clean-up (`sh poststop.sh`), unless it is a known server.
    - Otherwise a foreground command is what the shell waits for; background jobs
      started before it are helpers.
    - Of background jobs, a log follower accompanies the app started before it.
    - `exit` does not wait for background jobs it has not waited for: they die with the
      container, nothing stays behind to be stopped.
    """
    background = [o for o in running if o.kind == "background" and (o.waits or not exiting)]
    foreground = [o for o in running if o.kind != "background"]
    apps = [o for o in background if not o.follower] or background
    if any(o.waits for o in background):
        return apps + [o for o in foreground if _long_running(o.words)]
    return foreground or apps


def _waited(running: list[Outcome]) -> list[Outcome]:
    """After `wait`: the foreground commands before it have finished; the jobs go on."""
    if not any(o.kind == "background" for o in running):
        return running
    return [o.but(waits=o.waits + 1) for o in running if o.kind == "background"]


def _add(running: list[Outcome], found: list[Outcome]) -> list[Outcome]:
    """A new command: background jobs go on; an earlier foreground command has finished."""
    return [o for o in running if o.kind == "background"] + found


class ScriptAnalysis(NamedTuple):
    shebang: tuple[str, ...] | None
    shebang_crlf: bool
    outcomes: tuple[Outcome, ...]
    parse_error: bool
    functions: tuple[str, ...] = ()
    truncated: bool = False  # nested deeper, or larger, than the walker follows
    wants_files: bool = False  # analysed without the image's files, it reads one: analyse again with them


def shebang_of(text: str) -> tuple[tuple[str, ...] | None, bool]:
    if not text.startswith("#!"):
        return None, False
    first = text.split("\n", 1)[0]
    crlf = first.endswith("\r")
    return tuple(first[2:].strip().split()), crlf


_REPORTING = re.compile(r"^\s*(?:(?:echo|printf|logger|true|:|exit)\b[^;&|\n]*(?:;|&&|\n|$)\s*)+$")


class _Path(NamedTuple):
    """Walking a statement list: paths that ended the script, and the one still running."""

    ended_outcomes: list[Outcome]
    running: list[Outcome]
    ended: bool
    positional: tuple[str, ...] | None


MAX_DEPTH = 32  # nesting of subshells, branches and function calls the walker follows


class _Walker:
    def __init__(
        self,
        root: Node,
        args: tuple[str, ...] | None = None,
        env: tuple[tuple[str, str], ...] | None = None,
        files: SourceFiles | None = None,
    ) -> None:
        self.args = args  # the script's arguments, when the chain knows them
        # The image's ENV, when the chain knows it: a variable it does not set is unset by default.
        self.env = dict(env) if env is not None else None
        self.calling: set[str] = set()  # functions being walked: a recursive call is not followed
        self.memo: dict[tuple[object, ...], _Path] = {}
        self.budget = 20_000  # statements walked at most: functions calling functions can explode
        self.truncated = False
        self.functions: dict[str, Node] = {}
        self.depth = 0
        self.loops = 0  # loops the walk is inside: a one-shot command repeated forever is the app
        self.sourced = False  # the script sources a file, which may define the functions it calls
        # Values assigned to each variable anywhere on the way (`EXEC="runuser -u app --"`, or
        # `exec_cmd="exec su-exec neo4j"` on one branch and `exec_cmd="exec"` on the other).
        self.values: dict[str, list[str]] = {}
        self.files = files  # the image's files, to read what the script sources
        self.file: str | None = None  # the sourced file being walked; None: the script itself
        self.function_file: dict[str, str | None] = {}  # where each function was defined
        self.texts: dict[str, str] = {}  # sourced files' text, for columns
        self.trees: list[object] = []  # keeps the sourced files' trees alive with their nodes
        self.source_depth = 0
        self.source_bytes = 0
        self.source_reads = 0
        self.hook_vars: set[str] = set()  # variables of loops that run one file after another
        self.wants_files = False  # it reads a file (a source, a server's config) it was not given
        self.define(root)

    def define(self, root: Node) -> None:
        """Record the functions defined at the top level (where entry scripts define them):
        walking every node of the tree from Python would cost more than parsing it."""
        for node in root.children:
            if node.type == "function_definition":
                name = node.child_by_field_name("name")
                body = node.child_by_field_name("body")
                if name is not None and body is not None:
                    self.functions[node_text(name)] = body
                    self.function_file[node_text(name)] = self.file

    @staticmethod
    def statements(node: Node) -> list[Node]:
        return [c for c in node.children if c.is_named and c.type not in ("comment", "heredoc_body")]

    def outcomes(self, statements: list[Node], positional: tuple[str, ...] | None) -> list[Outcome]:
        """Every way the statements, run in order, leave the long-lived command."""
        traps: list[TrapInfo] = []
        path = self.walk(statements, positional, traps)
        return path.ended_outcomes + [o.but(traps=tuple(traps)) for o in _settle(path.running)]

    def runs_args(self, words: tuple[str, ...]) -> bool:
        """The command runs the script's own arguments (the image's CMD, the app), as
        `chroot --userspec=u:g / "$@"` does on a branch the default path skips."""
        args = self.args
        if not args:
            return False
        if any(word in ALL_ARGS for word in words[1:]):
            return True  # `"$@"` still unexpanded: the arguments the script was given
        n = len(args)
        return any(words[i : i + n] == args for i in range(1, len(words) - n + 1))

    def variable(self, name: str) -> str | None:
        """The value `$name` has where the script tests it, when that is certain: the image's
        ENV (unset there: empty), unless the script assigns it itself."""
        if self.env is None or name in self.values or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            return None
        return self.env.get(name, "")

    def assign(self, node: Node) -> None:
        """Record `NAME=value` (also under local/readonly/export/declare) when the value is literal."""
        for item in [node] if node.type == "variable_assignment" else node.named_children:
            if item.type != "variable_assignment":
                continue
            name = item.child_by_field_name("name")
            value = item.child_by_field_name("value")
            if name is None:
                continue
            text, literal = word_value(value) if value is not None else ("", True)
            values = self.values.setdefault(node_text(name), [])
            if literal and text not in values and len(values) < 8:
                values.append(text)
            elif not literal:
                values.append("\x00")  # unknown: never expanded

    def variants(self, cmd: SimpleCommand) -> list[SimpleCommand]:
        """The command with a leading `$VAR` (after `exec`, if any) replaced by each value the
        variable was given: `exec $EXEC server` is `exec runuser -u app -- server` on the path
        that set EXEC and `exec server` on the one that did not."""
        at = 1 if cmd.words[:1] == ("exec",) else 0
        if len(cmd.words) <= at or cmd.literal[at]:
            return [cmd]
        m = _VARIABLE.match(cmd.words[at])
        values = self.values.get(m.group(1), []) if m else []
        if not values or "\x00" in values:
            return [cmd]
        # Non-empty values first: the chain follows the first path, and a launcher is what matters.
        out: list[SimpleCommand] = []
        for value in sorted(values, key=lambda v: not v.split()):
            inserted = tuple(value.split())
            words = cmd.words[:at] + inserted + cmd.words[at + 1 :]
            literal = cmd.literal[:at] + (True,) * len(inserted) + cmd.literal[at + 1 :]
            if words:
                out.append(cmd._replace(words=words, literal=literal))
        return out or [cmd]

    def read_config(self, path: str) -> str | None:
        if self.files is None:
            self.wants_files = True
            return None
        return self.files.read(path)

    def value(self, name: str) -> str | None:
        """`$name` where the script reads a file: its one literal assignment, else the ENV's."""
        values = self.values.get(name)
        if values:
            return values[0] if len(values) == 1 and values[0] != "\x00" else None
        return self.variable(name)

    def source(
        self, path: str, positional: tuple[str, ...] | None, traps: list[TrapInfo], running: list[Outcome]
    ) -> _Path | None:
        """Walk the file `. path` reads, in the caller's shell (its functions become the
        caller's, its `exec` replaces the caller); None when it cannot be read."""
        if self.files is None:
            self.wants_files = True
            return None
        if self.budget <= 0:
            return None
        if self.source_depth >= MAX_SOURCE_DEPTH or self.source_reads >= MAX_READS:
            self.truncated = True
            return None
        self.source_reads += 1
        text = self.files.read(path)
        if text is not None and self.source_bytes + len(text) > MAX_BYTES:
            self.truncated = True
        if text is None or self.source_bytes + len(text) > MAX_BYTES:
            return None
        self.source_bytes += len(text)
        text = text.replace("\r\n", "\n")
        tree = parse_shell(text)
        self.trees.append(tree)
        self.texts[path] = text
        saved = self.file
        self.file = path
        self.source_depth += 1
        try:
            self.define(tree.root_node)
            top = [s for s in self.statements(tree.root_node) if s.type != "function_definition"]
            return self.walk(top, positional, traps, running)
        finally:
            self.file = saved
            self.source_depth -= 1

    def sourcing(
        self, node: Node, positional: tuple[str, ...] | None, traps: list[TrapInfo], running: list[Outcome]
    ) -> _Path | None:
        """The path after `. FILE` / `source FILE`, or a loop sourcing a glob's files; None for
        any other statement."""
        if node.type == "for_statement":
            return self.source_loop(node, positional, traps, running)
        node = _guarded_source(node) or node
        if node.type != "command" or _first_word(node) not in (".", "source"):
            return None
        self.sourced = True
        cmd = simple_command(node)
        path = expand_path(cmd.words[1], self.value) if len(cmd.words) > 1 else None
        sub = self.source(path, positional, traps, running) if path else None
        return sub or _Path([], running, False, positional)

    def source_loop(
        self, node: Node, positional: tuple[str, ...] | None, traps: list[TrapInfo], running: list[Outcome]
    ) -> _Path | None:
        """`for f in DIR/*; do . "$f"; done`: each file the glob expands to (sorted, as the
        shell expands it) is sourced in turn; None when the loop is not of that shape."""
        variable = node.child_by_field_name("variable")
        values = node.children_by_field_name("value")
        body = node.child_by_field_name("body")
        if variable is None or body is None or len(values) != 1:
            return None
        if not any(_sources_variable(c, node_text(variable)) for c in _all(body)):
            return None
        self.sourced = True
        self.wants_files = self.wants_files or self.files is None
        pattern = expand_path(node_text(values[0]), self.value)
        paths = self.files.glob(pattern)[:MAX_GLOB] if self.files is not None and pattern else []
        ended: list[Outcome] = []
        for path in paths:
            sub = self.source(path, positional, traps, running)
            if sub is None:
                continue
            ended += sub.ended_outcomes
            if sub.ended:
                return _Path(ended, [], True, sub.positional)
            running, positional = sub.running, sub.positional
        return _Path(ended, running, False, positional)

    def _trap(self, cmd: SimpleCommand) -> TrapInfo | None:
        words = cmd.words[1:]
        if not words or words[0] in ("-l", "-p"):
            return None
        if words[0] == "-":
            return TrapInfo(tuple(words[1:]), "-", cmd.start_row + 1, False, False)
        body, signals = words[0], tuple(words[1:])
        handler = body
        called = body.split()[0] if body.split() else ""
        if called in self.functions:
            handler = body + "\n" + node_text(self.functions[called])  # `trap shutdown TERM`
        return TrapInfo(
            signals,
            body,
            cmd.start_row + 1,
            forwards=bool(re.search(r"\b(kill|killall|pkill)\b", handler)),
            exits=bool(re.search(r"\bexit\b", handler)),
            waits=bool(re.search(r"\bwait\b", handler)),
            only_reports=bool(_REPORTING.match(handler)),
        )

    def walk(
        self,
        statements: list[Node],
        positional: tuple[str, ...] | None,
        traps: list[TrapInfo],
        running: list[Outcome] | None = None,
    ) -> _Path:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH or self.budget <= 0:
                self.truncated = True
                return _Path([], list(running or ()), False, positional)
            return self._walk(statements, positional, traps, list(running or ()))
        finally:
            self.depth -= 1

    def _walk(
        self,
        statements: list[Node],
        positional: tuple[str, ...] | None,
        traps: list[TrapInfo],
        running: list[Outcome],
    ) -> _Path:
        ended: list[Outcome] = []
        self.budget -= len(statements)
        for stmt in statements:
            background = stmt.next_sibling is not None and stmt.next_sibling.type == "&"
            node = _unwrap(stmt)
            if node.type in ("variable_assignment", "declaration_command"):
                self.assign(node)
                continue
            sourced = self.sourcing(node, positional, traps, running)
            if sourced is not None:
                ended += sourced.ended_outcomes
                if sourced.ended:
                    return _Path(ended, [], True, sourced.positional)
                running, positional = sourced.running, sourced.positional
                continue
            if node.type == "command":
                variants = self.variants(simple_command(node, node is not stmt))
                if len(variants) > 1 and variants[0].name == "exec":
                    # One exec per value of the variable: each path execs its own command.
                    execs = [
                        Outcome(
                            "exec",
                            v,
                            v.start_row + 1,
                            _substitute(_exec_words(v), positional),
                            traps=tuple(traps),
                            file=self.file,
                        )
                        for v in variants
                        if _exec_words(v)
                    ]
                    if execs:
                        return _Path([*ended, *execs], [], True, positional)
                cmd = variants[0]
                name = cmd.name
                if name not in _TRIVIAL and (
                    is_teardown(cmd.words) or (not background and daemonizes(cmd.words, self.read_config))
                ):
                    # The script stops the services it started (what it ran in the foreground
                    # before was a client of them, which returned: a sample run once), or starts
                    # a server that forks its daemon and returns at once (`nginx`): a start-up
                    # step, after the foreground command before it has returned.
                    running = [o for o in running if o.kind == "background"]
                    continue
                if name == "set" and cmd.words[1:2] == ("--",):
                    positional = _substitute(cmd.words[2:], positional)
                    continue
                if name == "shift":
                    count = cmd.words[1] if len(cmd.words) > 1 else "1"
                    positional = _shift(positional, int(count) if count.isdigit() else 1)
                    continue
                if name == "trap":
                    trap = self._trap(cmd)
                    if trap is not None:
                        traps.append(trap)
                    continue
                if name == "wait":
                    running = _waited(running)
                    continue
                if (
                    name == "kill"
                    and cmd.words[1:2] != ("-0",)
                    and any(o.kind == "background" for o in running)
                ):
                    # The script stops its own job (a temporary server for initialisation, as the
                    # docker-library entrypoints do) before it goes on: that job is not the app.
                    running = [o for o in running if o.kind != "background"]
                    continue
                exec_words = _exec_words(cmd) if name == "exec" else ()
                if exec_words:
                    words = _substitute(exec_words, positional)
                    outcome = Outcome(
                        "exec", cmd, cmd.start_row + 1, words, traps=tuple(traps), file=self.file
                    )
                    return _Path(
                        [*ended, outcome],
                        [],
                        True,
                        positional,
                    )
                if name == "exit":
                    return _Path(
                        ended + [o.but(traps=tuple(traps)) for o in _settle(running, exiting=True)],
                        [],
                        True,
                        positional,
                    )
                if name in self.functions:
                    if name in self.calling or self.budget <= 0:
                        continue  # recursion, or a call graph too large to follow: not the app
                    # The function body runs on from what the caller left running, with the
                    # call's words as its "$@" (`exec_as_app initdb` runs `sudo -u app initdb`);
                    # a `set --` in it changes only its own.
                    caller = positional
                    if len(cmd.words) > 1:
                        positional = _substitute(cmd.words[1:], positional)
                    key = (name, positional, tuple((o.line, o.kind, o.waits) for o in running))
                    sub = self.memo.get(key)
                    if sub is None:
                        self.calling.add(name)
                        before = len(traps)
                        saved, self.file = self.file, self.function_file.get(name)
                        try:
                            sub = self.walk(self.statements(self.functions[name]), positional, traps, running)
                        finally:
                            self.calling.discard(name)
                            self.file = saved
                        if len(traps) == before:
                            self.memo[key] = sub  # same call, same result: f0 calling f1 twice...
                    ended += sub.ended_outcomes
                    if sub.ended:
                        return _Path(ended, [], True, sub.positional)
                    running = sub.running
                    positional = sub.positional if len(cmd.words) == 1 else caller
                    continue
                found = self._command(cmd, positional, background)
                if found:
                    running = _add(running, found)
                continue
            if node.type in ("if_statement", "case_statement"):
                branches, complete = self._branches(node)
                results: list[_Path] = []
                certain: _Path | None = None
                decided = False  # a branch certainly taken has been walked: the rest are not taken
                jobs = [o for o in running if o.kind == "background"]
                for condition, statements in branches:
                    first = _first(positional, self.args)
                    verdict = _evaluate(condition, first, self.variable) if condition else None
                    # Skipped because of the image's ENV, not of its arguments: the branch still
                    # runs the image's own CMD when a user sets the variable (`docker run -e`).
                    by_env = (
                        verdict is False and condition is not None and _evaluate(condition, first) is None
                    )
                    if verdict is False or decided:
                        # Not taken with the image's own arguments, but `docker run IMAGE ARGS` may
                        # take it. There it is a one-shot task (`app:init`, `backup`, `migrate`),
                        # not a finding, unless it starts a known server without exec.
                        other = self.walk(statements, positional, list(traps))
                        ended += [
                            o.but(default_path=False, traps=o.traps or tuple(traps))
                            for o in other.ended_outcomes + _settle(other.running)
                            if o.default_path
                            and (
                                o.kind == "exec"
                                or _long_running(o.words)
                                or (by_env and self.runs_args(o.words))
                            )
                        ]
                        continue
                    # A branch goes on with the jobs already running (`app & ... if x; then wait;
                    # fi`); a foreground command before the `if` has returned (its test ran after).
                    result = self.walk(statements, positional, list(traps), jobs)
                    results.append(result)
                    if verdict is True or (condition is None and node.type == "if_statement"):
                        certain = result if verdict is True else None
                        complete = complete or verdict is True
                        decided = True
                for result in results:
                    ended += result.ended_outcomes
                through = [r for r in results if not r.ended]
                if complete and not through:
                    return _Path(ended, [], True, positional)
                from_branches = [o for r in through for o in r.running]
                if any(o not in jobs for o in from_branches):
                    # Each branch that falls through, and (no `else`) the path that skips them all.
                    merged = from_branches + (running if not complete else [])
                    running = list(dict.fromkeys(merged))
                if certain is not None and not certain.ended:
                    positional = certain.positional  # a `set --` that certainly ran
                continue
            if node.type in _LOOPS:
                body = node.child_by_field_name("body")
                if body is None:
                    continue
                if _endless(node):
                    # The shell reaches a loop that never ends only once the foreground command
                    # before it has returned: that command was set-up, not what the shell waits for.
                    running = [o for o in running if o.kind == "background"]
                hooks = _loop_file_variable(node)
                if _contains_wait(body):
                    # `while kill -0 "$pid"; do wait "$pid"; done` waits again after a trap.
                    running = [o.but(waits=o.waits + 2) if o.kind == "background" else o for o in running]
                # `while "$@"; do ...; done` runs the app in the condition.
                tests = [
                    c
                    for i, c in enumerate(node.children)
                    if node.field_name_for_child(i) == "condition"
                    and c.is_named
                    and c.type != "comment"
                    and "$@" in node_text(c).replace("${@}", "$@")  # not `until pg_isready` polls
                ]
                self.loops += 1
                added = {hooks} - self.hook_vars if hooks is not None else set()
                self.hook_vars |= added
                try:
                    inner = self.walk(tests + self.statements(body), positional, traps)
                finally:
                    self.loops -= 1
                    self.hook_vars -= added
                ended += inner.ended_outcomes
                if inner.running:
                    looped = [o.but(loop=True) for o in inner.running]
                    if background:
                        looped = [o.but(kind="background") for o in looped]
                    running = _add(running, looped)
                continue
            if node.type in ("subshell", "compound_statement"):
                inner = self.walk(self.statements(node), positional, traps)
                ended += inner.ended_outcomes
                if inner.ended and node.type == "compound_statement" and not background:
                    return _Path(ended, [], True, inner.positional)
                if inner.running:
                    # `( setup && app ) &`: the whole group runs in the background.
                    found = [o.but(kind="background") for o in inner.running] if background else inner.running
                    running = _add(running, found)
                continue
            if node.type == "list" and _first_command_name(node) == "wait":
                running = _waited(running)  # `wait "$pid" || true`
                continue
            found = self._compound_line(node, positional, background)
            if found:
                running = _add(running, found)
        return _Path(ended, running, False, positional)

    def _command(
        self, cmd: SimpleCommand, positional: tuple[str, ...] | None, background: bool
    ) -> list[Outcome]:
        name = cmd.name
        if name is None and cmd.words and not cmd.words[0].startswith(('"$@"', "$@", '"${@}"')):
            return []
        if (name in _TRIVIAL and not (name == "sleep" and _keeps_alive(cmd.words))) or not cmd.words:
            return []
        if name is not None and self.loops == 0 and is_one_shot(cmd.words):
            return []  # a client that does its job and returns (`curl`, `pg_dump`, `kubectl`)
        if (
            name is not None
            and not background  # a script rarely backgrounds a sourced function: a job is a program
            and self.sourced
            and _FUNCTION_NAME.match(name)
            and not _known_program(cmd.words)
        ):
            # Defined, most likely, by a sourced file this analysis could not read: an unknown
            # name there is not the app.
            return []
        words = _substitute(cmd.words, positional)
        launcher = identify_launcher(words) if name in _RUN_AS else None
        inner = words[launcher.command_start :] if launcher and launcher.command_start else ()
        while inner[1:] and _ASSIGNMENT.match(inner[0]):
            inner = inner[1:]  # `sudo VAR=value cmd`: sudo sets the variable for the command
        if inner and not background and (inner[0] in _TRIVIAL or is_one_shot(inner)):
            return []  # `sudo -u app envsubst ...`: a one-shot run as another user
        if not background and self.hook_vars and any(_refers(w, self.hook_vars) for w in cmd.words[:2]):
            return []  # `python3 "$script"` in a loop over files: the loop runs the next one after it
        return [
            Outcome(
                "background" if background else "foreground", cmd, cmd.start_row + 1, words, file=self.file
            )
        ]

    def _compound_line(
        self, node: Node, positional: tuple[str, ...] | None, background: bool
    ) -> list[Outcome]:
        """`a && app`, `app || exit 1`, `app | tee log`: the app in a list or pipeline."""
        if node.type == "list":
            named = [c for c in node.children if c.is_named]
            ops = [c.type for c in node.children if not c.is_named]
            if len(named) >= 2 and ops and ops[-1] == "||":
                left = self._compound_line(_unwrap(named[-2]), positional, background)
                if left:
                    return left  # `app || exit 1`: the shell waits for the app
            return self._compound_line(_unwrap(named[-1]), positional, background) if named else []
        if node.type == "pipeline":
            named = [c for c in node.children if c.is_named]
            found = self._compound_line(_unwrap(named[-1]), positional, background) if named else []
            if not found and named:
                found = self._compound_line(_unwrap(named[0]), positional, background)
            return [o.but(kind="foreground", pipeline=True) for o in found]
        if node.type in ("subshell", "compound_statement"):
            inner = self.walk(self.statements(node), positional, [])
            return [o.but(kind="background") if background else o for o in inner.running]
        if node.type == "command":
            cmd = self.variants(simple_command(node))[0]
            if cmd.name == "exec" and _exec_words(cmd):
                words = _substitute(_exec_words(cmd), positional)
                return [Outcome("exec", cmd, cmd.start_row + 1, words, file=self.file)]
            return self._command(cmd, positional, background)
        return []

    def _branches(self, node: Node) -> tuple[list[tuple[str | None, list[Node]]], bool]:
        """Each branch as (condition text or None, statements), and whether one always runs."""
        branches: list[tuple[str | None, list[Node]]] = []
        if node.type == "if_statement":
            complete = False
            condition: list[str] = []
            current: list[Node] | None = None
            for child in node.children:
                if child.type == "then":
                    current = []
                    branches.append((" ".join(condition), current))
                elif child.type in ("elif_clause", "else_clause"):
                    complete = complete or child.type == "else_clause"
                    part: list[Node] = []
                    words: list[str] = []
                    seen = child.type == "else_clause"
                    for inner in child.children:
                        if inner.type == "then":
                            seen = True
                        elif seen and inner.is_named and inner.type != "comment":
                            part.append(inner)
                        elif not seen and inner.is_named:
                            words.append(node_text(inner))
                    branches.append((None if child.type == "else_clause" else " ".join(words), part))
                    current = None
                elif current is not None and child.is_named and child.type != "comment":
                    current.append(child)
                elif current is None and child.is_named:
                    condition.append(node_text(child))
            return branches, complete
        complete = False
        subject = node.child_by_field_name("value")
        for item in node.children:
            if item.type != "case_item":
                continue
            values = item.children_by_field_name("value")
            if any(node_text(v) == "*" for v in values):
                complete = True
            # `case "$1" in app:start|start)`: decided like an `if` on $1 (_evaluate).
            test: str | None = None
            if subject is not None and values:
                test = _CASE + "\x00".join([node_text(subject), *(node_text(v) for v in values)])
            branches.append(
                (
                    test,
                    [
                        c
                        for c in item.children
                        if c.is_named
                        and c.type != "comment"
                        and c not in values
                        and c.type not in ("word", "extglob_pattern", "string", "raw_string", "concatenation")
                    ],
                )
            )
        return branches, complete


_LOOPS = frozenset({"while_statement", "for_statement", "until_statement", "c_style_for_statement"})
_NAMED_VARIABLE = re.compile(r"""^["']?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?["']?$""")


def _refers(word: str, names: set[str]) -> bool:
    match = _NAMED_VARIABLE.match(word)
    return match is not None and match.group(1) in names


def _sources_variable(node: Node, name: str) -> bool:
    """`. "$f"` / `source $f`: the command sources the file the loop variable names."""
    if node.type != "command":
        return False
    command = simple_command(node)
    return command.name in (".", "source") and any(_refers(w, {name}) for w in command.words[1:2])


def _condition(node: Node) -> str:
    return " ".join(
        node_text(c)
        for i, c in enumerate(node.children)
        if node.field_name_for_child(i) == "condition" and c.is_named
    ).strip()


def _endless(node: Node) -> bool:
    """`while true`, `while :`, `until false`: a loop only `exit`, `break` or a signal ends."""
    condition = _condition(node)
    if node.type == "while_statement":
        return condition in ("true", ":", "[ 1 ]")
    return node.type == "until_statement" and condition == "false"


def _loop_file_variable(node: Node) -> str | None:
    """The variable of a loop over a finite list (`for f in LIST`, `while read -r f`): a command
    naming the file it holds runs one file after another, each to its end."""
    if node.type == "for_statement":
        variable = node.child_by_field_name("variable")
        return node_text(variable) if variable is not None and node.children_by_field_name("value") else None
    if node.type == "while_statement":
        words = _condition(node).rstrip(";").split()
        if words[:1] == ["read"] and len(words) > 1 and not words[-1].startswith("-"):
            return words[-1]
    return None


def _all(root: Node) -> list[Node]:
    out: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.children)
    return out


def _shift(positional: tuple[str, ...] | None, count: int) -> tuple[str, ...]:
    if positional is None:
        return (args_from(count),)
    out = list(positional)
    while count and out:
        index = args_index(out[0])
        if index is not None:
            out[0] = args_from(index + count)
            break
        out.pop(0)
        count -= 1
    return tuple(out)


def _first(positional: tuple[str, ...] | None, args: tuple[str, ...] | None) -> str | None:
    """The script's $1 at this point, when known."""
    index = 0 if positional is None else args_index(positional[0]) if positional else None
    if positional and index is None:
        head = positional[0]
        if head in ALL_ARGS:
            index = 0
        else:
            return None if "$" in head else head.strip("\"'")
    if args is None or index is None:
        return None
    return args[index] if index < len(args) else ""


_TESTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"""\$\{1#([^}]+)\}"?\s*!=\s*"?\$\{?1\}?"""), "prefix"),
    (re.compile(r"""\$\{1%([^}]+)\}"?\s*!=\s*"?\$\{?1\}?"""), "suffix"),
    (re.compile(r"""\$\{?1\}?"?\s*(==?|!=)\s*["']?([^"'\s\]]*)["']?"""), "compare"),
)


_CASE = "\x00case\x00"
_FIRST_ARG = frozenset({"$1", '"$1"', "${1}", '"${1}"'})


def _case(condition: str, first: str | None) -> bool | None:
    """Whether `case SUBJECT in PATTERN|PATTERN)` takes this item: `*` always; a pattern on
    $1 when $1 is known and the pattern has no expansion; None otherwise."""
    subject, *patterns = condition[len(_CASE) :].split("\x00")
    if "*" in patterns:
        return True
    if subject not in _FIRST_ARG or first is None or any("$" in p or "`" in p for p in patterns):
        return None
    return any(fnmatchcase(first, p.replace('"', "").replace("'", "")) for p in patterns)


def _evaluate(
    condition: str, first: str | None, variable: Callable[[str], str | None] = lambda _name: None
) -> bool | None:
    """Decide an `if` condition about $1 (`[ "${1#-}" != "$1" ]`, `[ "$1" = web ]`), when
    the script's first argument is known, or about a variable the image's ENV decides
    (`[ -n "$APP_USER" ]`); None for anything else."""
    if condition.startswith(_CASE):
        return _case(condition, first)
    # `test` joins with -a/-o inside one bracket, the shell with &&/|| between them.
    condition = re.sub(r"\s-a\s", " && ", re.sub(r"\s-o\s", " || ", condition))
    parts = re.split(r"\s(\|\||&&)\s", condition)
    value: bool | None = None
    operator = None
    for part in parts:
        if part in ("||", "&&"):
            operator = part
            continue
        result = _test(part, first, variable)
        if operator is None:
            value = result
        elif operator == "||":
            value = True if value is True or result is True else (None if None in (value, result) else False)
        else:
            value = (
                False if value is False or result is False else (None if None in (value, result) else True)
            )
    return value


_EMPTINESS = re.compile(
    r"""^\s*(?:\[\[?|test)\s+(-[nz])\s+"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?\s*\]?\]?\s*$"""
)


_MATCHES = re.compile(r"""^\s*\[\[\s+"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?\s+=~\s+(\S+)\s*\]\]\s*$""")


def _test(text: str, first: str | None, variable: Callable[[str], str | None]) -> bool | None:
    matches = _MATCHES.match(text)
    if matches is not None:
        value = variable(matches.group(1))
        if value is None:
            return None
        try:  # bash's =~ is a POSIX ERE: the simple ones entry scripts use read the same in Python
            return re.search(matches.group(2), value) is not None
        except re.error:
            return None
    emptiness = _EMPTINESS.match(text)
    if emptiness is not None:
        value = variable(emptiness.group(2))
        if value is None:
            return None
        return bool(value) if emptiness.group(1) == "-n" else not value
    if first is None:
        return None
    for pattern, kind in _TESTS:
        m = pattern.search(text)
        if m is None:
            continue
        if kind == "prefix":
            return first.startswith(m.group(1).strip("\"'"))
        if kind == "suffix":
            return first.endswith(m.group(1).strip("\"'"))
        equal = first == m.group(2)
        return equal if m.group(1) in ("=", "==") else not equal
    return None


def _first_word(command: Node) -> str | None:
    name = command.child_by_field_name("name")
    return node_text(name) if name is not None else None


def _guarded_source(node: Node) -> Node | None:
    """The `. FILE` of `[ -f FILE ] && . FILE` (or `test -r`, `[[ -e ]]`): sourced when the
    file is there, which is when sigcheck can read it in the image."""
    if node.type != "list" or len(node.children) != 3 or node.children[1].type != "&&":
        return None
    guard, _, body = node.children
    tests = guard.type == "test_command" or (guard.type == "command" and _first_word(guard) in ("[", "test"))
    if not tests or body.type != "command" or _first_word(body) not in (".", "source"):
        return None
    return body


def _first_command_name(node: Node) -> str | None:
    first = next((c for c in node.children if c.is_named), None)
    if first is None or first.type != "command":
        return None
    name = first.child_by_field_name("name")
    return node_text(name) if name is not None else None


def _contains_wait(root: Node) -> bool:
    for node in _all(root):
        name = node.child_by_field_name("name") if node.type == "command" else None
        if name is not None and node_text(name) == "wait":
            return True
    return False


def _unwrap(node: Node) -> Node:
    if node.type == "redirected_statement":
        body = node.child_by_field_name("body")
        if body is not None:
            return body
    return node


def _exec_words(cmd: SimpleCommand) -> tuple[str, ...]:
    words = list(cmd.words[1:])
    while words and words[0].startswith("-"):
        flag = words.pop(0)  # exec -a NAME / -c / -l
        if flag == "-a" and words:
            words.pop(0)
    return tuple(words)


def _substitute(words: tuple[str, ...], positional: tuple[str, ...] | None) -> tuple[str, ...]:
    if positional is None:
        return words
    out: list[str] = []
    for word in words:
        if word in ALL_ARGS:
            out.extend(positional)
        else:
            out.append(word)
    return tuple(out)


@lru_cache(maxsize=256)
def analyse_script(
    text: str, args: tuple[str, ...] | None = None, env: tuple[tuple[str, str], ...] | None = None
) -> ScriptAnalysis:
    """Every path out of the script; `args` are its arguments when known (they decide
    `if [ "${1#-}" != "$1" ]; then set -- app "$@"; fi` and follow `shift`), `env` the
    image's ENV (it decides `[ -n "$VAR" ]`). When it reads a file it was not given
    (`wants_files`), `analyse_with_files` gives the answer with the image's files."""
    return analyse_with_files(text, args, env, None)


def analyse_with_files(
    text: str,
    args: tuple[str, ...] | None,
    env: tuple[tuple[str, str], ...] | None,
    files: SourceFiles | None,
) -> ScriptAnalysis:
    """As `analyse_script`, reading what the script sources (and a server's configuration)
    from `files`. Not cached: the files are new for every lint, and a cache would keep them."""
    shebang, crlf = shebang_of(text)
    tree = parse_shell(text.replace("\r\n", "\n"))
    walker = _Walker(tree.root_node, args, env, files)
    top = [s for s in walker.statements(tree.root_node) if s.type != "function_definition"]
    # Paths that share a prefix report the same command once.
    outcomes = list(dict.fromkeys(walker.outcomes(top, None)))
    lines: dict[str | None, list[str]] = {None: text.replace("\r\n", "\n").split("\n")}
    lines.update((path, sourced.split("\n")) for path, sourced in walker.texts.items())
    outcomes = [o.but(command=_char_columns(o.command, lines[o.file])) for o in outcomes]
    return ScriptAnalysis(
        shebang,
        crlf,
        tuple(outcomes),
        tree.root_node.has_error,
        tuple(walker.functions),
        walker.truncated,
        walker.wants_files,
    )


def _char_columns(command: SimpleCommand, lines: list[str]) -> SimpleCommand:
    """tree-sitter counts columns in UTF-8 bytes; findings count characters."""

    def chars(row: int, byte_col: int) -> int:
        if row >= len(lines):
            return byte_col
        return len(lines[row].encode("utf-8", "surrogateescape")[:byte_col].decode("utf-8", "replace"))

    return command._replace(
        start_col=chars(command.start_row, command.start_col),
        end_col=chars(command.end_row, command.end_col),
    )


def branch_outcomes(node: Node) -> list[Outcome]:
    """Outcomes of one if/case/loop node (used for `sh -c` strings built around a case)."""
    walker = _Walker(node)
    return walker.outcomes([node], None)
