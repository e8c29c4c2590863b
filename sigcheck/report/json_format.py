"""`--format json`: the contract in design.md, {"version": 1, "findings": [...], "errors": [...]}."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sigcheck.findings import Finding
from sigcheck.lint import FileReport

__all__ = ["finding_dict", "render_json"]


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
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
        "chain": list(finding.chain) if finding.chain else None,
        "url": finding.doc_url,
    }


def render_json(reports: Sequence[FileReport]) -> str:
    findings = [finding_dict(f) for report in reports for f in report.findings]
    errors = [{"path": r.path, "message": r.error} for r in reports if r.error is not None]
    return json.dumps({"version": 1, "findings": findings, "errors": errors}, indent=2) + "\n"
