"""SIG301: PID 1 is an app that will ignore the stop signal, and no init runs it (doc: rules/SIG301.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.signals import parse_signal
from sigcheck.rules.apps import only_interrupt, stops_on
from sigcheck.rules.base import Context, Rule
from sigcheck.rules.inits import init_entrypoint, installed_init


def _init_fix(ctx: Context) -> str:
    """The init as the user would add it: Compose has its own switch for docker-init; else
    the init the image already has (s6-overlay's /init, a tini from the package), or tini."""
    if ctx.runtime.platform == "compose":
        return "init: true"
    return init_entrypoint(installed_init(ctx) or "tini")


def check(ctx: Context) -> Iterator[Finding]:
    link = ctx.chain.app
    if link is None or not link.pid1:
        return
    signal = ctx.chain.stopsignal
    # An unresolved (`$ARG`) or uncatchable STOPSIGNAL is SIG401's business; an invalid one
    # arrives here as the SIGTERM of SIG401's fix (model.chain.build_chain).
    if not parse_signal(signal).catchable:
        return
    program = " ".join(link.argv)
    app = link.app
    alternatives = "(or run the container with `docker run --init` / compose `init: true`)"
    if app is None:
        grace = ctx.chain.runtime.after_grace
        message = (
            f"`{program}` is PID 1 and sigcheck does not know whether it handles {signal}: as PID 1 "
            "the kernel drops every signal the program has no handler for, so a program without one "
            f"ignores `docker stop` and is SIGKILLed {grace}. If it does not install a handler, put an "
            f"init in front {alternatives}."
        )
        yield ctx.link_finding(RULE, link, message, severity=Severity.INFO, fix=_init_fix(ctx))
        return
    if stops_on(link, signal) or only_interrupt(link, signal) or app.handles_signals:
        return  # it stops; a better signal (SIGINT for KeyboardInterrupt) is SIG402's advice
    if signal != "SIGTERM" and stops_on(link, "SIGTERM"):
        return  # it would stop on SIGTERM: the STOPSIGNAL is wrong, which SIG402 reports
    exits = ", ".join(sorted(app.pid1_exits_on))
    default = (
        f"without a handler it exits on {exits} only" if exits else "without a handler it exits on no signal"
    )
    if app.handler_patterns:
        if link.app_text:
            looked = "no handler was found in its entry file"
        elif link.app_entry is not None:
            looked = "its entry file could not be checked"
        else:
            looked = _no_entry_file(link.argv)
        default += f"; {looked}"
    message = (
        f"{app.label} (`{program}`) is PID 1 without an init: as PID 1 it ignores {signal} ({default}), "
        "so `docker stop` waits out the grace period and SIGKILLs it, and nobody reaps zombie "
        f"processes. Put an init in front {alternatives}, or handle {signal} in the app."
    )
    # Whether a runtime ignores the signal depends on its entry file: unread, it is not known,
    # as for a program sigcheck does not know at all (info, above).
    unread = bool(app.handler_patterns) and link.app_entry is not None and not link.app_text
    severity = Severity.INFO if unread else None
    yield ctx.link_finding(RULE, link, message, severity=severity, fix=_init_fix(ctx))


# python's and node's options whose value is the next word (`-W ignore`, `-r dotenv/config`).
_OPTIONS_WITH_VALUE = frozenset({"-W", "-X", "-r", "--require", "--import"})


def _no_entry_file(argv: tuple[str, ...]) -> str:
    """Why a runtime has no entry file to look for a handler in: a module (`python -m`),
    inline code (`-c`, `node -e`), or nothing at all (the interactive REPL)."""
    skip = False
    for index, word in enumerate(argv[1:], start=1):
        if skip:
            skip = False
            continue
        if word in _OPTIONS_WITH_VALUE:
            skip = True
            continue
        if word == "-m" and index + 1 < len(argv):
            return f"it runs the module `{argv[index + 1]}` (`-m`), whose code sigcheck does not read"
        if word.startswith("-m") and len(word) > 2 and argv[0].rsplit("/", 1)[-1].startswith("python"):
            return f"it runs the module `{word[2:]}` (`-m`), whose code sigcheck does not read"
        if word in ("-c", "-e", "--eval", "-p", "--print"):
            return f"it runs inline code (`{word}`), which sigcheck does not check"
        if not word.startswith("-"):
            break
    return "it runs no script (an interactive REPL)"


RULE = Rule(
    id="SIG301",
    name="no-init",
    severity=Severity.ERROR,
    summary="PID 1 is an app that ignores the stop signal as PID 1, and no init runs it",
    check=check,
)
