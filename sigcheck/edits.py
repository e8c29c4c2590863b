"""Machine-applicable fixes (`Finding.edit`): the one place a fix is turned into text at a span.

A rule decides that a fix applies; this layer finds where the text stands and
whether the change is safe, asking the parsers in `load/` and `shell/` (rules
never parse text themselves). An edit is attached only when applying it cannot
change what the container runs other than in the way the finding asks for;
everything else keeps a fix text and no edit.

- `instruction_edit`: an edit of an instruction's value (`Instruction.rest`, with
  continuation lines joined) mapped back onto the file, leaving comment lines
  inside the instruction untouched;
- `script_exec_edit`: `exec ` before the app's command of an entry script;
- `stopsignal_edit`: set the target stage's STOPSIGNAL;
- the facts of shell and JSON text a fix is built from: `exec_form_words`,
  `insert_exec`, `exec_point`, `json_string_spans`, `json_repair`,
  `intended_elements`, `script_reads_arguments`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sigcheck.findings import Edit

if TYPE_CHECKING:
    from sigcheck.load.dockerfile import Instruction, ParsedDockerfile
    from sigcheck.model.chain import Link
    from sigcheck.model.files import FileOrigin
    from sigcheck.rules.base import Context
    from sigcheck.shell.command_string import CommandString
    from sigcheck.shell.script import Outcome

__all__ = [
    "exec_form_words",
    "exec_line",
    "exec_point",
    "insert_exec",
    "instruction_edit",
    "intended_elements",
    "json_repair",
    "json_string_spans",
    "script_exec_edit",
    "script_reads_arguments",
    "script_text",
    "stopsignal_edit",
]


# The parsers are imported on first use: a clean file never needs them (start-up).


def exec_form_words(text: str) -> list[str] | None:
    """The argv `sh -c TEXT` runs, when TEXT is one simple command of literal words."""
    from sigcheck.shell.argv import plain_argv

    return plain_argv(text)


def exec_line(words: tuple[str, ...], literal: tuple[bool, ...] | None = None) -> str:
    """`exec` and the words as a shell line that gives back those words: `exec nginx -g
    'daemon off;'`, not `exec nginx -g daemon off;`, which is two commands. A word that
    is not literal (`"$@"`, `${PORT:-80}`) is its source text already and stays as written;
    `literal` None: every word is a value (an exec-form argv)."""
    import shlex

    if literal is None:
        literal = (True,) * len(words)
    elif len(literal) != len(words):
        literal = (False,) * len(words)  # no word-by-word facts: the words as written
    return "exec " + " ".join(shlex.quote(w) if plain else w for w, plain in zip(words, literal, strict=True))


def script_reads_arguments(text: str) -> bool:
    from sigcheck.shell.argv import reads_arguments

    return reads_arguments(text)


def exec_insertable(text: str, name_byte: int) -> bool:
    from sigcheck.shell import exec_point as module

    return module.exec_insertable(text, name_byte)


def exec_point(cs: CommandString) -> int | None:
    from sigcheck.shell import exec_point as module

    return module.exec_point(cs)


def insert_exec(cs: CommandString) -> str | None:
    from sigcheck.shell import exec_point as module

    return module.insert_exec(cs)


def json_string_spans(rest: str) -> list[tuple[int, int]] | None:
    from sigcheck.load import json_array

    return json_array.json_string_spans(rest)


def json_repair(rest: str) -> tuple[list[tuple[int, int, str]], list[str]] | None:
    from sigcheck.load import json_array

    return json_array.repair_json_array(rest)


def intended_elements(text: str) -> list[str] | None:
    from sigcheck.load import json_array

    return json_array.intended_elements(text)


def value_positions(parsed: ParsedDockerfile, ins: Instruction) -> list[tuple[int, int]] | None:
    from sigcheck.load import positions

    return positions.value_positions(parsed, ins)


def dockerfile_file(ctx: Context) -> str | None:
    """The Dockerfile to write: its real path; None for standard input."""
    return ctx.dockerfile.source.file if ctx.dockerfile is not None else None



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
    file = dockerfile_file(ctx)
    if not changes or file is None or ctx.dockerfile is None:
        return None  # standard input cannot be rewritten
    parsed = ctx.dockerfile.parsed
    lines = parsed.lines
    pos = value_positions(parsed, ins)
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
        file=file,
        line=outer_start[0],
        column=outer_start[1],
        end_line=outer_end[0],
        end_column=outer_end[1],
        replacement="".join(pieces),
        original=original,
    )



def script_text(ctx: Context, origin: FileOrigin) -> str | None:
    """The text the chain analysed for a script (heredoc, RUN-written or build context)."""
    if ctx.files is None:
        return origin.content
    return ctx.files.read(origin)[0]


def script_exec_edit(ctx: Context, origin: FileOrigin, outcome: Outcome) -> Edit | None:
    """`exec ` before the app's command in an entry script, when that is safe; in the
    script's own file (inside the build context only) or in the Dockerfile for a
    `COPY <<EOF` / `RUN ... <<EOF` heredoc."""
    dockerfile = dockerfile_file(ctx)
    if outcome.kind != "foreground" or outcome.pipeline or outcome.loop or dockerfile is None:
        return None  # standard input: neither it nor the scripts beside it are rewritten
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
        script = ctx.files.rewrite_path(origin) if ctx.files is not None else None
        if script is None:
            return None  # not writable: outside the build context, or inside an image
        path, file, line = ctx.script_path(origin)[0], script, row + 1
    else:
        if origin.content_line is None or ctx.dockerfile is None:
            return None  # printf/echo output: no line of the Dockerfile holds it
        line = origin.content_line + row
        lines = ctx.dockerfile.parsed.lines
        if not 1 <= line <= len(lines):
            return None
        written = lines[line - 1]
        if written == script_line:
            shift = 0
        elif written.lstrip("\t") == script_line:
            shift = len(written) - len(script_line)  # `<<-` strips leading tabs
        else:
            return None
        path, file, column = ctx.path, dockerfile, column + shift
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
    file = dockerfile_file(ctx)
    if file is None or ctx.dockerfile is None or ctx.runtime.stop_signal is not None:
        return None  # nothing to rewrite, or the deployment's stop signal is the one sent
    if ctx.chain._replace(stopsignal=signal).delivered(app) != signal:
        return None
    stage = ctx.dockerfile.stage
    setting = ctx.config.stopsignal
    own = setting.instruction if setting is not None else None
    if own is not None and any(ins is own for ins in stage.instructions):
        if not own.rest or "$" in own.rest:
            return None  # `STOPSIGNAL $SIG` is meant to be set at build time
        return instruction_edit(ctx, own, [(0, len(own.rest), signal)])
    from_ins = stage.from_instruction
    lines = ctx.dockerfile.parsed.lines
    if not 1 <= from_ins.end_line <= len(lines):
        return None
    last = lines[from_ins.end_line - 1]
    first = lines[from_ins.start_line - 1]
    indent = first[: len(first) - len(first.lstrip())]
    keyword = "stopsignal" if first.lstrip()[:4].islower() else "STOPSIGNAL"
    end = len(last) + 1
    return Edit(
        path=ctx.path,
        file=file,
        line=from_ins.end_line,
        column=end,
        end_line=from_ins.end_line,
        end_column=end,
        replacement=f"\n{indent}{keyword} {signal}",
    )
