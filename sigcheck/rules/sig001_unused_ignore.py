"""SIG001: an ignore pragma that silences no finding (documentation: rules/SIG001.md).

Whether a `# sigcheck ignore=...` was needed is known only after every other rule
has run and the ignores have been applied, so the findings are made by
`sigcheck.pragmas.apply_ignores`; this module holds the rule's metadata.
"""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule


def check(ctx: Context) -> Iterator[Finding]:
    return iter(())


RULE = Rule(
    id="SIG001",
    name="unused-ignore",
    severity=Severity.STYLE,
    summary="An ignore pragma that silences no finding: stale, misplaced or misspelled",
    check=check,
    precision="very-high",
)
