"""SIG403: a STOPSIGNAL that will not reach the app (doc: rules/SIG403.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.image import Stage
from sigcheck.model.signals import parse_signal
from sigcheck.rules.base import Context, Rule


def _ancestors(stage: Stage) -> set[int]:
    seen: set[int] = set()
    current: Stage | None = stage
    while current is not None:
        seen.add(current.index)
        current = current.parent
    return seen


def _other_stages(ctx: Context) -> Iterator[Finding]:
    """A STOPSIGNAL in a stage the image is not built on (a Dockerfile fact)."""
    if ctx.dockerfile is None:
        return
    target = ctx.dockerfile.stage
    inherited = _ancestors(target)
    for stage in ctx.dockerfile.model.stages:
        if stage.index in inherited:
            continue
        for ins in stage.instructions:
            if ins.keyword == "STOPSIGNAL":
                message = (
                    f"STOPSIGNAL in stage {stage.label!r} has no effect on the image that runs (stage "
                    f"{target.label!r} is not built on it): image config is not copied by COPY --from. "
                    "Set it in the final stage."
                )
                yield ctx.finding(RULE, ctx.at(ins), message, severity=Severity.WARNING)


def check(ctx: Context) -> Iterator[Finding]:
    yield from _other_stages(ctx)
    if parse_signal(ctx.chain.stopsignal).error is not None:
        return
    for link in ctx.chain.links:
        if link.role not in ("launcher", "init") or link.origin is None:
            continue
        before = ctx.chain.delivered(link)
        if before is None:
            break  # nothing gets this far; other rules say why
        launcher, init = link.launcher, link.init
        if launcher is not None:
            after = launcher.passes(before)
            who = launcher.name
        elif init is not None:
            rewritten = dict(init.rewrites).get(before, before)
            after = None if rewritten == "none" else rewritten
            who = init.id
        else:
            continue
        if after is None:
            message = (
                f"{who} drops {before}: the app never receives the stop signal and is SIGKILLed after "
                "the grace period. Start the app with an exec-style tool instead (gosu, setpriv), or "
                "let the signal through."
            )
            yield ctx.link_finding(RULE, link, message, severity=Severity.ERROR)
        elif after != before and launcher is not None:
            # An init's --rewrite is deliberate; a launcher rewriting the signal is not.
            message = (
                f"{who} turns {before} into {after} before the app sees it, so the graceful stop the "
                "STOPSIGNAL asks for does not happen."
            )
            yield ctx.link_finding(RULE, link, message, severity=Severity.WARNING)


RULE = Rule(
    id="SIG403",
    name="stopsignal-lost",
    severity=Severity.WARNING,
    summary="STOPSIGNAL that never reaches the app: set in an unused stage, or dropped or rewritten by PID 1",
    check=check,
)
