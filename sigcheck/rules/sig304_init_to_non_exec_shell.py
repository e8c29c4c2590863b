"""SIG304: an init forwards the stop signal to a shell that does not exec the app (doc: rules/SIG304.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.edits import exec_line, script_exec_edit
from sigcheck.findings import Finding, Severity
from sigcheck.model.chain import Link
from sigcheck.rules.apps import handles_in_code
from sigcheck.rules.base import Context, Rule
from sigcheck.rules.shell_wrapper import shell_link_fix


def _stays(link: Link) -> bool:
    if link.role == "shell":
        return link.execs is False
    if link.role == "script" and link.script is not None and link.script.outcome is not None:
        return link.script.outcome.kind != "exec"
    return False


def _dies_at_once(ctx: Context, signal: str) -> bool:
    """The app ends as soon as the signal reaches it, so there is no slow shutdown to cut
    short: a runtime (Python, Node) whose entry file was read and installs no handler, a
    program that runs no code of its own (`sleep 1d`, `tail -f`, a keep-alive), or a server
    whose handler exits without draining anything (clamd)."""
    app = ctx.chain.app
    known = app.app if app is not None else None
    if known is not None and known.stops_at_once:
        return True  # its handler exits at once (clamd): no drain for the init to cut
    if app is None or known is None or known.handles_signals:
        return False
    if not known.handler_patterns:
        return app.app_entry is None and not known.interrupt_patterns
    return bool(app.app_text) and not handles_in_code(app, signal)


def check(ctx: Context) -> Iterator[Finding]:
    signal = ctx.chain.stopsignal
    for link in ctx.chain.links:
        init = ctx.chain.init_before(link)
        if init is None or init.init is None or not _stays(link):
            continue
        shell = link.argv[0]
        if init.init.group and _dies_at_once(ctx, signal):
            continue  # the app has no graceful shutdown for the init to cut short
        if init.init.group:
            severity = Severity.WARNING
            effect = (
                f"it signals the whole process group, so the app does get {signal}, but {init.init.id} exits "
                f"as soon as {shell} dies, and the kernel then SIGKILLs the app mid-shutdown "
                "(measured: a 1 s shutdown was killed every time)"
            )
        else:
            severity = Severity.ERROR
            effect = (
                f"it forwards {signal} to its direct child {shell} only; the shell dies without passing it "
                "on and the app is SIGKILLed when the init exits, never having seen the signal"
            )
        message = (
            f"`{' '.join(init.argv)}` runs {shell}, which does not exec the app: {effect}. "
            "Make the shell exec the app."
        )
        outcome = link.script.outcome if link.role == "script" and link.script is not None else None
        written = link.script.origin_of(outcome) if link.script is not None and outcome is not None else None
        if outcome is not None and written is not None:
            command = outcome.command
            fix = exec_line(command.words, command.literal) if outcome.kind == "foreground" else None
            edit = script_exec_edit(ctx, written, outcome)
            if edit is not None:
                fix = edit.replacement.strip()
            yield ctx.script_finding(
                RULE, written, outcome.line, message, severity=severity, fix=fix, edit=edit
            )._replace(at_once=True)  # the init exits with its shell child
            continue
        origin = link.origin
        if origin is None:
            continue
        fix, edit = shell_link_fix(ctx, link)
        span = origin.span or ctx.anchor()
        yield ctx.finding(RULE, span, message, severity=severity, fix=fix, edit=edit)._replace(at_once=True)


RULE = Rule(
    id="SIG304",
    name="init-to-non-exec-shell",
    severity=Severity.ERROR,
    summary="An init forwards the stop signal to a shell or script that does not exec the app",
    check=check,
)
