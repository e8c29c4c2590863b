"""Entry scripts written by RUN: `echo ... > /start.sh`, `printf`, `cat <<EOF > /start.sh`.

The RUN text is parsed, never executed. A Dockerfile heredoc attached to the
RUN is put back after its line, as BuildKit hands it to the shell, so the
shell parser sees the same script the build runs.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from sigcheck.load.dockerfile import Heredoc, Instruction
from sigcheck.shell.parse import node_text, parse_shell
from sigcheck.shell.words import word_value

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["written_by_run"]

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "a": "\a", "r": "\r", "0": "\0"}


def _interpret(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


def _printf(args: list[str]) -> str:
    if not args:
        return ""
    fmt, values = _interpret(args[0]), args[1:]
    slots = fmt.count("%s")
    if not slots:
        return fmt.replace("%%", "%")
    out: list[str] = []
    chunk = values or [""]
    for start in range(0, len(chunk), slots):
        group = [*chunk[start : start + slots], *[""] * slots][:slots]
        out.append(fmt.replace("%s", "\0").replace("%%", "%").replace("\0", "{}").format(*group))
    return "".join(out)


def _content(command: Node) -> str | None:
    name_node = command.child_by_field_name("name")
    if name_node is None:
        return None
    name = node_text(name_node)
    args = [word_value(c)[0] for c in command.children_by_field_name("argument")]
    if name == "echo":
        newline = "\n"
        interpret = False
        while args and args[0] in ("-n", "-e", "-ne", "-en", "-E"):
            flag = args.pop(0)
            newline = "" if "n" in flag else newline
            interpret = "e" in flag or interpret
        text = " ".join(args)
        return (_interpret(text) if interpret else text) + newline
    if name == "printf":
        return _printf(args)
    return None


def _script_of(ins: Instruction) -> tuple[str, list[int]]:
    """The shell script the RUN executes, and the Dockerfile line of each of its lines.

    The RUN's own text is one line (continuations joined), followed by each
    heredoc's body and terminator, whose lines stand in the Dockerfile as they are."""
    words = ins.rest.split()
    if (
        ins.heredocs
        and words
        and all(w.startswith("<<") or w in ("sh", "bash", "/bin/sh", "/bin/bash") for w in words)
    ):
        doc = ins.heredocs[0]  # `RUN <<EOF`: the heredoc is the script
        return doc.content, [doc.start_line + n for n in range(doc.content.count("\n") + 1)]
    text = ins.rest + "\n"
    lines = [ins.start_line]
    for doc in ins.heredocs:
        body = doc.content if doc.content.endswith("\n") or not doc.content else doc.content + "\n"
        count = body.count("\n")
        text += body + doc.name + "\n"
        lines += [doc.start_line + n for n in range(count + 1)]  # the body, then its terminator
    return text, lines


def _dockerfile_heredoc(ins: Instruction, node: Node, inside_heredoc: bool) -> Heredoc | None:
    """The Dockerfile heredoc a `<<NAME` in the RUN's own line stands for."""
    if inside_heredoc:
        return None  # `RUN <<EOF` whose script itself uses `cat <<X`: X is the shell's
    start = next((c for c in node.children if c.type == "heredoc_start"), None)
    if start is None:
        return None
    name = node_text(start).strip("'\"").lstrip("-")
    return next((h for h in ins.heredocs if h.name == name), None)


def written_by_run(ins: Instruction, path: str, workdir: str) -> tuple[str, int | None] | None:
    """(content, Dockerfile line of its first line) of `path` as this RUN leaves it, or None if
    it does not write it. The line is None when the content is generated (echo, printf) and
    its lines do not stand in the Dockerfile."""
    base = posixpath.basename(path)
    if base not in ins.rest and not any(base in h.content for h in ins.heredocs):
        return None
    script, line_of = _script_of(ins)
    from_heredoc = len(line_of) > 0 and bool(ins.heredocs) and script == ins.heredocs[0].content
    content: str | None = None
    offset: int | None = None
    stack = [parse_shell(script).root_node]
    ordered: list[Node] = []
    while stack:
        node = stack.pop()
        if node.type == "redirected_statement":
            ordered.append(node)
        stack.extend(reversed(node.children))
    writes: list[tuple[int, Node, Node]] = []
    for node in ordered:
        body = node.child_by_field_name("body")
        # tree-sitter-bash attaches the redirection of `a && b >> f` to the list; it is b's.
        while body is not None and body.type == "list":
            body = body.named_children[-1] if body.named_children else None
        if body is not None and body.type == "command":
            writes.append((body.start_byte, node, body))
    # In the order the shell runs them: `echo a > f && echo b >> f` nests the first write
    # innermost, so the tree's order would put the append before the write it extends.
    for _, node, body in sorted(writes, key=lambda w: w[0]):
        heredoc = next((c for c in node.children if c.type == "heredoc_redirect"), None)
        # tree-sitter-bash nests `> file` inside the heredoc when it follows `<<EOF`.
        redirects = [c for c in node.children if c.type == "file_redirect"]
        if heredoc is not None:
            redirects += [c for c in heredoc.children if c.type == "file_redirect"]
        for redirect in redirects:
            operator = next((c.type for c in redirect.children if not c.is_named), "")
            destination = redirect.child_by_field_name("destination")
            if operator not in (">", ">>", ">|") or destination is None:
                continue
            target = word_value(destination)[0]
            if posixpath.normpath(posixpath.join(workdir, target)) != path:
                continue
            text = _content(body)
            offset = None
            if heredoc is not None:
                inner = next((c for c in heredoc.children if c.type == "heredoc_body"), None)
                text = node_text(inner) if inner is not None else ""
                offset = heredoc.start_point[0] + 1
                doc = _dockerfile_heredoc(ins, heredoc, from_heredoc)
                if doc is not None:
                    # The Dockerfile's own heredoc: its text exactly (tree-sitter drops a leading
                    # blank line of the body) and its own first line.
                    return doc.content, doc.start_line
            if text is None:
                continue
            content = text if operator != ">>" or content is None else content + text
    if content is None:
        return None
    if offset is None:
        return content, None
    return content, line_of[offset] if offset < len(line_of) else None
