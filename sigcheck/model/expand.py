"""Dockerfile variable expansion ($VAR, ${VAR}, ${VAR:-x}, ${VAR:+x}) for ARG/ENV.

Only what the linter needs to resolve image names, paths and signals; an
unknown variable expands to the empty string, as BuildKit does for an ARG
without a value, and the caller is told that something was unresolved.
"""

from __future__ import annotations

import re

# Patterns are strings: re compiles (and caches) one on first use, not at every start-up.
_VAR = (
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


def expand(text: str, env: dict[str, str], escape: str = "\\") -> tuple[str, bool]:
    """Expand variables in `text`; returns (result, every variable was known)."""
    if "$" not in text:
        return unquote(text, escape), True
    complete = True

    def substitute(m: re.Match[str]) -> str:
        nonlocal complete
        name = m.group("braced") or m.group("plain")
        op = m.group("op")
        value = env.get(name)
        if op is None:
            if value is None:
                complete = False
                return ""
            return value
        is_set = value is not None and (value != "" or not op.startswith(":"))
        if op.endswith("-"):
            return value if is_set and value is not None else m.group("word")
        return m.group("word") if is_set else ""

    # An escaped dollar stays literal.
    parts = re.split(r"(" + re.escape(escape) + r"\$)", text)
    out = []
    for part in parts:
        if part == escape + "$":
            out.append("$")
        elif "$" in part:
            out.append(re.sub(_VAR, substitute, part))
        else:
            out.append(part)
    return unquote("".join(out), escape), complete


def unquote(word: str, escape: str = "\\") -> str:
    """Remove shell-style quotes and escapes from one Dockerfile word."""
    if "'" not in word and '"' not in word and escape not in word:
        return word
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(word):
        ch = word[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                out.append(ch)
        elif quote == '"':
            if ch == '"':
                quote = ""
            elif ch == escape and i + 1 < len(word) and word[i + 1] in ('"', escape, "$"):
                i += 1
                out.append(word[i])
            else:
                out.append(ch)
        elif ch in "'\"":
            quote = ch
        elif ch == escape and i + 1 < len(word):
            i += 1
            out.append(word[i])
        else:
            out.append(ch)
        i += 1
    return "".join(out)
