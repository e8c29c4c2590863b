"""SIG201: an entry script starts the app without `exec` (documentation: rules/SIG201.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.edits import exec_line, script_exec_edit
from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule
from sigcheck.rules.scripts import columns_of, script_outcomes, where


def check(ctx: Context) -> Iterator[Finding]:
    signal = ctx.chain.stopsignal
    for link, origin, outcome in script_outcomes(ctx.chain.links):
        if outcome.kind != "foreground" or ctx.chain.init_before(link) is not None:
            continue  # behind an init, SIG304 reports it
        command = " ".join(outcome.command.words)
        how = "in a pipeline" if outcome.pipeline else "in a loop" if outcome.loop else "without `exec`"
        grace = ctx.chain.runtime.after_grace
        message = (
            f"{where(link, outcome)} starts `{command}` {how}, so the shell stays PID 1 and the app is its "
            f"child. `docker stop` sends {signal} to the shell, which does not forward it (a shell "
            f"defers even its own traps until the foreground child exits); the app is SIGKILLed {grace}."
        )
        fix = None
        edit = script_exec_edit(ctx, origin, outcome)
        if edit is not None:
            fix = edit.replacement.strip()  # the line as --fix writes it
        elif not outcome.pipeline and not outcome.loop:
            fix = exec_line(outcome.command.words, outcome.command.literal)
        severity = None
        if not outcome.default_path:
            # The image's own CMD does not take this branch; `docker run IMAGE ARGS` can.
            message += " (This branch runs only when the container is started with other arguments.)"
            severity = Severity.WARNING
        yield ctx.script_finding(
            RULE,
            origin,
            outcome.line,
            message,
            severity=severity,
            fix=fix,
            columns=columns_of(outcome),
            edit=edit,
        )


RULE = Rule(
    id="SIG201",
    name="script-without-exec",
    severity=Severity.ERROR,
    summary="Entry script runs the app without `exec`, so the shell stays PID 1",
    check=check,
)
