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

from sigcheck.findings import FileReport
from sigcheck.server.diagnostics import problem_diagnostic, to_diagnostic
from sigcheck.server.engine import Entry, LintJob, LintOutcome, _text_of
from sigcheck.server.positions import TextLines

__all__ = ["YAML_LANGUAGES", "is_yaml_name", "run_yaml_lint"]

YAML_LANGUAGES = frozenset({"yaml", "dockercompose", "docker-compose"})  # VS Code's Docker extension; Helix
_LINE = re.compile(r":(\d+):")


def is_yaml_name(path: str) -> bool:
    return path.endswith((".yml", ".yaml"))


def _reports(job: LintJob) -> tuple[list[FileReport], frozenset[str]]:
    from sigcheck.deploy_lint import lint_compose, lint_manifests
    from sigcheck.load.manifests import classify_yaml

    kind = classify_yaml(job.path, job.text)
    if kind is None:
        return [], frozenset()
    if kind == "kubernetes":
        return lint_manifests(job.path, job.text, job.options), frozenset()
    texts = {job.path: job.text}
    return lint_compose([job.path], job.options, texts=texts), _compose_reads(job, texts)


def _compose_reads(job: LintJob, texts: dict[str, str]) -> frozenset[str]:
    """The files the services build from and the merged YAML files: a change to one on
    disk re-lints the open Compose file (`didChangeWatchedFiles`)."""
    from sigcheck.load.compose import load_compose

    try:
        project = load_compose([job.path], texts=texts)
    except Exception:  # the lint reported it already
        return frozenset()
    files = {os.path.realpath(path) for path in project.files}
    for service in project.services:
        build = service.build
        if build is not None and build.dockerfile and not build.remote and not build.outside_root:
            files.add(os.path.realpath(build.dockerfile))
    return frozenset(files)


def run_yaml_lint(job: LintJob) -> LintOutcome:
    """Lint one YAML buffer; an error in it is one diagnostic, a bug propagates to the
    caller's guard (`engine.run_lint`)."""
    own = TextLines(job.text)
    texts: dict[str, str] = {job.file: job.text}
    from_disk = job._replace(overlay={})  # what deploy_lint read of the other files
    reports, reads = _reports(job)
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
            diagnostic = to_diagnostic(finding, lines[file], job.encoding, job.threshold)
            entries.setdefault(file, []).append(Entry(finding, diagnostic))
    return LintOutcome(job, entries, reads | (frozenset(entries) | stale) - {job.file}, None, texts)
