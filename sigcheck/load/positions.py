"""Where each character of an instruction's value stands in the file.

The lexer joins continuation lines (and drops the comment lines between them)
into `Instruction.rest`; an edit of the value must be mapped back onto the
file's own lines and columns.
"""

from __future__ import annotations

from sigcheck.load.dockerfile import Instruction, ParsedDockerfile, continuation_at

__all__ = ["value_positions"]


def value_positions(parsed: ParsedDockerfile, ins: Instruction) -> list[tuple[int, int]] | None:
    """(line, column) of every character of `ins.rest`, joining continuation lines as
    the parser does (sigcheck.load.dockerfile); None if the two ever disagree."""
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

