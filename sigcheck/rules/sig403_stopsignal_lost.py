"""SIG403: a STOPSIGNAL that will not reach the app (doc: rules/SIG403.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.image import Stage
from sigcheck.rules.base import Context, Rule

# signal-semantics.md §5 Table 5b: what each launcher does with each signal as PID 1.
_DROPPED = {
    "su": {"SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH"},
    "runuser": {"SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH"},
    "timeout": {"SIGUSR1", "SIGUSR2", "SIGWINCH"},
}
_REWRITTEN = {"su": {"SIGINT": "SIGTERM", "SIGQUIT": "SIGTERM"}}


def _ancestors(stage: Stage) -> set[int]:
    seen: set[int] = set()
    current: Stage | None = stage
    while current is not None:
        seen.add(current.index)
        current = current.parent
    return seen


def check(ctx: Context) -> Iterator[Finding]:
    inherited = _ancestors(ctx.stage)
    for stage in ctx.model.stages:
        if stage.index in inherited:
            continue
        for ins in stage.instructions:
            if ins.keyword == "STOPSIGNAL":
                message = (
                    f"STOPSIGNAL in stage {stage.label!r} has no effect on the image that runs (stage "
                    f"{ctx.stage.label!r} is not built on it): image config is not copied by COPY --from. "
                    "Set it in the final stage."
                )
                yield ctx.finding(RULE, ins, message, severity=Severity.WARNING)
    signal = ctx.chain.stopsignal
    for link in ctx.chain.links:
        if not link.pid1:
            continue
        name = link.launcher.name if link.launcher is not None else None
        rewrites = dict(link.init.rewrites) if link.init is not None else {}
        origin = link.origin
        if origin is None or origin.instruction is None:
            continue
        if (name in _DROPPED and signal in _DROPPED[name]) or rewrites.get(signal) == "none":
            who = name or (link.init.id if link.init else link.program)
            message = (
                f"{who} is PID 1 and drops {signal}: the app never receives the stop signal and is SIGKILLed "
                "after the grace period. Start the app with an exec-style tool instead (gosu, setpriv), "
                "or let the signal through."
            )
            yield ctx.finding(RULE, origin.instruction, message, severity=Severity.ERROR)
        elif (name in _REWRITTEN and signal in _REWRITTEN[name]) or signal in rewrites:
            target = _REWRITTEN.get(name or "", {}).get(signal) or rewrites.get(signal)
            who = name or (link.init.id if link.init else link.program)
            message = (
                f"{who} is PID 1 and turns {signal} into {target} before the app sees it, so the graceful "
                f"stop the STOPSIGNAL asks for does not happen."
            )
            yield ctx.finding(RULE, origin.instruction, message, severity=Severity.WARNING)


RULE = Rule(
    id="SIG403",
    name="stopsignal-lost",
    severity=Severity.WARNING,
    summary="STOPSIGNAL that never reaches the app: set in an unused stage, or dropped or rewritten by PID 1",
    check=check,
)
