"""What a rule reports, and how bad it is."""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

from enum import IntEnum
from typing import NamedTuple

__all__ = ["DOCS_URL", "Edit", "FileReport", "Finding", "Severity"]

DOCS_URL = "https://github.com/sigcheck/sigcheck/blob/main/rules/{rule}.md"


class Severity(IntEnum):
    STYLE = 0
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (error, warning, info, style)") from None


class Edit(NamedTuple):
    """A safe, machine-applicable fix: replace one span of one file.

    Lines and columns are 1-based and count characters of the line without its
    terminator (and, on line 1, without a UTF-8 BOM), as a finding's do;
    `end_column` is just past the span, so an insertion has
    `(end_line, end_column) == (line, column)`. `original` is the text the span
    holds now (lines joined with "\n"): `sigcheck --fix` refuses an edit whose
    span no longer holds it. A "\n" in `replacement` is written as the line
    ending of the line the span starts on.
    """

    path: str  # as the finding's path: the Dockerfile as given, or the entry script
    file: str  # the file to write: absolute, symlinks resolved (inside the build context)
    line: int
    column: int
    end_line: int
    end_column: int
    replacement: str
    original: str = ""

    @property
    def start(self) -> tuple[int, int]:
        return (self.line, self.column)

    @property
    def end(self) -> tuple[int, int]:
        return (self.end_line, self.end_column)

    def overlaps(self, other: "Edit") -> bool:
        """Two edits of one file touch the same text, or insert at the same point or
        where the other replaces text (their order would be ambiguous)."""
        if self.start == self.end or other.start == other.end:
            point, span = (self, other) if self.start == self.end else (other, self)
            if span.start == span.end:
                return point.start == span.start
            return span.start <= point.start < span.end
        return self.start < other.end and other.start < self.end


class Finding(NamedTuple):
    rule: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fix: str | None = None
    chain: tuple[str, ...] | None = None
    edit: Edit | None = None  # set only when `fix` is safe to apply mechanically (`--fix`)
    # Where the fact lives when `path` has no text for it: "app:1 config.Cmd",
    # "app:1 /entrypoint.sh:3" for a finding in an image archive. Last, with a default,
    # so every positional construction of a Finding stays valid.
    logical: str | None = None
    # The stop kills the app at once (PID 1 exits and the kernel SIGKILLs what is left),
    # not after the grace period: `sigcheck verify` tells the two apart by the stop's
    # duration. Not part of the report formats.
    at_once: bool = False
    # A Dockerfile finding that a deployment's containers inherit: who runs it
    # ("service web"), so one run reports it once, at the Dockerfile line, naming them.
    services: tuple[str, ...] = ()

    @property
    def logical_file(self) -> str | None:
        """"app:1 /entrypoint.sh" for a finding at "app:1 /entrypoint.sh:3": the file of an
        image it is in, the key of its text in `FileReport.sources`; None for a config fact."""
        if self.logical is None:
            return None
        head, _, line = self.logical.rpartition(":")
        return head if line.isdigit() and head else None

    @property
    def fix_safe(self) -> bool:
        """`sigcheck --fix` can apply this finding's fix."""
        return self.edit is not None

    @property
    def doc_url(self) -> str:
        return DOCS_URL.format(rule=self.rule)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule)


class FileReport:
    """One file's findings, or the error that stopped it from being linted."""

    __slots__ = ("error", "findings", "image", "lines", "path", "sources")

    def __init__(
        self,
        path: str,
        findings: list[Finding] | None = None,
        error: str | None = None,
        lines: list[str] | None = None,
        sources: dict[str, str] | None = None,
        image: str | None = None,
    ) -> None:
        self.path = path
        # The image's name (tag or ref annotation) when `path` is an archive: it may hold several.
        self.image = image
        self.findings: list[Finding] = findings if findings is not None else []
        self.error = error
        self.lines = lines  # source lines, kept for code frames
        # The text of the other files findings point at (entry scripts), as the linter read
        # it: reporters never read them again, and count lines as the linter did.
        self.sources: dict[str, str] = sources if sources is not None else {}
