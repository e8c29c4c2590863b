"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

What GitHub reads (docs "SARIF support for code scanning"): `tool.driver.rules`
with `shortDescription`, `fullDescription`, `help.text`/`help.markdown`,
`helpUri`, `defaultConfiguration.level` and `properties.tags`/`precision`/
`problem.severity`; each result's `ruleId`/`ruleIndex`, `level`, `message.text`,
a physical location relative to the repository root (`uriBaseId: %SRCROOT%`),
and `partialFingerprints` to follow an alert when lines move. Columns are
Unicode code points (`columnKind`), as sigcheck counts them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from sigcheck import __version__
from sigcheck.docs import RulePage, absolute_links, rule_page
from sigcheck.findings import DOCS_URL, FileReport, Finding, Severity
from sigcheck.report.common import SourceLines, fingerprinted, relative_to, repository_root
from sigcheck.rules import ALL_RULES, Rule

__all__ = ["FINGERPRINT_KEY", "INFORMATION_URI", "SCHEMA_URI", "render", "render_sarif", "rule_descriptor"]

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/sigcheck/sigcheck"
FINGERPRINT_KEY = "sigcheckFingerprint/v1"
SRCROOT = "%SRCROOT%"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.STYLE: "note"}
# GitHub code scanning's own scale for non-security alerts.
PROBLEM_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "recommendation",
    Severity.STYLE: "recommendation",
}
FAMILY_TAGS = {
    "0": "ignores",
    "1": "shell-form",
    "2": "entry-script",
    "3": "init",
    "4": "stopsignal",
    "5": "entrypoint",
}


def _text(value: str, markdown: str | None = None) -> dict[str, str]:
    out = {"text": value}
    if markdown is not None:
        out["markdown"] = markdown
    return out


def _plain(markdown: str) -> str:
    """Markdown made readable as plain text: links show their target, no emphasis markers."""
    import re

    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", markdown)
    return re.sub(r"\*\*([^*]+)\*\*", r"\1", text)


def rule_descriptor(rule: Rule, page: RulePage | None = None) -> dict[str, Any]:
    """A `reportingDescriptor` for `rule`, with its page as the help when there is one."""
    url = DOCS_URL.format(rule=rule.id)
    if page is not None and page.sections.get("What it does"):
        what = absolute_links(page.sections["What it does"])
        full = _text(_plain(what), what)
        markdown = absolute_links(page.text)
        help_ = _text(_plain(markdown), markdown)
    else:
        full = _text(rule.summary)
        help_ = _text(f"{rule.summary}\n\nSee {url}", f"{rule.summary}\n\nSee [{rule.id}]({url}).")
    tags = ["docker", "signals", FAMILY_TAGS.get(rule.id[3:4], "signals")]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": _text(rule.summary),
        "fullDescription": full,
        "help": help_,
        "helpUri": url,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": list(dict.fromkeys(tags)),
            "precision": rule.precision,
            "problem.severity": PROBLEM_SEVERITY[rule.severity],
        },
    }


def _artifact(path: str, root: str) -> dict[str, str]:
    from urllib.parse import quote

    relative = relative_to(path, root)
    if relative is not None:
        return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}
    if path == "-":
        return {"uri": "stdin"}
    import pathlib

    return {"uri": pathlib.Path(path).resolve().as_uri()}


def _region(finding: Finding, lines: list[str] | None) -> dict[str, Any]:
    region: dict[str, Any] = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
    }
    # Without endColumn the region runs to the end of endLine (SARIF §3.30.8): used
    # where sigcheck knows the line but not the columns (script lines).
    if finding.end_line > finding.line or finding.end_column > finding.column:
        region["endColumn"] = finding.end_column
    if lines and finding.end_line <= len(lines):
        region["snippet"] = {"text": "\n".join(lines[finding.line - 1 : finding.end_line]) + "\n"}
    return region


def _message(finding: Finding) -> dict[str, str]:
    text = finding.message
    if finding.logical is not None:
        text = f"{finding.logical}: {text}"  # viewers show the message; few show logical locations
    if finding.fix:
        text += f"\nFix: {finding.fix}"
    return {"text": text}


def render_sarif(reports: Sequence[FileReport], *, root: str | None = None) -> str:
    import pathlib

    root = root or repository_root()
    rules = list(ALL_RULES)
    index = {rule.id: n for n, rule in enumerate(rules)}
    sources = SourceLines()
    results: list[dict[str, Any]] = []
    for report, finding, fingerprint in fingerprinted(reports, with_path=False, sources=sources):
        location: dict[str, Any]
        if finding.logical is not None:
            # In an image archive: the archive is the artifact, with no region (its lines are
            # no text); the image and the fact's place inside it are the logical location.
            location = {
                "physicalLocation": {"artifactLocation": _artifact(finding.path, root)},
                "logicalLocations": [{"fullyQualifiedName": finding.logical}],
            }
        else:
            location = {
                "physicalLocation": {
                    "artifactLocation": _artifact(finding.path, root),
                    "region": _region(finding, sources.lines(report, finding.path)),
                }
            }
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "level": LEVELS[finding.severity],
            "message": _message(finding),
            "locations": [location],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        }
        if finding.rule in index:
            result["ruleIndex"] = index[finding.rule]
        properties: dict[str, Any] = {"severity": finding.severity.label}
        if finding.chain:
            properties["chain"] = list(finding.chain)
        if finding.fix:
            properties["fix"] = finding.fix
            properties["fixApplicable"] = finding.fix_safe  # `sigcheck --fix` applies it
        result["properties"] = properties
        results.append(result)
    notifications = [
        {
            "level": "error",
            "message": {"text": report.error},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(report.path, root)}}],
        }
        for report in reports
        if report.error is not None
    ]
    invocation: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    sarif = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sigcheck",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_descriptor(rule, rule_page(rule.id)) for rule in rules],
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": {SRCROOT: {"uri": pathlib.Path(root).as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


def render(reports: Sequence[FileReport], stream: TextIO, colour: bool, seconds: float) -> None:
    """The registry's entry point (sigcheck.report): this format has no colour and no timing."""
    stream.write(render_sarif(reports))
