"""Code actions: a finding's own fix, "ignore RULE on this line", and fix-all.

The quick fix is the finding's `Edit` (what `sigcheck --fix` applies), converted
to the client's positions; there is no second implementation of any fix.
Fix-all repeats what `--fix` does on the buffers: lint, apply every edit that
fits (`sigcheck.fix.apply_edits`), prove the result with `--fix`'s own checks,
lint again, until nothing is left.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from lsprotocol import types

from sigcheck.findings import Edit, Finding
from sigcheck.fix import MAX_PASSES, apply_edits
from sigcheck.lint import LintOptions, lint_source
from sigcheck.load.files import LoadError
from sigcheck.server.positions import Encoding, TextLines

__all__ = [
    "FIX_ALL_KIND",
    "IGNORE_REASON",
    "edit_holds",
    "fix_all",
    "ignore_edit",
    "quick_fix",
    "replace_all",
    "text_edit",
]

FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.sigcheck"
IGNORE_REASON = "<reason>"  # a placeholder the user replaces: an ignore should say why
UNUSED_IGNORE = "SIG001"  # ignoring "this ignore is unused" would only hide a stale comment


def _span_text(lines: TextLines, edit: Edit) -> str | None:
    if not (1 <= edit.line <= edit.end_line <= len(lines)):
        return None
    if edit.line == edit.end_line:
        return lines.content(edit.line)[edit.column - 1 : edit.end_column - 1]
    middle = [lines.content(n) for n in range(edit.line + 1, edit.end_line)]
    first = lines.content(edit.line)[edit.column - 1 :]
    return "\n".join([first, *middle, lines.content(edit.end_line)[: edit.end_column - 1]])


def edit_holds(text: str, edit: Edit) -> bool:
    """The buffer still holds what the edit was made for (it may have changed since the lint)."""
    return _span_text(TextLines(text), edit) == edit.original


def _ending(text: str, line: int) -> str:
    lines = text.split("\n")
    if 1 <= line <= len(lines) and lines[line - 1].endswith("\r"):
        return "\r\n"
    return "\n"


def _position(lines: TextLines, line: int, column: int, encoding: Encoding) -> types.Position:
    return types.Position(*lines.to_client(line, column, encoding))


def text_edit(text: str, edit: Edit, encoding: Encoding) -> types.TextEdit:
    """A finding's Edit as an LSP TextEdit ("\\n" written as the line's own ending, as --fix does)."""
    lines = TextLines(text)
    return types.TextEdit(
        range=types.Range(
            _position(lines, edit.line, edit.column, encoding),
            _position(lines, edit.end_line, edit.end_column, encoding),
        ),
        new_text=edit.replacement.replace("\n", _ending(text, edit.line)),
    )


def quick_fix(
    finding: Finding,
    diagnostic: types.Diagnostic,
    text_of: Callable[[str], str | None],
    uri_of: Callable[[str], str],
    encoding: Encoding,
) -> types.CodeAction | None:
    """The finding's own edit as a code action on the file it edits, which need not be the
    file the diagnostic is shown in (a script finding whose fix is the Dockerfile's
    STOPSIGNAL): that file's buffer if open, else its disk copy (`text_of`, by real path)."""
    edit = finding.edit
    if edit is None or not os.path.isabs(edit.file):
        return None
    file = os.path.realpath(edit.file)
    text = text_of(file)
    if text is None or not edit_holds(text, edit):
        return None  # changed since the lint: the next lint offers the fix again
    return types.CodeAction(
        title=f"Fix {finding.rule}: {finding.fix or edit.replacement}",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=True,
        edit=types.WorkspaceEdit(changes={uri_of(file): [text_edit(text, edit, encoding)]}),
    )


def ignore_edit(text: str, finding: Finding, encoding: Encoding) -> types.TextEdit | None:
    """Insert `# sigcheck ignore=RULE <reason>` above the finding's line, at its indentation."""
    if finding.rule == UNUSED_IGNORE:
        return None
    lines = TextLines(text)
    if not 1 <= finding.line <= len(lines):
        return None
    content = lines.content(finding.line)
    indent = content[: len(content) - len(content.lstrip(" \t"))]
    comment = f"{indent}# sigcheck ignore={finding.rule} {IGNORE_REASON}{_ending(text, finding.line)}"
    at = _position(lines, finding.line, 1, encoding)
    return types.TextEdit(range=types.Range(at, at), new_text=comment)


def replace_all(before: str, after: str, encoding: Encoding) -> types.TextEdit:
    """One edit that turns `before` into `after`: the whole text (the simplest edit every client applies)."""
    lines = TextLines(before)
    last = len(lines)
    end = lines.to_client(last, len(lines.content(last)) + 1, encoding)
    return types.TextEdit(types.Range(types.Position(0, 0), types.Position(*end)), after)


def _problem(file: str, dockerfile: str, before: str, after: str) -> str | None:
    # --fix's own proofs: the Dockerfile still parses with the same instructions, a script
    # still parses as shell. Private to sigcheck.fix, used so fix-all cannot drift from it.
    from sigcheck.fix import _dockerfile_problem, _script_problem

    return _dockerfile_problem(before, after) if file == dockerfile else _script_problem(before, after)


def fix_all(
    dockerfile: str,
    path: str,
    texts: Mapping[str, str],
    options: LintOptions,
    read: Callable[[str], str | None],
    only: str | None = None,
) -> dict[str, tuple[str, str]]:
    """Every safe fix for one Dockerfile, in memory: real path -> (before, after) of each
    changed file. `texts` holds the open buffers (the Dockerfile's among them), `read`
    gives any other file's text; `only` keeps the edits to one file (fix-all in a script)."""
    before: dict[str, str] = {}
    current: dict[str, str] = {}

    def text_of(file: str) -> str | None:
        if file not in current:
            text = texts.get(file)
            if text is None:
                text = read(file)
            if text is None:
                return None
            before[file] = current[file] = text
        return current[file]

    if text_of(dockerfile) is None:
        return {}
    seen: set[tuple[tuple[str, str], ...]] = set()
    for _ in range(MAX_PASSES):
        overlay = {**texts, **current}
        try:
            findings = lint_source(current[dockerfile], path, options, overlay).findings
        except LoadError:
            break
        by_file: dict[str, list[Edit]] = {}
        for finding in findings:
            edit = finding.edit
            if edit is not None and os.path.isabs(edit.file) and (only is None or edit.file == only):
                by_file.setdefault(edit.file, []).append(edit)
        progress = False
        for file, edits in by_file.items():
            text = text_of(file)
            if text is None:
                continue
            new, applied, _ = apply_edits(text, edits)
            if applied and new != text and _problem(file, dockerfile, text, new) is None:
                current[file] = new
                progress = True
        state = tuple(sorted(current.items()))
        if not progress or state in seen:
            break
        seen.add(state)
    return {file: (before[file], after) for file, after in current.items() if after != before[file]}


def overlapping(diagnostic_range: types.Range, wanted: types.Range) -> bool:
    """The diagnostic is on a line of the requested range: a cursor anywhere on the line
    (before an indented finding, say) offers its actions."""
    return diagnostic_range.start.line <= wanted.end.line and wanted.start.line <= diagnostic_range.end.line


def contains(diagnostic_range: types.Range, position: types.Position) -> bool:
    start, end = diagnostic_range.start, diagnostic_range.end
    return (start.line, start.character) <= (position.line, position.character) <= (end.line, end.character)


def matching(
    entries: Sequence[tuple[Finding, types.Diagnostic]], wanted: types.Range
) -> list[tuple[Finding, types.Diagnostic]]:
    return [(f, d) for f, d in entries if overlapping(d.range, wanted)]
