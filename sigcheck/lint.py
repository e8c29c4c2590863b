"""One file in, findings out: load -> model -> chain -> rules."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from sigcheck.findings import Finding
from sigcheck.load.dockerfile import DockerfileSyntaxError, parse_dockerfile
from sigcheck.load.files import DEFAULT_MAX_BYTES, LoadError, read_stdin, read_text
from sigcheck.model.chain import build_chain
from sigcheck.model.image import UnknownTarget, build_model
from sigcheck.rules import ALL_RULES, Context, Rule

__all__ = ["FileReport", "LintOptions", "lint_file", "lint_text"]


@dataclass(frozen=True, slots=True)
class LintOptions:
    target: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    rules: tuple[Rule, ...] = ALL_RULES


@dataclass(slots=True)
class FileReport:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    lines: list[str] | None = None  # source lines, kept for code frames


def lint_text(text: str, path: str, options: LintOptions = LintOptions()) -> list[Finding]:
    """Lint Dockerfile text; raises LoadError for what cannot be linted."""
    return _lint(text, path, options)[0]


def _lint(text: str, path: str, options: LintOptions) -> tuple[list[Finding], list[str]]:
    try:
        parsed = parse_dockerfile(text)
    except DockerfileSyntaxError as exc:
        raise LoadError(f"BuildKit would reject this file: {exc}") from None
    model = build_model(parsed)
    try:
        stage = model.target(options.target)
    except UnknownTarget as exc:
        raise LoadError(str(exc)) from None
    if stage is None:
        raise LoadError("no FROM instruction: not a Dockerfile BuildKit can build")
    ctx = Context(path, parsed, model, stage, build_chain(stage))
    findings: list[Finding] = []
    for rule in options.rules:
        findings.extend(rule.check(ctx))
    findings.sort(key=Finding.sort_key)
    return findings, parsed.lines


def lint_file(path: str, options: LintOptions = LintOptions()) -> FileReport:
    report = FileReport(path)
    try:
        if path == "-":
            text = read_stdin(sys.stdin.buffer, options.max_bytes)
        else:
            text = read_text(path, options.max_bytes)
        report.findings, lines = _lint(text, path, options)
        if report.findings:
            report.lines = lines
    except LoadError as exc:
        report.error = str(exc)
    return report


def lint_files(paths: Iterable[str], options: LintOptions) -> list[FileReport]:
    return [lint_file(path, options) for path in paths]
