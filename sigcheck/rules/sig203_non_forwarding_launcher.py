"""SIG203: a launcher that does not forward the stop signal is in the chain (doc: rules/SIG203.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule


def check(ctx: Context) -> Iterator[Finding]:
    signal = ctx.chain.stopsignal
    for link in ctx.chain.links:
        launcher = link.launcher
        if link.role != "launcher" or launcher is None or launcher.forwards:
            continue
        who = "as PID 1" if link.pid1 else "in the chain"
        message = (
            f"`{' '.join(link.argv)}` runs {who}: at `docker stop` ({signal}), {launcher.why}. "
            f"Instead, {launcher.instead}."
        )
        severity = Severity.ERROR if launcher.severity == "error" else Severity.WARNING
        finding = ctx.link_finding(RULE, link, message, severity=severity)
        if finding is not None:
            yield finding


RULE = Rule(
    id="SIG203",
    name="non-forwarding-launcher",
    severity=Severity.ERROR,
    summary="npm, yarn 1, pnpm, su or runuser between PID 1 and the app mishandles the stop signal",
    check=check,
)
