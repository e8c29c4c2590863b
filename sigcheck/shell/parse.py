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


@lru_cache(maxsize=1)
def _parser() -> Parser:
    from tree_sitter import Language, Parser
    from tree_sitter_bash import language

    return Parser(Language(language()))


def parse_shell(source: str) -> Tree:
    return _parser().parse(source.encode("utf-8", "surrogateescape"))


def node_text(node: Node) -> str:
    raw = node.text
    return raw.decode("utf-8", "surrogateescape") if raw is not None else ""
