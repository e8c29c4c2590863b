"""Files an entry script reads into its own shell with `source PATH` / `. PATH`.

POSIX (XCU `dot`) and bash (`source`): the file's commands run in the current
shell environment, so the functions it defines are the caller's, an `exec` in it
replaces the caller, and `exit` ends the caller. The script analysis walks a
sourced file's top-level commands where the caller sources it; where the file
cannot be found it knows only that unknown names may be its functions.

The walk stays bounded: at most MAX_DEPTH nested sources, MAX_READS files read and
MAX_BYTES of sourced text per analysed script, whatever the files do (a file sourcing
itself, or ten files each sourcing ten more: tests/test_bounds.py).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Protocol

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_GLOB", "MAX_READS", "SourceFiles", "expand_path"]

MAX_DEPTH = 8  # sources inside sourced files
MAX_BYTES = 1024 * 1024  # sourced text read for one script, in total
MAX_GLOB = 64  # files of one `for f in DIR/*` loop
MAX_READS = 256  # sourced files read for one script, a file read twice counting twice


class SourceFiles(Protocol):
    """The image's files, as a sourcing shell finds them (the model provides them)."""

    def read(self, path: str) -> str | None:
        """The text of the file at `path` in the image (relative: to the working directory)."""

    def glob(self, pattern: str) -> list[str]:
        """Absolute paths matching a one-level pattern (`/startup.d/*.sh`), in the sorted order
        a shell expands it; empty when the directory cannot be listed."""


_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def expand_path(word: str, value: Callable[[str], str | None]) -> str | None:
    """The path a `source` operand names (relative ones are the model's to resolve against
    the working directory), when every variable in it has a known value; None for a command
    substitution, `$1`, or an unknown variable."""
    text = word
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    if "`" in text or "$(" in text:
        return None
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        found = value(match.group(1) or match.group(2))
        if found is None:
            unknown = True
            return ""
        return found

    text = _REFERENCE.sub(replace, text)
    if unknown or "$" in text or not text:
        return None
    return posixpath.normpath(text)
