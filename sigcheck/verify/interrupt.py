"""Ctrl-C (and SIGTERM, SIGHUP) while `verify` runs: never leave a container behind.

An engine call cut in half can leave a half-created container or a storage lock,
so the engine runs in its own session (the terminal's Ctrl-C does not reach it)
and an interruption that arrives during a call is held until the call returns.
Anywhere else (the settle sleep, polling the logs) it is raised at once. Either
way the caller's `finally` removes the container; further signals during that
cleanup only print a note, because a second Ctrl-C must not skip it.
"""

import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType

__all__ = ["Interrupted", "cleaning_up", "guarded", "interrupted", "shielded"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _State:
    active = False
    depth = 0  # engine calls in progress
    pending: int | None = None
    raised = False


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.raised:
        print("sigcheck verify: removing the container first, please wait", file=sys.stderr)
        return
    _state.pending = signum
    if _state.depth == 0:
        _raise()


def _raise() -> None:
    signum = _state.pending
    if signum is not None and not _state.raised:
        _state.raised = True
        raise Interrupted(signum)


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into `Interrupted` for the duration."""
    if _state.active:  # nested: the outer guard already holds the handlers
        yield
        return
    previous = {s: signal.getsignal(s) for s in _SIGNALS}
    _state.active, _state.depth, _state.pending, _state.raised = True, 0, None, False
    for s in _SIGNALS:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
        _state.active = False


def cleaning_up() -> None:
    """From now on signals only print a note: the cleanup must run to its end."""
    _state.raised = True


def interrupted() -> int | None:
    """The signal that interrupted the run, if one did (also one held during a failed call)."""
    return _state.pending


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Hold an interruption until the block (one engine call) is over."""
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
    if _state.depth == 0 and _state.active:
        _raise()
