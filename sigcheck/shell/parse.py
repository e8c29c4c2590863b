"""The one place that talks to tree-sitter-bash.

bashlex cannot parse arrays, `case`, `[[ ]]` or `$(( ))`, all common in real
entry scripts; tree-sitter-bash parses them in well under a millisecond. The
import costs ~20 ms, so it happens on first use only, and the parser is built
once per process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree

__all__ = ["node_text", "parse_shell"]


def _bash_language() -> object:
    """tree_sitter_bash.language(), without the package's __init__ (it imports
    importlib.resources, ~10 ms, only to serve its highlight queries)."""
    import importlib.machinery
    import importlib.util

    spec = importlib.util.find_spec("tree_sitter_bash")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = f"{location}/_binding{suffix}"
            binding_spec = importlib.util.spec_from_file_location("tree_sitter_bash._binding", path)
            if binding_spec is None or binding_spec.loader is None:
                continue
            try:
                module = importlib.util.module_from_spec(binding_spec)
                binding_spec.loader.exec_module(module)
            except (ImportError, OSError):
                continue
            language: object = module.language()
            return language
    from tree_sitter_bash import language as fallback

    return fallback()


@lru_cache(maxsize=1)
def _parser() -> Parser:
    from tree_sitter import Language, Parser

    return Parser(Language(_bash_language()))


def parse_shell(source: str) -> Tree:
    return _parser().parse(source.encode("utf-8", "surrogateescape"))


def node_text(node: Node) -> str:
    raw = node.text
    return raw.decode("utf-8", "surrogateescape") if raw is not None else ""
