"""Positions: sigcheck's 1-based character columns <-> LSP's 0-based code units.

sigcheck counts characters (code points) of a line without its terminator, and on
line 1 without a UTF-8 BOM. LSP counts code units of the negotiated encoding
(UTF-16 unless client and server agreed on UTF-8 or UTF-32 at `initialize`), and
the BOM, when the client kept it in the text, is part of line 1.

Nothing here imports pygls: the conversions are plain functions of a text and
integers, so they can be tested and benchmarked alone.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["Encoding", "TextLines", "units"]

Encoding = str  # "utf-16", "utf-8" or "utf-32" (lsprotocol's PositionEncodingKind values)


def units(text: str, encoding: Encoding) -> int:
    """Code units of `text` in `encoding`; a lone surrogate (JSON allows "\\ud800") counts as one."""
    if encoding == "utf-32" or text.isascii():
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


class TextLines:
    """A document cut into lines as sigcheck numbers them ("\\n", "\\r\\n" terminators)."""

    __slots__ = ("bom", "lines")

    def __init__(self, text: str) -> None:
        self.lines: Sequence[str] = [line.removesuffix("\r") for line in text.split("\n")]
        self.bom = text.startswith("\ufeff")

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
            last = len(self.lines)
            return last - 1, units(self.lines[last - 1], encoding)
        raw = self.lines[line - 1]
        offset = 1 if line == 1 and self.bom else 0
        index = min(max(column - 1, 0) + offset, len(raw))
        return line - 1, units(raw[:index], encoding)

    def from_client(self, line: int, character: int, encoding: Encoding) -> tuple[int, int]:
        """LSP (line, character) -> sigcheck (line, column), 1-based characters.

        A client may send anything: a negative number, a line past the end, a
        character past the line's end or inside a surrogate pair. Each is clamped
        to the nearest real position (the LSP spec: past the end means the end)."""
        if line < 0:
            return 1, 1
        if line >= len(self.lines):
            last = len(self.lines)
            return last, len(self.content(last)) + 1
        raw = self.lines[line]
        index = 0
        counted = 0
        for ch in raw:
            width = units(ch, encoding)
            if counted + width > character:
                break  # inside this character (or just before it): it starts here
            counted += width
            index += 1
        if line == 0 and self.bom:
            index = max(index - 1, 0)
        return line + 1, index + 1
