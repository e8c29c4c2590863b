"""SIG401: a STOPSIGNAL Docker rejects, or one that cannot stop anything gracefully (doc: rules/SIG401.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.expand import expand
from sigcheck.model.image import Stage
from sigcheck.model.signals import parse_signal
from sigcheck.rules.base import Context, Rule
from sigcheck.span import Span

_POINTLESS = {"SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH"}


def _stop_signals(ctx: Context) -> Iterator[tuple[str, str | None, Span]]:
    """(how it is written, value, where) of every stop signal the input sets: each
    STOPSIGNAL of the stage and the stages it is built on, or the image config's, and
    the deployment's own. An unresolved `STOPSIGNAL $SIG` is skipped."""
    view = ctx.dockerfile
    if view is not None:
        current: Stage | None = view.stage
        stages: list[Stage] = []
        while current is not None:
            stages.append(current)
            current = current.parent
        for stage in reversed(stages):
            for ins in stage.instructions:
                if ins.keyword != "STOPSIGNAL":
                    continue
                words = ins.rest.split()
                if len(words) != 1:
                    yield "STOPSIGNAL", None, ctx.at(ins)  # not one argument: BuildKit fails
                    continue
                value, complete = expand(words[0], stage.config.env, view.parsed.escape)
                if complete:
                    yield "STOPSIGNAL", value, ctx.at(ins)
    elif ctx.config.stopsignal is not None and ctx.config.stopsignal.span is not None:
        yield "STOPSIGNAL", ctx.config.stopsignal.value, ctx.config.stopsignal.span
    own = ctx.runtime.stop_signal
    if own is not None and own.span is not None:
        yield own.span.logical or "the stop signal", own.value, own.span


def check(ctx: Context) -> Iterator[Finding]:
    app = ctx.chain.app
    graceful = app.app.graceful if app is not None and app.app is not None else None
    for written, value, span in _stop_signals(ctx):
        if value is None:
            yield ctx.finding(RULE, span, "STOPSIGNAL takes exactly one argument; BuildKit fails the build.")
            continue
        parsed = parse_signal(value)
        if parsed.error is not None:
            message = (
                f"{written} {value}: Docker's parser rejects it ({parsed.error}), so the build fails "
                "(and `docker create` refuses such an image). Use a name such as SIGTERM or a number "
                "from 1 to 64; real-time signals are SIGRTMIN+0..15 and SIGRTMAX-14..0."
            )
            yield ctx.finding(RULE, span, message, fix=f"{written} SIGTERM")
            continue
        number = parsed.number
        assert number is not None
        if number < 1 or number > 64:
            message = (
                f"{written} {value} passes Docker's parser but is not a signal the kernel can send: "
                "`docker stop` fails to deliver it and falls back to SIGKILL after 2 s, so the app never "
                "shuts down gracefully."
            )
            yield ctx.finding(RULE, span, message, fix=f"{written} SIGTERM")
        elif parsed.name in ("SIGKILL", "SIGSTOP"):
            message = f"{written} {value} cannot be caught or handled: every `docker stop` " + (
                "kills the app at once, with no graceful shutdown."
                if parsed.name == "SIGKILL"
                else "freezes the app until the grace period ends and SIGKILL arrives."
            )
            yield ctx.finding(RULE, span, message, severity=Severity.WARNING, fix=f"{written} SIGTERM")
        elif parsed.name in _POINTLESS and parsed.name != graceful:
            message = (
                f"{written} {value}: {parsed.name} does not ask a process to stop (its default action "
                "is to ignore it or to continue), so unless the app handles it specially the container "
                "is SIGKILLed after the grace period."
            )
            yield ctx.finding(RULE, span, message, severity=Severity.WARNING, fix=f"{written} SIGTERM")


RULE = Rule(
    id="SIG401",
    name="invalid-stopsignal",
    severity=Severity.ERROR,
    summary="STOPSIGNAL that Docker rejects, cannot send, or that cannot stop anything gracefully",
    check=check,
)
