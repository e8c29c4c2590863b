"""SIG501: an entry script in the chain could not be checked (doc: rules/SIG501.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule


def check(ctx: Context) -> Iterator[Finding]:
    for link in ctx.chain.links:
        info = link.script
        if link.role != "script" or info is None or info.problem is None or info.origin is None:
            continue
        message = (
            f"The container runs {info.image_path}, but sigcheck could not read it: {info.problem}. "
            "Whether it execs the app (and so whether the app gets the stop signal) is unknown; "
            "nothing outside the build context is ever read."
        )
        yield ctx.finding(RULE, info.origin.instruction, message)


RULE = Rule(
    id="SIG501",
    name="script-not-checked",
    severity=Severity.INFO,
    summary="An entry script in the launch chain could not be read (outside the context, from an image)",
    check=check,
)
