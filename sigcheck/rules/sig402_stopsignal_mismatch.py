"""SIG402: the stop signal is not the app's graceful-stop signal (doc: rules/SIG402.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.edits import stopsignal_edit
from sigcheck.findings import Finding, Severity
from sigcheck.model.signals import parse_signal
from sigcheck.rules.apps import only_interrupt, stops_on
from sigcheck.rules.base import Context, Rule
from sigcheck.span import Span


def _location(ctx: Context) -> Span:
    """The stop signal's own line, else the app's command, else the FROM it all comes from."""
    setting = ctx.chain.runtime.stop_signal or ctx.config.stopsignal
    if setting is not None and setting.span is not None:
        return setting.span
    app = ctx.chain.app
    if app is not None and app.origin is not None and app.origin.span is not None:
        return app.origin.span
    return ctx.anchor()


def check(ctx: Context) -> Iterator[Finding]:
    link = ctx.chain.app
    if link is None or link.app is None or not parse_signal(ctx.chain.stopsignal).catchable:
        return
    signal = ctx.chain.delivered(link)
    if signal is None:
        return  # nothing reaches the app: the rules about the chain say why
    app = link.app
    where = _location(ctx)
    program = " ".join(link.argv)
    config = ctx.config
    inherited = config.base.stopsignal if config.base is not None else None
    overrides = config.stopsignal is not None and config.stopsignal.instruction is not None
    if only_interrupt(link, signal):
        effect = "it ignores as PID 1" if link.pid1 else "kills it at once, skipping the cleanup"
        message = (
            f"{app.label} (`{program}`) handles KeyboardInterrupt but installs no {signal} handler: "
            f"`docker stop` sends {signal}, which {effect}. Make Docker send SIGINT, which Python "
            "turns into KeyboardInterrupt."
        )
        edit = stopsignal_edit(ctx, "SIGINT", link)
        to_int = "STOPSIGNAL SIGINT"
        finding = ctx.finding(RULE, where, message, severity=Severity.ERROR, fix=to_int, edit=edit)
        yield finding._replace(at_once=not link.pid1)
        return
    term_flag = app.term_flag if app.id == "uwsgi" and signal == "SIGTERM" else None
    if term_flag and (term_flag in link.argv or term_flag in link.config_options):
        return  # --die-on-term on the command line or in the config file it reads
    if app.graceful == signal:
        return
    reason = app.avoid_reason(signal)
    stops = stops_on(link, signal)
    wanted = app.graceful
    if reason is None and stops is False and (wanted or stops_on(link, "SIGTERM")):
        wanted = wanted or "SIGTERM"
        source = " (inherited from the base image)" if not overrides else ""
        reason = f"it ignores {signal}{source} {'as PID 1' if link.pid1 else ''}".rstrip()
        reason += ", so the container is SIGKILLed after the grace period"
    if reason is None:
        if wanted is None or stops:
            return  # no graceful signal of its own, or it stops cleanly on this one too
        reason = "which is not its graceful-stop signal"
        message = f"{app.label} gets {signal} at `docker stop`, {reason}."
    else:
        message = f"{app.label} gets {signal} at `docker stop`: {reason}."
    severity = Severity.ERROR if "SIGKILL" in reason else Severity.WARNING
    if wanted:
        message += f" Its graceful stop is {wanted}."
    if inherited and inherited == wanted and overrides:
        message += f" The base image already sets STOPSIGNAL {inherited}; this line overrides it."
    if app.note:
        message += f" Also: {app.note}."
    if wanted:
        fix: str | None = f"STOPSIGNAL {wanted}"
    elif app.term_flag and link.app_config:
        fix = f"add {app.term_flag} to the command, or `{app.term_flag[2:]} = true` to {link.app_config}"
    else:
        fix = f"add {app.term_flag} to the command" if app.term_flag else None
    edit = stopsignal_edit(ctx, wanted, link) if wanted else None
    yield ctx.finding(RULE, where, message, severity=severity, fix=fix, edit=edit)


RULE = Rule(
    id="SIG402",
    name="stopsignal-mismatch",
    severity=Severity.WARNING,
    summary="The stop signal is not the app's graceful-stop signal",
    check=check,
)
