"""Command line: `sigcheck [check] [OPTIONS] PATH...`, `image PATH...`, `rules`, `explain`, `verify`.

`check` is the default command, so `sigcheck Dockerfile` keeps working; the first
argument picks another command only when it is exactly a command's name (`check`,
`image`, `rules`, `explain`...; a file named `rules` is `sigcheck check rules` or `./rules`).

Exit codes follow hadolint and ruff: 0 when no finding reaches the failure
threshold, 1 when one does, 2 for a usage or configuration error, a file that
could not be linted (the other files are still linted and reported), or a
report that could not be written.

Start-up cost matters (pre-commit runs sigcheck on every commit): rich, the
TOML reader, the reporters and hashlib are imported only on the paths that use
them.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from sigcheck import __version__

if TYPE_CHECKING:
    from sigcheck.config import Config
    from sigcheck.lint import FileReport, LintOptions
    from sigcheck.options import Flags

__all__ = ["FORMATS", "main", "run"]

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("text", "json", "sarif", "github", "gitlab")  # sigcheck.report.FORMATS, without importing it
THRESHOLDS = ("error", "warning", "info", "style", "none")  # sigcheck.config.THRESHOLDS
PROGRESS_DELAY = 0.3  # seconds of linting before a progress bar appears
# Starting worker processes costs ~50 ms; below this many files one process is faster.
PARALLEL_FROM = 200
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _DefaultGroup(click.Group):
    """A group whose first argument is a path unless it names a command exactly."""

    # Commands defined outside this module, imported only when used (start-up cost).
    lazy = ("verify",)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        known = (*self.commands, *self.lazy, "-h", "--help", "-V", "--version")
        if not args or args[0] not in known:
            args = ["check", *args]
        return super().parse_args(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "verify":
            from sigcheck.verify.command import verify

            return verify
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [
            "[check] [OPTIONS] PATH...",
            "|",
            "rules",
            "|",
            "explain RULE",
            "|",
            "image PATH...",
            "|",
            "verify IMAGE",
            "|",
            "server",
        ]


@click.group("sigcheck", cls=_DefaultGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", "-V", prog_name="sigcheck")
def main() -> None:
    """Find container signal-handling pitfalls in Dockerfiles and built images.

    `sigcheck PATH...` is `sigcheck check PATH...`; `sigcheck check --help`
    lists its options. `sigcheck image PATH...` lints docker save archives and OCI layouts.
    """


def _expand_paths(
    paths: tuple[str, ...], skip_other_yaml: bool = False
) -> tuple[list[str], list[FileReport]]:
    from sigcheck.lint import FileReport

    files: list[str] = []
    problems: list[FileReport] = []
    if skip_other_yaml:
        paths = _hook_files(paths)
    for path in paths:
        if path != "-" and os.path.isdir(path):
            from sigcheck.deploy_lint import is_deployment_file
            from sigcheck.discover import discover, is_yaml_name
            from sigcheck.load.files import DEFAULT_MAX_BYTES

            # YAML that is neither Compose nor Kubernetes is skipped silently here; named
            # explicitly, it is an error (sigcheck.lint.lint_input).
            found = [
                p
                for p in discover(path, yaml=True)
                if not is_yaml_name(p) or is_deployment_file(p, DEFAULT_MAX_BYTES)
            ]
            if not found:
                problems.append(
                    FileReport(
                        path,
                        error="no Dockerfile, Containerfile, Compose file or manifest in this directory",
                    )
                )
            files += found
        else:
            files.append(path)
    return files, problems


def _with_run_images(options: LintOptions, files: list[str], compose_files: tuple[str, ...]) -> LintOptions:
    """An `image:` of one deployment file built by a Compose service of another file of the
    same run (`sigcheck compose.yaml k8s/`): read those builds first. Only a run of two or
    more deployment files pays for it; one Compose file resolves its own services."""
    from sigcheck.load.source import is_yaml_name

    projects = [[path] for path in files if path != "-" and is_yaml_name(path)]
    if compose_files:
        projects.append(list(compose_files))
    # Standard input is read once, by its own lint: it can use the others' builds, not lend its own.
    if len(projects) + ("-" in files) < 2 or not projects:
        return options
    from sigcheck.deploy_lint import run_images

    return options._replace(images=options.images + run_images(projects, options))


def _hook_files(paths: tuple[str, ...]) -> tuple[str, ...]:
    """`--skip-other-yaml`: the named YAML files as directory discovery would keep them
    (sigcheck.deploy_lint.hook_file), each once, in order; other paths unchanged."""
    from sigcheck.load.source import STDIN, is_yaml_name

    if not any(path != STDIN and is_yaml_name(path) for path in paths):
        return paths  # a Dockerfile-only run imports nothing of the deployment lint
    from sigcheck.deploy_lint import hook_file
    from sigcheck.load.files import DEFAULT_MAX_BYTES

    kept: dict[str, None] = {}
    for path in paths:
        if path == STDIN or not is_yaml_name(path) or os.path.isdir(path):
            kept[path] = None
            continue
        chosen = hook_file(path, DEFAULT_MAX_BYTES)
        if chosen is not None:
            kept[chosen] = None
    return tuple(kept)


def _use_colour(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _isatty(stream)


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _outputs(formats: tuple[str, ...], output: str | None) -> list[tuple[str, str | None]]:
    """`--format NAME[:FILE]` (repeatable) and `--output FILE` -> [(format, file or None for stdout)]."""
    outputs: list[tuple[str, str | None]] = []
    for spec in formats or ("text",):
        name, colon, destination = spec.partition(":")
        if name not in FORMATS:
            raise click.BadParameter(
                f"{name!r} is not one of {', '.join(FORMATS)} (write FORMAT or FORMAT:FILE)",
                param_hint="'--format'",
            )
        if colon and not destination:
            raise click.BadParameter(f"{spec!r} names no file after ':'", param_hint="'--format'")
        if not colon:
            outputs.append((name, output if output != "-" else None))
        else:
            outputs.append((name, destination if destination != "-" else None))
    if output is not None and all(":" in spec for spec in formats or ("text",)):
        raise click.UsageError("--output names no report: every --format has its own :FILE")
    seen: dict[str | None, str] = {}
    for fmt, target in outputs:
        if target in seen:
            where = f"file {target!r}" if target else "standard output"
            raise click.UsageError(
                f"--format {seen[target]} and --format {fmt} would both write to {where}; "
                f"give one its own file, e.g. --format {fmt}:sigcheck.{_extension(fmt)}"
            )
        seen[target] = fmt
    return outputs


def _extension(fmt: str) -> str:
    from sigcheck.report import FORMATS as REGISTRY

    return REGISTRY[fmt].extension


def _load_config(config_file: str | None, isolated: bool) -> Config:
    from sigcheck.config import Config, ConfigError, find_config, load_config

    if isolated:
        if config_file is not None:
            raise click.UsageError("--config and --isolated exclude each other")
        return Config()
    try:
        path = config_file or find_config(os.getcwd())
        if path is None:
            return Config()
        return load_config(path)
    except ConfigError as exc:
        click.echo(f"sigcheck: {exc}", err=True)
        sys.exit(2)


def _options(config_file: str | None, isolated: bool, flags: Flags) -> tuple[LintOptions, str]:
    """The configuration file merged with the command's flags (a bad flag value is a usage error)."""
    from sigcheck.options import OptionsError, resolve

    try:
        return resolve(_load_config(config_file, isolated), flags)
    except OptionsError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{exc.flag}'") from None


def _want_progress(outputs: list[tuple[str, str | None]]) -> bool:
    """A progress bar only where a person watches: stderr and stdout on a terminal, and
    no machine-readable report on stdout."""
    return (
        _isatty(sys.stderr)
        and _isatty(sys.stdout)
        and all(fmt == "text" for fmt, destination in outputs if destination is None)
    )


def _workers(jobs: int, files: int) -> int:
    if jobs > 0:
        return min(jobs, max(files, 1))
    return min(os.cpu_count() or 1, 8) if files >= PARALLEL_FROM else 1


def _lint_all(
    files: list[str], options: LintOptions, show_progress: bool, workers: int = 1
) -> list[FileReport]:
    """Lint every file, in input order (whatever the number of workers); on a terminal, a
    progress bar appears once linting takes a while."""
    with contextlib.ExitStack() as stack:
        results = _results(files, options, workers, stack)
        if not show_progress or len(files) < 2:
            return list(results)
        return _with_progress(results, len(files))


def _results(
    files: list[str], options: LintOptions, workers: int, stack: contextlib.ExitStack
) -> Iterator[FileReport]:
    from sigcheck.lint import lint_input

    # One input may report several files (a Compose file: the YAML and each Dockerfile).
    if workers <= 1 or "-" in files:
        return (report for path in files for report in lint_input(path, options))
    import functools
    import multiprocessing

    pool = stack.enter_context(multiprocessing.get_context("fork").Pool(workers))
    chunk = max(1, min(64, len(files) // (workers * 8)))
    # Pool.imap yields in input order, so the output is identical to one process.
    batches = pool.imap(functools.partial(lint_input, options=options), files, chunksize=chunk)
    return (report for batch in batches for report in batch)


def _with_progress(results: Iterator[FileReport], total: int) -> list[FileReport]:
    reports: list[FileReport] = []
    started = time.monotonic()
    progress = None
    task = None
    try:
        for index, report in enumerate(results):
            if progress is None and time.monotonic() - started >= PROGRESS_DELAY:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                )

                progress = Progress(
                    TextColumn("linting"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=Console(file=sys.stderr),
                    transient=True,
                )
                progress.start()
                task = progress.add_task("lint", total=total, completed=index)
            reports.append(report)
            if progress is not None and task is not None:
                progress.advance(task)
    finally:
        if progress is not None:
            progress.stop()
    return reports


def _render(fmt: str, reports: list[FileReport], stream: TextIO, colour: bool, seconds: float) -> None:
    from sigcheck.report import render

    render(fmt, reports, stream, colour, seconds)


def _stdout() -> TextIO | None:
    """Standard output, or None after saying so on stderr when it is closed (`>&-`):
    Python then sets sys.stdout to None."""
    if sys.stdout is None:
        click.echo("sigcheck: standard output is closed: cannot write to it", err=True)
    return sys.stdout


def _write(fmt: str, destination: str | None, reports: list[FileReport], seconds: float) -> bool:
    """Write one report; False (after saying why on stderr) when the file cannot be written."""
    if destination is None:
        stdout = _stdout()
        if stdout is None:
            return False
        _render(fmt, reports, stdout, _use_colour(stdout), seconds)
        stdout.flush()
        return True
    try:
        parent = os.path.dirname(destination)
        if parent:
            os.makedirs(parent, exist_ok=True)  # `-f sarif:reports/sigcheck.sarif` in a fresh checkout
        with open(destination, "w", encoding="utf-8", newline="\n") as handle:
            _render(fmt, reports, handle, False, seconds)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        click.echo(f"sigcheck: {_safe(destination)}: cannot write the report: {reason}", err=True)
        return False
    return True


def _report_options(command: F) -> F:
    """--format and --output: shared by `check` and `image`."""
    command = click.option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the report (of the --format given without :FILE) to FILE instead of standard output.",
    )(command)
    return click.option(
        "--format",
        "-f",
        "formats",
        multiple=True,
        metavar="FORMAT[:FILE]",
        help=(
            f"Report format: {', '.join(FORMATS)} [default: text]. Repeat to write several reports "
            "in one run; FORMAT:FILE writes that one to FILE."
        ),
    )(command)


def _lint_options(command: F) -> F:
    """--failure-threshold, --ignore, --assume-init, --config, --isolated: shared by `check` and `image`."""
    command = click.option("--isolated", is_flag=True, help="Ignore every configuration file.")(command)
    command = click.option(
        "--config",
        "config_file",
        metavar="FILE",
        type=click.Path(dir_okay=False),
        help="Read the configuration from FILE (a .sigcheck.toml, or a pyproject.toml with [tool.sigcheck]).",
    )(command)
    command = click.option(
        "--assume-init/--no-assume-init",
        default=None,
        help="The container runs with an init added by the runtime (docker run --init, compose init: true).",
    )(command)
    command = click.option(
        "--ignore",
        "ignored",
        multiple=True,
        metavar="RULE[,RULE...]",
        help="Do not report these rules (IDs or names); adds to `ignore` in the configuration.",
    )(command)
    return click.option(
        "--failure-threshold",
        "-t",
        type=click.Choice(THRESHOLDS),
        default=None,
        help="Exit 1 when a finding has this severity or worse; 'none' never does [default: warning].",
    )(command)


def _jobs_option(command: F) -> F:
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help=f"Lint in N processes; 0 picks one per CPU for {PARALLEL_FROM} files or more, else 1. "
        "Output is the same whatever N.",
    )(command)


def _debug_option(command: F) -> F:
    return click.option(
        "--debug", is_flag=True, help="Let an internal error stop sigcheck with its traceback."
    )(command)


@main.command("check", context_settings=CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, required=False, type=str, metavar="PATH...")
@_report_options
@click.option(
    "--file",
    "compose_files",
    multiple=True,
    metavar="FILE",
    help="A Compose file; repeat it to lint one project merged in order, as "
    "`docker compose -f a.yml -f b.yml` does (sigcheck's -f is --format).",
)
@click.option("--target", metavar="STAGE", help="Lint this build stage instead of the final one.")
@click.option(
    "--context",
    "context_dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Build context (default: the Dockerfile's directory, or the ancestor holding its COPY sources).",
)
@_lint_options
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=None,
    metavar="BYTES",
    help="Refuse files larger than this [default: 10 MiB].",
)
@_jobs_option
@click.option(
    "--fix",
    "apply_fixes",
    is_flag=True,
    help="Rewrite the files in place with the safe fixes (those marked [fixable]); report what remains.",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Print the safe fixes as a unified diff on standard output and change nothing; "
    "exit 1 when there is a change.",
)
@click.option(
    "--skip-other-yaml",
    is_flag=True,
    help="Skip YAML files that are neither a Compose file nor a Kubernetes manifest silently, "
    "as a directory search does, instead of failing on them (the pre-commit hook passes every YAML file).",
)
@_debug_option
def check(
    paths: tuple[str, ...],
    formats: tuple[str, ...],
    compose_files: tuple[str, ...],
    output: str | None,
    target: str | None,
    context_dir: str | None,
    failure_threshold: str | None,
    ignored: tuple[str, ...],
    assume_init: bool | None,
    config_file: str | None,
    isolated: bool,
    max_file_size: int | None,
    jobs: int,
    apply_fixes: bool,
    show_diff: bool,
    skip_other_yaml: bool,
    debug: bool,
) -> None:
    """Lint Dockerfiles for container signal-handling pitfalls.

    PATH is a Dockerfile, a Compose file or Kubernetes manifest (recognised by
    content), a directory to search for Dockerfile, Dockerfile.*, *.dockerfile,
    Containerfile and those YAML files (honouring .gitignore), or - for stdin.
    `--file a.yml --file b.yml` lints one Compose project of several files.
    """
    started = time.perf_counter()
    if not paths and not compose_files:
        raise click.UsageError("Missing argument 'PATH...' (or --file for a Compose project).")
    outputs = _outputs(formats, output)
    if apply_fixes or show_diff:
        outputs = _fix_outputs(outputs, formats, output, apply_fixes, show_diff, paths)
    from sigcheck.options import Flags

    flags = Flags(target, context_dir, failure_threshold, ignored, assume_init, max_file_size, debug)
    options, threshold = _options(config_file, isolated, flags)
    files, problems = _expand_paths(paths, skip_other_yaml)
    options = _with_run_images(options, files, compose_files)
    if compose_files:
        from sigcheck.deploy_lint import lint_compose

        # Not re-linted after --fix: a project's findings carry no edits (deploy_lint).
        problems += lint_compose(list(compose_files), options)
    workers = _workers(jobs, len(files))
    reports = problems + _lint_all(files, options, _want_progress(outputs), workers)
    fixed_ok, changes = True, False
    if apply_fixes or show_diff:
        reports, fixed_ok, changes = _fix(reports, problems, files, options, apply_fixes, workers)
    if any(finding.services for report in reports for finding in report.findings):
        from sigcheck.deploy_lint import merge_reached

        reports = merge_reached(reports)
    for report in reports:
        if report.error is not None:
            click.echo(f"sigcheck: {_safe(report.path)}: {report.error}", err=True)
    seconds = time.perf_counter() - started
    written = all([_write(fmt, destination, reports, seconds) for fmt, destination in outputs])
    code = _exit_code(reports, threshold)
    if show_diff and changes and code == 0:
        code = 1  # --diff: 1 when there is a change, whatever the threshold says
    sys.exit(code if written and fixed_ok else 2)


@main.command("image", context_settings=CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, required=True, type=str, metavar="PATH...")
@_report_options
@click.option(
    "--platform",
    metavar="OS/ARCH[/VARIANT]",
    help="The image to lint from a multi-platform index [default: linux/amd64, or the only one].",
)
@_lint_options
@_jobs_option
@_debug_option
def image_command(
    paths: tuple[str, ...],
    formats: tuple[str, ...],
    output: str | None,
    platform: str | None,
    failure_threshold: str | None,
    ignored: tuple[str, ...],
    assume_init: bool | None,
    config_file: str | None,
    isolated: bool,
    jobs: int,
    debug: bool,
) -> None:
    """Lint built images: docker/podman save archives and OCI layouts.

    PATH is a `docker save` or `podman save` archive, an OCI image layout
    (directory or tar), or - for an archive on standard input
    (`docker save app:1 | sigcheck image -`). Each image of an archive is linted
    from its config and its merged layers, and named in the report by its tag
    (RepoTags, or the OCI ref.name annotation). --fix does not apply to images:
    an image is never rewritten; fix the Dockerfile it is built from.
    """
    started = time.perf_counter()
    outputs = _outputs(formats, output)
    if platform is not None:
        from sigcheck.load.image.layout import parse_platform

        try:
            parse_platform(platform)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--platform'") from None
    if paths.count("-") > 1:
        raise click.UsageError("standard input (-) can be read only once")
    from sigcheck.options import Flags

    flags = Flags(None, None, failure_threshold, ignored, assume_init, None, debug)
    options, threshold = _options(config_file, isolated, flags)
    reports = _lint_images(list(paths), options, platform, _workers(jobs, len(paths)))
    for report in reports:
        if report.error is not None:
            click.echo(f"sigcheck: {_safe(report.path)}: {report.error}", err=True)
    seconds = time.perf_counter() - started
    written = all([_write(fmt, destination, reports, seconds) for fmt, destination in outputs])
    code = _exit_code(reports, threshold)
    sys.exit(code if written else 2)


def _lint_images(
    paths: list[str], options: LintOptions, platform: str | None, workers: int
) -> list[FileReport]:
    """Every image of every archive, in input order whatever the number of workers."""
    import functools

    from sigcheck.image_lint import lint_image

    lint = functools.partial(lint_image, options=options, platform=platform)
    if workers <= 1 or "-" in paths:
        return [report for path in paths for report in lint(path)]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return [report for reports in pool.imap(lint, paths) for report in reports]


def _fix_outputs(
    outputs: list[tuple[str, str | None]],
    formats: tuple[str, ...],
    output: str | None,
    apply_fixes: bool,
    show_diff: bool,
    paths: tuple[str, ...],
) -> list[tuple[str, str | None]]:
    """--fix/--diff: check the combination; --diff keeps standard output for the diff."""
    if apply_fixes and show_diff:
        raise click.UsageError("--fix and --diff exclude each other: --diff only shows what --fix writes")
    if "-" in paths:
        raise click.UsageError("--fix and --diff need files: standard input cannot be rewritten")
    if not show_diff:
        return outputs
    if any(destination is None for _, destination in outputs) and (formats or output == "-"):
        raise click.UsageError(
            "--diff writes the diff to standard output; write the report to a file "
            "(--format FORMAT:FILE or --output FILE)"
        )
    return [(fmt, destination) for fmt, destination in outputs if destination is not None]


def _fix(
    reports: list[FileReport],
    problems: list[FileReport],
    files: list[str],
    options: LintOptions,
    apply_fixes: bool,
    workers: int,
) -> tuple[list[FileReport], bool, bool]:
    """Run --fix or --diff: (the reports to show, no file failed to be written, something
    changed). --fix reports what is left after writing; --diff the findings as they are."""
    from sigcheck.fix import plan_fixes, summary, unified_diff, write_fixes

    fixable = [r.path for r in reports if r.error is None and any(f.fix_safe for f in r.findings)]
    result = plan_fixes(fixable, options)
    changed = result.changed
    failures: list[tuple[str, str]] = []
    if apply_fixes:
        failures = write_fixes(changed)
        for path, why in failures:
            click.echo(f"sigcheck: {_safe(path)}: {why}", err=True)
        if len(failures) < len(changed):
            reports = problems + _lint_all(files, options, False, workers)
    else:
        stdout = _stdout()
        if stdout is None:
            return reports, False, bool(changed)
        stdout.write(unified_diff(changed))
        stdout.flush()
    ok = not failures
    for line in summary(result, applied=apply_fixes, unwritten=[path for path, _ in failures]):
        click.echo(f"sigcheck: {_safe(line)}", err=True)
    return reports, ok, bool(changed)


@main.command("rules", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rules_command(output_format: str) -> None:
    """List every rule: ID, name, default severity and what it finds."""
    from sigcheck.rules import ALL_RULES

    if _stdout() is None:
        sys.exit(2)
    if output_format == "json":
        import json

        from sigcheck.findings import DOCS_URL

        rows = [
            {
                "rule": r.id,
                "name": r.name,
                "severity": r.severity.label,
                "summary": r.summary,
                "url": DOCS_URL.format(rule=r.id),
            }
            for r in ALL_RULES
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    name_width = max(len(r.name) for r in ALL_RULES)
    for r in ALL_RULES:
        click.echo(f"{r.id}  {r.name:<{name_width}}  {r.severity.label:<7}  {r.summary}")


@main.command("explain", context_settings=CONTEXT_SETTINGS)
@click.argument("rule_name", metavar="RULE")
def explain(rule_name: str) -> None:
    """Show the documentation page of RULE (an ID such as SIG102, or a name)."""
    from sigcheck.docs import absolute_links, page_path
    from sigcheck.findings import DOCS_URL
    from sigcheck.rules import rule_by_id

    rule = rule_by_id(rule_name)
    if rule is None:
        click.echo(f"sigcheck: unknown rule {rule_name!r} (`sigcheck rules` lists them)", err=True)
        sys.exit(2)
    url = DOCS_URL.format(rule=rule.id)
    path = page_path(rule.id)
    text = None
    if path is not None:
        try:
            with open(path, encoding="utf-8") as handle:
                text = absolute_links(handle.read())
        except (OSError, UnicodeDecodeError):
            text = None
    if text is None:
        text = (
            f"# {rule.id}: {rule.name}\n\nDefault severity: **{rule.severity.label}**\n\n"
            f"{rule.summary}.\n\nThe full page: {url}\n"
        )
    stdout = _stdout()
    if stdout is None:
        sys.exit(2)
    if _isatty(stdout) or os.environ.get("FORCE_COLOR"):
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text, hyperlinks=True))
    else:
        stdout.write(text if text.endswith("\n") else text + "\n")


@main.command("server", context_settings=CONTEXT_SETTINGS)
def server_command() -> None:
    """Run the language server (LSP over standard input and output) for editors."""
    # Imported here: pygls and lsprotocol cost ~0.5 s of CPU to import, which no lint run pays.
    from sigcheck.server import serve

    sys.exit(serve())


def run() -> None:
    """The `sigcheck` command (and `python -m sigcheck`): `main`, then a fast exit.

    A normal exit tears the interpreter down, freeing every module and object: ~6 ms,
    a tenth of a cold start, for a process whose work is done. As Bazaar did, sigcheck
    leaves with `os._exit` instead, once what a normal exit guarantees is done: the
    atexit handlers have run (multiprocessing joins its workers there) and the standard
    streams are flushed. Report files are already closed. Anything unusual (a thread
    still running, which a normal exit joins before the atexit handlers; a flush that
    fails) takes the normal way out. Tests call `main` in-process; this is only the
    entry point.
    """
    import atexit
    import threading

    try:
        main()
        code: int = 0
    except SystemExit as exc:
        if exc.code is not None and not isinstance(exc.code, int):
            raise  # a message to print: Python's own exit does that
        code = exc.code or 0
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None when closed (`sigcheck ... >&-`)
                stream.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


def _safe(text: str) -> str:
    from sigcheck.report.text_format import printable

    return printable(text)


def _exit_code(reports: list[FileReport], threshold: str) -> int:
    from sigcheck.findings import Severity

    if any(r.error is not None for r in reports):
        return 2
    if threshold == "none":
        return 0
    limit = Severity.parse(threshold)
    worst = max((f.severity for r in reports for f in r.findings), default=None)
    return 1 if worst is not None and worst >= limit else 0
