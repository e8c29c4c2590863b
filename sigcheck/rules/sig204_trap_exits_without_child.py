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
                f"{where(link, outcome)} traps {signals} with `{trap.body}`, which exits without signalling "
                f"`{' '.join(outcome.command.words)}`: PID 1 exits at once and the kernel SIGKILLs the "
                "app before it can shut down."
            )
            # A handler that only prints and exits cannot stop the app: certain SIGKILL (error).
            # One that runs other commands might (`pg_ctl stop`), which sigcheck cannot see.
            severity = Severity.ERROR if trap.only_reports else Severity.WARNING
            yield ctx.script_finding(
                RULE,
                origin,
                trap.line,
                message,
                severity=severity,
                fix='trap \'kill -TERM "$pid"; wait "$pid"\' TERM INT',
            )._replace(at_once=True)


RULE = Rule(
    id="SIG204",
    name="trap-exits-without-child",
    severity=Severity.ERROR,
    summary="A TERM/INT trap exits the script without stopping the app it started",
    check=check,
)
