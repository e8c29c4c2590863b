"""Shared by SIG301 and SIG402: what the app at the end of the chain does with a signal."""

from __future__ import annotations

from sigcheck.model.chain import Link
from sigcheck.model.knowledge import mentions_handler

__all__ = ["handles_in_code", "only_interrupt", "stops_on"]

# Signals whose default action terminates a process that is not PID 1 (signal(7)).
TERMINATING = frozenset(
    {
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGABRT",
        "SIGFPE",
        "SIGKILL",
        "SIGSEGV",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGUSR1",
        "SIGUSR2",
        "SIGBUS",
        "SIGPOLL",
        "SIGPROF",
        "SIGSYS",
        "SIGTRAP",
        "SIGVTALRM",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGIO",
        "SIGPWR",
        "SIGSTKFLT",
    }
)


def handles_in_code(link: Link, signal: str) -> bool:
    """The app's entry file (in the build context) installs a handler for `signal`."""
    app, text = link.app, link.app_text
    if app is None or not text:
        return False
    if signal in ("SIGTERM", "SIGINT") and mentions_handler(text, app.framework_patterns):
        return True
    return mentions_handler(text, app.handler_patterns, signal)


def only_interrupt(link: Link, signal: str) -> bool:
    """The entry file catches KeyboardInterrupt but has no handler for `signal` (not SIGINT)."""
    app = link.app
    return bool(
        app
        and link.app_text
        and signal != "SIGINT"
        and app.interrupt_patterns
        and mentions_handler(link.app_text, app.interrupt_patterns)
        and not handles_in_code(link, signal)
    )


def stops_on(link: Link, signal: str) -> bool | None:
    """Does the app stop when `signal` reaches it where it runs? None when unknown.

    As PID 1 only handled signals act (the kernel drops the rest); elsewhere a
    default-action terminating signal kills it (signal-semantics.md §3)."""
    app = link.app
    if app is None:
        return None
    if handles_in_code(link, signal) or signal in app.pid1_exits_on:
        return True
    if link.pid1:
        return False
    return signal in TERMINATING and not app.handles_signals
