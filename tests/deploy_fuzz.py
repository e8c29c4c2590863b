"""The properties of the whole deployment lint on one generated input, shared by
tests/test_deploy_fuzz.py (a few hundred seeds) and `tools/fuzz_yaml.py --lint` (the long run).

The loaders have their own properties (tools/fuzz_yaml.py without `--lint`); these are
about what the user sees once the chain, the rules and the reporters have run:

- `lint_compose` / `lint_manifests` never reach their last-resort guard (an error
  starting with INTERNAL_ERROR is a traceback caught and flattened);
- every error is one line, in the report of a file the input names (the YAML file or a
  Dockerfile its services build), and a YAML error starts with the YAML file's path;
- every finding lies inside the file it names;
- every output format renders, and the JSON ones parse;
- through the CLI entry (`sigcheck --format F PATH`): exit 0, 1 or 2, no exception
  escapes click, each stderr line names the file.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable
from pathlib import Path

from click.testing import CliRunner

from sigcheck.cli import main
from sigcheck.deploy_lint import lint_compose, lint_manifests
from sigcheck.findings import FileReport
from sigcheck.lint import INTERNAL_ERROR, LintOptions
from sigcheck.report import FORMATS, render

__all__ = ["FORMATS_JSON", "check_cli", "check_lint", "report_problem", "write_project"]

OPTIONS = LintOptions()
FORMATS_JSON = frozenset({"json", "sarif", "gitlab"})
COMPOSE_NAME = "compose.yaml"
MANIFEST_NAME = "stream.yaml"

# What the grammar's `build:` values point at (`.`, `./app`, a `target: prod`): a shell-form
# CMD, an entry script without exec and a stage name, so the rules have work to do.
_DOCKERFILES = {
    "Dockerfile": (
        "FROM node:20\nWORKDIR /app\nCOPY server.js entry.sh /app/\n"
        'ENTRYPOINT ["/app/entry.sh"]\nCMD node server.js\n'
    ),
    "entry.sh": '#!/bin/sh\necho starting\n"$@"\n',
    "server.js": "require('http').createServer().listen(8080)\n",
    "app/Dockerfile": (
        'FROM python:3.12 AS prod\nCOPY app.py /app.py\nSTOPSIGNAL SIGINT\nCMD ["python", "/app.py"]\n'
    ),
    "app/app.py": "import time\nwhile True:\n    time.sleep(1)\n",
}


def write_project(root: Path) -> None:
    """The build contexts the generated Compose files name, under `root`."""
    for name, text in _DOCKERFILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "entry.sh").chmod(0o755)


def _lines(path: str, cache: dict[str, int], texts: dict[str, str]) -> int:
    if path not in cache:
        text = texts.get(path)
        if text is None:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        cache[path] = text.count("\n") + 1
    return cache[path]


def report_problem(
    reports: list[FileReport], yaml_path: str, text: str, root: Path, formats: Iterable[str] = FORMATS
) -> str | None:
    """What breaks the properties in these reports, or None."""
    inside = str(root) + os.sep
    counts: dict[str, int] = {}
    texts = {yaml_path: text}
    for report in reports:
        path = os.path.abspath(report.path)
        if path != yaml_path and not path.startswith(inside):
            return f"a report names a file outside the project: {report.path}"
        if report.error is not None:
            error = report.error
            if error.startswith(INTERNAL_ERROR):
                return f"internal error: {error}"
            if "\n" in error or "\r" in error:
                return f"error of several lines: {error!r}"
            if path == yaml_path and not error.startswith((report.path, "service ")):
                return f"a YAML error that does not name its file: {error!r}"
        for finding in report.findings:
            if finding.logical is not None:
                continue
            where = os.path.abspath(finding.path)
            if where != path and finding.path not in report.sources:
                # An entry script's finding is in its Dockerfile's report, with its text.
                return f"a finding of {finding.path} in the report of {report.path}"
            if finding.path in report.sources:
                texts.setdefault(where, report.sources[finding.path])
            lines = _lines(where, counts, texts)
            if not 1 <= finding.line <= finding.end_line <= lines or finding.column < 1:
                return f"finding outside {finding.path} ({lines} lines): {finding}"
    for fmt in formats:
        out = io.StringIO()
        render(fmt, reports, out, False, 0.0)
        if fmt in FORMATS_JSON:
            json.loads(out.getvalue())
    return None


def check_lint(kind: str, text: str, root: Path, formats: Iterable[str] = FORMATS) -> str | None:
    """Lint one generated input (the text as an overlay: nothing is written), render it in
    `formats`, and report the first broken property, or None. Exceptions propagate: they
    are the failures."""
    if kind == "compose":
        path = str(root / COMPOSE_NAME)
        reports = lint_compose([path], OPTIONS, texts={path: text})
    else:
        path = str(root / MANIFEST_NAME)
        reports = lint_manifests(path, text, OPTIONS)
    return report_problem(reports, path, text, root, formats)


def check_cli(kind: str, text: str, root: Path, fmt: str) -> str | None:
    """The same input written to disk and linted by the CLI entry in format `fmt`."""
    path = root / (COMPOSE_NAME if kind == "compose" else MANIFEST_NAME)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(main, ["--format", fmt, "--isolated", str(path)], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"{type(result.exception).__name__} escaped the CLI: {result.exception}"
    if result.exit_code not in (0, 1, 2):
        return f"exit {result.exit_code}"
    if INTERNAL_ERROR in result.output or "Traceback" in result.output:
        return f"internal error in the {fmt} output: {result.output[-300:]!r}"
    if fmt in FORMATS_JSON:
        try:
            json.loads(result.stdout)
        except ValueError as exc:
            return f"{fmt} output is not JSON: {exc}"
    return None
