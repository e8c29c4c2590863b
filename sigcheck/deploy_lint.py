"""Compose files and Kubernetes manifests: lint each container as the deployment runs it.

The same pipeline as a Dockerfile (`lint.lint_source`), with the deployment's
`Runtime` (its command, entrypoint, init, stop signal, grace period, PID
namespace) instead of a bare `docker run`:

- a Compose service with `build:` lints that Dockerfile and stage with the
  service's overrides; one with only `image:` (and every Kubernetes container,
  which has no build information) lints the Dockerfile that builds that image
  when the run says which (`load/image_map.py`: a service of the same Compose
  project with both `image:` and `build:`, then `[tool.sigcheck.images]`, then
  such a service of any other Compose file of the same `sigcheck` run), else
  the knowledge base's config of that image, with no files;
- a finding stays where its words are written: at a Dockerfile line in the
  Dockerfile, at an override in the YAML file; every message names the service
  or the workload and container, since one Dockerfile may serve several;
- what the deployment overrides is not in the chain, so a Dockerfile CMD the
  service replaces is not reported from here (the Dockerfile linted on its own
  keeps its findings).

PyYAML is imported only from the functions that read YAML: a Dockerfile run
never pays for it.
"""

# No `from __future__ import annotations` here: the modules this one imports define
# NamedTuples, and this one follows their convention.

import functools
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sigcheck.findings import FileReport, Finding
from sigcheck.lint import LintOptions, error_text, guarded, lint_read, lint_source, run_rules
from sigcheck.load.files import LoadError, read_text
from sigcheck.load.image_map import ImageSource, find_image, split_reference
from sigcheck.load.source import read_source
from sigcheck.model.chain import build_chain
from sigcheck.model.image import image_config
from sigcheck.rules import Context
from sigcheck.runtime import Runtime
from sigcheck.span import Span

if TYPE_CHECKING:
    from sigcheck.load.compose import ComposeProject, ComposeService

__all__ = [
    "hook_file",
    "images_built",
    "is_deployment_file",
    "lint_compose",
    "lint_manifests",
    "lint_yaml_input",
    "merge_reached",
    "run_images",
]

# SIG001 (an ignore comment that silenced nothing) is about the Dockerfile as a whole:
# a service that overrides its CMD would make every ignore of the CMD look unused.
_DOCKERFILE_ONLY = frozenset({"SIG001"})


def lint_yaml_input(path: str, options: LintOptions) -> list[FileReport]:
    """A YAML path, or standard input (recognised by its content: `helm template . |
    sigcheck -`): a Compose file, a Kubernetes manifest stream, or (stdin) a Dockerfile.
    `sigcheck.lint.lint_input` sends only those here, so a Dockerfile run never imports
    this module (nor load.manifests, whose regexes cost about a millisecond)."""
    from sigcheck.load.manifests import classify_yaml

    try:
        source, text = read_source(path, options.max_bytes)
        kind = classify_yaml(path if not source.is_stdin else "-", text)
    except Exception as exc:  # unreadable: one line, exit 2
        return [FileReport(path, error=error_text(exc, options))]
    if kind == "compose":
        return lint_compose([path], options, texts={path: text})
    if kind == "kubernetes":
        return lint_manifests(path, text, options)
    if source.is_stdin:
        return [lint_read(path, source, text, options)]  # a Dockerfile on standard input
    return [FileReport(path, error="neither a Compose file nor a Kubernetes manifest")]


def is_deployment_file(path: str, max_bytes: int) -> bool:
    """For directory discovery: a Compose file by name (not an override, which the file
    beside it merges), or YAML whose content is Compose or Kubernetes."""
    from sigcheck.load.manifests import classify_yaml, is_compose_file_name, is_override_file_name

    if is_override_file_name(path):
        return False
    if is_compose_file_name(path):
        return True
    try:
        return classify_yaml(path, read_text(path, max_bytes)) is not None
    except (LoadError, OSError):
        return True  # unreadable: linting it says why


def hook_file(path: str, max_bytes: int) -> str | None:
    """For a hook that passes every changed YAML file (pre-commit's `--skip-other-yaml`):
    the file to lint for `path`, or None to skip it silently, as directory discovery does.
    An override file stands for the Compose file beside it, which merges it; alone it
    is no project (Compose never runs one without its base file)."""
    from sigcheck.load.manifests import COMPOSE_FILE_NAMES, is_override_file_name

    if not is_override_file_name(path):
        return path if is_deployment_file(path, max_bytes) else None
    directory = os.path.dirname(path)
    for name in COMPOSE_FILE_NAMES:
        base = os.path.join(directory, name)
        if os.path.isfile(base):
            return base
    return None


def lint_compose(
    paths: list[str], options: LintOptions, texts: Mapping[str, str] | None = None
) -> list[FileReport]:
    """Every service of the Compose project `paths` (merged in order)."""
    from sigcheck.load.compose import load_compose

    main = paths[0]
    try:
        project = load_compose(paths, texts=texts)
    except Exception as exc:
        return [FileReport(main, error=error_text(exc, options))]
    out = _Reports((*paths, *project.files))
    said: set[str | None] = set()
    # The project's own builds first: Compose tags what it builds, whatever the configuration says.
    built = images_built(project)
    for service in project.services:
        work = functools.partial(_service, service, main, options, said, built)
        out.add_all(guarded(main, options, work))
    for path in project.files:
        out.yaml_text(path, (texts or {}).get(path))
    return out.reports(main)


def _service(
    service: "ComposeService",
    main: str,
    options: LintOptions,
    said: set[str | None],
    project_images: tuple[ImageSource, ...] = (),
) -> FileReport:
    from sigcheck.load.compose import service_runtime

    runtime = service_runtime(service)
    label = runtime.label or f"service {service.name}"
    build = service.build
    if build is None:
        image = service.image.value if service.image is not None else None
        span = service.image.span if service.image is not None and service.image.span else service.span
        images = (*project_images, *options.images)
        return _container(main, image, span, runtime, options, said, images)
    if build.remote or build.outside_root or build.dockerfile is None:
        why = (
            "a remote build context"
            if build.remote
            else "an inline Dockerfile (dockerfile_inline)"
            if build.dockerfile is None
            else "a build context outside the project"
        )
        # Never read: a compose file must not make sigcheck open files outside the project.
        return FileReport(
            build.span.path, error=f"{label}: {why} is not read ({build.span.path}:{build.span.line})"
        )
    return _built(main, build.dockerfile, build.context, build.target, runtime, label, options)


def _built(
    main: str,
    dockerfile: str,
    context: str | None,
    target: str | None,
    runtime: Runtime,
    label: str,
    options: LintOptions,
) -> FileReport:
    """The Dockerfile and stage that build the container's image, with its deployment's
    overrides. An error goes in the report of `main`, the deployment file."""
    shown = _display(dockerfile)
    try:
        text = read_text(dockerfile, options.max_bytes)
        result = lint_source(text, shown, options._replace(target=target, context=context), runtime=runtime)
    except Exception as exc:
        # In the deployment file's report, which names the file but not the service nor the
        # Dockerfile: "no such file" alone leaves the user guessing which build it was.
        return FileReport(main, error=f"{label}: {shown}: {error_text(exc, options)}")
    report = FileReport(shown, findings=_labelled(result.findings, label), lines=result.lines)
    report.sources = result.sources
    return report


def _container(
    path: str,
    image: str | None,
    span: Span,
    runtime: Runtime,
    options: LintOptions,
    said: set[str | None] | None = None,
    images: tuple[ImageSource, ...] | None = None,
) -> FileReport:
    """A container that names an image: the Dockerfile that builds it when the run or the
    configuration says which (`images`: the Compose project's, then `options.images`).
    Else its config from the knowledge base, no files, the deployment's overrides; `said`:
    the images whose being unknown (SIG501, at the `image:` node) this file already
    reported, so it is said once."""
    built = find_image(options.images if images is None else images, image)
    if built is not None:
        label = runtime.label or "the container"
        return _built(path, built.dockerfile, built.context, built.target, runtime, label, options)
    config = image_config(image)
    chain = build_chain(config, None, runtime)
    findings = run_rules(Context(path, config, chain, None, runtime, None, span), options)
    if said is not None:
        at_image = [f for f in findings if f.rule == "SIG501" and (f.path, f.line) == (span.path, span.line)]
        if image in said:
            findings = [f for f in findings if f not in at_image]
        elif at_image:
            said.add(image)
    return FileReport(path, findings=_labelled(findings, runtime.label))


def images_built(project: "ComposeProject") -> tuple[ImageSource, ...]:
    """What a Compose project builds and tags: each service with both `image:` and a
    `build:` sigcheck can read (Compose names the image it builds so)."""
    sources: list[ImageSource] = []
    for service in project.services:
        build, image = service.build, service.image
        if build is None or image is None or not image.value or build.dockerfile is None:
            continue
        if build.remote or build.outside_root:
            continue
        name, tag = split_reference(image.value)
        origin = f"service {service.name} ({_display(service.span.path)})"
        sources.append(ImageSource(name, tag, build.dockerfile, build.target, build.context, origin))
    return tuple(sources)


def run_images(projects: list[list[str]], options: LintOptions) -> tuple[ImageSource, ...]:
    """The images the run's Compose files build, for the run's other deployment files (a
    Kubernetes manifest that runs `myorg/api:1`, another Compose project). A file that does
    not load is skipped here: linting it says why."""
    from sigcheck.load.compose import load_compose
    from sigcheck.load.manifests import classify_yaml

    sources: list[ImageSource] = []
    for paths in projects:
        try:
            text = read_text(paths[0], options.max_bytes)
            if len(paths) == 1 and classify_yaml(paths[0], text) != "compose":
                continue
            sources.extend(images_built(load_compose(paths)))
        except Exception:  # reported when the file itself is linted
            continue
    return tuple(sources)


def lint_manifests(path: str, text: str, options: LintOptions) -> list[FileReport]:
    """Every long-running container of every workload in a manifest stream."""
    from sigcheck.load.kubernetes import container_runtime, load_manifests

    try:
        containers = load_manifests(text, path)
    except Exception as exc:
        return [FileReport(path, error=error_text(exc, options))]
    out = _Reports((path,))
    said: set[str | None] = set()
    for container in containers:
        if container.one_shot:
            continue  # runs to completion: nobody stops it
        image = container.image.value if container.image is not None else None
        span = (
            container.image.span if container.image is not None and container.image.span else container.span
        )
        runtime = container_runtime(container)
        out.add_all(
            guarded(path, options, functools.partial(_container, path, image, span, runtime, options, said))
        )
    out.yaml_text(path, text)
    return out.reports(path)


def _labelled(findings: list[Finding], label: str | None) -> list[Finding]:
    findings = [f for f in findings if f.rule not in _DOCKERFILE_ONLY]
    if label is None:
        return findings
    # No `--fix` edit from here: the fixer re-lints a path as a Dockerfile, and an edit to
    # a shared Dockerfile must not follow from one service's view of it.
    return [f._replace(message=f"{label}: {f.message}", edit=None, services=(label,)) for f in findings]


def merge_reached(reports: list[FileReport]) -> list[FileReport]:
    """One finding per pitfall in a run that lints a Dockerfile and a deployment of it
    (`sigcheck .`): a finding the deployment inherits from a Dockerfile line that the
    Dockerfile's own lint reports too is dropped from the deployment's report, and the
    Dockerfile's finding names the services it reaches. A report left empty by that is
    dropped when the Dockerfile's own report stands for the same file."""

    def key(finding: Finding) -> tuple[str, str, int, int]:
        return (finding.rule, os.path.realpath(finding.path), finding.line, finding.column)

    own: dict[tuple[str, str, int, int], tuple[FileReport, int]] = {}
    for report in reports:
        for index, finding in enumerate(report.findings):
            if not finding.services:
                own.setdefault(key(finding), (report, index))
    if not own:
        return reports
    reached: dict[tuple[str, str, int, int], list[str]] = {}
    emptied: list[FileReport] = []
    for report in reports:
        kept = [f for f in report.findings if not f.services or key(f) not in own]
        for finding in report.findings:
            if finding.services and key(finding) in own:
                reached.setdefault(key(finding), []).extend(finding.services)
        if len(kept) < len(report.findings):
            report.findings = kept
            if not kept and report.error is None:
                emptied.append(report)
    for found, services in reached.items():
        report, index = own[found]
        names = tuple(dict.fromkeys(services))
        finding = report.findings[index]
        listed = ", ".join(names)
        report.findings[index] = finding._replace(
            message=f"{finding.message} It reaches {listed} too.", services=names
        )
    linted = {os.path.realpath(report.path) for report in reports if report not in emptied}
    return [r for r in reports if r not in emptied or os.path.realpath(r.path) not in linted]


def _display(path: str) -> str:
    """A path as the user would type it: relative to the working directory when below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


class _Reports:
    """Findings regrouped by file: those at a YAML node in that YAML file's report, the
    others in the report of the Dockerfile they came from (with its lines and the entry
    scripts' text for code frames), one report per file, in the order first met."""

    def __init__(self, yaml_paths: tuple[str, ...]) -> None:
        self.yaml_paths = frozenset(yaml_paths)
        self.by_path: dict[str, FileReport] = {}
        self.errors: list[FileReport] = []

    def add_all(self, report: FileReport) -> None:
        if report.error is not None:
            self.errors.append(report)
        for finding in report.findings:
            owner = finding.path if finding.path in self.yaml_paths else report.path
            if owner == finding.path and finding.path in self.yaml_paths:
                # A YAML node's span has a line and column and names its key path
                # (`services.web.command`); to the reporters a logical name means "no text
                # of its own", which would drop the line: the position is the fact here.
                finding = finding._replace(logical=None)
            target = self.by_path.setdefault(owner, FileReport(owner))
            target.findings.append(finding)
            if owner == report.path and report.lines and not target.lines:
                target.lines = report.lines
            if owner == report.path:
                target.sources.update(report.sources)

    def yaml_text(self, path: str, text: str | None) -> None:
        report = self.by_path.get(path)
        if report is None or report.lines:
            return
        if text is None:
            try:
                text = read_text(path)
            except (LoadError, OSError):
                return
        report.lines = text.splitlines()

    def reports(self, main: str) -> list[FileReport]:
        reports = list(self.by_path.values())
        for report in reports:
            report.findings.sort(key=Finding.sort_key)
        if not reports and not self.errors:
            return [FileReport(main)]  # linted, nothing found: the file still counts
        return reports + self.errors
