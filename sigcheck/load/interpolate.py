"""Compose variable interpolation and the project's `.env` file.

compose-spec 12-interpolation.md, as compose-go `template/template.go`
implements it:

- `$$` is a literal `$`;
- `$NAME` and `${NAME}` (NAME is `[_A-Za-z][_A-Za-z0-9]*`) are the variable's
  value, or an empty string when it is unset (Compose warns);
- `${NAME:-default}` (unset or empty) and `${NAME-default}` (unset) give the
  default; `${NAME:?message}` and `${NAME?message}` make the file fail to load;
  `${NAME:+alternative}` and `${NAME+alternative}` (newer Compose) give the
  alternative when set (and, with `:`, non-empty); defaults, messages and
  alternatives are interpolated themselves (`${A:-${B:-x}}`);
- any other `$` (`$1`, `$@`, `${1}`, a `$` at the end) is an "Invalid template"
  error: Compose refuses the file, and `$$` is the fix.

`.env` (compose-go `dotenv`): `KEY=VALUE` lines, an optional `export `, `#`
comments, single-quoted values literal, double-quoted values with `\\n`, `\\t`,
`\\"` and `\\\\` escapes, unquoted values trimmed and cut at ` #`; unquoted and
double-quoted values are interpolated from the variables defined so far.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["InterpolationError", "interpolate", "parse_dotenv"]


class InterpolationError(ValueError):
    """Compose would refuse the value: a required variable is missing or a `$` is invalid."""


def _is_name_start(char: str) -> bool:
    return char == "_" or ("a" <= char <= "z") or ("A" <= char <= "Z")


def _is_name_char(char: str) -> bool:
    return _is_name_start(char) or ("0" <= char <= "9")


def interpolate(
    text: str,
    lookup: Callable[[str], str | None],
    unset: Callable[[str], None] | None = None,
) -> str:
    """`text` with Compose's substitutions applied; `unset(name)` hears of unset variables."""
    if "$" not in text:
        return text
    out: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        dollar = text.find("$", index)
        if dollar < 0:
            out.append(text[index:])
            break
        out.append(text[index:dollar])
        nxt = dollar + 1
        if nxt < length and text[nxt] == "$":
            out.append("$")
            index = nxt + 1
        elif nxt < length and _is_name_start(text[nxt]):
            end = nxt + 1
            while end < length and _is_name_char(text[end]):
                end += 1
            out.append(_value(text[nxt:end], lookup, unset))
            index = end
        elif nxt < length and text[nxt] == "{":
            close = _closing_brace(text, nxt)
            if close < 0:
                raise InterpolationError(f"invalid interpolation format in {text!r}: unclosed `${{`")
            out.append(_braced(text[nxt + 1 : close], text, lookup, unset))
            index = close + 1
        else:
            raise InterpolationError(
                f"invalid interpolation format in {text!r}: write `$$` for a literal `$`"
            )
    return "".join(out)


def _closing_brace(text: str, opening: int) -> int:
    """The `}` that closes the `${` at `opening`, counting nested `${`."""
    depth = 0
    index = opening
    while index < len(text):
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "{" and index == opening:
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


def _braced(
    body: str, whole: str, lookup: Callable[[str], str | None], unset: Callable[[str], None] | None
) -> str:
    end = 0
    while end < len(body) and (_is_name_char(body[end]) if end else _is_name_start(body[end])):
        end += 1
    name, rest = body[:end], body[end:]
    if not name:
        raise InterpolationError(f"invalid interpolation format in {whole!r}: `${{{body}}}`")
    if not rest:
        return _value(name, lookup, unset)
    operator = next((op for op in _OPERATORS if rest.startswith(op)), None)
    if operator is None:
        raise InterpolationError(f"invalid interpolation format in {whole!r}: `${{{body}}}`")
    argument = interpolate(rest[len(operator) :], lookup, unset)
    value = lookup(name)
    empty_counts = operator.startswith(":")
    missing = value is None or (empty_counts and value == "")
    if operator.endswith("-"):
        return argument if missing else (value or "")
    if operator.endswith("+"):
        return "" if missing else argument
    if missing:  # `?`: required
        raise InterpolationError(f"required variable {name} is missing a value: {argument}")
    return value or ""


def _value(name: str, lookup: Callable[[str], str | None], unset: Callable[[str], None] | None) -> str:
    value = lookup(name)
    if value is None:
        if unset is not None:
            unset(name)
        return ""
    return value


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "\\$"}


def parse_dotenv(text: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The variables of a `.env` file; `environ` (the shell) is consulted for interpolation."""
    values: dict[str, str] = {}

    def lookup(name: str) -> str | None:
        found = environ.get(name)
        return found if found is not None else values.get(name)

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            continue  # compose-go rejects some of these; for linting a line without `=` says nothing
        value = value.strip()
        if value[:1] == "'" and value.endswith("'") and len(value) > 1:
            values[key] = value[1:-1]
            continue
        if value[:1] == '"':
            closing = _closing_quote(value)
            body = value[1:closing] if closing > 0 else value[1:]
            body = _unescape(body)
        else:
            comment = value.find(" #")
            body = value[:comment].rstrip() if comment >= 0 else value
        try:
            values[key] = interpolate(body.replace("\\$", "$$"), lookup)
        except InterpolationError:
            values[key] = body
    return values


def _closing_quote(value: str) -> int:
    index = 1
    while index < len(value):
        if value[index] == "\\":
            index += 2
            continue
        if value[index] == '"':
            return index
        index += 1
    return -1


def _unescape(body: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            out.append(_ESCAPES.get(body[index + 1], "\\" + body[index + 1]))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)
