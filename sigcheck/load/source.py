"""One input as the linter sees it; standard input is told apart here, and only here.

`-` on the command line is standard input: it is read from the stream, its
relative paths (the build context, the entry scripts) start in the working
directory, and `--fix` cannot rewrite it. Everything past this point asks the
`Source`, never compares a path with "-".
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import os
import sys
from typing import NamedTuple

from sigcheck.load.files import DEFAULT_MAX_BYTES, read_stdin, read_text

__all__ = ["STDIN", "Source", "is_yaml_name", "read_source"]

STDIN = "-"


class Source(NamedTuple):
    path: str  # as given: a file's path, or "-"
    directory: str  # where its relative paths start (absolute)
    is_stdin: bool

    @classmethod
    def of(cls, path: str) -> "Source":
        if path == STDIN:
            return cls(path, os.getcwd(), True)
        return cls(path, os.path.dirname(os.path.abspath(path)), False)

    @property
    def file(self) -> str | None:
        """The real path `--fix` rewrites; None: standard input. Resolved only when a fix
        is made: a realpath per linted file is a measurable part of a clean run."""
        return None if self.is_stdin else os.path.realpath(self.path)


def read_source(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[Source, str]:
    """The source and its text; raises LoadError (one line, no path) when it cannot be read."""
    if path == STDIN:
        return Source.of(path), read_stdin(sys.stdin.buffer, max_bytes)
    return Source.of(path), read_text(path, max_bytes)


def is_yaml_name(path: str) -> bool:
    """A Compose file or a Kubernetes manifest by its name (every Compose default name ends
    so too): only such an input, or standard input, loads the YAML machinery."""
    return path.lower().endswith((".yml", ".yaml"))
