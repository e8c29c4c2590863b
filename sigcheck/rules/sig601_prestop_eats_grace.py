"""SIG601: a preStop sleep as long as the grace period (doc: rules/SIG601.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule


def check(ctx: Context) -> Iterator[Finding]:
    runtime = ctx.runtime
    seconds, span = runtime.pre_stop_seconds, runtime.pre_stop_span
    # Only when both numbers are facts of the manifest: the hook's sleep and the grace period.
    if seconds is None or span is None or seconds < runtime.grace_seconds:
        return
    yield ctx.finding(
        RULE,
        span,
        f"the preStop hook sleeps {seconds:g} s, and terminationGracePeriodSeconds is "
        f"{runtime.grace_seconds:g} s: the kubelet sends {ctx.chain.stopsignal} only when the hook "
        "returns, so the app gets it when the grace period is used up and is SIGKILLed about "
        "2 s later, with no time to shut down. Sleep a few seconds (long enough for the endpoint "
        "to be removed), or raise terminationGracePeriodSeconds above the sleep plus the app's "
        "shutdown time.",
    )


RULE = Rule(
    id="SIG601",
    name="prestop-eats-grace",
    severity=Severity.WARNING,
    summary="A Kubernetes preStop sleep uses up the whole termination grace period",
    check=check,
    precision="very-high",
)
