"""Open buffers with the LSP spec's lines: only "\\n", "\\r\\n" and "\\r" end a line.

pygls 2.1 cuts a document with `str.splitlines`, which also breaks at form feed,
vertical tab, U+001C-U+001E, U+0085, U+2028 and U+2029. A buffer holding one (a
binary paste, a LABEL copied from a web page) then has more lines for pygls than
for the editor, and every incremental change after it lands on the wrong line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pygls.workspace import TextDocument, Workspace

__all__ = ["LspTextDocument", "use_lsp_lines"]

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class LspTextDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        return tuple(_LINE.findall(self.source))


def use_lsp_lines(workspace: Workspace) -> None:
    """Make `workspace` create its documents as LspTextDocument (pygls builds the
    workspace itself during `initialize`, so it is adjusted there, not subclassed)."""

    def create(
        doc_uri: str, source: str | None = None, version: int | None = None, language_id: str | None = None
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=workspace._sync_kind,
            position_codec=workspace.position_codec,
        )

    hook: Any = create
    setattr(workspace, "_create_text_document", hook)  # noqa: B010 - an instance's method, on purpose
