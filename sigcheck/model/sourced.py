"""The image's files as an entry script's `source PATH` finds them (`shell.sourced.SourceFiles`).

Each sourced file is located through the `ImageFiles` seam, so a COPY'd, heredoc or
RUN-written file is read as the script would read it; the origin of every file read is
kept, so a finding on a command of a sourced file points into that file.
"""

from __future__ import annotations

import fnmatch
import posixpath

from sigcheck.model.files import FileOrigin, ImageFiles, ListsDirectories

__all__ = ["SourcedFiles"]


class SourcedFiles:
    __slots__ = ("files", "origins", "workdir")

    def __init__(self, files: ImageFiles, workdir: str) -> None:
        self.files = files
        self.workdir = workdir  # where a relative `. ./lib.sh` is looked up: the shell's cwd
        self.origins: dict[str, FileOrigin] = {}

    def _absolute(self, path: str) -> str:
        return posixpath.normpath(posixpath.join(self.workdir, path))

    def read(self, path: str) -> str | None:
        origin = self.files.locate(self._absolute(path))
        if origin is None:
            return None
        text, _problem = self.files.read(origin)
        if text is not None:
            self.origins[path] = origin
        return text

    def glob(self, pattern: str) -> list[str]:
        directory, name = posixpath.split(self._absolute(pattern))
        if any(c in directory for c in "*?[") or not isinstance(self.files, ListsDirectories):
            return []
        listed = self.files.list_dir(directory)
        # The shell skips names starting with a dot unless the pattern does.
        return sorted(
            p
            for p in listed
            if fnmatch.fnmatchcase(posixpath.basename(p), name) and not posixpath.basename(p).startswith(".")
        )
