"""Resolving a path through symlinks inside a root, never above it.

One walk for the archive's own members and for the image's merged files: an
absolute target restarts at the root, `..` at the root stays there, at most
`hops` links are followed, and a path longer than Linux's PATH_MAX (4096) is no
path at all (a link of a 64 KiB target repeated 40 times would otherwise make
the walk quadratic).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["PATH_MAX", "Unresolvable", "resolve"]

PATH_MAX = 4096


class Unresolvable(Exception):
    """Too many symlinks (a loop), or a path too long: ELOOP or ENAMETOOLONG."""


def resolve(path: str, link_at: Callable[[str], str | None], hops: int, follow_last: bool = True) -> str:
    """`path` ("/"-rooted, or relative to the root) with every symlink replaced by its
    target; `link_at(p)` is the target of the symlink at the resolved path `p`, or None."""
    todo = [p for p in path.split("/") if p not in ("", ".")]
    todo.reverse()
    prefixes = [""]  # prefixes[-1] is the path resolved so far, "" for the root
    followed = 0
    while todo:
        part = todo.pop()
        if part == "..":
            if len(prefixes) > 1:
                prefixes.pop()
            continue
        candidate = prefixes[-1] + "/" + part
        if len(candidate) > PATH_MAX:
            raise Unresolvable("path too long")
        target = link_at(candidate) if todo or follow_last else None
        if target is None:
            prefixes.append(candidate)
            continue
        followed += 1
        if followed > hops or len(target) >= PATH_MAX:
            raise Unresolvable("symlink loop")
        if target.startswith("/"):
            del prefixes[1:]
        todo.extend(reversed([p for p in target.split("/") if p not in ("", ".")]))
    return prefixes[-1] or "/"
