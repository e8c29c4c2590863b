"""The launch chain of a Dockerfile, for hover and for related information.

Hover shows the whole chain and the stop signal, and a script's diagnostics
point back at the instruction that runs the script. This module reads them from
the context of the lint that just ran (`LintResult.context`: the chain over the
editor's buffers) and keeps only plain records, so the model objects do not
outlive the lint. It is the one place of the server that reads the model.
"""

# No `from __future__ import annotations` here: this module defines NamedTuples.

from typing import NamedTuple

from sigcheck.lint import LintResult
from sigcheck.load.dockerfile import Instruction
from sigcheck.model.chain import LaunchChain
from sigcheck.model.files import ImageFiles
from sigcheck.model.image import Model, Stage

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


def _span(ins: Instruction) -> tuple[int, int, int, int]:
    return (ins.start_line, ins.column, ins.end_line, ins.end_column)


def _stopsignal_source(stage: Stage, path: str) -> str:
    setting = stage.config.stopsignal
    if setting is None:
        return "Docker's default"
    if setting.instruction is not None:
        return f"STOPSIGNAL at line {setting.instruction.start_line}"
    return f"inherited from {setting.image}" if setting.image else "inherited from the base image"


def _scripts(chain: LaunchChain, files: ImageFiles | None) -> tuple[ScriptLaunch, ...]:
    out: list[ScriptLaunch] = []
    for link in chain.links:
        info = link.script
        if info is None:
            continue
        origin = info.origin
        file: str | None = None
        dockerfile_line: int | None = None
        launch_line = info.outcome.line if info.outcome is not None else None
        if origin is not None and origin.kind == "context" and files is not None:
            file = files.rewrite_path(origin)
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


def launch_info(result: LintResult) -> LaunchInfo | None:
    """The chain of the stage that runs, from the lint that just ran."""
    ctx = result.context
    view = ctx.dockerfile
    if view is None:
        return None
    chain, stage = ctx.chain, view.stage
    app = chain.app
    pid1 = chain.pid1
    return LaunchInfo(
        stage=stage.label,
        chain=tuple(chain.describe()),
        pid1=pid1.describe() if pid1 is not None else None,
        stopsignal=chain.stopsignal,
        stopsignal_source=_stopsignal_source(stage, ctx.path),
        app_receives=chain.delivered(app) if app is not None else None,
        has_app=app is not None,
        truncated=chain.truncated,
        scripts=_scripts(chain, ctx.files),
        instructions=_instructions(view.model, stage),
    )
