"""Machine-applicable fixes (`Finding.edit`): where the text is, and when a change is safe.

A rule attaches an edit only when applying it cannot change what the container
runs other than in the way the finding asks for; everything else keeps a fix
text and no edit. The pieces here are shared by the rules:

- `plain_argv`: a POSIX word splitter for a shell-form command that needs no shell
  (literal words, quotes, backslashes), giving exactly the argv `sh -c` would run,
  or None as soon as anything would need the shell (expansions, operators,
  redirections, globs, `~`, braces, reserved words, builtins, assignments);
- `exec_insertable`: whether `exec ` can go before a command of a script or
  `sh -c` string: the command is the last thing that runs on its path, in the
  shell itself (not a subshell, pipeline, loop or function), nothing traps;
- `instruction_edit`: an edit of an instruction's value (`Instruction.rest`, with
  continuation lines joined) mapped back onto the file, leaving comment lines
  inside the instruction untouched;
- `script_exec_edit`, `stopsignal_edit`, `json_string_spans`, `repair_json_array`.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from typing import TYPE_CHECKING

from sigcheck.findings import Edit

if TYPE_CHECKING:
    from tree_sitter import Node

    from sigcheck.load.dockerfile import Instruction, ParsedDockerfile
    from sigcheck.model.chain import Link
    from sigcheck.model.files import FileOrigin
    from sigcheck.rules.base import Context
    from sigcheck.shell.script import Outcome

__all__ = [
    "BUILTINS",
    "dockerfile_file",
    "exec_insertable",
    "instruction_edit",
    "json_string_spans",
    "plain_argv",
    "repair_json_array",
    "script_exec_edit",
    "script_text",
    "stopsignal_edit",
]

# Shell builtins and reserved words: exec form would run a binary of that name (or
# none), and `exec` cannot run a builtin. `echo` is here too: dash's builtin
# interprets backslashes, /bin/echo does not.
BUILTINS = frozenset(
    {
        ".", ":", "[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command",
        "compgen", "complete", "continue", "declare", "dirs", "disown", "echo", "enable", "eval",
        "exec", "exit", "export", "false", "fc", "fg", "getopts", "hash", "help", "history", "jobs",
        "kill", "let", "local", "logout", "mapfile", "popd", "printf", "pushd", "pwd", "read",
        "readarray", "readonly", "return", "set", "shift", "shopt", "source", "suspend", "test",
        "times", "trap", "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait",
    }
)  # fmt: skip
RESERVED = frozenset(
    {
        "if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done",
        "function", "select", "time", "coproc", "in", "!", "{", "}", "[[", "]]",
    }
)  # fmt: skip

# Characters that stand for themselves outside quotes in every POSIX shell (and bash):
# no glob, expansion, operator, comment, tilde, brace or history meaning.
_UNQUOTED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=+,@%-")
# Patterns are strings: re compiles (and caches) one on first use, not at every start-up.
_ASSIGNMENT = r"[A-Za-z_][A-Za-z0-9_]*="


def _control(ch: str) -> bool:
    return ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029"


def _plain_char(ch: str) -> bool:
    if ch in _UNQUOTED:
        return True
    # Letters of other scripts are literal too; spaces and controls of any kind are not.
    return ord(ch) > 0x7F and ch.isprintable() and not ch.isspace()


def plain_argv(text: str) -> list[str] | None:
    """The argv `sh -c TEXT` executes, when TEXT is one simple command of literal words.

    Quote removal follows POSIX 2.2: a backslash outside quotes keeps the next
    character, single quotes keep everything, and inside double quotes a
    backslash escapes only `$`, `` ` ``, `"` and itself. None for anything a
    shell would treat specially, so the answer is never a guess."""
    words: list[str] = []
    raws: list[str] = []
    word: list[str] = []
    start: int | None = None
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in " \t":
            if start is not None:
                words.append("".join(word))
                raws.append(text[start:i])
                word, start = [], None
            i += 1
            continue
        if start is None:
            start = i
        if ch == "'":
            end = text.find("'", i + 1)
            if end < 0 or any(_control(c) and c != "\t" for c in text[i + 1 : end]):
                return None
            word.append(text[i + 1 : end])
            i = end + 1
        elif ch == '"':
            i += 1
            while True:
                if i >= n:
                    return None  # unterminated
                ch = text[i]
                if ch == '"':
                    i += 1
                    break
                if ch in "$`" or (_control(ch) and ch != "\t"):
                    return None
                if ch == "\\":
                    if i + 1 >= n:
                        return None
                    following = text[i + 1]
                    if following in '$`"\\':
                        word.append(following)
                        i += 2
                        continue
                    if _control(following) and following != "\t":
                        return None
                word.append(ch)
                i += 1
        elif ch == "\\":
            if i + 1 >= n:
                return None  # a trailing backslash: shells disagree
            following = text[i + 1]
            if _control(following) and following != "\t":
                return None  # backslash-newline is a line continuation, not a character
            word.append(following)
            i += 2
        elif _plain_char(ch):
            word.append(ch)
            i += 1
        else:
            return None
    if start is not None:
        words.append("".join(word))
        raws.append(text[start:])
    if not words:
        return None
    if raws[0] == words[0] and words[0] == "exec":
        # `exec app`: exec form says the same without the builtin.
        if len(words) < 2 or words[1].startswith("-"):
            return None
        words, raws = words[1:], raws[1:]
    first = raws[0]
    if re.match(_ASSIGNMENT, first) or (first == words[0] and first in RESERVED):
        return None  # `FOO=1 app` sets a variable; `time app` is a keyword
    if words[0] in BUILTINS or not words[0]:
        return None
    return words


# --- instruction values ---------------------------------------------------------------------


def dockerfile_file(ctx: Context) -> str:
    """The Dockerfile to write: its real path."""
    return os.path.realpath(ctx.path)


def value_positions(parsed: ParsedDockerfile, ins: Instruction) -> list[tuple[int, int]] | None:
    """(line, column) of every character of `ins.rest`, joining continuation lines as
    the parser does (sigcheck.load.dockerfile); None if the two ever disagree."""
    from sigcheck.load.dockerfile import continuation_at

    lines = parsed.lines
    chars: list[str] = []
    where: list[tuple[int, int]] = []

    def add(part: str, number: int, offset: int) -> None:
        chars.extend(part)
        where.extend((number, offset + k + 1) for k in range(len(part)))

    if not 1 <= ins.start_line <= ins.end_line <= len(lines):
        return None
    raw = lines[ins.start_line - 1]
    stripped = raw.lstrip()
    cut = continuation_at(stripped, parsed.escape)
    add(stripped[:cut] if cut >= 0 else stripped, ins.start_line, len(raw) - len(stripped))
    number = ins.start_line
    while cut >= 0 and number < ins.end_line:
        number += 1
        raw = lines[number - 1]
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        cut = continuation_at(raw, parsed.escape)
        add(raw[:cut] if cut >= 0 else raw, number, 0)
    joined = "".join(chars)
    end = len(joined.rstrip())
    begin = end - len(ins.rest)
    if begin < 0 or joined[begin:end] != ins.rest:
        return None
    return where[begin:end]


def _is_comment_line(text: str) -> bool:
    return text.lstrip().startswith("#")


def _text_between(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    (l1, c1), (l2, c2) = start, end
    if l1 == l2:
        return lines[l1 - 1][c1 - 1 : c2 - 1]
    parts = [lines[l1 - 1][c1 - 1 :], *lines[l1 : l2 - 1], lines[l2 - 1][: c2 - 1]]
    return "\n".join(parts)


def instruction_edit(ctx: Context, ins: Instruction, changes: list[tuple[int, int, str]]) -> Edit | None:
    """One edit that makes `changes` ((start, end, text) offsets into `ins.rest`) to the
    file. A change within one line is made in place, so continuation lines and the
    comments between them stay as they are; a change across lines (the whole value
    rewritten) joins them, and is refused when it would drop a comment line."""
    if not changes or ctx.path == "-":
        return None  # standard input cannot be rewritten
    lines = ctx.parsed.lines
    pos = value_positions(ctx.parsed, ins)
    if pos is None or not pos:
        return None
    n = len(pos)

    def point(i: int) -> tuple[int, int]:
        if i < n:
            return pos[i]
        line, column = pos[n - 1]
        return line, column + 1

    spans: list[tuple[tuple[int, int], tuple[int, int], str]] = []
    for a, b, text in sorted(changes):
        if not 0 <= a <= b <= n:
            return None
        start = point(a)
        end = start if a == b else (pos[b - 1][0], pos[b - 1][1] + 1)
        if any(_is_comment_line(lines[k - 1]) for k in range(start[0] + 1, end[0])):
            return None
        if spans and start < spans[-1][1]:
            return None
        spans.append((start, end, text))
    outer_start, outer_end = spans[0][0], max(s[1] for s in spans)
    original = _text_between(lines, outer_start, outer_end)
    pieces: list[str] = []
    cursor = outer_start
    for start, end, text in spans:
        pieces.append(_text_between(lines, cursor, start))
        pieces.append(text)
        cursor = end
    pieces.append(_text_between(lines, cursor, outer_end))
    return Edit(
        path=ctx.path,
        file=dockerfile_file(ctx),
        line=outer_start[0],
        column=outer_start[1],
        end_line=outer_end[0],
        end_column=outer_end[1],
        replacement="".join(pieces),
        original=original,
    )


# --- JSON arrays -----------------------------------------------------------------------------

_JSON_SPACE = " \t\r\n"


def json_string_spans(rest: str) -> list[tuple[int, int]] | None:
    """(start, end) of each string of a valid JSON array of strings, quotes included."""
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(rest)

    def skip(at: int) -> int:
        while at < n and rest[at] in _JSON_SPACE:
            at += 1
        return at

    i = skip(i)
    if i >= n or rest[i] != "[":
        return None
    i = skip(i + 1)
    if i < n and rest[i] == "]":
        return spans if skip(i + 1) == n else None
    while i < n:
        if rest[i] != '"':
            return None
        read = _json_string(rest, i)
        if read is None:
            return None
        end = read[1]
        spans.append((i, end))
        i = skip(end)
        if i < n and rest[i] == ",":
            i = skip(i + 1)
            continue
        if i < n and rest[i] == "]":
            return spans if skip(i + 1) == n else None
        return None
    return None


_DECODER = json.JSONDecoder()


def _json_string(text: str, i: int) -> tuple[str, int] | None:
    """The JSON string starting at `i`: (value, end)."""
    try:
        value, end = _DECODER.raw_decode(text, i)
    except ValueError:
        return None
    return (value, end) if isinstance(value, str) else None


def _quoted(rest: str, i: int) -> tuple[str, int] | None:
    """A quoted string at `i` as the author meant it: (value, end). Double quotes are read
    as JSON when they are valid JSON; otherwise, and for single quotes, only `\\\\` and an
    escaped quote may follow a backslash (anything else is ambiguous)."""
    quote = rest[i]
    if quote == '"':
        read = _json_string(rest, i)
        if read is not None:
            return read
    out: list[str] = []
    j = i + 1
    while j < len(rest):
        ch = rest[j]
        if ch == quote:
            return "".join(out), j + 1
        if ch == "\\":
            if j + 1 < len(rest) and rest[j + 1] in ("\\", quote):
                out.append(rest[j + 1])
                j += 2
                continue
            return None
        if _control(ch) and ch != "\t":
            return None
        out.append(ch)
        j += 1
    return None


def repair_json_array(rest: str) -> tuple[list[tuple[int, int, str]], list[str]] | None:
    """Changes ((start, end, text) offsets) that turn a Python/JavaScript-style list of
    strings (single quotes, a trailing comma) into the same JSON array, and its elements;
    None unless every element and separator is unambiguous."""
    changes: list[tuple[int, int, str]] = []
    values: list[str] = []
    n = len(rest)

    def skip(at: int) -> int:
        while at < n and rest[at] in " \t":
            at += 1
        return at

    i = skip(0)
    if i >= n or rest[i] != "[":
        return None
    i = skip(i + 1)
    while True:
        if i >= n:
            return None
        if rest[i] == "]" and not values:
            i += 1
            break
        if rest[i] not in "'\"":
            return None
        read = _quoted(rest, i)
        if read is None:
            return None
        value, end = read
        encoded = json.dumps(value, ensure_ascii=False)
        if rest[i:end] != encoded and (rest[i] == "'" or _json_value(rest[i:end]) != value):
            changes.append((i, end, encoded))
        values.append(value)
        i = skip(end)
        if i < n and rest[i] == ",":
            comma = i
            i = skip(i + 1)
            if i < n and rest[i] == "]":
                changes.append((comma, comma + 1, ""))  # a trailing comma
                i += 1
                break
            continue
        if i < n and rest[i] == "]":
            i += 1
            break
        return None
    if skip(i) != n:
        return None  # text after the array: not ours to move
    return changes, values


def _json_value(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


# --- exec before a command -------------------------------------------------------------------


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


# --- entry scripts ---------------------------------------------------------------------------


def script_text(ctx: Context, origin: FileOrigin) -> str | None:
    """The text the chain analysed for a script (heredoc, RUN-written or build context)."""
    if origin.kind in ("heredoc", "run"):
        return origin.content
    if origin.kind != "context" or origin.context_path is None or ctx.context is None:
        return None
    from sigcheck.load.context import OutsideContext
    from sigcheck.load.files import LoadError

    try:
        return ctx.context.read(origin.context_path)
    except (OutsideContext, LoadError):
        return None


def script_exec_edit(ctx: Context, origin: FileOrigin, outcome: Outcome) -> Edit | None:
    """`exec ` before the app's command in an entry script, when that is safe; in the
    script's own file (inside the build context only) or in the Dockerfile for a
    `COPY <<EOF` / `RUN ... <<EOF` heredoc."""
    if outcome.kind != "foreground" or outcome.pipeline or outcome.loop or ctx.path == "-":
        return None
    text = script_text(ctx, origin)
    if text is None:
        return None
    normal = text.replace("\r\n", "\n")
    at = outcome.command.name_byte
    if not exec_insertable(normal, at):
        return None
    prefix = normal.encode("utf-8", "surrogateescape")[:at].decode("utf-8", "surrogateescape")
    row = prefix.count("\n")
    column = len(prefix) - (prefix.rfind("\n") + 1)
    script_line = normal.split("\n")[row]
    if row == 0 and script_line.startswith("\ufeff"):
        script_line, column = script_line[1:], column - 1
    if column < 0:
        return None
    if origin.kind == "context":
        if ctx.context is None or origin.context_path is None:
            return None
        root = ctx.context.root
        relative = posixpath.normpath(origin.context_path).lstrip("/")
        file = os.path.realpath(os.path.join(root, relative))
        if not file.startswith(root + os.sep):
            return None  # never outside the build context
        path, line = ctx.script_path(origin)[0], row + 1
    else:
        if origin.content_line is None:
            return None  # printf/echo output: no line of the Dockerfile holds it
        line = origin.content_line + row
        if not 1 <= line <= len(ctx.parsed.lines):
            return None
        written = ctx.parsed.lines[line - 1]
        if written == script_line:
            shift = 0
        elif written.lstrip("\t") == script_line:
            shift = len(written) - len(script_line)  # `<<-` strips leading tabs
        else:
            return None
        path, file, column = ctx.path, dockerfile_file(ctx), column + shift
        script_line = written
    # The edit spans the line after its indentation, so its replacement reads as the
    # fixed line (`FOO=1 exec app`, `a && exec app`).
    start = len(script_line) - len(script_line.lstrip(" \t"))
    if start > column:
        return None
    original = script_line[start:]
    return Edit(
        path=path,
        file=file,
        line=line,
        column=start + 1,
        end_line=line,
        end_column=len(script_line) + 1,
        replacement=script_line[start:column] + "exec " + script_line[column:],
        original=original,
    )


# --- STOPSIGNAL ------------------------------------------------------------------------------


def stopsignal_edit(ctx: Context, signal: str, app: Link) -> Edit | None:
    """Set the target stage's stop signal: rewrite its own STOPSIGNAL, or add one after
    its FROM (a STOPSIGNAL of an earlier stage is left alone: other stages use it).
    Only when `app` would then receive exactly `signal`: no launcher or init on the way
    drops or rewrites it (LaunchChain.delivered)."""
    if ctx.path == "-":
        return None
    if ctx.chain._replace(stopsignal=signal).delivered(app) != signal:
        return None
    setting = ctx.stage.config.stopsignal
    own = setting.instruction if setting is not None else None
    if own is not None and any(ins is own for ins in ctx.stage.instructions):
        if not own.rest or "$" in own.rest:
            return None  # `STOPSIGNAL $SIG` is meant to be set at build time
        return instruction_edit(ctx, own, [(0, len(own.rest), signal)])
    from_ins = ctx.stage.from_instruction
    lines = ctx.parsed.lines
    if not 1 <= from_ins.end_line <= len(lines):
        return None
    last = lines[from_ins.end_line - 1]
    first = lines[from_ins.start_line - 1]
    indent = first[: len(first) - len(first.lstrip())]
    keyword = "stopsignal" if first.lstrip()[:4].islower() else "STOPSIGNAL"
    end = len(last) + 1
    return Edit(
        path=ctx.path,
        file=dockerfile_file(ctx),
        line=from_ins.end_line,
        column=end,
        end_line=from_ins.end_line,
        end_column=end,
        replacement=f"\n{indent}{keyword} {signal}",
    )
