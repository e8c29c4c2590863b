"""`--format github`: GitHub Actions workflow commands, shown as annotations on the diff.

`::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::message` (docs
"Workflow commands for GitHub Actions"). Escaping follows @actions/core's
command.ts: in the message `%`, CR and LF; in properties also `:` and `,`.
GitHub resolves `file` against the checkout (GITHUB_WORKSPACE), so paths are
made relative to it. Columns are given only for a one-line region: GitHub
ignores them otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

from sigcheck.findings import FileReport, Finding, Severity
from sigcheck.report.common import relative_to, repository_root

__all__ = ["escape_data", "escape_property", "render", "render_github"]

COMMANDS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
    Severity.STYLE: "notice",
}


# Other control characters from the linted file would reach the CI log raw (terminal escape
# sequences in a log viewer); percent-encode them like CR and LF.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")


def escape_data(text: str) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", text)


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, properties: list[tuple[str, str | int]], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{name} {props}::{escape_data(message)}"


def _annotation(finding: Finding, path: str) -> str:
    if finding.logical is not None:
        # In an image archive: a file-level annotation (no line of the archive applies), the
        # image and the fact's place in the message.
        message = f"{finding.logical}: {finding.message}"
        if finding.fix:
            message += f"\nfix: {finding.fix}"
        message += f"\nsee: {finding.doc_url}"
        props_: list[tuple[str, str | int]] = [("file", path), ("title", f"{finding.rule} {finding.name}")]
        return _command(COMMANDS[finding.severity], props_, message)
    props: list[tuple[str, str | int]] = [("file", path), ("line", finding.line)]
    if finding.end_line == finding.line:
        props.append(("col", finding.column))
    props.append(("endLine", finding.end_line))
    if finding.end_line == finding.line and finding.end_column > finding.column:
        props.append(("endColumn", finding.end_column))
    props.append(("title", f"{finding.rule} {finding.name}"))
    message = finding.message
    if finding.fix:
        message += f"\nfix: {finding.fix}"
    message += f"\nsee: {finding.doc_url}"
    return _command(COMMANDS[finding.severity], props, message)


def render_github(reports: Sequence[FileReport], *, root: str | None = None) -> str:
    root = root or repository_root()
    lines: list[str] = []
    for report in reports:
        if report.error is not None:
            path = relative_to(report.path, root) or report.path
            lines.append(_command("error", [("file", path), ("title", "sigcheck")], report.error))
        for finding in report.findings:
            lines.append(_annotation(finding, relative_to(finding.path, root) or finding.path))
    return "".join(line + "\n" for line in lines)


def render(reports: Sequence[FileReport], stream: TextIO, colour: bool, seconds: float) -> None:
    """The registry's entry point (sigcheck.report): this format has no colour and no timing."""
    stream.write(render_github(reports))
