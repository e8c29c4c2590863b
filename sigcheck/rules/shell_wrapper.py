"""Shared by SIG101-SIG103: a shell link that may keep the shell as PID 1.

The three rules differ only in which links they own (shell-form ENTRYPOINT,
shell-form CMD, exec-form `sh -c`); the verdict, the message and the fix are
the same question asked of the chain, so they are written once here.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterator

from sigcheck.edits import (
    exec_form_words,
    exec_point,
    insert_exec,
    instruction_edit,
    json_string_spans,
    script_reads_arguments,
    script_text,
)
from sigcheck.findings import Edit, Finding, Severity
from sigcheck.model.baseimages import shell_label
from sigcheck.model.chain import Link
from sigcheck.model.image import Command
from sigcheck.rules.base import Context, Rule

__all__ = ["shell_link_findings", "shell_link_fix"]


def _dockerfile_json(words: list[str]) -> str:
    return json.dumps(words, ensure_ascii=False)


def fix_for_shell_link(link: Link, keyword: str | None = None) -> str | None:
    """The corrected ENTRYPOINT/CMD line for a shell link, when there is one (a suggestion:
    `shell_link_fix` says which one `--fix` may apply); `keyword` as the user wrote it
    (`command:` for a deployment's override)."""
    cs = link.command_string
    origin = link.origin
    if cs is None or origin is None:
        return None
    keyword = keyword or origin.keyword
    if origin.form == "shell":
        words = exec_form_words(cs.text)
        if words is not None:
            return f"{keyword} {_dockerfile_json(words)}"
        fixed = insert_exec(cs)
        return f"{keyword} {fixed}" if fixed is not None else None
    fixed = insert_exec(cs)
    if fixed is None:
        return None
    argv = list(origin.argv)
    if cs.text not in argv:
        return None  # a shell started by a shell (`sh -c "sh -c app"`): no single edit to show
    argv[argv.index(cs.text)] = fixed
    return f"{keyword} {_dockerfile_json(argv)}"


_SHELLS = frozenset({"sh", "bash", "dash", "ash"})
_SET_OPTIONS = frozenset({"errexit", "nounset", "pipefail", "xtrace"})
# Patterns are strings: re compiles (and caches) one on first use, not at every start-up.
# Options that change nothing for one simple command of literal words (-x only traces it).
_OPTION = r"[-+][euxc]*o?"


def _plain_shell(shell_argv: tuple[str, ...]) -> bool:
    """`/bin/sh -c`, `bash -o pipefail -c` ...: a POSIX shell whose options do not matter."""
    if not shell_argv:
        return False
    name = posixpath.basename(shell_argv[0])
    options = list(shell_argv[1:])
    if name == "busybox" and options[:1] == ["sh"]:
        options = options[1:]
    elif name not in _SHELLS:
        return False
    i = 0
    while i < len(options):
        word = options[i]
        if not re.fullmatch(_OPTION, word) or word in ("-", "+"):
            return False
        if word.endswith("o"):
            if i + 1 >= len(options) or options[i + 1] not in _SET_OPTIONS:
                return False
            i += 1
        i += 1
    return bool(options) and "c" in options[-1]


def _exec_form_safe(ctx: Context, link: Link, origin: Command) -> bool:
    """Exec form runs the same argv: the shell is a plain POSIX `sh -c`, whatever runs
    before it passes the command on without looking at it, and no other stage sees the
    instruction differently (a shell-form ENTRYPOINT ignores CMD; exec form would not)."""
    if not _plain_shell(link.argv[:-1]):
        return False
    if posixpath.basename(link.argv[0]) == "bash" and "BASH_ENV" in ctx.config.env:
        return False
    for before in ctx.chain.links[: ctx.chain.links.index(link)]:
        if before.role in ("wrapper", "init"):
            continue
        info = before.script
        if before.role == "script" and info is not None and info.origin is not None:
            text = script_text(ctx, info.origin)
            if text is not None and not script_reads_arguments(text):
                continue  # it runs "$@" and never looks at it
        return False  # an entrypoint may branch on "$1": `/bin/sh` now, the app after
    if ctx.dockerfile is None:
        return True  # no other stage can see the instruction
    ins, target = origin.instruction, ctx.dockerfile.stage
    for stage in ctx.dockerfile.model.stages:
        config = stage.config
        if origin.keyword == "ENTRYPOINT":
            uses = config.entrypoint is not None and config.entrypoint.instruction is ins
            if uses and config.cmd is not None and config.cmd.argv:
                return False  # the CMD would become the app's arguments
        else:
            uses = config.cmd is not None and config.cmd.instruction is ins
            if uses and stage is not target and config.entrypoint is not None and config.entrypoint.argv:
                return False
    return True


def shell_link_fix(ctx: Context, link: Link) -> tuple[str | None, Edit | None]:
    """(fix text, safe edit) for a shell link: exec form for a plain command, else `exec`
    before the last command; the text is what the edit writes when there is one."""
    text = fix_for_shell_link(link, ctx.written_as(link.origin))
    cs = link.command_string
    origin = link.origin
    if cs is None or origin is None or origin.instruction is None:
        return text, None
    ins = origin.instruction
    keyword = origin.keyword
    if origin.form == "shell":
        if cs.text != ins.rest:
            return text, None
        words = exec_form_words(cs.text)
        if words is not None and _exec_form_safe(ctx, link, origin):
            value = _dockerfile_json(words)
            edit = instruction_edit(ctx, ins, [(0, len(ins.rest), value)])
            if edit is not None:
                return f"{keyword} {value}", edit
        at = exec_point(cs) if link.shell != "none" else None
        fixed = insert_exec(cs)
        if at is None or fixed is None:
            return text, None
        offset = len(cs.text.encode("utf-8", "surrogateescape")[:at].decode("utf-8", "surrogateescape"))
        edit = instruction_edit(ctx, ins, [(offset, offset, "exec ")])
        return (f"{keyword} {fixed}", edit) if edit is not None else (text, None)
    fixed = insert_exec(cs) if origin.form == "exec" and link.shell != "none" else None
    if fixed is None:
        return text, None
    argv = list(origin.argv)
    hits = [k for k, word in enumerate(argv) if word == cs.text]
    spans = json_string_spans(ins.rest)
    if len(hits) != 1 or spans is None or len(spans) != len(argv):
        return text, None
    start, end = spans[hits[0]]
    argv[hits[0]] = fixed
    edit = instruction_edit(ctx, ins, [(start, end, json.dumps(fixed, ensure_ascii=False))])
    return (f"{keyword} {_dockerfile_json(argv)}", edit) if edit is not None else (text, None)


def _app(link: Link) -> str:
    cs = link.command_string
    if cs is not None and cs.argv:
        return "`" + " ".join(cs.argv) + "`"
    return "the app"


def _message(ctx: Context, link: Link, what: str) -> tuple[Severity, str]:
    verdict = link.verdict
    assert verdict is not None
    shell = shell_label(link.shell)
    signal = ctx.chain.stopsignal
    app = _app(link)
    base = ctx.config.base
    if link.shell == "none":
        return Severity.ERROR, (
            f"{what}. The base image has no /bin/sh, so the container cannot start. "
            "Use exec form with the app's full path."
        )
    if verdict.execs is False:
        if link.pid1:
            effect = (
                f"`docker stop` sends {signal} to PID 1, which is {link.argv[0]} ({shell}), not {app}: "
                f"{verdict.reason}. The shell does not forward the signal, so the app never sees it "
                f"and is SIGKILLed {ctx.chain.runtime.after_grace}."
            )
        else:
            effect = (
                f"{link.argv[0]} ({shell}) is not PID 1 and runs {app} as its child: {verdict.reason}. "
                f"A signal that reaches the shell is not forwarded; the app is killed without a "
                f"graceful shutdown."
            )
        return Severity.ERROR, f"{what}, and the shell stays between Docker and the app. {effect}"
    if verdict.execs is True:
        # It works (the shell is replaced by the app), so it is hardening advice, never a warning.
        where = "becomes PID 1" if link.pid1 else "takes the shell's place"
        return Severity.INFO, (
            f"{what}: this works only because {shell} execs the final command ({verdict.reason}): "
            f"{app} {where} and gets {signal}. A redirection, a command after it or a `trap` in the "
            f"string would keep {shell} in between, and the app would be SIGKILLed "
            f"{ctx.chain.runtime.after_grace}. Exec form says the same without the shell."
        )
    image = f" ({base.reference})" if base is not None else ""
    return Severity.WARNING, (
        f"{what}: whether {link.argv[0]} execs {app} or stays PID 1 depends on the image's shell, "
        f"which sigcheck cannot tell{image}: {verdict.reason}. If it stays (Debian's dash always "
        f"does), {signal} never reaches the app and it is SIGKILLed {ctx.chain.runtime.after_grace}."
    )


def shell_link_findings(
    ctx: Context, rule: Rule, owns: Callable[[Command], bool], what: Callable[[Link], str]
) -> Iterator[Finding]:
    reported: set[int] = set()
    for link in ctx.chain.links:
        origin = link.origin
        if link.role != "shell" or origin is None:
            continue
        if id(origin) in reported:
            continue  # `sh -c "sh -c app"`: the outer shell's finding covers the instruction
        if not owns(origin) or link.verdict is None or link.verdict.explicit:
            continue
        if ctx.chain.init_before(link) is not None and link.verdict.execs is not True:
            continue  # an init in front of a shell that stays: SIG304 reports it
        reported.add(id(origin))
        severity, message = _message(ctx, link, what(link))
        fix, edit = shell_link_fix(ctx, link)
        if fix is None and link.shell != "none":  # without a shell, `exec` cannot help
            message += " Start the app with `exec` as the last command, or use exec form."
        yield ctx.finding(rule, origin.span or ctx.anchor(), message, severity=severity, fix=fix, edit=edit)
