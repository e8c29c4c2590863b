"""`--fix` and `--diff`: apply the safe edits findings carry, prove the result, write it.

For each Dockerfile with a fixable finding: lint, apply every edit that does not
overlap another, check that the result still parses (the Dockerfile with
sigcheck's BuildKit-compatible parser and the same instructions in the same
order, a script with the shell parser), and lint again with the rewritten
files in place, until no edit is left: one fix can uncover the next (a repaired
JSON array turns out to be `["npm", "start"]`; an app that becomes PID 1 now
needs its STOPSIGNAL), and a second `--fix` must change nothing. Every pass
runs on text in memory; `--fix` writes the files at the end, each through a
temporary file in its own directory and os.replace, with its mode (and, where
allowed, owner) kept; `--diff` prints them as a unified diff instead.

Imported only for --fix/--diff: difflib and tempfile stay out of a plain run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from typing import NamedTuple

from sigcheck.findings import Edit, Finding
from sigcheck.lint import INTERNAL_ERROR, LintOptions, lint_text
from sigcheck.load.dockerfile import DockerfileSyntaxError, parse_dockerfile
from sigcheck.load.files import LoadError, read_text

__all__ = ["FileFix", "FixResult", "apply_edits", "plan_fixes", "summary", "unified_diff", "write_fixes"]

MAX_PASSES = 8


class FileFix:
    """One file as it was read and as the fixes leave it."""

    __slots__ = ("after", "before", "file", "fixed", "path")

    def __init__(self, path: str, file: str, before: str, after: str) -> None:
        self.path = path  # as reported (the Dockerfile as given, an entry script relative to it)
        self.file = file  # real path: what is read and written
        self.before = before
        self.after = after
        self.fixed = 0  # findings whose edit was applied to this file

    @property
    def changed(self) -> bool:
        return self.before != self.after


class FixResult:
    __slots__ = ("files", "problems")

    def __init__(self) -> None:
        self.files: dict[str, FileFix] = {}  # by real path, in the order touched
        self.problems: list[tuple[str, str]] = []  # (path, why a fix was not applied)

    @property
    def changed(self) -> list[FileFix]:
        return [f for f in self.files.values() if f.changed]

    @property
    def fixed(self) -> int:
        return sum(f.fixed for f in self.changed)


# --- applying edits to text ------------------------------------------------------------------


class _Lines(NamedTuple):
    """A text cut into lines: each line's offset, its content (as columns count it) and
    its terminator ("\\n", "\\r\\n" or "" on a last line without one)."""

    starts: list[int]
    contents: list[str]
    endings: list[str]
    bom: int  # 1 when the text starts with a UTF-8 BOM (not counted in line 1's columns)

    @classmethod
    def of(cls, text: str) -> _Lines:
        starts: list[int] = []
        contents: list[str] = []
        endings: list[str] = []
        at = 0
        for part in text.split("\n"):
            starts.append(at)
            content = part.rstrip("\r")
            contents.append(content)
            ending = part[len(content) :]
            at += len(part) + 1
            endings.append(ending + "\n" if at <= len(text) else ending)
        if len(contents) > 1 and contents[-1] == "" and endings[-1] == "":
            starts.pop()
            contents.pop()
            endings.pop()
        bom = 1 if text.startswith("\ufeff") else 0
        if bom:
            contents[0] = contents[0][1:]
        return cls(starts, contents, endings, bom)

    def offset(self, line: int, column: int) -> int | None:
        if not 1 <= line <= len(self.contents) or not 1 <= column <= len(self.contents[line - 1]) + 1:
            return None
        return self.starts[line - 1] + (self.bom if line == 1 else 0) + column - 1

    def normalised(self, edit: Edit) -> str:
        (l1, c1), (l2, c2) = edit.start, edit.end
        if l1 == l2:
            return self.contents[l1 - 1][c1 - 1 : c2 - 1]
        middle = self.contents[l1 : l2 - 1]
        return "\n".join([self.contents[l1 - 1][c1 - 1 :], *middle, self.contents[l2 - 1][: c2 - 1]])

    def ending_at(self, line: int) -> str:
        ending = self.endings[line - 1] if 1 <= line <= len(self.endings) else ""
        if ending:
            return ending
        return next((e for e in self.endings if e), "\n")


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, list[Edit], list[tuple[Edit, str]]]:
    """Apply the edits that fit: (new text, applied, [(skipped, why)]).

    An edit is skipped when its span is not in the file, no longer holds the text it
    was made for, or overlaps an edit already taken (edits are taken in file order)."""
    lines = _Lines.of(text)
    taken: list[tuple[int, int, str, Edit]] = []
    skipped: list[tuple[Edit, str]] = []
    for edit in sorted(set(edits), key=lambda e: (e.start, e.end, e.replacement)):
        start = lines.offset(edit.line, edit.column)
        end = lines.offset(edit.end_line, edit.end_column)
        if start is None or end is None or end < start:
            skipped.append((edit, "its place is not in the file"))
            continue
        if lines.normalised(edit) != edit.original:
            skipped.append((edit, "the file no longer holds the text it was made for"))
            continue
        clash = next((other for *_, other in taken if other.overlaps(edit)), None)
        if clash is not None:
            skipped.append((edit, f"it overlaps the fix at {clash.line}:{clash.column}"))
            continue
        replacement = edit.replacement.replace("\n", lines.ending_at(edit.line))
        taken.append((start, end, replacement, edit))
    out = text
    for start, end, replacement, _ in sorted(taken, key=lambda t: t[0], reverse=True):
        out = out[:start] + replacement + out[end:]
    return out, [t[3] for t in taken], skipped


# --- proving the result ----------------------------------------------------------------------


def _dockerfile_problem(before: str, after: str) -> str | None:
    """Why `after` must not replace `before`, or None: it parses, and it has the same
    instructions in the same order (a STOPSIGNAL may be added)."""
    try:
        new = parse_dockerfile(after)
    except DockerfileSyntaxError as exc:
        return f"the result would not parse ({exc})"
    try:
        old = parse_dockerfile(before)
    except DockerfileSyntaxError:
        return None
    kept = [i.keyword for i in new.instructions if i.keyword != "STOPSIGNAL"]
    if kept != [i.keyword for i in old.instructions if i.keyword != "STOPSIGNAL"]:
        return "the result would have other instructions"
    return None


def _script_problem(before: str, after: str) -> str | None:
    from sigcheck.shell.parse import parse_shell

    if parse_shell(after.replace("\r\n", "\n")).root_node.has_error and not (
        parse_shell(before.replace("\r\n", "\n")).root_node.has_error
    ):
        return "the result would not parse as shell"
    return None


# --- the passes ------------------------------------------------------------------------------


def _read(file: str, options: LintOptions) -> str:
    return read_text(file, options.max_bytes)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _fix_one(path: str, options: LintOptions, result: FixResult) -> None:
    real = os.path.realpath(path)
    if real not in result.files:
        try:
            text = _read(real, options)
        except LoadError as exc:
            result.problems.append((path, f"not fixed: {exc}"))
            return
        result.files[real] = FileFix(path, real, text, text)
    seen: set[str] = set()
    for _ in range(MAX_PASSES):
        current = result.files[real].after
        overlay = {f.file: f.after for f in result.files.values() if f.file != real and f.changed}
        try:
            findings = lint_text(current, path, options, overlay)
        except LoadError as exc:
            result.problems.append((path, f"not fixed: {exc}"))
            return
        except Exception as exc:  # the last guard, as in lint_file: report, fix the other files
            if options.debug:
                raise
            result.problems.append((path, f"not fixed: {INTERNAL_ERROR}: {type(exc).__name__}: {exc}"))
            return
        carriers: dict[Edit, list[Finding]] = {}
        for finding in findings:
            if finding.edit is not None:
                carriers.setdefault(finding.edit, []).append(finding)
        if not carriers:
            return
        pending: list[tuple[str, str]] = []
        progress = False
        by_file: dict[str, list[Edit]] = {}
        for edit in carriers:
            by_file.setdefault(edit.file, []).append(edit)
        for file, edits in by_file.items():
            shown = edits[0].path
            if file == "-" or not os.path.isabs(file):
                pending.append((shown, "standard input cannot be rewritten"))
                continue
            if file not in result.files:
                try:
                    text = _read(file, options)
                except LoadError as exc:
                    pending.append((shown, f"not fixed: {exc}"))
                    continue
                result.files[file] = FileFix(shown, file, text, text)
            entry = result.files[file]
            new, applied, skipped = apply_edits(entry.after, edits)
            for edit, why in skipped:
                rules = ", ".join(f.rule for f in carriers[edit])
                pending.append((shown, f"{rules} fix at {edit.line}:{edit.column} not applied: {why}"))
            if not applied:
                continue
            problem = (
                _dockerfile_problem(entry.after, new) if file == real else _script_problem(entry.after, new)
            )
            if problem is not None:
                rules = ", ".join(sorted({f.rule for e in applied for f in carriers[e]}))
                pending.append((shown, f"{rules} fixes not applied: {problem}"))
                continue
            entry.after = new
            entry.fixed += sum(len(carriers[e]) for e in applied)
            progress = True
        if not progress:
            result.problems += pending
            return
        state = "\0".join(f"{f.file}\0{f.after}" for f in result.files.values())
        if state in seen:
            result.problems.append((path, "the fixes undo each other; some were not applied"))
            return
        seen.add(state)
    result.problems.append(
        (path, f"fixes still pending after {MAX_PASSES} passes; run `sigcheck --fix` again")
    )


def plan_fixes(paths: Iterable[str], options: LintOptions) -> FixResult:
    """Apply every safe fix for these Dockerfiles, in memory (nothing is written)."""
    result = FixResult()
    done: set[str] = set()
    for path in paths:
        real = os.path.realpath(path)
        if real in done:
            continue
        done.add(real)
        _fix_one(path, options, result)
    return result


# --- output ----------------------------------------------------------------------------------


def _label(fix: FileFix) -> str:
    try:
        relative = os.path.relpath(fix.file, os.path.realpath(os.getcwd()))
    except ValueError:  # another drive (Windows)
        relative = fix.file
    return relative.replace(os.sep, "/")


def _lines(text: str) -> list[str]:
    parts = text.split("\n")
    out = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def unified_diff(fixes: Iterable[FileFix]) -> str:
    """A unified diff of the changes (`a/PATH` and `b/PATH`, relative to the current
    directory), as `git apply` and `patch -p1` take it."""
    import difflib

    out: list[str] = []
    for fix in fixes:
        if not fix.changed:
            continue
        label = _label(fix)
        for line in difflib.unified_diff(
            _lines(fix.before), _lines(fix.after), f"a/{label}", f"b/{label}", n=3
        ):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def write_fixes(fixes: Iterable[FileFix]) -> list[tuple[str, str]]:
    """Write every changed file; [(path, why)] for those that could not be written."""
    failures: list[tuple[str, str]] = []
    for fix in fixes:
        if fix.changed:
            problem = _write(fix)
            if problem is not None:
                failures.append((fix.path, problem))
    return failures


def _write(fix: FileFix) -> str | None:
    import stat
    import tempfile

    try:
        info = os.stat(fix.file)
        with open(fix.file, "rb") as handle:
            on_disk = handle.read()
    except OSError as exc:
        return f"cannot read it again: {exc.strerror or exc}"
    if on_disk != fix.before.encode("utf-8", "surrogateescape"):
        return "it changed while sigcheck was fixing it; not written"
    directory, name = os.path.split(fix.file)
    try:
        handle_fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".sigcheck", dir=directory)
    except OSError as exc:
        return f"cannot write next to it: {exc.strerror or exc}"
    try:
        with os.fdopen(handle_fd, "wb") as handle:
            handle.write(fix.after.encode("utf-8", "surrogateescape"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        with contextlib.suppress(OSError):  # not ours to give away: the owner stays the user
            os.chown(temporary, info.st_uid, info.st_gid)
        os.replace(temporary, fix.file)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return f"cannot write it: {exc.strerror or exc}"
    return None


def summary(result: FixResult, *, applied: bool, unwritten: Iterable[str] = ()) -> list[str]:
    """Lines for standard error: what was (or would be) fixed, and what was not.
    `unwritten`: paths --fix could not write (they are named on their own)."""
    lines: list[str] = []
    skip = set(unwritten)
    changed = [f for f in result.changed if f.path not in skip]
    if changed:
        names = [f.path for f in changed]
        files = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        verb = "fixed" if applied else "--fix would fix"
        fixed = sum(f.fixed for f in changed)
        count = f"{_plural(fixed, 'finding')} in {_plural(len(changed), 'file')}"
        lines.append(f"{verb} {count} ({files})")
    for path, why in result.problems:
        lines.append(f"{path}: {why}")
    return lines
