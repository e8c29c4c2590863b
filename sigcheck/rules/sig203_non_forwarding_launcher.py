"""SIG203: a launcher that does not forward the stop signal is in the chain (doc: rules/SIG203.md)."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator

from sigcheck.edits import exec_form_words, instruction_edit
from sigcheck.findings import Edit, Finding, Severity
from sigcheck.model.chain import Link
from sigcheck.rules.base import Context, Rule


def _npm_start_fix(ctx: Context, link: Link) -> tuple[str, Edit] | None:
    """`CMD ["npm", "start"]` -> `CMD ["node", "server.js"]` when package.json's start script
    is a plain `node ...` command: the same process, without npm and its `sh -c`."""
    origin = link.origin
    if origin is None or origin.instruction is None or origin.form != "exec" or origin.argv != link.argv:
        return None
    argv = list(link.argv)
    if not argv or posixpath.basename(argv[0]) != "npm":
        return None
    if argv[1:2] == ["start"]:
        extra = argv[2:]
    elif argv[1:3] in (["run", "start"], ["run-script", "start"]):
        extra = argv[3:]
    else:
        return None
    if extra and extra[0] != "--":
        return None  # npm options: not ours to translate
    from sigcheck.model.packages import npm_start_script  # only where npm starts the app

    start = npm_start_script(ctx.files, ctx.config.workdir) if ctx.files is not None else None
    words = exec_form_words(start) if start is not None else None
    if not words or words[0] != "node":
        return None
    value = json.dumps([*words, *extra[1:]], ensure_ascii=False)
    ins = origin.instruction
    edit = instruction_edit(ctx, ins, [(0, len(ins.rest), value)])
    return (f"{origin.keyword} {value}", edit) if edit is not None else None


def check(ctx: Context) -> Iterator[Finding]:
    signal = ctx.chain.stopsignal
    for link in ctx.chain.links:
        launcher = link.launcher
        if link.role != "launcher" or launcher is None or launcher.forwards:
            continue
        who = "as PID 1" if link.pid1 else "in the chain"
        message = (
            f"`{' '.join(link.argv)}` runs {who}: at `docker stop` ({signal}), {launcher.why}. "
            f"Instead, {launcher.instead}."
        )
        severity = Severity.ERROR if launcher.severity == "error" else Severity.WARNING
        fix = _npm_start_fix(ctx, link) if launcher.name == "npm" else None
        finding = ctx.link_finding(
            RULE,
            link,
            message,
            severity=severity,
            fix=fix[0] if fix is not None else None,
            edit=fix[1] if fix is not None else None,
        )
        yield finding._replace(at_once=launcher.exits_first)


RULE = Rule(
    id="SIG203",
    name="non-forwarding-launcher",
    severity=Severity.ERROR,
    summary="npm, yarn 1, pnpm, su or runuser between PID 1 and the app mishandles the stop signal",
    check=check,
)
