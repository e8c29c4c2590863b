"""One file in, findings out: load -> model -> chain -> rules."""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from sigcheck.config import FileIgnore
from sigcheck.findings import FileReport, Finding, Severity
from sigcheck.load.context import BuildContext, discover_context
from sigcheck.load.dockerfile import DockerfileSyntaxError, parse_dockerfile
from sigcheck.load.files import DEFAULT_MAX_BYTES, LoadError
from sigcheck.load.source import STDIN, Source, is_yaml_name, read_source
from sigcheck.model.chain import build_chain
from sigcheck.model.dockerfile_files import DockerfileFiles
from sigcheck.model.image import Model, Stage, UnknownTarget, build_model
from sigcheck.model.runtime import ASSUMED_INIT, DEFAULT_RUNTIME, Runtime
from sigcheck.pragmas import apply_ignores
from sigcheck.rules import ALL_RULES, Context, Rule
from sigcheck.rules.base import DockerfileView

if TYPE_CHECKING:
    from sigcheck.load.image_map import ImageSource

__all__ = [
    "INTERNAL_ERROR",
    "FileReport",
    "LintOptions",
    "LintResult",
    "error_text",
    "guarded",
    "lint_file",
    "lint_input",
    "lint_read",
    "lint_source",
    "lint_text",
]

# Prefix of the error a file gets when sigcheck itself failed on it (a bug, never expected).
INTERNAL_ERROR = "internal error in sigcheck"


class LintOptions(NamedTuple):
    target: str | None = None
    context: str | None = None  # build context; None: discovered from the Dockerfile's location
    max_bytes: int = DEFAULT_MAX_BYTES
    rules: tuple[Rule, ...] = ALL_RULES
    # From the configuration (`[tool.sigcheck]`, `.sigcheck.toml`) and the matching flags:
    assume_init: bool = False  # the runtime adds an init (`docker run --init`, compose `init: true`)
    severity: tuple[tuple[str, Severity], ...] = ()  # rule ID -> reported severity
    per_file_ignores: tuple[FileIgnore, ...] = ()
    debug: bool = False  # let unexpected exceptions propagate, with their traceback
    # Which Dockerfile builds an image a deployment names: `[tool.sigcheck.images]`, then
    # the services with both `image:` and `build:` of the run's other Compose files.
    images: "tuple[ImageSource, ...]" = ()  # a string: a Dockerfile run never imports load.image_map


DEFAULT_OPTIONS = LintOptions()


class LintResult(NamedTuple):
    findings: list[Finding]
    lines: list[str]  # the Dockerfile's lines, for code frames
    reads: frozenset[str]  # real paths of the build-context files the lint read
    sources: dict[str, str]  # text of the entry scripts findings point at, by their path
    context: Context  # what the rules read: the config, the chain, the files, the Dockerfile


def lint_text(
    text: str, path: str, options: LintOptions = DEFAULT_OPTIONS, overlay: Mapping[str, str] | None = None
) -> list[Finding]:
    """Lint Dockerfile text; raises LoadError for what cannot be linted.

    `overlay` maps real paths of build-context files to the text to read instead of
    theirs: `--fix` and `--diff` re-lint the entry scripts they rewrote before (or
    without) writing them."""
    return lint_source(text, path, options, overlay).findings


def lint_source(
    text: str,
    path: str,
    options: LintOptions = DEFAULT_OPTIONS,
    overlay: Mapping[str, str] | None = None,
    source: Source | None = None,
    runtime: Runtime | None = None,
) -> LintResult:
    """As `lint_text`, with the Dockerfile's lines and the files the lint read.

    `runtime`: what the deployment overrides (a Compose service); None: a bare
    `docker run`, with `--assume-init` from the options."""
    try:
        parsed = parse_dockerfile(text)
    except DockerfileSyntaxError as exc:
        raise LoadError(f"BuildKit would reject this file: {exc}") from None
    try:
        model = build_model(parsed, path)
    except DockerfileSyntaxError as exc:
        raise LoadError(f"BuildKit would reject this file: {exc}") from None
    try:
        stage = model.target(options.target)
    except UnknownTarget as exc:
        raise LoadError(str(exc)) from None
    if stage is None:
        raise LoadError("no FROM instruction: not a Dockerfile BuildKit can build")
    source = source or Source.of(path)
    build_context = _build_context(source, model, stage, options, overlay)
    files = DockerfileFiles(model, stage, build_context, source)
    runtime = runtime or options_runtime(options)
    chain = build_chain(stage.config, files, runtime)
    view = DockerfileView(parsed, model, stage, source)
    ctx = Context(path, stage.config, chain, files, runtime, view)
    findings = run_rules(ctx, options)
    reads = frozenset(build_context.reads)
    return LintResult(findings, parsed.lines, reads, _sources(ctx, findings), ctx)


def options_runtime(options: LintOptions) -> Runtime:
    """The runtime of a plain lint: `--assume-init` adds docker-init, else none."""
    return ASSUMED_INIT if options.assume_init else DEFAULT_RUNTIME


def run_rules(ctx: Context, options: LintOptions) -> list[Finding]:
    """Every enabled rule over the context, then what ignores and overrides leave, sorted."""
    findings: list[Finding] = []
    for rule in options.rules:
        findings.extend(rule.check(ctx))
    findings = apply_ignores(
        ctx,
        findings,
        enabled=_ids(options.rules),
        per_file=options.per_file_ignores,
        severity=options.severity,
    )
    findings.sort(key=Finding.sort_key)
    return findings


@functools.lru_cache(maxsize=8)
def _ids(rules: tuple[Rule, ...]) -> frozenset[str]:
    return frozenset(rule.id for rule in rules)  # once per run, not once per file


def _sources(ctx: Context, findings: list[Finding]) -> dict[str, str]:
    """The text of each entry script a finding points at, as the chain read it."""
    wanted = {f.path for f in findings} - {ctx.path}
    sources: dict[str, str] = {}
    for link in ctx.chain.links:
        for origin in link.script.origins if link.script is not None else ():
            if origin.display not in wanted or origin.display in sources:
                continue
            text = ctx.files.read(origin)[0] if ctx.files is not None else None
            if text is not None:
                sources[origin.display] = text
    return sources


def _copy_sources(model: Model, stage: Stage) -> list[str]:
    sources: list[str] = []
    current: Stage | None = stage
    while current is not None:
        for ins in current.instructions:
            if ins.keyword in ("COPY", "ADD") and not any(f.startswith("--from=") for f in ins.flags):
                sources += [s for s in ins.args[:-1] if not s.startswith("<<") and "$" not in s]
        current = current.parent
    return sources


def _build_context(
    source: Source, model: Model, stage: Stage, options: LintOptions, overlay: Mapping[str, str] | None
) -> BuildContext:
    if options.context is not None:
        return BuildContext.at(options.context, overlay)
    return BuildContext.at(discover_context(source.directory, _copy_sources(model, stage)), overlay)


def lint_file(path: str, options: LintOptions = DEFAULT_OPTIONS) -> FileReport:
    return guarded(
        path, options, lambda: _dockerfile_report(path, read_source(path, options.max_bytes), options)
    )


def lint_read(path: str, source: Source, text: str, options: LintOptions = DEFAULT_OPTIONS) -> FileReport:
    """As `lint_file`, for a Dockerfile already read (standard input, read once to classify it)."""
    return guarded(path, options, lambda: _dockerfile_report(path, (source, text), options))


def _dockerfile_report(path: str, loaded: tuple[Source, str], options: LintOptions) -> FileReport:
    source, text = loaded
    report = FileReport(path)
    result = lint_source(text, path, options, source=source)
    report.findings = result.findings
    if report.findings:
        report.lines = result.lines
        report.sources = result.sources
    return report


def guarded(path: str, options: LintOptions, work: Callable[[], FileReport]) -> FileReport:
    """`work()`, or a report of `path` with the one-line error that stopped it: one bad
    file must not stop the others."""
    try:
        return work()
    except Exception as exc:  # the last guard; error_text re-raises under --debug
        return FileReport(path, error=error_text(exc, options))


def error_text(exc: Exception, options: LintOptions) -> str:
    """The one line a file that could not be linted gets (re-raised with `--debug`, but a
    LoadError, which is the input's fault, never is)."""
    if isinstance(exc, LoadError):
        return str(exc)
    if isinstance(exc, (RecursionError, MemoryError)):
        return f"input too deeply nested or too large to analyse ({type(exc).__name__})"
    if options.debug:
        raise exc
    return f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc} (run with --debug for the traceback)"


def lint_files(paths: Iterable[str], options: LintOptions) -> list[FileReport]:
    return [lint_file(path, options) for path in paths]


def lint_input(path: str, options: LintOptions = DEFAULT_OPTIONS) -> list[FileReport]:
    """One path of the command line: a Dockerfile, or (YAML, standard input) what
    sigcheck.deploy_lint recognises by content. One input may report several files (a
    Compose file: the YAML and each Dockerfile it builds)."""
    if path != STDIN and not is_yaml_name(path):
        return [lint_file(path, options)]
    from sigcheck.deploy_lint import lint_yaml_input

    return lint_yaml_input(path, options)
