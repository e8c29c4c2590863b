"""Command line: `sigcheck [OPTIONS] PATH...`.

Exit codes follow hadolint and ruff: 0 when no finding reaches the failure
threshold, 1 when one does, 2 for a usage error or a file that could not be
linted (the other files are still linted and reported).
"""

from __future__ import annotations

import os
import sys
import time

import click

from sigcheck import __version__
from sigcheck.discover import discover
from sigcheck.findings import Severity
from sigcheck.lint import FileReport, LintOptions, lint_file
from sigcheck.load.files import DEFAULT_MAX_BYTES

__all__ = ["main"]

THRESHOLDS = ("error", "warning", "info", "style", "none")


def _expand_paths(paths: tuple[str, ...]) -> tuple[list[str], list[FileReport]]:
    files: list[str] = []
    problems: list[FileReport] = []
    for path in paths:
        if path != "-" and os.path.isdir(path):
            found = list(discover(path))
            if not found:
                problems.append(
                    FileReport(path, error="no Dockerfile or Containerfile found in this directory")
                )
            files += found
        else:
            files.append(path)
    return files, problems


def _use_colour(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=str)
@click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--target", metavar="STAGE", help="Lint this build stage instead of the final one.")
@click.option(
    "--context",
    "context_dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Build context (default: the Dockerfile's directory).",
)
@click.option(
    "--failure-threshold",
    "-t",
    type=click.Choice(THRESHOLDS),
    default="warning",
    show_default=True,
    help="Exit 1 when a finding has this severity or worse; 'none' never fails on findings.",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    metavar="BYTES",
    help="Refuse files larger than this.",
)
@click.version_option(__version__, "--version", "-V", prog_name="sigcheck")
def main(
    paths: tuple[str, ...],
    output_format: str,
    target: str | None,
    context_dir: str | None,
    failure_threshold: str,
    max_file_size: int,
) -> None:
    """Lint Dockerfiles for container signal-handling pitfalls.

    PATHS are Dockerfiles, directories to search for Dockerfile, Dockerfile.*,
    *.dockerfile and Containerfile (honouring .gitignore), or - for stdin.
    """
    started = time.perf_counter()
    options = LintOptions(target=target, context=context_dir, max_bytes=max_file_size)
    files, problems = _expand_paths(paths)
    reports = problems + [lint_file(path, options) for path in files]
    for report in reports:
        if report.error is not None:
            click.echo(f"sigcheck: {_safe(report.path)}: {report.error}", err=True)
    if output_format == "json":
        from sigcheck.report.json_format import render_json

        sys.stdout.write(render_json(reports))
    else:
        from sigcheck.report.text_format import render_text

        render_text(reports, sys.stdout, _use_colour(sys.stdout), time.perf_counter() - started)
    sys.stdout.flush()
    sys.exit(_exit_code(reports, failure_threshold))


def _safe(text: str) -> str:
    from sigcheck.report.text_format import printable

    return printable(text)


def _exit_code(reports: list[FileReport], threshold: str) -> int:
    if any(r.error is not None for r in reports):
        return 2
    if threshold == "none":
        return 0
    limit = Severity.parse(threshold)
    worst = max((f.severity for r in reports for f in r.findings), default=None)
    return 1 if worst is not None and worst >= limit else 0
