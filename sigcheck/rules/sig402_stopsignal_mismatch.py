"""SIG402: the stop signal is not the app's graceful-stop signal (doc: rules/SIG402.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.load.dockerfile import Instruction
from sigcheck.rules.apps import only_interrupt
from sigcheck.rules.base import Context, Rule


def _reaches_app(ctx: Context) -> bool:
    """The stop signal gets to the app unchanged: it is PID 1 or an init's child."""
    app = ctx.chain.app
    if app is None:
        return False
    if app.pid1:
        return True
    init = ctx.chain.init_before(app)
    return init is not None and init.pid1


def _location(ctx: Context) -> Instruction | None:
    setting = ctx.stage.config.stopsignal
    if setting is not None and setting.instruction is not None:
        return setting.instruction
    app = ctx.chain.app
    if app is not None and app.origin is not None and app.origin.instruction is not None:
        return app.origin.instruction
    return ctx.stage.from_instruction


def check(ctx: Context) -> Iterator[Finding]:
    link = ctx.chain.app
    if link is None or link.app is None or not _reaches_app(ctx):
        return
    app = link.app
    signal = ctx.chain.stopsignal
    where = _location(ctx)
    if where is None:
        return
    inherited = ctx.stage.config.base.stopsignal if ctx.stage.config.base is not None else None
    if only_interrupt(link) and signal != "SIGINT":
        message = (
            f"{app.label} (`{' '.join(link.argv)}`) handles KeyboardInterrupt but installs no {signal} "
            f"handler: `docker stop` sends {signal}, which "
            + ("it ignores as PID 1" if link.pid1 else "kills it at once, skipping the cleanup")
            + ". Make Docker send SIGINT, which Python turns into KeyboardInterrupt."
        )
        yield ctx.finding(RULE, where, message, fix="STOPSIGNAL SIGINT")
        return
    if app.id == "uwsgi" and signal == "SIGTERM" and app.term_flag and app.term_flag in link.argv:
        return
    reason = app.avoid_reason(signal)
    if app.graceful is None and reason is None:
        return
    if app.graceful == signal:
        return
    if reason is None and signal in app.pid1_exits_on:
        return  # it stops cleanly on this signal too
    severity = Severity.ERROR if reason and "SIGKILL" in reason else Severity.WARNING
    wanted = app.graceful
    message = f"{app.label} gets {signal} at `docker stop`"
    message += f": {reason}." if reason else ", which is not its graceful-stop signal."
    if wanted:
        message += f" Its graceful stop is {wanted}."
    if (
        inherited
        and inherited == wanted
        and ctx.stage.config.stopsignal is not None
        and ctx.stage.config.stopsignal.instruction is not None
    ):
        message += f" The base image already sets STOPSIGNAL {inherited}; this line overrides it."
    if app.note:
        message += f" Also: {app.note}."
    fix = (
        f"STOPSIGNAL {wanted}"
        if wanted
        else (f"add {app.term_flag} to the command" if app.term_flag else None)
    )
    yield ctx.finding(RULE, where, message, severity=severity, fix=fix)


RULE = Rule(
    id="SIG402",
    name="stopsignal-mismatch",
    severity=Severity.WARNING,
    summary="The stop signal is not the app's graceful-stop signal",
    check=check,
)
