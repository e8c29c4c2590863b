"""SIG303: an init is installed in the image but never used (doc: rules/SIG303.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.chain import looks_like_script
from sigcheck.model.knowledge import identify_init
from sigcheck.rules.base import Context, Rule
from sigcheck.rules.inits import init_entrypoint


def _unread_start(ctx: Context) -> bool:
    """The chain reaches a script sigcheck could not read, or a program named like one that
    is not in the build context (unpacked by a RUN, from an image)."""
    for link in ctx.chain.links:
        if link.role == "script" and link.script is not None and link.script.analysis is None:
            return True
    app = ctx.chain.app
    return app is not None and app.app is None and looks_like_script(app.program)


def check(ctx: Context) -> Iterator[Finding]:
    if any(link.role == "init" for link in ctx.chain.links):
        return
    if _unread_start(ctx):
        return  # the program that starts could start the init: say nothing sigcheck cannot see
    if ctx.files is None:
        return
    for init, span in ctx.files.installed_inits():
        dropped = _dropped_by_override(ctx)
        if dropped is not None and ctx.runtime.entrypoint is not None:
            # Where the words that drop it are: the override, not the line that installs it.
            yield ctx.finding(RULE, ctx.runtime.entrypoint.span, dropped[0], fix=dropped[1])
            return
        message = (
            f"{init} is installed here but the container never runs it: the launch chain starts with "
            f"`{ctx.chain.links[0].program if ctx.chain.links else 'nothing'}`. An init only helps as "
            f"PID 1; make it the first element of an exec-form ENTRYPOINT, or drop it from the image."
        )
        yield ctx.finding(RULE, span, message, fix=init_entrypoint(init))
        return


def _dropped_by_override(ctx: Context) -> tuple[str, str] | None:
    """(message, fix) when the image's ENTRYPOINT starts the init and the deployment's
    entrypoint override replaces it: the init is not unused by the image, but by the deployment."""
    image_entrypoint = ctx.config.entrypoint
    override = ctx.runtime.entrypoint
    if override is None or image_entrypoint is None or not image_entrypoint.argv:
        return None
    if identify_init(image_entrypoint.argv) is None:
        return None
    key = "command:" if ctx.runtime.platform == "kubernetes" else "entrypoint:"
    image_words = " ".join(image_entrypoint.argv)
    message = (
        f"The image's ENTRYPOINT starts the init (`{image_words}`), but the deployment's `{key}` "
        f"override replaces that ENTRYPOINT, so the container never runs it: the launch chain "
        f"starts with `{ctx.chain.links[0].program if ctx.chain.links else 'nothing'}`. Keep the init "
        "first in the override."
    )
    fix = f"{key} {json.dumps([*image_entrypoint.argv, *override.argv], ensure_ascii=False)}"
    return message, fix


RULE = Rule(
    id="SIG303",
    name="init-installed-unused",
    severity=Severity.WARNING,
    summary="An init (tini, dumb-init, catatonit) is installed in the image but never started",
    check=check,
)
