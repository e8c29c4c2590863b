"""One lint of one Dockerfile for the editor: plain data in, plain data out.

Runs on a worker thread. Input is a snapshot taken on the protocol thread (the
Dockerfile's text, every open buffer keyed by real path, the options), so the
lint never reads the editor's state while it changes; output is the
diagnostics for every file the lint reports on (the Dockerfile and the entry
scripts it runs), the files it read, and the launch chain for hover.
"""

# No `from __future__ import annotations` here: this module defines NamedTuples.

import os
import re
import traceback
from collections.abc import Mapping
from typing import NamedTuple

from lsprotocol import types

from sigcheck.findings import Finding
from sigcheck.lint import LintOptions, lint_source
from sigcheck.load.files import LoadError, read_text
from sigcheck.server.diagnostics import problem_diagnostic, to_diagnostic
from sigcheck.server.launch import LaunchInfo, launch_info
from sigcheck.server.positions import Encoding, TextLines

__all__ = ["Entry", "LintJob", "LintOutcome", "run_lint"]

_LINE = re.compile(r"\bline (\d+):")


class LintJob(NamedTuple):
    file: str  # the Dockerfile's real path
    path: str  # its absolute path as the editor names it (findings in scripts are relative to it)
    text: str
    overlay: Mapping[str, str]  # real path -> unsaved text of every open buffer
    options: LintOptions
    threshold: str | None
    encoding: Encoding
    uris: Mapping[str, str]  # real path -> the URI the editor opened it under
    kind: str = "dockerfile"  # or "yaml": a Compose file or Kubernetes manifest (server.deploy)


class Entry(NamedTuple):
    finding: Finding | None  # None for a "could not lint" diagnostic
    diagnostic: types.Diagnostic


class LintOutcome(NamedTuple):
    job: LintJob
    entries: dict[str, list[Entry]]  # real path -> what to show in that file
    reads: frozenset[str]
    launch: LaunchInfo | None
    texts: dict[str, str]  # real path -> the text the entries' ranges refer to
    internal_error: str | None = None  # a bug in sigcheck: logged, never shown as a diagnostic


def _text_of(file: str, job: LintJob, cache: dict[str, str]) -> str:
    if file not in cache:
        if file in job.overlay:
            cache[file] = job.overlay[file]
        else:
            try:
                cache[file] = read_text(file, job.options.max_bytes)
            except LoadError:
                cache[file] = ""  # positions are clamped to what there is
    return cache[file]


def _target(finding: Finding, job: LintJob) -> str:
    """The file the finding is shown in: where its words are (its fix may edit another)."""
    if finding.path == job.path:
        return job.file
    return os.path.realpath(finding.path)


def _uri(file: str, job: LintJob) -> str:
    from pygls.uris import from_fs_path

    return job.uris.get(file) or from_fs_path(file) or file


def _related(
    file: str, job: LintJob, launch: LaunchInfo | None, texts: TextLines
) -> list[types.DiagnosticRelatedInformation]:
    if launch is None or file == job.file:
        return []
    out = []
    for script in launch.scripts:
        if script.file == file and script.runner is not None:
            line, column, end_line, end_column = script.runner
            start = texts.to_client(line, column, job.encoding)
            end = texts.to_client(end_line, end_column, job.encoding)
            where = types.Location(
                _uri(job.file, job), types.Range(types.Position(*start), types.Position(*end))
            )
            message = f"{os.path.basename(job.path)}:{line} runs this script as {script.image_path}"
            out.append(types.DiagnosticRelatedInformation(where, message))
    return out


def _dockerfile_too_large(job: LintJob) -> str | None:
    size = len(job.text.encode("utf-8", "surrogatepass"))
    if size > job.options.max_bytes:
        return f"{size} bytes, larger than the limit of {job.options.max_bytes} (--max-file-size)"
    return None


def run_lint(job: LintJob) -> LintOutcome:
    """Lint one Dockerfile; never raises (an internal error comes back in the outcome)."""
    own = TextLines(job.text)
    texts: dict[str, str] = {job.file: job.text}
    problem = _dockerfile_too_large(job)
    if problem is not None:
        entry = Entry(None, problem_diagnostic(problem, 1, own, job.encoding))
        return LintOutcome(job, {job.file: [entry]}, frozenset(), None, texts)
    try:
        if job.kind == "yaml":
            from sigcheck.server.deploy import run_yaml_lint

            return run_yaml_lint(job)
        result = lint_source(job.text, job.path, job.options, job.overlay)
        launch = launch_info(result)
    except LoadError as exc:
        match = _LINE.search(str(exc))
        line = int(match.group(1)) if match else 1
        entry = Entry(None, problem_diagnostic(str(exc), line, own, job.encoding))
        return LintOutcome(job, {job.file: [entry]}, frozenset(), None, texts)
    except (RecursionError, MemoryError) as exc:
        message = f"input too deeply nested or too large to analyse ({type(exc).__name__})"
        entry = Entry(None, problem_diagnostic(message, 1, own, job.encoding))
        return LintOutcome(job, {job.file: [entry]}, frozenset(), None, texts)
    except Exception as exc:  # the last guard: a bug in one lint must not stop the server
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3))
        return LintOutcome(job, {}, frozenset(), None, texts, f"{type(exc).__name__}: {exc}\n{detail}")
    entries: dict[str, list[Entry]] = {job.file: []}
    lines: dict[str, TextLines] = {job.file: own}
    for finding in result.findings:
        file = _target(finding, job)
        if file not in lines:
            lines[file] = TextLines(_text_of(file, job, texts))
        related = _related(file, job, launch, own)
        diagnostic = to_diagnostic(finding, lines[file], job.encoding, job.threshold, related)
        entries.setdefault(file, []).append(Entry(finding, diagnostic))
    for script in launch.scripts if launch is not None else ():
        if script.file is not None:
            entries.setdefault(script.file, [])  # a clean script gets its old diagnostics cleared
    return LintOutcome(job, entries, result.reads, launch, texts)
