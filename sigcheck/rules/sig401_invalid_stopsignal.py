"""SIG401: a STOPSIGNAL Docker rejects, or one that cannot stop anything gracefully (doc: rules/SIG401.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.expand import expand
from sigcheck.model.image import Stage
from sigcheck.model.signals import parse_signal
from sigcheck.rules.base import Context, Rule

_POINTLESS = {"SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH"}


def check(ctx: Context) -> Iterator[Finding]:
    app = ctx.chain.app
    graceful = app.app.graceful if app is not None and app.app is not None else None
    current: Stage | None = ctx.stage
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
                yield ctx.finding(
                    RULE, ctx.at(ins), "STOPSIGNAL takes exactly one argument; BuildKit fails the build."
                )
                continue
            value, complete = expand(words[0], stage.config.env, ctx.parsed.escape)
            if not complete:
                continue  # `STOPSIGNAL $SIG` with a build argument sigcheck cannot see
            parsed = parse_signal(value)
            if parsed.error is not None:
                message = (
                    f"STOPSIGNAL {value}: Docker's parser rejects it ({parsed.error}), so the build fails "
                    "(and `docker create` refuses such an image). Use a name such as SIGTERM or a number "
                    "from 1 to 64; real-time signals are SIGRTMIN+0..15 and SIGRTMAX-14..0."
                )
                yield ctx.finding(RULE, ctx.at(ins), message, fix="STOPSIGNAL SIGTERM")
                continue
            number = parsed.number
            assert number is not None
            if number < 1 or number > 64:
                message = (
                    f"STOPSIGNAL {value} passes Docker's parser but is not a signal the kernel can send: "
                    "`docker stop` fails to deliver it and falls back to SIGKILL after 2 s, so the app never "
                    "shuts down gracefully."
                )
                yield ctx.finding(RULE, ctx.at(ins), message, fix="STOPSIGNAL SIGTERM")
            elif parsed.name in ("SIGKILL", "SIGSTOP"):
                message = f"STOPSIGNAL {value} cannot be caught or handled: every `docker stop` " + (
                    "kills the app at once, with no graceful shutdown."
                    if parsed.name == "SIGKILL"
                    else "freezes the app until the grace period ends and SIGKILL arrives."
                )
                yield ctx.finding(
                    RULE, ctx.at(ins), message, severity=Severity.WARNING, fix="STOPSIGNAL SIGTERM"
                )
            elif parsed.name in _POINTLESS and parsed.name != graceful:
                message = (
                    f"STOPSIGNAL {value}: {parsed.name} does not ask a process to stop (its default action "
                    "is to ignore it or to continue), so unless the app handles it specially the container "
                    "is SIGKILLed after the grace period."
                )
                yield ctx.finding(
                    RULE, ctx.at(ins), message, severity=Severity.WARNING, fix="STOPSIGNAL SIGTERM"
                )


RULE = Rule(
    id="SIG401",
    name="invalid-stopsignal",
    severity=Severity.ERROR,
    summary="STOPSIGNAL that Docker rejects, cannot send, or that cannot stop anything gracefully",
    check=check,
)
