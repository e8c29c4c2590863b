"""SIG602: the grace period ends before the app's own drain timeout (doc: rules/SIG602.md)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.drain import drain_timeout
from sigcheck.rules.base import Context, Rule
from sigcheck.span import Span

# What the runtime needs after the drain: the app's own exit, and the kubelet's or
# Docker's bookkeeping. A fix that leaves the drain exactly the grace period is no fix.
_MARGIN_SECONDS = 5


def check(ctx: Context) -> Iterator[Finding]:
    runtime = ctx.runtime
    app = ctx.chain.app
    # A bare Dockerfile has no grace period of its own: whoever runs it decides.
    if runtime.platform == "docker" or app is None:
        return
    signal = ctx.chain.delivered(app)
    environment: dict[str, tuple[str, Span | None]] = {name: (v, None) for name, v in ctx.config.env.items()}
    environment.update((name, (setting.value, setting.span)) for name, setting in runtime.environment)
    drain = drain_timeout(app, environment)
    # Only a drain this signal starts: gunicorn's SIGINT is its quick shutdown, nginx drains on SIGQUIT.
    if drain is None or signal is None or signal not in drain.signals:
        return
    pre_stop = runtime.pre_stop_seconds or 0.0
    available = runtime.grace_seconds - pre_stop
    if drain.seconds < available:
        return
    kubernetes = runtime.platform == "kubernetes"
    field = "terminationGracePeriodSeconds" if kubernetes else "stop_grace_period"
    written = "" if runtime.grace_span is not None else " (the default)"
    after_hook = f", {pre_stop:g} s of it taken by the preStop hook" if pre_stop else ""
    needed = math.ceil(pre_stop + drain.seconds) + _MARGIN_SECONDS
    fix = f"{field}: {needed}" if kubernetes else f"{field}: {needed}s"
    span = drain.span or runtime.grace_span or ctx.anchor()
    yield ctx.finding(
        RULE,
        span,
        f"{drain.server} drains in-flight work for up to {drain.seconds:g} s after {signal} "
        f"(`{drain.setting}`), but {field} is {runtime.grace_seconds:g} s{written}{after_hook}: the "
        f"runtime SIGKILLs the app {available:g} s after the signal, before its drain can end, and "
        f"the requests or jobs it was finishing are cut off. Raise {field} to at least the drain "
        f"plus a few seconds, or lower the drain timeout below {available:g} s.",
        fix=fix,
    )


RULE = Rule(
    id="SIG602",
    name="grace-shorter-than-drain",
    severity=Severity.WARNING,
    summary="The deployment's grace period ends before the app's configured drain timeout",
    check=check,
    precision="very-high",
)
