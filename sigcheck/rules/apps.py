"""Shared by SIG301 and SIG402: what the app at the end of the chain does with a signal."""

from __future__ import annotations

from sigcheck.model.chain import Link
from sigcheck.model.knowledge import mentions_handler

__all__ = ["handles_in_code", "only_interrupt"]


def handles_in_code(link: Link) -> bool:
    """The app's entry file (in the build context) installs a SIGTERM handler."""
    app = link.app
    return bool(app and link.app_text and mentions_handler(link.app_text, app.handler_patterns))


def only_interrupt(link: Link) -> bool:
    """The app's entry file catches KeyboardInterrupt but installs no SIGTERM handler."""
    app = link.app
    return bool(
        app
        and link.app_text
        and app.interrupt_patterns
        and mentions_handler(link.app_text, app.interrupt_patterns)
        and not handles_in_code(link)
    )
