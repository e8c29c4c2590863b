"""SIG501: an entry script in the chain could not be checked (doc: rules/SIG501.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.chain import MAX_LINKS
from sigcheck.rules.base import Context, Rule


def check(ctx: Context) -> Iterator[Finding]:
    yield from _bounds(ctx)
    for link in ctx.chain.links:
        info = link.script
        if link.role != "script" or info is None or info.problem is None or info.origin is None:
            continue
        message = (
            f"The container runs {info.image_path}, but sigcheck could not read it: {info.problem}. "
            "Whether it execs the app (and so whether the app gets the stop signal) is unknown; "
            "nothing outside the build context is ever read."
        )
        yield ctx.finding(RULE, info.origin.span or ctx.anchor(), message)


def _bounds(ctx: Context) -> Iterator[Finding]:
    """A limit that stopped the analysis is said, never turned into a clean result."""
    first = ctx.chain.links[0] if ctx.chain.links else None
    if ctx.chain.truncated and first is not None:
        message = (
            f"The launch chain goes on past the {MAX_LINKS} links sigcheck follows (scripts starting "
            "scripts); what runs after that, and whether it gets the stop signal, was not checked."
        )
        yield ctx.finding(RULE, (first.origin.span if first.origin else None) or ctx.anchor(), message)
    for link in ctx.chain.links:
        info = link.script
        if (
            info is not None
            and info.analysis is not None
            and info.analysis.truncated
            and info.origin is not None
        ):
            message = (
                f"{info.image_path} nests subshells, branches or function calls deeper than sigcheck "
                "follows; the commands past that depth were not checked."
            )
            yield ctx.script_finding(RULE, info.origin, 1, message)


RULE = Rule(
    id="SIG501",
    name="script-not-checked",
    severity=Severity.INFO,
    summary="An entry script in the launch chain could not be read (outside the context, from an image)",
    check=check,
)
