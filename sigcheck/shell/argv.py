"""Shell-form commands that need no shell: the argv `sh -c` runs, and whether a script reads "$@".

`plain_argv` is a POSIX word splitter for one simple command of literal words
(quotes, backslashes), giving exactly the argv `sh -c` would run, or None as
soon as anything would need the shell (expansions, operators, redirections,
globs, `~`, braces, reserved words, builtins, assignments). An exec-form fix is
only ever offered from its answer.
"""

from __future__ import annotations

import re

__all__ = ["BUILTINS", "RESERVED", "plain_argv", "reads_arguments"]

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


# $1, ${1}, $@, $*, $#, ${#}, shift, getopts: the script looks at its arguments.
_READS_ARGS = r"\$(?:[0-9@*#]|\{[#!]?[0-9@*#])|\bshift\b|\bgetopts\b"
_EXEC_ARGS = r"""\bexec\s+("\$@"|"\$\{@\}")"""


def reads_arguments(text: str) -> bool:
    """The script looks at its arguments (other than passing them on with `exec "$@"`)."""
    code = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("#"))
    return bool(re.search(_READS_ARGS, re.sub(_EXEC_ARGS, "", code)))
