"""SIG204: a trap exits the script without stopping its child (documentation: rules/SIG204.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule
from sigcheck.rules.scripts import script_outcomes, where


def check(ctx: Context) -> Iterator[Finding]:
    for link, origin, outcome in script_outcomes(ctx.chain.links):
        if outcome.kind != "background":
            continue
        for trap in outcome.exiting_traps:
            signals = " ".join(trap.signals)
            message = (
                f"{where(link)} traps {signals} with `{trap.body}`, which exits without signalling "
                f"`{' '.join(outcome.command.words)}`: PID 1 exits at once and the kernel SIGKILLs the "
                "app before it can shut down."
            )
            yield ctx.script_finding(
                RULE, origin, trap.line, message, fix='trap \'kill -TERM "$pid"; wait "$pid"\' TERM INT'
            )


RULE = Rule(
    id="SIG204",
    name="trap-exits-without-child",
    severity=Severity.WARNING,
    summary="A TERM/INT trap exits the script without stopping the app it started",
    check=check,
)
