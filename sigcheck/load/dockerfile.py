"""Dockerfile lexer that follows BuildKit's parser (frontend/dockerfile/parser).

dockerfile-parse was the starting point, but it reads heredoc bodies as
instructions (a `FROM x` line inside `COPY <<EOF` becomes the base image) and
knows neither the `# escape=` directive nor BuildKit's exec/shell-form rule.
This module re-implements the few parts of BuildKit's line scanner that decide
what an instruction is; tests/test_parser_parity.py compares it, fixture by
fixture, with BuildKit's own Go parser (the `dockerfile` PyPI package).
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import json
import re
from typing import NamedTuple

__all__ = [
    "DockerfileSyntaxError",
    "Heredoc",
    "Instruction",
    "ParsedDockerfile",
    "continuation_at",
    "parse_dockerfile",
    "split_words",
]

# Patterns are strings: re compiles (and caches) one on first use, not at every start-up.
_DIRECTIVE = r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$"
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC_WORD = r"^(\d*)<<(-?)([^<]*)$"
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_MAYBE_JSON = frozenset({"CMD", "ENTRYPOINT", "RUN", "SHELL"})
_MAYBE_JSON_LIST = frozenset({"COPY", "ADD", "VOLUME"})
_HEREDOC_CAPABLE = frozenset({"RUN", "COPY", "ADD"})
_NAME_VALUE = frozenset({"ENV", "LABEL"})
_WHITESPACE_WORDS = frozenset({"FROM", "EXPOSE"})
_WORDS = frozenset({"ARG"})


class DockerfileSyntaxError(Exception):
    """The file is not a Dockerfile BuildKit would accept."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


class Heredoc(NamedTuple):
    name: str
    fd: int
    chomp: bool
    expand: bool
    content: str
    start_line: int  # first line of the body (1-based)


class Instruction(NamedTuple):
    keyword: str  # upper-case, e.g. "CMD"
    flags: tuple[str, ...]
    rest: str  # everything after keyword and flags, continuation lines joined
    args: tuple[str, ...]  # JSON elements, or the words BuildKit splits the rest into
    is_json: bool
    start_line: int  # 1-based
    end_line: int  # last line, heredoc terminators included
    column: int  # 1-based column of the keyword
    value_line: int  # where `rest` starts
    value_column: int
    end_column: int  # 1-based column just past the last character
    json_error: str | None = None  # why a `[...]` value is not a JSON string array
    heredocs: tuple[Heredoc, ...] = ()
    text: str = ""  # the instruction's source lines, verbatim


class ParsedDockerfile(NamedTuple):
    instructions: list[Instruction]
    directives: dict[str, str]
    escape: str
    lines: list[str]  # source lines without line terminators
    comments: dict[int, str]  # line -> text after '#'


def _is_space(ch: str) -> bool:
    # Go's unicode.IsSpace: Python's isspace() also counts the separators \x1c-\x1f.
    return ch.isspace() and ch not in "\x1c\x1d\x1e\x1f"


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def split_words(rest: str, escape: str = "\\") -> list[str]:
    """BuildKit's parseWords: split on blanks, keep quotes and escapes verbatim."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    quote = ""
    blank_ok = False
    i = 0
    n = len(rest)
    while i < n:
        ch = rest[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                if i + 1 == n:
                    quote = ""
                    i += 1
                    continue
                word.append(ch)
                i += 1
                ch = rest[i]
            word.append(ch)
            i += 1
            continue
        if ch.isspace() and ch not in "\x1c\x1d\x1e\x1f":
            if in_word and (blank_ok or word):
                words.append("".join(word))
            in_word = False
            word = []
            blank_ok = False
            i += 1
            continue
        in_word = True
        if ch in "'\"":
            quote = ch
            blank_ok = True
        elif ch == escape:
            if i + 1 == n:
                i += 1
                continue
            word.append(ch)
            i += 1
            ch = rest[i]
        word.append(ch)
        i += 1
    if in_word and (blank_ok or word):
        words.append("".join(word))
    return words


def _extract_flags(line: str) -> tuple[str, list[str]]:
    """BuildKit's extractBuilderFlags: leading `--name=value` words."""
    flags: list[str] = []
    pos = 0
    n = len(line)
    while True:
        while pos < n and _is_space(line[pos]):
            pos += 1
        if pos >= n:
            return "", flags
        if not line.startswith("--", pos):
            return line[pos:], flags
        word: list[str] = []
        quote = ""
        blank_ok = False
        while pos < n:
            ch = line[pos]
            if quote:
                if ch == quote:
                    quote = ""
                    pos += 1
                    continue
                if ch == "\\":
                    if pos + 1 == n:
                        quote = ""
                        pos += 1
                        continue
                    pos += 1
                    ch = line[pos]
                word.append(ch)
                pos += 1
                continue
            if _is_space(ch):
                break
            if ch in "'\"":
                quote = ch
                blank_ok = True
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word.append(ch)
            pos += 1
        text = "".join(word)
        if text == "--":
            return line[pos:], flags
        if blank_ok or text:
            flags.append(text)


def _reject_constant(name: str) -> object:
    # Go's encoding/json has no NaN/Infinity; such a value is not JSON there.
    raise ValueError(f"invalid JSON value {name}")


def _go_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text} out of range")  # Go's float64 decoding fails
    return value


_JSON = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_go_float, parse_int=_go_float)


def _without_surrogates(value: str) -> str:
    """Go replaces an unpaired surrogate escape with U+FFFD. Only a surrogate makes
    strict UTF-8 encoding fail: the common case costs one encode, no regex (whose
    2,048-character class took ~0.25 ms of every start to compile)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)
    return value


_ARRAY_ATTEMPT = r"""\[\s*(?:["'\]]|[^\s\],]+\s*,)"""


def _json_array(rest: str) -> tuple[list[str] | None, str | None, bool]:
    """BuildKit's parseJSON: (elements, why-not, fatal).

    Current BuildKit decodes with json.Unmarshal, so text after the closing
    bracket (a trailing comment, say) makes the whole value shell form; older
    frontends used json.Decoder and ignored it. sigcheck models the current
    behaviour (tests/test_parser_parity.py notes the deliberate difference from
    the older parser it compares against). A value starting with `[` that does
    not look like an array attempt (`[ -f x ] && app`) is an ordinary shell
    command and gets no explanation.
    """
    text = rest.lstrip()
    if not text.startswith("["):
        return None, None, False
    attempt = bool(re.match(_ARRAY_ATTEMPT, text))
    try:
        value, end = _JSON.raw_decode(text)
    except RecursionError:
        # Go decodes up to 10,000 levels; such a value is nested arrays, not strings.
        return None, "when using JSON array syntax, arrays must be comprised of strings only", True
    except ValueError as exc:
        return None, _explain_json_error(text, exc) if attempt else None, False
    if not isinstance(value, list):
        return None, "it is not a JSON array", False
    if not all(isinstance(v, str) for v in value):
        return None, "when using JSON array syntax, arrays must be comprised of strings only", True
    trailing = text[end:].strip()
    if trailing:
        return None, f"text after the closing ']' ({trailing[:40]!r}) is not allowed in JSON", False
    return [_without_surrogates(v) for v in value], None, False


def _explain_json_error(text: str, exc: Exception) -> str:
    # Name the usual culprits; fall back to the decoder's own words.
    if "'" in text and '"' not in text:
        return "JSON strings need double quotes, not single quotes"
    if re.search(r",\s*\]", text):
        return "JSON does not allow a trailing comma before ']'"
    if re.search(r'(?<!\\)\\(?![\\"/bfnrtu])', text):
        return "a backslash in a JSON string must be escaped as '\\\\'"
    if "]" not in text:
        return "the array is never closed with ']'"
    msg = str(exc).split(":")[0]
    return f"it is not valid JSON ({msg})"


def _heredocs_in(line: str) -> list[tuple[str, int, bool, bool]]:
    found: list[tuple[str, int, bool, bool]] = []
    for word in split_words(line, "\\"):
        m = re.match(_HEREDOC_WORD, word)
        if not m or not m.group(3):
            continue
        raw = m.group(3)
        unquoted = _unquote_single_word(raw)
        if unquoted is None:
            continue
        fd = int(m.group(1)) if m.group(1) else 0
        found.append((unquoted, fd, m.group(2) == "-", unquoted == raw))
    return found


def _unquote_single_word(raw: str) -> str | None:
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(raw):
        ch = raw[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < len(raw):
                i += 1
                out.append(raw[i])
            else:
                out.append(ch)
        elif ch in "'\"":
            quote = ch
        elif ch == "\\" and i + 1 < len(raw):
            i += 1
            out.append(raw[i])
        elif _is_space(ch):
            return None
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _split_lines(text: str) -> tuple[list[str], list[bool]]:
    parts = text.split("\n")
    ended = [True] * len(parts)
    if parts and parts[-1] == "":
        parts.pop()
        ended.pop()
    elif parts:
        ended[-1] = False
    return parts, ended


def continuation_at(line: str, escape: str) -> int:
    """Where the escape that continues `line` on the next one starts, or -1: a trailing
    escape (then only blanks) that is not itself escaped (`echo a\\` ends there)."""
    body = line.rstrip(" \t")
    if not body.endswith(escape) or body.endswith(escape + escape):
        return -1
    return len(body) - 1


def parse_dockerfile(text: str) -> ParsedDockerfile:
    """Parse Dockerfile text into instructions, as BuildKit would."""
    lines, ended = _split_lines(text)
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    directives: dict[str, str] = {}
    directives_done = False
    escape = "\\"
    comments: dict[int, str] = {}
    instructions: list[Instruction] = []
    i = 0
    n = len(lines)

    def directive(line: str, number: int) -> None:
        nonlocal directives_done, escape
        if directives_done:
            return
        m = re.match(_DIRECTIVE, line) if line.startswith("#") else None
        if not m or m.group(1).lower() not in _KNOWN_DIRECTIVES:
            directives_done = True
            return
        key = m.group(1).lower()
        if key in directives:
            raise DockerfileSyntaxError(number, f"only one {key} parser directive can be used")
        directives[key] = m.group(2)
        if key == "escape":
            if m.group(2) not in ("`", "\\"):
                raise DockerfileSyntaxError(
                    number, f"invalid escape token '{m.group(2)}' does not match ` or \\"
                )
            escape = m.group(2)

    while i < n:
        raw = lines[i].rstrip("\r\n")
        number = i + 1
        i += 1
        stripped = raw.lstrip()
        directive(stripped, number)
        if stripped.startswith("#"):
            comments[number] = stripped[1:].strip()
            continue
        if not stripped:
            continue
        start_line = number
        column = len(raw) - len(stripped) + 1
        line = stripped
        cut = continuation_at(line, escape)
        if cut >= 0:
            line = line[:cut]
        first_len = len(line)
        last_line = number
        pieces = [line]  # joined once: `line +=` in the loop is quadratic on long continuations
        while cut >= 0 and i < n:
            raw_next = lines[i].rstrip("\r\n")
            last_line = i + 1
            i += 1
            directive(raw_next, last_line)
            if _is_comment(raw_next):
                comments[last_line] = raw_next.lstrip()[1:].strip()
                continue
            if not raw_next.strip():
                continue
            cut = continuation_at(raw_next, escape)
            pieces.append(raw_next[:cut] if cut >= 0 else raw_next)
        line = "".join(pieces)
        trimmed = line.strip()
        parts = _WHITESPACE.split(trimmed, maxsplit=1)
        keyword = parts[0].upper()
        rest, flags = _extract_flags(parts[1]) if len(parts) == 2 else ("", [])
        rest = rest.strip()
        value_column = column
        offset = line.find(rest) if rest else -1
        if 0 <= offset < first_len:
            value_column = column + offset
        args, is_json, json_error = _arguments(keyword, rest, escape, start_line)
        heredocs: list[Heredoc] = []
        heredoc_keyword = keyword
        if keyword == "ONBUILD" and rest:
            heredoc_keyword = rest.split(None, 1)[0].upper()  # ONBUILD RUN <<EOF takes a heredoc too
        if heredoc_keyword in _HEREDOC_CAPABLE and "<<" in trimmed:
            for name, fd, chomp, expand in _heredocs_in(trimmed):
                body: list[str] = []
                body_start = i + 1
                terminated = False
                while i < n:
                    candidate = lines[i].rstrip("\r\n")
                    i += 1
                    last_line = i
                    if chomp:
                        candidate = candidate.lstrip("\t")
                    if candidate == name:
                        terminated = True
                        break
                    body.append(lines[i - 1] + ("\n" if ended[i - 1] else ""))
                if not terminated:
                    raise DockerfileSyntaxError(start_line, f"unterminated heredoc <<{name}")
                heredocs.append(Heredoc(name, fd, chomp, expand, "".join(body), body_start))
        end_text = lines[last_line - 1].rstrip("\r\n")
        instructions.append(
            Instruction(
                keyword=keyword,
                flags=tuple(flags),
                rest=rest,
                args=tuple(args),
                is_json=is_json,
                start_line=start_line,
                end_line=last_line,
                column=column,
                value_line=start_line,
                value_column=value_column,
                end_column=len(end_text) + 1,
                json_error=json_error,
                heredocs=tuple(heredocs),
                text="\n".join(x.rstrip("\r") for x in lines[start_line - 1 : last_line]),
            )
        )
    return ParsedDockerfile(instructions, directives, escape, [x.rstrip("\r") for x in lines], comments)


def _arguments(keyword: str, rest: str, escape: str, line: int) -> tuple[list[str], bool, str | None]:
    if keyword in ("ONBUILD", "HEALTHCHECK") and rest:
        # Their inner instruction is parsed too: a non-string JSON array there fails the build.
        inner = _WHITESPACE.split(rest, maxsplit=1)
        if len(inner) == 2 and keyword == "ONBUILD":
            _arguments(inner[0].upper(), _extract_flags(inner[1])[0].strip(), escape, line)
        elif len(inner) == 2 and inner[0].upper() == "CMD" and _json_array(inner[1])[2]:
            raise DockerfileSyntaxError(
                line, "when using JSON array syntax, arrays must be comprised of strings only"
            )
        return ([rest] if rest else []), False, None
    if keyword in _MAYBE_JSON or keyword in _MAYBE_JSON_LIST:
        elements, why, fatal = _json_array(rest)
        if fatal:
            raise DockerfileSyntaxError(line, why or "invalid JSON array")
        if elements is not None:
            return elements, True, None
        if keyword in _MAYBE_JSON_LIST:
            return rest.split(), False, why
        return ([rest] if rest else []), False, why
    if keyword in _WHITESPACE_WORDS:
        return rest.split(), False, None
    if keyword in _WORDS:
        return split_words(rest, escape), False, None
    if keyword in _NAME_VALUE:
        return _name_values(rest, escape, keyword, line), False, None
    return ([rest] if rest else []), False, None


def _name_values(rest: str, escape: str, keyword: str, line: int) -> list[str]:
    words = split_words(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise DockerfileSyntaxError(line, f"{keyword} must have two arguments")
        return [parts[0], parts[1]]
    out: list[str] = []
    for word in words:
        if "=" not in word:
            raise DockerfileSyntaxError(
                line, f"Syntax error - can't find = in {word!r}. Must be of the form: name=value"
            )
        key, value = word.split("=", 1)
        out += [key, value]
    return out
