"""`--format json`: the contract in design.md, {"version": 1, "findings": [...], "errors": [...]}."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from sigcheck.findings import Edit, FileReport, Finding

__all__ = ["edit_dict", "finding_dict", "render", "render_json"]


def finding_dict(finding: Finding) -> dict[str, Any]:
    row = {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.label,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "message": finding.message,
        "fix": finding.fix,
        "fix_applicable": finding.fix_safe,
        "edit": edit_dict(finding.edit) if finding.edit is not None else None,
        "chain": list(finding.chain) if finding.chain else None,
        "url": finding.doc_url,
    }
    if finding.logical is not None:
        row["logical"] = finding.logical  # only then: Dockerfile reports keep their shape
    return row


def edit_dict(edit: Edit) -> dict[str, Any]:
    """What `--fix` would do: replace this span (1-based, end exclusive) of `path`."""
    return {
        "path": edit.path,
        "line": edit.line,
        "column": edit.column,
        "end_line": edit.end_line,
        "end_column": edit.end_column,
        "replacement": edit.replacement,
    }


def render_json(reports: Sequence[FileReport]) -> str:
    findings = [finding_dict(f) for report in reports for f in report.findings]
    errors = [{"path": r.path, "message": r.error} for r in reports if r.error is not None]
    return json.dumps({"version": 1, "findings": findings, "errors": errors}, indent=2) + "\n"


def render(reports: Sequence[FileReport], stream: TextIO, colour: bool, seconds: float) -> None:
    """The registry's entry point (sigcheck.report): this format has no colour and no timing."""
    stream.write(render_json(reports))
