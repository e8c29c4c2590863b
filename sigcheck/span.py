"""Where a fact was written: the one location type of every input.

A Dockerfile instruction, a line of an entry script, a YAML node of a Compose
file or a Kubernetes manifest, a field of an image config: each is a `Span`.
Rules report spans; reporters turn them into regions, annotations and code frames.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

from typing import NamedTuple

__all__ = ["Span"]


class Span(NamedTuple):
    """A region of one file, as the user would open it.

    Lines and columns are 1-based and count characters (not bytes) of the line
    without its terminator; `end_column` is just past the region, so an empty
    span has `(end_line, end_column) == (line, column)`. `logical` names a fact
    that has no text of its own in `path`: `config.Cmd` of an image archive, or
    `services.web.command` when a reporter wants the YAML path as well.
    """

    path: str  # as given on the command line, or derived from it (an entry script)
    line: int
    column: int
    end_line: int
    end_column: int
    logical: str | None = None

    @classmethod
    def point(cls, path: str, line: int = 1, column: int = 1, logical: str | None = None) -> "Span":
        return cls(path, line, column, line, column, logical)

    @property
    def start(self) -> tuple[int, int]:
        return (self.line, self.column)

    @property
    def end(self) -> tuple[int, int]:
        return (self.end_line, self.end_column)
