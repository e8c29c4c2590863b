"""Positions: sigcheck's 1-based character columns <-> LSP's 0-based code units.

sigcheck counts characters (code points) of a line without its terminator, and on
line 1 without a UTF-8 BOM. LSP counts code units of the negotiated encoding
(UTF-16 unless client and server agreed on UTF-8 or UTF-32 at `initialize`), and
the BOM, when the client kept it in the text, is part of line 1.

Nothing here imports pygls: the conversions are plain functions of a text and
integers, so they can be tested and benchmarked alone.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

__all__ = ["Encoding", "TextLines", "units"]

_LONE_CR = re.compile(r"\r(?!\n)")
_CLIENT_BREAK = re.compile(r"\r\n|\r|\n")

Encoding = str  # "utf-16", "utf-8" or "utf-32" (lsprotocol's PositionEncodingKind values)


def units(text: str, encoding: Encoding) -> int:
    """Code units of `text` in `encoding`; a lone surrogate (JSON allows "\\ud800") counts as one."""
    if encoding == "utf-32" or text.isascii():
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


class TextLines:
    """A document cut into lines as sigcheck numbers them, with the client's lines beside them.

    sigcheck (its Dockerfile parser, as BuildKit's; its shell reader; its YAML spans,
    remapped from libyaml's) breaks lines at "\\n" only, a "\\r" before it being part of
    the ending. LSP also breaks at a lone "\\r" (old Mac files). Where a text has one,
    the two numberings differ, and a position goes through its character offset in the
    text: the same character for the linter and for the editor."""

    __slots__ = ("bom", "client_starts", "lines", "starts", "text")

    def __init__(self, text: str) -> None:
        raw = text.split("\n")
        self.lines: Sequence[str] = [line.removesuffix("\r") for line in raw]
        self.bom = text.startswith("\ufeff")
        self.text = text
        # Offsets of each line's start, only when a lone "\r" makes the client's lines differ.
        self.starts: list[int] | None = None
        self.client_starts: list[int] | None = None
        if _LONE_CR.search(text) is not None:
            self.starts = list(accumulate((len(line) + 1 for line in raw[:-1]), initial=0))
            self.client_starts = [0, *(match.end() for match in _CLIENT_BREAK.finditer(text))]

    def __len__(self) -> int:
        return len(self.lines)

    def content(self, line: int) -> str:
        """Line `line` (1-based) as sigcheck's columns count it: without the BOM; "" past the end."""
        if not 1 <= line <= len(self.lines):
            return ""
        text = self.lines[line - 1]
        return text[1:] if line == 1 and self.bom else text

    def to_client(self, line: int, column: int, encoding: Encoding) -> tuple[int, int]:
        """sigcheck (line, column), 1-based characters -> LSP (line, character), clamped to the text."""
        if line < 1:
            return 0, 0
        if line > len(self.lines):
            line = len(self.lines)
            column = len(self.content(line)) + 1
        raw = self.lines[line - 1]
        offset = 1 if line == 1 and self.bom else 0
        index = min(max(column - 1, 0) + offset, len(raw))
        if self.starts is None or self.client_starts is None:
            return line - 1, units(raw[:index], encoding)
        at = self.starts[line - 1] + index
        client_line = bisect_right(self.client_starts, at) - 1
        return client_line, units(self.text[self.client_starts[client_line] : at], encoding)

    def _client_line(self, line: int) -> str:
        if self.client_starts is None:
            return self.lines[line]
        start = self.client_starts[line]
        end = self.client_starts[line + 1] if line + 1 < len(self.client_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def from_client(self, line: int, character: int, encoding: Encoding) -> tuple[int, int]:
        """LSP (line, character) -> sigcheck (line, column), 1-based characters.

        A client may send anything: a negative number, a line past the end, a
        character past the line's end or inside a surrogate pair. Each is clamped
        to the nearest real position (the LSP spec: past the end means the end)."""
        client_lines = len(self.client_starts) if self.client_starts is not None else len(self.lines)
        if line < 0:
            return 1, 1
        if line >= client_lines:
            last = len(self.lines)
            return last, len(self.content(last)) + 1
        raw = self._client_line(line)
        index = 0
        counted = 0
        for ch in raw:
            width = units(ch, encoding)
            if counted + width > character:
                break  # inside this character (or just before it): it starts here
            counted += width
            index += 1
        if self.starts is not None and self.client_starts is not None:
            at = self.client_starts[line] + index
            own = bisect_right(self.starts, at) - 1
            line, index = own, at - self.starts[own]
        if line == 0 and self.bom:
            index = max(index - 1, 0)
        return line + 1, index + 1
