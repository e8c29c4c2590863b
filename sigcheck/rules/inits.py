"""The ENTRYPOINT that starts an init, as a fix: SIG301 (no init) offers the one the
image already has, SIG303 (installed but unused) the one it installs."""

from __future__ import annotations

import json

from sigcheck.rules.base import Context

# s6-overlay's /init takes the command as its arguments, with no `--` (its README).
_ENTRYPOINTS = {"s6-overlay": ["/init"]}


def init_entrypoint(init: str) -> str:
    return "ENTRYPOINT " + json.dumps(_ENTRYPOINTS.get(init, [init, "--"]))


def installed_init(ctx: Context) -> str | None:
    """The first init the image has as a file, if any."""
    if ctx.files is None:
        return None
    return next((init for init, _ in ctx.files.installed_inits()), None)
