"""Findings -> LSP diagnostics: range, code, rule page, severity, related information."""

from __future__ import annotations

from lsprotocol import types

from sigcheck.findings import Finding, Severity
from sigcheck.server.positions import Encoding, TextLines

__all__ = ["SOURCE", "lsp_range", "problem_diagnostic", "severity_of", "to_diagnostic"]

SOURCE = "sigcheck"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.STYLE: types.DiagnosticSeverity.Hint,
}


def severity_of(severity: Severity, threshold: str | None) -> types.DiagnosticSeverity:
    """A finding below the configured failure threshold would not fail CI: a hint."""
    if threshold == "none" or (threshold is not None and severity < Severity.parse(threshold)):
        return types.DiagnosticSeverity.Hint
    return _SEVERITY[severity]


def lsp_range(
    lines: TextLines, line: int, column: int, end_line: int, end_column: int, encoding: Encoding
) -> types.Range:
    """A sigcheck span -> an LSP range. A span of nothing at the start of a line (1:1-1:1,
    how a finding about a whole line may be written) covers the line's text instead, or
    no editor would show it."""
    if (line, column) == (end_line, end_column) and column == 1:
        content = lines.content(line)
        stripped = content.lstrip()
        column = len(content) - len(stripped) + 1
        end_column = len(content.rstrip()) + 1
        if end_column < column:
            column = end_column = 1
    start = lines.to_client(line, column, encoding)
    end = lines.to_client(end_line, end_column, encoding)
    if end < start:
        end = start
    return types.Range(types.Position(*start), types.Position(*end))


def to_diagnostic(
    finding: Finding,
    lines: TextLines,
    encoding: Encoding,
    threshold: str | None,
    related: list[types.DiagnosticRelatedInformation] | None = None,
) -> types.Diagnostic:
    message = finding.message
    if finding.fix:
        message += f"\nfix{' [fixable]' if finding.fix_safe else ''}: {finding.fix}"
    return types.Diagnostic(
        range=lsp_range(lines, finding.line, finding.column, finding.end_line, finding.end_column, encoding),
        message=message,
        severity=severity_of(finding.severity, threshold),
        code=finding.rule,
        code_description=types.CodeDescription(href=finding.doc_url),
        source=SOURCE,
        related_information=related or None,
    )


def problem_diagnostic(message: str, line: int, lines: TextLines, encoding: Encoding) -> types.Diagnostic:
    """A file sigcheck could not lint (BuildKit would reject it, too large, ...): one
    diagnostic on the line named, so the reason is in sight rather than in a log."""
    line = min(max(line, 1), max(len(lines), 1))
    return types.Diagnostic(
        range=lsp_range(lines, line, 1, line, 1, encoding),
        message=f"not linted: {message}",
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )
