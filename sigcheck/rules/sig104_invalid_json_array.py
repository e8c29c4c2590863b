"""SIG104: a JSON-looking array that is not valid JSON runs as shell form (documentation: rules/SIG104.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sigcheck.edits import instruction_edit, intended_elements, json_repair
from sigcheck.findings import Finding, Severity
from sigcheck.model.image import Command
from sigcheck.rules.base import Context, Rule


def _commands(ctx: Context) -> Iterator[Command]:
    config = ctx.config
    for command in (config.entrypoint, config.cmd):
        if command is not None and command.form == "malformed" and command.instruction is not None:
            yield command


def check(ctx: Context) -> Iterator[Finding]:
    for command in _commands(ctx):
        ins = command.instruction
        assert ins is not None
        assert command.shell_string is not None
        shell = " ".join(command.argv[:-1])
        as_shell = json.dumps(command.shell_string, ensure_ascii=False)
        message = (
            f"{command.keyword} {command.shell_string} is not a JSON array ({ins.json_error}), so Docker "
            f"silently runs it as shell form: {shell} {as_shell}. The shell "
            "tries to run a command named after the first bracketed word, the container fails to "
            "start, and if it did start the shell would sit between Docker and the app as PID 1."
        )
        elements = intended_elements(command.shell_string)
        fix = f"{command.keyword} {json.dumps(elements, ensure_ascii=False)}" if elements else None
        edit = None
        repair = json_repair(ins.rest) if elements else None
        # Safe only when the repaired text says, as JSON, what the author's text says as a
        # Python/JavaScript list: `["\$PORT"]` (Python keeps the backslash) gets no edit.
        if repair is not None and repair[1] == elements:
            edit = instruction_edit(ctx, ins, repair[0])
        yield ctx.finding(RULE, command.span or ctx.at(ins), message, fix=fix, edit=edit)


RULE = Rule(
    id="SIG104",
    name="invalid-json-array",
    severity=Severity.ERROR,
    summary="JSON-looking ENTRYPOINT/CMD array that is not valid JSON silently becomes shell form",
    check=check,
    precision="very-high",
)
