"""SIG102: shell-form CMD that ends up in the launch chain (documentation: rules/SIG102.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.chain import Link
from sigcheck.model.image import Command
from sigcheck.rules.base import Context, Rule
from sigcheck.rules.shell_wrapper import shell_link_findings


def _owns(origin: Command) -> bool:
    return origin.keyword == "CMD" and origin.form == "shell"


def _what(link: Link) -> str:
    return f"Shell-form CMD runs as `{' '.join(link.argv[:-1])} ...`"


def check(ctx: Context) -> Iterator[Finding]:
    yield from shell_link_findings(ctx, RULE, _owns, _what)


RULE = Rule(
    id="SIG102",
    name="shell-form-cmd",
    severity=Severity.ERROR,
    summary="Shell-form CMD in the launch chain puts /bin/sh between Docker and the app",
    check=check,
)
