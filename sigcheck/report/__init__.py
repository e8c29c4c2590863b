"""The output formats: one registry, each reporter imported only when its report is written.

A reporter is a module with `render(reports, stream, colour, seconds)`; adding a
format is one line here (and its module). `text` is the default.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, TextIO

if TYPE_CHECKING:
    from sigcheck.findings import FileReport

__all__ = ["FORMATS", "Format", "render"]


class Format(NamedTuple):
    module: str  # under sigcheck.report
    extension: str  # of the file it is usually written to
    summary: str


FORMATS: dict[str, Format] = {
    "text": Format("text_format", "txt", "grouped by file, with code frames and fixes"),
    "json": Format("json_format", "json", '{"version": 1, "findings": [...], "errors": [...]}'),
    "sarif": Format("sarif_format", "sarif", "SARIF 2.1.0, for GitHub code scanning"),
    "github": Format("github_format", "txt", "GitHub Actions workflow commands (annotations)"),
    "gitlab": Format("gitlab_format", "json", "GitLab Code Quality"),
}


def render(fmt: str, reports: Sequence[FileReport], stream: TextIO, colour: bool, seconds: float) -> None:
    module = importlib.import_module(f"sigcheck.report.{FORMATS[fmt].module}")
    module.render(reports, stream, colour, seconds)
