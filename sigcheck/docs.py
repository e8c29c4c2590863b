"""The rule pages (`rules/<ID>.md`): found in the installed package or the source tree.

A wheel carries the pages as package data in `sigcheck/_rules_docs/` (hatch
force-includes the top-level `rules/` there); a source checkout or an editable
install reads `rules/` beside the package. `sigcheck explain` prints a page and
the SARIF report uses it as each rule's help, so a page with the fixed headings
(`# SIGxxx: name`, `Default severity: ...`, `## What it does`, ...) is split
into sections here; without a page, the rule's one-line summary stands in.
"""

from __future__ import annotations

import os
import re

from sigcheck.findings import DOCS_URL

__all__ = ["RulePage", "absolute_links", "page_path", "parse_page", "rule_page"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
PAGE_DIRS = (
    os.path.join(_PACKAGE, "_rules_docs"),  # installed from a wheel
    os.path.join(os.path.dirname(_PACKAGE), "rules"),  # source tree, editable install
)

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,2})\s+(.*?)\s*#*\s*$")
_RULE_ID = re.compile(r"^SIG\d{3}$")
_RELATIVE_RULE_LINK = re.compile(r"\]\((SIG\d{3})\.md(#[^)]*)?\)")


class RulePage:
    __slots__ = ("preamble", "sections", "text", "title")

    def __init__(self, text: str) -> None:
        self.text = text
        self.title = ""  # the `# ` heading, e.g. "SIG102: shell-form-cmd"
        self.preamble = ""  # between the title and the first `## ` (the default severity line)
        self.sections: dict[str, str] = {}  # `## ` heading -> body, stripped


def page_path(rule_id: str) -> str | None:
    """Where the page of `rule_id` is, or None."""
    if not _RULE_ID.match(rule_id):
        return None
    for directory in PAGE_DIRS:
        path = os.path.join(directory, f"{rule_id}.md")
        if os.path.isfile(path):
            return path
    return None


def rule_page(rule_id: str) -> RulePage | None:
    path = page_path(rule_id)
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_page(handle.read())
    except (OSError, UnicodeDecodeError):
        return None


def parse_page(text: str) -> RulePage:
    """Split a page at its `# ` and `## ` headings (headings inside code fences do not count)."""
    page = RulePage(text)
    current: list[str] | None = None
    preamble: list[str] = []
    bodies: dict[str, list[str]] = {}
    fence: str | None = None
    for line in text.splitlines():
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
        elif opening:
            fence = opening.group(1)
        else:
            heading = _HEADING.match(line)
            if heading and len(heading.group(1)) == 1 and not page.title:
                page.title = heading.group(2)
                current = preamble
                continue
            if heading and len(heading.group(1)) == 2:
                current = bodies.setdefault(heading.group(2), [])
                continue
        if current is not None:
            current.append(line)
    page.preamble = "\n".join(preamble).strip()
    page.sections = {name: "\n".join(lines).strip() for name, lines in bodies.items()}
    return page


def absolute_links(markdown: str) -> str:
    """Point `[SIG101](SIG101.md)` links at the published pages: the text is shown
    outside the repository (GitHub code scanning, a terminal)."""
    return _RELATIVE_RULE_LINK.sub(
        lambda m: f"]({DOCS_URL.format(rule=m.group(1))}{m.group(2) or ''})",
        markdown,
    )
