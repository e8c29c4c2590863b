"""SIG603: the runtime adds an init in front of an image that starts its own (doc: rules/SIG603.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule


def check(ctx: Context) -> Iterator[Finding]:
    added = ctx.runtime.init
    links = ctx.chain.links
    # Only an init the deployment writes (`init: true`); `--assume-init` is the user's guess.
    if added is None or added.span is None or not links or links[0].role != "init":
        return
    second = next((link for link in links[1:] if link.role == "init" and link.init is not None), None)
    if second is None or ctx.chain.init_before(second) is not links[0]:
        return
    yield ctx.finding(
        RULE,
        added.span,
        f"`init: true` puts docker-init (tini) in front as PID 1, and the image already starts its "
        f"own init, `{' '.join(second.argv)}`: two inits, one behind the other. It works (docker-init "
        f"forwards {ctx.chain.stopsignal} to the image's init, which forwards it to the app, and PID 1 "
        "reaps zombies), but it is confusing and one of them does nothing. Remove `init: true`, or "
        "drop the init from the image's ENTRYPOINT if every deployment sets it.",
        fix="remove `init: true` from the service",
    )


RULE = Rule(
    id="SIG603",
    name="double-init",
    severity=Severity.INFO,
    summary="Compose `init: true` on an image whose ENTRYPOINT already is an init",
    check=check,
    precision="very-high",
)
