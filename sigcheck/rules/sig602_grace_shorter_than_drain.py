"""SIG602: the grace period ends before the app's own drain timeout (doc: rules/SIG602.md)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule
from sigcheck.span import Span

if TYPE_CHECKING:
    from sigcheck.model.drain import DrainTimeout

# What the runtime needs after the drain: the app's own exit, and the kubelet's or
# Docker's bookkeeping. A fix that leaves the drain exactly the grace period is no fix.
_MARGIN_SECONDS = 5


def check(ctx: Context) -> Iterator[Finding]:
    runtime = ctx.runtime
    app = ctx.chain.app
    # A bare Dockerfile has no grace period of its own: whoever runs it decides.
    if runtime.platform == "docker" or app is None:
        return
    # Imported here: its parsers and the app-config readers cost ~3 ms at every start,
    # and only a deployment's lint needs them.
    from sigcheck.model.drain import drain_timeout

    signal = ctx.chain.delivered(app)
    environment: dict[str, tuple[str, Span | None]] = {name: (v, None) for name, v in ctx.config.env.items()}
    environment.update((name, (setting.value, setting.span)) for name, setting in runtime.environment)
    drain = drain_timeout(app, environment, ctx.files, ctx.config.workdir)
    # Only a drain this signal starts: gunicorn's SIGINT is its quick shutdown, nginx drains on SIGQUIT.
    if drain is None or signal is None or signal not in drain.signals:
        return
    pre_stop = runtime.pre_stop_seconds or 0.0
    available = runtime.grace_seconds - pre_stop
    if available <= 0:
        return  # the preStop hook alone outlasts the grace period: SIG601's finding
    if drain.seconds < available:
        return
    kubernetes = runtime.platform == "kubernetes"
    field = "terminationGracePeriodSeconds" if kubernetes else "stop_grace_period"
    written = "" if runtime.grace_span is not None else " (the default)"
    after_hook = f", {pre_stop:g} s of it taken by the preStop hook" if pre_stop else ""
    needed = math.ceil(pre_stop + drain.seconds) + _MARGIN_SECONDS
    setting = f"{field}: {needed}" if kubernetes else f"{field}: {needed}s"
    # The grace period is what to change, and it lives in the deployment file: at its
    # setting, or (left at the default) at the service or container that needs one.
    span = runtime.grace_span or runtime.origin or drain.span or ctx.anchor()
    if runtime.grace_span is not None:
        fix = setting
    elif kubernetes:
        fix = f"add `{setting}` to the pod spec" + (f" ({runtime.label})" if runtime.label else "")
    else:
        fix = f"add `{setting}` to {runtime.label or 'the service'}"
    yield ctx.finding(
        RULE,
        span,
        f"{drain.server} drains in-flight work for up to {drain.seconds:g} s after {signal} "
        f"(`{drain.setting}`{_where(drain, span)}), but {field} is {runtime.grace_seconds:g} s"
        f"{written}{after_hook}: the runtime SIGKILLs the app {available:g} s after the signal, before "
        f"its drain can end, and the requests or jobs it was finishing are cut off. Raise {field} "
        f"to at least the drain plus a few seconds, or lower the drain timeout below {available:g} s.",
        fix=fix,
    )


def _where(drain: DrainTimeout, at: Span) -> str:
    """Where the drain is set, when the finding is not there: the config file, or the line."""
    if drain.file is not None:
        return f" in {drain.file}"
    if drain.span is None or (drain.span.path == at.path and drain.span.line == at.line):
        return ""
    same_file = drain.span.path == at.path
    return f", line {drain.span.line}" if same_file else f", {drain.span.path} line {drain.span.line}"


RULE = Rule(
    id="SIG602",
    name="grace-shorter-than-drain",
    severity=Severity.WARNING,
    summary="The deployment's grace period ends before the app's configured drain timeout",
    check=check,
    precision="very-high",
)
