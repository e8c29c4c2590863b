"""Shared by SIG101-SIG103: a shell link that may keep the shell as PID 1.

The three rules differ only in which links they own (shell-form ENTRYPOINT,
shell-form CMD, exec-form `sh -c`); the verdict, the message and the fix are
the same question asked of the chain, so they are written once here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.baseimages import shell_label
from sigcheck.model.chain import Link
from sigcheck.model.image import Command
from sigcheck.rules.base import Context, Rule
from sigcheck.shell.command_string import CommandString

__all__ = ["GRACE", "exec_form_fix", "insert_exec", "shell_link_findings"]

GRACE = "after the grace period (10 s in Docker, 30 s in Kubernetes)"


def insert_exec(cs: CommandString) -> str | None:
    """The command string with `exec` before its final command, when that is correct."""
    if cs.final is None or cs.explicit_exec or cs.compound:
        return None
    if cs.pipeline or cs.app_not_last or cs.background or cs.has_trap or cs.negated:
        return None
    raw = cs.text.encode("utf-8", "surrogateescape")
    at = cs.final.name_byte
    return (raw[:at] + b"exec " + raw[at:]).decode("utf-8", "surrogateescape")


def exec_form_fix(cs: CommandString) -> list[str] | None:
    """An exec-form argv equivalent to the string, if it is a plain command."""
    final = cs.final
    if final is None or cs.statements != 1 or not all(final.literal):
        return None
    if final.assignments or final.redirected or cs.subshell or cs.group or cs.compound:
        return None
    if cs.pipeline or cs.app_not_last or cs.background or cs.has_trap or cs.negated:
        return None
    words = list(final.words[1:] if cs.explicit_exec else final.words)
    if any(c in w for w in words for c in "*?[~") or not words:
        return None  # globs and ~ need a shell to expand
    return words


def _dockerfile_json(words: list[str]) -> str:
    return json.dumps(words, ensure_ascii=False)


def fix_for_shell_link(link: Link) -> str | None:
    """The corrected ENTRYPOINT/CMD line for a shell link, when there is a safe one."""
    cs = link.command_string
    origin = link.origin
    if cs is None or origin is None:
        return None
    keyword = origin.keyword
    if origin.form == "shell":
        words = exec_form_fix(cs)
        if words is not None:
            return f"{keyword} {_dockerfile_json(words)}"
        fixed = insert_exec(cs)
        return f"{keyword} {fixed}" if fixed is not None else None
    fixed = insert_exec(cs)
    if fixed is None:
        return None
    argv = list(origin.argv)
    argv[argv.index(cs.text)] = fixed
    return f"{keyword} {_dockerfile_json(argv)}"


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
    base = ctx.stage.config.base
    if link.shell == "none":
        return Severity.ERROR, (
            f"{what} needs /bin/sh, but the base image has no shell: the container cannot start. "
            "Use exec form with the app's full path."
        )
    if verdict.execs is False:
        if link.pid1:
            effect = (
                f"`docker stop` sends {signal} to PID 1, which is {link.argv[0]} ({shell}), not {app}: "
                f"{verdict.reason}. The shell does not forward the signal, so the app never sees it "
                f"and is SIGKILLed {GRACE}."
            )
        else:
            effect = (
                f"{link.argv[0]} ({shell}) is not PID 1 and runs {app} as its child: {verdict.reason}. "
                f"A signal that reaches the shell is not forwarded; the app is killed without a "
                f"graceful shutdown."
            )
        return Severity.ERROR, f"{what}, and the shell stays between Docker and the app. {effect}"
    if verdict.execs is True:
        return Severity.WARNING, (
            f"{what} works only by accident: {shell} happens to exec {app} ({verdict.reason}), so the "
            f"app becomes PID 1 and gets {signal}. A Debian-based image, a redirection, a second "
            "command or a `trap` would keep the shell as PID 1, and the app would be SIGKILLed "
            f"{GRACE}."
        )
    image = f" ({base.reference})" if base is not None else ""
    return Severity.WARNING, (
        f"{what}: whether {link.argv[0]} execs {app} or stays PID 1 depends on the image's shell, "
        f"which sigcheck cannot tell{image}: {verdict.reason}. If it stays (Debian's dash always "
        f"does), {signal} never reaches the app and it is SIGKILLed {GRACE}."
    )


def shell_link_findings(
    ctx: Context, rule: Rule, owns: Callable[[Command], bool], what: Callable[[Link], str]
) -> Iterator[Finding]:
    for link in ctx.chain.links:
        origin = link.origin
        if link.role != "shell" or origin is None or origin.instruction is None:
            continue
        if not owns(origin) or link.verdict is None or link.verdict.explicit:
            continue
        if ctx.chain.init_before(link) is not None:
            continue  # an init in front changes what happens: SIG304 reports it
        severity, message = _message(ctx, link, what(link))
        fix = fix_for_shell_link(link)
        if fix is None:
            message += " Start the app with `exec` as the last command, or use exec form."
        yield ctx.finding(rule, origin.instruction, message, severity=severity, fix=fix)
