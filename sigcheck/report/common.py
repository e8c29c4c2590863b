"""What the machine-readable reports share: repository-relative paths and fingerprints.

A fingerprint identifies a finding across commits: code scanning (SARIF
`partialFingerprints`) and GitLab Code Quality (`fingerprint`) use it to tell a
new problem from one that moved. It hashes the rule and the normalised text of
the lines the finding points at (the instruction, or the script line), never the
line number, plus an occurrence count for identical text in one file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence

from sigcheck.findings import FileReport, Finding
from sigcheck.load.files import source_lines

__all__ = ["SourceLines", "fingerprinted", "relative_to", "repository_root"]

# Patterns are strings: re compiles (and caches) one on first use, not at every start-up.
_SPACE = r"\s+"
_MAX_SCRIPT_BYTES = 1024 * 1024


def repository_root(start: str | None = None) -> str:
    """The directory holding `.git` above `start` (default: the current directory), else `start`.

    `GITHUB_WORKSPACE` and `CI_PROJECT_DIR` (GitHub Actions, GitLab CI) win: the
    dashboards resolve paths against the checkout they name."""
    for variable in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        value = os.environ.get(variable)
        if value and os.path.isdir(value):
            return os.path.realpath(value)
    origin = os.path.realpath(start or os.getcwd())
    current = origin
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return origin
        current = parent


def relative_to(path: str, root: str) -> str | None:
    """`path` (as given on the command line) relative to `root`, with `/`; None when outside."""
    if path == "-":
        return None
    for full in (os.path.abspath(path), os.path.realpath(path)):
        try:
            relative = os.path.relpath(full, root)
        except ValueError:  # another drive (Windows)
            continue
        if relative != ".." and not relative.startswith(".." + os.sep):
            return relative.replace(os.sep, "/")
    return None


class SourceLines:
    """The lines of the files findings point at, as the linter read them (its report
    keeps them); a file it did not keep is read once from disk."""

    def __init__(self) -> None:
        self._files: dict[str, list[str] | None] = {}

    def lines(self, report: FileReport, path: str) -> list[str] | None:
        if path == report.path and report.lines is not None:
            return report.lines
        key = f"{report.path}\0{path}"  # two Dockerfiles may run scripts of one name
        if key in self._files:
            return self._files[key]
        kept = report.sources.get(path)
        if kept is not None:
            self._files[key] = source_lines(kept)
            return self._files[key]
        if path not in self._files:
            self._files[path] = _read_lines(path)
        return self._files[path]


def _read_lines(path: str) -> list[str] | None:
    if path == "-":
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_SCRIPT_BYTES + 1)
    except OSError:
        return None
    if len(data) > _MAX_SCRIPT_BYTES:
        return None
    return source_lines(data.decode("utf-8", "replace"))


def _normalised(finding: Finding, lines: Sequence[str] | None) -> str:
    if not lines or not 1 <= finding.line <= len(lines):
        return finding.message
    words: list[str] = []
    for text in lines[finding.line - 1 : max(finding.line, min(finding.end_line, len(lines)))]:
        text = text.strip()
        if text.startswith("#") and words:
            continue  # a comment between continuation lines
        if text.endswith(("\\", "`")):
            text = text[:-1]
        words.append(text)
    return re.sub(_SPACE, " ", " ".join(words)).strip()


def fingerprinted(
    reports: Sequence[FileReport], *, with_path: bool, sources: SourceLines | None = None
) -> Iterator[tuple[FileReport, Finding, str]]:
    """Every finding with its fingerprint (hex SHA-256).

    `with_path` adds the file's path to what is hashed: GitLab compares
    fingerprints across the whole report, GitHub within one file."""
    import hashlib

    sources = sources or SourceLines()
    seen: dict[str, int] = {}
    for report in reports:
        for finding in report.findings:
            if finding.logical is not None:
                # In an image archive: its bytes are no text to hash (nor to read), the fact's place is.
                text = f"{finding.logical}\0{finding.message}"
            else:
                text = _normalised(finding, sources.lines(report, finding.path))
            key = "\0".join([finding.rule, text] + ([finding.path] if with_path else []))
            digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
            count = seen.get(f"{finding.path}\0{digest}", 0) + 1
            seen[f"{finding.path}\0{digest}"] = count
            if count > 1:
                digest = hashlib.sha256(f"{digest}:{count}".encode()).hexdigest()
            yield report, finding, digest
