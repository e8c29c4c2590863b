"""Split a Compose `command:` / `entrypoint:` string into words the way Compose does.

Compose does not run such a string through a shell: compose-go
(`types/command.go`, `ShellCommand.UnmarshalYAML`) splits it with
`shellwords.Parse` from github.com/mattn/go-shellwords v1.0.12 (environment
and backtick expansion off) and uses the words as the exec-form argv. This is a
re-implementation of that function's behaviour, quirks included, because they
decide what runs:

- single quotes are literal; a backslash escapes the next character anywhere
  except inside single quotes (so `"a\\b"` is `ab`, unlike a POSIX shell);
- spaces, tabs, CR and LF separate words; `''` and `""` are empty words;
- an unquoted `;`, `&`, `|`, `<` or `>` **ends the parse**: the words before it
  are the command and the rest is silently dropped (`echo a && echo b` runs
  `echo a`); before `>`, a word that starts with a digit (`2>`) is dropped too;
- `$(` opens a region where spaces do not split, closed by `)`; an unquoted `(`
  not after `$` (or inside such a region: `$((1+2))`) is an error, and a stray `)`
  opens such a region (v1.0.12, which compose-go's go.mod pins; later upstream
  commits make it an error);
- backquotes keep spaces inside them and stay in the word;
- an unclosed quote, region or a trailing backslash is an error
  ("invalid command line string"), which makes Compose refuse the file.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

from typing import NamedTuple

__all__ = ["ShellWordsError", "SplitCommand", "split_command"]

_SPACE = frozenset(" \t\r\n")
_STOP = frozenset(";&|<>")


class ShellWordsError(ValueError):
    """go-shellwords' "invalid command line string": Compose rejects the file."""


class SplitCommand(NamedTuple):
    words: tuple[str, ...]
    # The unquoted operator and what follows it, which Compose drops; None when
    # the whole string became words.
    dropped: str | None


def split_command(line: str) -> SplitCommand:
    words: list[str] = []
    buf: list[str] = []
    got = False  # a word is being built (possibly empty, after quotes)
    escaped = single = double = back = dollar = False
    stop: int | None = None
    for index, char in enumerate(line):
        if escaped:
            buf.append(char)
            escaped = False
            got = True
            continue
        if char == "\\":
            if single:
                buf.append(char)
            else:
                escaped = True
            continue
        if char in _SPACE:
            if single or double or back or dollar:
                buf.append(char)
            elif got:
                words.append("".join(buf))
                buf.clear()
                got = False
            continue
        if char == "`":
            if not single and not double and not dollar:
                back = not back
        elif char == ")":
            if not single and not double and not back:
                dollar = not dollar
        elif char == "(":
            if not single and not double and not back:
                if not dollar and buf and buf[-1] == "$":
                    dollar = True
                    buf.append(char)
                    continue
                raise ShellWordsError("invalid command line string: unexpected `(`")
        elif char == '"':
            if not single and not dollar:
                if double:
                    got = True
                double = not double
                continue
        elif char == "'":
            if not double and not dollar:
                if single:
                    got = True
                single = not single
                continue
        elif char in _STOP and not (single or double or back or dollar):
            if char == ">" and buf and buf[0].isascii() and buf[0].isdigit():
                got = False  # `2>file`: the fd number is not a word
            stop = index
            break
        got = True
        buf.append(char)
    if got:
        words.append("".join(buf))
    if stop is None and (escaped or single or double or back or dollar):
        raise ShellWordsError("invalid command line string: unclosed quote, `$(` or trailing backslash")
    return SplitCommand(tuple(words), line[stop:] if stop is not None else None)
