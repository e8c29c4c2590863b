"""SIG103: exec-form ["sh", "-c", "..."] whose last command is not exec'd (documentation: rules/SIG103.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.chain import Link
from sigcheck.model.image import Command
from sigcheck.rules.base import Context, Rule
from sigcheck.rules.shell_wrapper import shell_link_findings


def _owns(origin: Command) -> bool:
    return origin.form == "exec"


def _what(ctx: Context, link: Link) -> str:
    written = ctx.written_as(link.origin)
    wrapper = " ".join(link.argv[:-1])
    if written.endswith(":"):  # a deployment's list (or Compose's split string): argv, no shell of its own
        return f"`{written}` wraps the app in `{wrapper}`"
    return f"Exec-form {written} wraps the app in `{wrapper}`"


def check(ctx: Context) -> Iterator[Finding]:
    yield from shell_link_findings(ctx, RULE, _owns, lambda link: _what(ctx, link))


RULE = Rule(
    id="SIG103",
    name="exec-form-shell-wrapper",
    severity=Severity.ERROR,
    summary='Exec-form ["sh", "-c", ...] without `exec` before the last command',
    check=check,
)
