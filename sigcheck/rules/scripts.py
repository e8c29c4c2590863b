"""Shared by SIG201-SIG204: the script links of the chain and how to describe them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sigcheck.model.baseimages import shell_label
from sigcheck.model.chain import Link
from sigcheck.model.files import FileOrigin

if TYPE_CHECKING:
    from sigcheck.shell.script import Outcome

__all__ = ["script_outcomes", "where"]


def script_outcomes(links: list[Link]) -> Iterator[tuple[Link, FileOrigin, Outcome]]:
    """Every path out of every script the chain runs, with where the script came from."""
    for link in links:
        info = link.script
        if link.role != "script" or info is None or info.analysis is None or info.origin is None:
            continue
        for outcome in info.analysis.outcomes:
            origin = info.origin_of(outcome)
            if origin is not None:
                yield link, origin, outcome


def where(link: Link, outcome: Outcome | None = None) -> str:
    """The script, how it runs, and the file it sourced when the command is written there."""
    info = link.script
    path = info.image_path if info is not None else link.program
    who = "PID 1" if link.pid1 else "a child of PID 1"
    shell = shell_label(link.shell) if link.shell else "a shell"
    sourced = f", in {outcome.file}, which it sources" if outcome is not None and outcome.file else ""
    return f"{path} (run by {shell} as {who}{sourced})"


def columns_of(outcome: Outcome) -> tuple[int, int] | None:
    """1-based (start, end) columns of the app command, when it is on one line."""
    command = outcome.command
    if command.start_row != command.end_row:
        return None
    return command.start_col + 1, command.end_col + 1
