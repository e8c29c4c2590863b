"""The launch chain of a Dockerfile, for hover and for related information.

`lint_source` reports findings, not the chain itself; hover shows the whole
chain and the stop signal, and a script's diagnostics point back at the
instruction that runs the script. This module builds the chain the way
`sigcheck.lint.lint_source` does (parse, model, target stage, build context with
the editor's buffers on top, chain) and keeps only plain records, so the model
objects do not outlive the lint. It is the one place of the server that reads
the model: when the core exposes the chain (issue 12), only this module changes.
"""

# No `from __future__ import annotations` here: this module defines NamedTuples.

import os
from collections.abc import Mapping
from typing import NamedTuple

from sigcheck.lint import LintOptions
from sigcheck.load.context import BuildContext, discover_context
from sigcheck.load.dockerfile import DockerfileSyntaxError, Instruction, parse_dockerfile
from sigcheck.load.source import Source
from sigcheck.model.chain import LaunchChain, build_chain
from sigcheck.model.dockerfile_files import DockerfileFiles
from sigcheck.model.image import Model, Stage, UnknownTarget, build_model
from sigcheck.model.runtime import ASSUMED_INIT, DEFAULT_RUNTIME

__all__ = ["HOVER_KEYWORDS", "LaunchInfo", "ScriptLaunch", "launch_info"]

HOVER_KEYWORDS = frozenset({"ENTRYPOINT", "CMD", "STOPSIGNAL", "SHELL"})


class ScriptLaunch(NamedTuple):
    """An entry script the chain runs: where it is and which instruction runs it."""

    file: str | None  # real path of a build-context script; None: a heredoc/RUN-written script
    image_path: str
    launch_line: int | None  # line of the script (its own numbering) that starts the next link
    dockerfile_line: int | None  # the launch line inside the Dockerfile (heredoc scripts)
    runner: tuple[int, int, int, int] | None  # ENTRYPOINT/CMD span in this Dockerfile that runs it


class LaunchInfo(NamedTuple):
    stage: str  # the stage that runs (final, or the configured target)
    chain: tuple[str, ...]  # PID 1 first
    pid1: str | None
    stopsignal: str
    stopsignal_source: str  # "STOPSIGNAL at line 7", "inherited from nginx", "Docker's default"
    app_receives: str | None  # the signal the app gets at `docker stop`; None: nothing
    has_app: bool
    truncated: bool
    scripts: tuple[ScriptLaunch, ...]
    # (start line, end line, keyword, stage label, runs) of every ENTRYPOINT/CMD/STOPSIGNAL/SHELL
    instructions: tuple[tuple[int, int, str, str, bool], ...]


def _copy_sources(stage: Stage) -> list[str]:
    # As sigcheck.lint._copy_sources: the COPY sources decide which ancestor is the context.
    sources: list[str] = []
    current: Stage | None = stage
    while current is not None:
        for ins in current.instructions:
            if ins.keyword in ("COPY", "ADD") and not any(f.startswith("--from=") for f in ins.flags):
                sources += [s for s in ins.args[:-1] if not s.startswith("<<") and "$" not in s]
        current = current.parent
    return sources


def _span(ins: Instruction) -> tuple[int, int, int, int]:
    return (ins.start_line, ins.column, ins.end_line, ins.end_column)


def _stopsignal_source(stage: Stage, path: str) -> str:
    setting = stage.config.stopsignal
    if setting is None:
        return "Docker's default"
    if setting.instruction is not None:
        return f"STOPSIGNAL at line {setting.instruction.start_line}"
    return f"inherited from {setting.image}" if setting.image else "inherited from the base image"


def _scripts(chain: LaunchChain, context: BuildContext | None) -> tuple[ScriptLaunch, ...]:
    out: list[ScriptLaunch] = []
    for link in chain.links:
        info = link.script
        if info is None:
            continue
        origin = info.origin
        file: str | None = None
        dockerfile_line: int | None = None
        launch_line = info.outcome.line if info.outcome is not None else None
        if origin is not None and origin.kind == "context" and origin.context_path and context is not None:
            file = os.path.realpath(os.path.join(context.root, origin.context_path))
        elif origin is not None and origin.content_line is not None and launch_line is not None:
            dockerfile_line = origin.content_line - 1 + launch_line
        runner = None
        if link.origin is not None and link.origin.instruction is not None and link.origin.image is None:
            runner = _span(link.origin.instruction)
        out.append(ScriptLaunch(file, info.image_path, launch_line, dockerfile_line, runner))
    return tuple(out)


def _instructions(model: Model, stage: Stage) -> tuple[tuple[int, int, str, str, bool], ...]:
    runs: set[int] = set()
    current: Stage | None = stage
    while current is not None:  # the stages the running image is built on contribute too
        runs.add(current.index)
        current = current.parent
    out = []
    for each in model.stages:
        for ins in each.instructions:
            if ins.keyword in HOVER_KEYWORDS:
                out.append((ins.start_line, ins.end_line, ins.keyword, each.label, each.index in runs))
    return tuple(out)


def launch_info(
    text: str, path: str, options: LintOptions, overlay: Mapping[str, str] | None = None
) -> LaunchInfo | None:
    """The chain of the stage that runs, or None when the file has no such stage or does not parse."""
    try:
        parsed = parse_dockerfile(text)
        model = build_model(parsed, path)
        stage = model.target(options.target)
    except (DockerfileSyntaxError, UnknownTarget):
        return None
    if stage is None:
        return None
    source = Source.of(path)
    if options.context is not None:
        context = BuildContext.at(options.context, overlay)
    else:
        context = BuildContext.at(discover_context(source.directory, _copy_sources(stage)), overlay)
    files = DockerfileFiles(model, stage, context, source)
    chain = build_chain(stage.config, files, ASSUMED_INIT if options.assume_init else DEFAULT_RUNTIME)
    app = chain.app
    pid1 = chain.pid1
    return LaunchInfo(
        stage=stage.label,
        chain=tuple(chain.describe()),
        pid1=pid1.describe() if pid1 is not None else None,
        stopsignal=chain.stopsignal,
        stopsignal_source=_stopsignal_source(stage, path),
        app_receives=chain.delivered(app) if app is not None else None,
        has_app=app is not None,
        truncated=chain.truncated,
        scripts=_scripts(chain, context),
        instructions=_instructions(model, stage),
    )
