"""SIG101: shell-form ENTRYPOINT (documentation: rules/SIG101.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.chain import Link
from sigcheck.model.image import Command
from sigcheck.rules.base import Context, Rule
from sigcheck.rules.shell_wrapper import shell_link_findings


def _owns(origin: Command) -> bool:
    return origin.keyword == "ENTRYPOINT" and origin.form == "shell"


def _what(link: Link) -> str:
    return (
        f"Shell-form ENTRYPOINT runs as `{' '.join(link.argv[:-1])} ...` (and silently ignores CMD "
        "and `docker run` arguments)"
    )


def check(ctx: Context) -> Iterator[Finding]:
    yield from shell_link_findings(ctx, RULE, _owns, _what)


RULE = Rule(
    id="SIG101",
    name="shell-form-entrypoint",
    severity=Severity.ERROR,
    summary="Shell-form ENTRYPOINT puts /bin/sh between Docker and the app",
    check=check,
)
