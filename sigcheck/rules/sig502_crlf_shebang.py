"""SIG502: an entry script's shebang ends in a carriage return (doc: rules/SIG502.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.rules.base import Context, Rule


def check(ctx: Context) -> Iterator[Finding]:
    for link in ctx.chain.links:
        info = link.script
        if link.role != "script" or info is None or info.analysis is None or info.origin is None:
            continue
        if not info.analysis.shebang_crlf or info.interpreter is not None:
            continue
        shebang = " ".join(info.analysis.shebang or ())
        message = (
            f"{info.image_path} has Windows line endings: its first line is `#!{shebang}\\r`, so the "
            f"kernel looks for an interpreter named `{shebang.split()[0] if shebang else ''}\\r`, which "
            'does not exist, and the container fails to start ("no such file or directory"). '
            "Convert the file to LF line endings (a .gitattributes `*.sh text eol=lf` keeps it so)."
        )
        yield ctx.script_finding(RULE, info.origin, 1, message, fix=f"#!{shebang}")


RULE = Rule(
    id="SIG502",
    name="crlf-shebang",
    severity=Severity.ERROR,
    summary="Entry script with CRLF line endings: its shebang names an interpreter ending in \\r",
    check=check,
)
