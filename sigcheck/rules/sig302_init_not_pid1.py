"""SIG302: an init shim runs, but not as PID 1 (doc: rules/SIG302.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule


def check(ctx: Context) -> Iterator[Finding]:
    for link in ctx.chain.links:
        if link.role != "init" or link.pid1 or link.init is None:
            continue
        if ctx.chain.init_before(link) is not None:
            continue  # an init runs it and forwards the signal to it: two inits (SIG603), not lost
        pid1 = next((candidate for candidate in ctx.chain.links if candidate.pid1), None)
        who = f"`{pid1.program}`" if pid1 is not None else "another process"
        message = (
            f"`{' '.join(link.argv)}` is not PID 1: {who} is, and it decides what happens to the stop "
            f"signal. An init forwards only the signals it receives, so {ctx.chain.stopsignal} never "
            "reaches it (tini's -s only restores zombie reaping, not signal delivery). Start the init "
            "as PID 1: put it first in an exec-form ENTRYPOINT, or `exec` it from the script."
        )
        fix = "exec " + " ".join(link.argv) if ctx.chain.links.index(link) > 0 else None
        yield ctx.link_finding(RULE, link, message, fix=fix)


RULE = Rule(
    id="SIG302",
    name="init-not-pid1",
    severity=Severity.WARNING,
    summary="An init shim (tini, dumb-init, catatonit) runs, but not as PID 1",
    check=check,
)
