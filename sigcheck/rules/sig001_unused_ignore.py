"""SIG001: an ignore pragma that silences no finding (documentation: rules/SIG001.md).

Whether a `# sigcheck ignore=...` was needed is known only after every other rule
has run and the ignores have been applied: `sigcheck.pragmas.apply_ignores`
finds the unused ones (the facts) and asks `unused_ignore_finding` for each
report; `check` has nothing to look at before that.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule

if TYPE_CHECKING:
    from sigcheck.pragmas import Ignore


def check(ctx: Context) -> Iterator[Finding]:
    return iter(())


def unused_ignore_finding(ignore: Ignore, unused: list[str], reasons: list[str]) -> Finding:
    keep = [n for n in ignore.names if n not in unused]
    if keep:
        words = ["sigcheck", *(["global"] if ignore.is_global else []), "ignore=" + ",".join(keep)]
        fix = "# " + " ".join(words + ([ignore.reason] if ignore.reason else []))
    else:
        fix = "delete this comment"
    message = (
        f"This ignore silences nothing: {'; '.join(reasons)}. A stale ignore would hide the next real "
        "finding here; remove it (or the unused rule IDs)."
    )
    return Finding(
        rule=RULE.id,
        name=RULE.name,
        severity=RULE.severity,
        path=ignore.path,
        line=ignore.line,
        column=ignore.column,
        end_line=ignore.line,
        end_column=max(ignore.end_column, ignore.column),
        message=message,
        fix=fix,
    )


RULE = Rule(
    id="SIG001",
    name="unused-ignore",
    severity=Severity.STYLE,
    summary="An ignore pragma that silences no finding: stale, misplaced or misspelled",
    check=check,
    precision="very-high",
)
