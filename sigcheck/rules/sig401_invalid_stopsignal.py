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


def _stop_signals(ctx: Context) -> Iterator[tuple[str, str | None, Span, bool]]:
    """(how it is written, value, where, set by a deployment) of every stop signal the input sets: each
    STOPSIGNAL of the stage and the stages it is built on, or the image config's, and
    the deployment's own (the last item: True). An unresolved `STOPSIGNAL $SIG` is skipped."""
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
                    yield "STOPSIGNAL", None, ctx.at(ins), False  # not one argument: BuildKit fails
                    continue
                value, complete = expand(words[0], stage.config.env, view.parsed.escape)
                if complete:
                    yield "STOPSIGNAL", value, ctx.at(ins), False
    elif ctx.config.stopsignal is not None and ctx.config.stopsignal.span is not None:
        yield "STOPSIGNAL", ctx.config.stopsignal.value, ctx.config.stopsignal.span, False
    own = ctx.runtime.stop_signal
    if own is not None and own.span is not None:
        yield own.span.logical or "the stop signal", own.value, own.span, True


def _fix(written: str, deployed: bool) -> str:
    """`STOPSIGNAL SIGTERM`, or for a deployment's key (`services.web.stop_signal`) the YAML
    line to write: `stop_signal: SIGTERM`."""
    return f"{written.rsplit('.', 1)[-1]}: SIGTERM" if deployed else f"{written} SIGTERM"


def check(ctx: Context) -> Iterator[Finding]:
    app = ctx.chain.app
    graceful = app.app.graceful if app is not None and app.app is not None else None
    for written, value, span, deployed in _stop_signals(ctx):
        if value is None:
            yield ctx.finding(RULE, span, "STOPSIGNAL takes exactly one argument; BuildKit fails the build.")
            continue
        parsed = parse_signal(value)
        if parsed.error is not None:
            fails = (
                "so the container is never created"
                if deployed
                else "so the build fails (and `docker create` refuses such an image)"
            )
            message = (
                f"{written} {value}: Docker's parser rejects it ({parsed.error}), {fails}. Use a name "
                "such as SIGTERM or a number from 1 to 64; real-time signals are SIGRTMIN+0..15 and "
                "SIGRTMAX-14..0."
            )
            yield ctx.finding(RULE, span, message, fix=_fix(written, deployed))
            continue
        number = parsed.number
        assert number is not None
        if number < 1 or number > 64:
            message = (
                f"{written} {value} passes Docker's parser but is not a signal the kernel can send: "
                "`docker stop` fails to deliver it and falls back to SIGKILL after 2 s, so the app never "
                "shuts down gracefully."
            )
            yield ctx.finding(RULE, span, message, fix=_fix(written, deployed))
        elif parsed.name in ("SIGKILL", "SIGSTOP"):
            message = f"{written} {value} cannot be caught or handled: every `docker stop` " + (
                "kills the app at once, with no graceful shutdown."
                if parsed.name == "SIGKILL"
                else "freezes the app until the grace period ends and SIGKILL arrives."
            )
            yield ctx.finding(RULE, span, message, severity=Severity.WARNING, fix=_fix(written, deployed))
        elif parsed.name in _POINTLESS and parsed.name != graceful:
            message = (
                f"{written} {value}: {parsed.name} does not ask a process to stop (its default action "
                "is to ignore it or to continue), so unless the app handles it specially the container "
                "is SIGKILLed after the grace period."
            )
            yield ctx.finding(RULE, span, message, severity=Severity.WARNING, fix=_fix(written, deployed))


RULE = Rule(
    id="SIG401",
    name="invalid-stopsignal",
    severity=Severity.ERROR,
    summary="STOPSIGNAL that Docker rejects, cannot send, or that cannot stop anything gracefully",
    check=check,
)
