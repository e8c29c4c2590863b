"""The build context: the only directory sigcheck reads entry scripts from.

It is a workspace: the directory on disk with, in front of it, the text of
files that are not saved yet (an editor's buffers, or the scripts `--fix` and
`--diff` rewrote), keyed by real path. Such a file exists, is listed and is
read as its text says, whether or not the disk has it.

Docker refuses COPY sources outside the context, so sigcheck does too: every
path is normalised lexically first (`./a/../../x` is outside), then resolved
through symlinks and checked again, and only then opened. Nothing is executed.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from collections.abc import Iterable, Mapping

from sigcheck.load.files import LoadError, read_text

__all__ = ["BuildContext", "OutsideContext", "discover_context", "repository_root"]

SCRIPT_MAX_BYTES = 1024 * 1024


class OutsideContext(Exception):
    """A source path that points outside the build context."""


class BuildContext:
    __slots__ = ("_cache", "_located", "overlay", "reads", "root")

    def __init__(self, root: str, overlay: Mapping[str, str] | None = None) -> None:
        self.root = root  # absolute, symlinks resolved
        self.overlay: Mapping[str, str] = overlay or {}  # real path -> unsaved text
        self._cache: dict[str, str | LoadError] = dict(self.overlay)
        # Real paths of the files the lint read (or tried to): an editor re-lints the
        # Dockerfiles whose reads include a script that changed.
        self.reads: set[str] = set()
        self._located: dict[str, str | None] = {}  # source -> real path, None if outside

    @classmethod
    def at(cls, directory: str, overlay: Mapping[str, str] | None = None) -> BuildContext:
        return cls(os.path.realpath(directory), overlay)

    def _locate(self, source: str) -> str:
        if source in self._located:
            found = self._located[source]
            if found is None:
                raise OutsideContext(source)
            return found
        try:
            real = self._resolve(source)
        except OutsideContext:
            self._located[source] = None
            raise
        self._located[source] = real
        return real

    def _resolve(self, source: str) -> str:
        if "\x00" in source:
            raise OutsideContext(source)  # no file has such a name; os calls would raise ValueError
        norm = posixpath.normpath(source)
        if norm == ".." or norm.startswith("../"):
            raise OutsideContext(source)
        # Docker treats an absolute source as relative to the context root.
        rel = norm.lstrip("/")
        full = os.path.join(self.root, rel) if rel not in ("", ".") else self.root
        real = os.path.realpath(full)
        if real != self.root and not real.startswith(self.root + os.sep):
            raise OutsideContext(source)
        return real

    def _lexical(self, source: str) -> str | None:
        """The path inside the root, by name only (no symlink resolution): enough to
        answer "is there such a file"; reading always goes through _locate."""
        if "\x00" in source:
            return None
        norm = posixpath.normpath(source)
        if norm == ".." or norm.startswith("../"):
            return None
        rel = norm.lstrip("/")
        return os.path.join(self.root, rel) if rel not in ("", ".") else self.root

    def exists(self, source: str) -> bool:
        path = self._lexical(source)
        if path is None:
            return False
        return os.path.exists(path) or (bool(self.overlay) and os.path.realpath(path) in self.overlay)

    def is_dir(self, source: str) -> bool:
        path = self._lexical(source)
        if path is None:
            return False
        if os.path.isdir(path):
            return True
        if not self.overlay:
            return False
        prefix = os.path.realpath(path) + os.sep
        return any(name.startswith(prefix) for name in self.overlay)

    def glob(self, pattern: str) -> list[str]:
        """Context-relative paths matching a COPY source pattern (one directory level)."""
        directory, name = posixpath.split(posixpath.normpath(pattern))
        try:
            base = self._locate(directory or ".")
        except OutsideContext:
            return []
        try:
            listed = set(os.listdir(base))
        except OSError:
            listed = set()
        listed.update(os.path.basename(f) for f in self.overlay if os.path.dirname(f) == base)
        names = sorted(listed)
        return [
            posixpath.join(directory, n) if directory else n for n in names if fnmatch.fnmatchcase(n, name)
        ]

    def read(self, source: str) -> str:
        """Read a text file from the context; raises OutsideContext or LoadError."""
        real = self._locate(source)
        self.reads.add(real)
        cached = self._cache.get(real)
        if cached is None:
            try:
                cached = read_text(real, SCRIPT_MAX_BYTES)
            except LoadError as exc:
                cached = exc
            self._cache[real] = cached
        if isinstance(cached, LoadError):
            raise cached
        return cached

    def mode(self, source: str) -> int | None:
        try:
            return os.stat(self._locate(source)).st_mode
        except (OutsideContext, OSError):
            return None


def repository_root(start: str) -> str | None:
    """The nearest directory from `start` (absolute, resolved) up that holds `.git`."""
    current = start
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def discover_context(dockerfile_dir: str, sources: Iterable[str]) -> str:
    """The Dockerfile's directory, or the nearest ancestor (up to the repository
    root) where every COPY/ADD source exists: pre-commit users never pass a
    context, and monorepos often build `docker build -f svc/Dockerfile .`."""
    start = os.path.realpath(dockerfile_dir or ".")
    wanted = [s for s in sources if s and not s.startswith(("http://", "https://", "git@"))]
    if not wanted:
        return start
    stop = repository_root(start)
    current = start
    while True:
        ctx = BuildContext(current)
        if all(ctx.exists(s) or ctx.glob(s) for s in wanted):
            return current
        parent = os.path.dirname(current)
        if stop is None or current == stop or parent == current:
            return start
        current = parent
