"""Applying the runtime's overrides to an image config: one function for every runtime.

The records (`Runtime`, `Override`, `RuntimeInit`, `Setting`) are in
`sigcheck.runtime`; they are re-exported here for the model's users.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

from typing import Literal

from sigcheck.model.image import Command, ImageConfig
from sigcheck.runtime import (
    ASSUMED_INIT,
    DEFAULT_RUNTIME,
    DOCKER_GRACE_SECONDS,
    DOCKER_INIT,
    KUBERNETES_GRACE_SECONDS,
    Override,
    Platform,
    Runtime,
    RuntimeInit,
    Setting,
)

__all__ = [
    "ASSUMED_INIT",
    "DEFAULT_RUNTIME",
    "DOCKER_GRACE_SECONDS",
    "DOCKER_INIT",
    "KUBERNETES_GRACE_SECONDS",
    "Override",
    "Platform",
    "Runtime",
    "RuntimeInit",
    "Setting",
    "apply_runtime",
]


def _command(keyword: Literal["ENTRYPOINT", "CMD"], override: Override) -> Command:
    string = override.argv[-1] if override.form == "shell" and override.argv else None
    return Command(keyword, override.argv, override.form, None, None, string, override.span)


def apply_runtime(
    config: ImageConfig, runtime: Runtime
) -> tuple[Command | None, Command | None, Command | None]:
    """(entrypoint, command, init) the runtime starts: the image's, after its overrides.

    An entrypoint override drops the image's CMD (moby daemon/create.go: "if the
    entrypoint is overridden, reset the CMD"; Kubernetes: `command` without
    `args` ignores the image's CMD); a command override keeps the ENTRYPOINT."""
    entrypoint, cmd = config.entrypoint, config.cmd
    if runtime.entrypoint is not None:
        entrypoint = _command("ENTRYPOINT", runtime.entrypoint)
        cmd = None
    if runtime.command is not None:
        cmd = _command("CMD", runtime.command)
    init = None
    if runtime.init is not None:
        span = runtime.init.span
        init = Command("ENTRYPOINT", runtime.init.argv, "exec", None, None, None, span)
    return entrypoint, cmd, init
