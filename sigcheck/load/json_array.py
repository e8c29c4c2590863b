"""JSON arrays of ENTRYPOINT/CMD values: where each string stands, and how a near-JSON list repairs.

`json_string_spans` finds the strings of a valid array; `repair_json_array`
turns a Python/JavaScript-style list of strings (single quotes, a trailing
comma) into the same JSON array; `intended_elements` reads what the author
meant by such a list.
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
import warnings

__all__ = ["intended_elements", "json_string_spans", "repair_json_array"]


def _control(ch: str) -> bool:
    return ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029"


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



def intended_elements(text: str) -> list[str] | None:
    """The elements the author meant, when the text is a Python-style list of strings.

    Python joins adjacent literals (`["app" "--serve"]` is `["app--serve"]`), but in an
    ENTRYPOINT/CMD array two quoted words side by side are two arguments with the comma
    forgotten: each literal is an element of its own."""
    source = text.strip()
    # Python warns of escapes it does not know (`"\$PORT"`); they are the author's text here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(source, mode="eval")
            value = ast.literal_eval(tree)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            return None
        assert isinstance(tree.body, (ast.List, ast.Tuple))
        elements: list[str] = []
        for node, joined in zip(tree.body.elts, value, strict=True):
            segment = ast.get_source_segment(source, node)
            pieces = _literals(segment) if segment is not None else None
            elements.extend(pieces if pieces and "".join(pieces) == joined else [joined])
    return elements


def _literals(segment: str) -> list[str] | None:
    """The string literals one element is written as (more than one when they touch)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(segment).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    out: list[str] = []
    for token in tokens:
        if token.type == tokenize.STRING:
            piece = ast.literal_eval(token.string)
            if not isinstance(piece, str):
                return None
            out.append(piece)
    return out
