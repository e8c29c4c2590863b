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


def _what(link: Link) -> str:
    origin = link.origin
    keyword = origin.keyword if origin is not None else "CMD"
    return f"Exec-form {keyword} wraps the app in `{' '.join(link.argv[:-1])}`"


def check(ctx: Context) -> Iterator[Finding]:
    yield from shell_link_findings(ctx, RULE, _owns, _what)


RULE = Rule(
    id="SIG103",
    name="exec-form-shell-wrapper",
    severity=Severity.ERROR,
    summary='Exec-form ["sh", "-c", ...] without `exec` before the last command',
    check=check,
)
