"""`--format gitlab`: a GitLab Code Quality report (`artifacts:reports:codequality`).

A JSON array of issues with the keys GitLab requires (docs "Code Quality",
"Code Quality report format"): `description`, `check_name`, `fingerprint`
(unique in the report, stable across commits), `severity` (info, minor, major,
critical, blocker) and `location.path` (relative to the project root) with
`location.lines.begin`. UTF-8 without a BOM: GitLab rejects a BOM.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from sigcheck.findings import FileReport, Severity
from sigcheck.report.common import fingerprinted, relative_to, repository_root

__all__ = ["SEVERITIES", "render", "render_gitlab"]

# error: the app is SIGKILLed mid-shutdown on every deploy; blocker is left for
# what stops a build.
SEVERITIES = {
    Severity.ERROR: "critical",
    Severity.WARNING: "major",
    Severity.INFO: "minor",
    Severity.STYLE: "info",
}


def render_gitlab(reports: Sequence[FileReport], *, root: str | None = None) -> str:
    root = root or repository_root()
    issues: list[dict[str, Any]] = []
    for _, finding, fingerprint in fingerprinted(reports, with_path=True):
        description = f"{finding.rule} {finding.name}: {finding.message}"
        lines = {"begin": finding.line, "end": finding.end_line}
        if finding.logical is not None:
            # In an image archive: GitLab needs a line; 1 of the archive, the place in the text.
            description = f"{finding.rule} {finding.name}: {finding.logical}: {finding.message}"
            lines = {"begin": 1, "end": 1}
        if finding.fix:
            description += f" Fix: {finding.fix}"
        issues.append(
            {
                "type": "issue",
                "description": description,
                "check_name": finding.rule,
                "fingerprint": fingerprint,
                "severity": SEVERITIES[finding.severity],
                "categories": ["Bug Risk"],
                "location": {
                    "path": relative_to(finding.path, root) or finding.path,
                    "lines": lines,
                },
                "content": {"body": f"See {finding.doc_url}"},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def render(reports: Sequence[FileReport], stream: TextIO, colour: bool, seconds: float) -> None:
    """The registry's entry point (sigcheck.report): this format has no colour and no timing."""
    stream.write(render_gitlab(reports))
