"""Which files `sigcheck DIR` lints: Dockerfiles and Containerfiles not ignored by git.

.gitignore handling covers what Dockerfile paths meet in practice: comments,
`!` negation, leading `/` anchoring, trailing `/` for directories, `*`, `?`,
`[...]` and `**`, with one .gitignore per directory applying below it.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator

from sigcheck.load.source import is_yaml_name

__all__ = ["discover", "is_dockerfile_name", "is_yaml_name"]

_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "__pycache__"})


def is_dockerfile_name(name: str) -> bool:
    lower = name.lower()
    return (
        name in ("Dockerfile", "Containerfile")
        or name.startswith(("Dockerfile.", "Containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    )


class _Pattern:
    def __init__(self, line: str) -> None:
        self.negated = line.startswith("!")
        if self.negated:
            line = line[1:]
        self.dir_only = line.endswith("/")
        line = line.rstrip("/")
        self.anchored = "/" in line
        line = line.lstrip("/")
        parts = []
        for piece in re.split(r"(\*\*/|/\*\*$|\*\*)", line):
            if piece == "**/":
                parts.append("(?:.*/)?")
            elif piece in ("/**", "**"):
                parts.append(".*")
            else:
                parts.append(fnmatch.translate(piece)[4:-3])
        self.regex = re.compile("^" + "".join(parts) + "$", re.S)

    def matches(self, relpath: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        if self.anchored:
            return bool(self.regex.match(relpath))
        return bool(self.regex.match(relpath.rsplit("/", 1)[-1]))


def _read_gitignore(directory: str) -> list[_Pattern]:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    return [_Pattern(line.strip()) for line in lines if line.strip() and not line.startswith("#")]


def _ignored(rules: list[tuple[str, list[_Pattern]]], path: str, is_dir: bool) -> bool:
    ignored = False
    for base, patterns in rules:
        rel = os.path.relpath(path, base).replace(os.sep, "/")
        for pattern in patterns:
            if pattern.matches(rel, is_dir):
                ignored = not pattern.negated
    return ignored


def discover(root: str, yaml: bool = False) -> Iterator[str]:
    """Dockerfiles below `root`, sorted, skipping VCS folders and git-ignored paths; with
    `yaml`, YAML files too (the caller keeps those that are Compose or Kubernetes: this
    layer reads no file's content)."""

    def walk(directory: str, rules: list[tuple[str, list[_Pattern]]]) -> Iterator[str]:
        patterns = _read_gitignore(directory)
        if patterns:
            rules = [*rules, (directory, patterns)]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name in _SKIP_DIRS or _ignored(rules, entry.path, True):
                    continue
                yield from walk(entry.path, rules)
            elif (is_dockerfile_name(entry.name) or (yaml and is_yaml_name(entry.name))) and not _ignored(
                rules, entry.path, False
            ):
                yield entry.path

    yield from walk(root, [])
