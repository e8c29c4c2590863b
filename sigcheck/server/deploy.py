"""One lint of a Compose file or Kubernetes manifest for the editor (on the worker thread).

The YAML is recognised by its content as `sigcheck .` recognises it
(`load.manifests.classify_yaml`); YAML that is neither stays silent: no
diagnostics, no error. The lint is `deploy_lint`'s, on the unsaved buffer of the
YAML file; the Dockerfiles its services build (and their entry scripts) are read
from disk, as `sigcheck compose.yaml` reads them, and a finding in one is shown on
that file's URI, its range computed on the text the lint read; not while that
file's open buffer differs from the disk (the lines would be another text's).
"""

# No `from __future__ import annotations` here: engine's NamedTuples are built from it.

import os
import re
from typing import NamedTuple

from lsprotocol import types

from sigcheck.findings import FileReport
from sigcheck.server.diagnostics import lsp_range, problem_diagnostic, to_diagnostic
from sigcheck.server.engine import Entry, LintJob, LintOutcome, _text_of, _uri
from sigcheck.server.positions import TextLines
from sigcheck.span import Span

__all__ = ["YAML_LANGUAGES", "is_yaml_name", "run_yaml_lint"]

YAML_LANGUAGES = frozenset({"yaml", "dockercompose", "docker-compose"})  # VS Code's Docker extension; Helix
_LINE = re.compile(r":(\d+):")


def is_yaml_name(path: str) -> bool:
    return path.endswith((".yml", ".yaml"))


class _Compose(NamedTuple):
    reads: frozenset[str]
    services: dict[str, Span]  # "service NAME" (the label its findings start with) -> its key


def _reports(job: LintJob) -> tuple[list[FileReport], _Compose]:
    from sigcheck.deploy_lint import lint_compose, lint_manifests
    from sigcheck.load.manifests import classify_yaml

    kind = classify_yaml(job.path, job.text)
    if kind is None:
        return [], _Compose(frozenset(), {})
    if kind == "kubernetes":
        return lint_manifests(job.path, job.text, job.options), _Compose(frozenset(), {})
    texts = {job.path: job.text}
    return lint_compose([job.path], job.options, texts=texts), _compose(job, texts)


def _compose(job: LintJob, texts: dict[str, str]) -> _Compose:
    """The files the services build from and the merged YAML files (a change to one on
    disk re-lints the open Compose file), and where each service is named."""
    from sigcheck.load.compose import load_compose

    try:
        project = load_compose([job.path], texts=texts)
    except Exception:  # the lint reported it already
        return _Compose(frozenset(), {})
    files = {os.path.realpath(path) for path in project.files}
    for service in project.services:
        build = service.build
        if build is not None and build.dockerfile and not build.remote and not build.outside_root:
            files.add(os.path.realpath(build.dockerfile))
    services = {f"service {s.name}": s.span for s in project.services if s.span.path == job.path}
    return _Compose(frozenset(files), services)


def _service_link(
    message: str, compose: _Compose, job: LintJob, own: TextLines
) -> list[types.DiagnosticRelatedInformation]:
    """A Dockerfile or script finding a service reaches links to that service's key."""
    label, _, _ = message.partition(": ")
    span = compose.services.get(label)
    if span is None:
        return []
    where = lsp_range(own, span.line, span.column, span.end_line, span.end_column, job.encoding)
    text = f"{label} in {os.path.basename(job.path)} runs this"
    return [types.DiagnosticRelatedInformation(types.Location(_uri(job.file, job), where), text)]


def run_yaml_lint(job: LintJob) -> LintOutcome:
    """Lint one YAML buffer; an error in it is one diagnostic, a bug propagates to the
    caller's guard (`engine.run_lint`)."""
    own = TextLines(job.text)
    texts: dict[str, str] = {job.file: job.text}
    from_disk = job._replace(overlay={})  # what deploy_lint read of the other files
    reports, compose = _reports(job)
    entries: dict[str, list[Entry]] = {job.file: []}
    lines: dict[str, TextLines] = {job.file: own}
    stale: set[str] = set()
    for report in reports:
        if report.error is not None:
            match = _LINE.search(report.error)
            line = int(match.group(1)) if match else 1
            entries[job.file].append(Entry(None, problem_diagnostic(report.error, line, own, job.encoding)))
        for finding in report.findings:
            file = job.file if finding.path == job.path else os.path.realpath(finding.path)
            if file not in lines:
                lines[file] = TextLines(_text_of(file, from_disk, texts))
            if file in job.overlay and job.overlay[file] != texts[file]:
                # Its buffer has unsaved changes: lines of the disk copy would point at other
                # text there. Its own lint shows the buffer; this comes back when it is saved.
                stale.add(file)
                continue
            related = _service_link(finding.message, compose, job, own) if file != job.file else None
            diagnostic = to_diagnostic(finding, lines[file], job.encoding, job.threshold, related)
            entries.setdefault(file, []).append(Entry(finding, diagnostic))
    reads = compose.reads | (frozenset(entries) | stale) - {job.file}
    return LintOutcome(job, entries, reads, None, texts)
