"""Rule metadata and the context every check function receives."""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import os
from collections.abc import Callable, Iterable
from typing import NamedTuple

from sigcheck.findings import Edit, Finding, Severity
from sigcheck.load.context import BuildContext
from sigcheck.load.dockerfile import Instruction, ParsedDockerfile
from sigcheck.model.chain import LaunchChain, Link
from sigcheck.model.files import FileOrigin
from sigcheck.model.image import Model, Stage

__all__ = ["Context", "Rule"]


class Context(NamedTuple):
    path: str  # as given on the command line
    parsed: ParsedDockerfile
    model: Model
    stage: Stage  # the final stage, or --target
    chain: LaunchChain
    context: BuildContext | None = None
    assume_init: bool = False  # the runtime adds an init (docker run --init, compose init: true)

    def script_path(self, origin: FileOrigin) -> tuple[str, int | None]:
        """Where to report a script line: (path as the user would open it, line offset).

        A script from the build context is reported in its own file, relative to
        the Dockerfile's path as given; a heredoc or RUN-written script is
        reported inside the Dockerfile."""
        if origin.kind == "context" and origin.context_path is not None and self.context is not None:
            full = os.path.join(self.context.root, origin.context_path)
            if self.path == "-":
                return os.path.relpath(full), 0
            here = os.path.dirname(os.path.abspath(self.path))
            rel = os.path.relpath(full, here)
            joined = os.path.join(os.path.dirname(self.path), rel)
            # Keep the Dockerfile's own spelling (`./svc/Dockerfile` -> `./svc/start.sh`).
            return (os.path.normpath(joined) if ".." in rel.split(os.sep) else joined), 0
        if origin.content_line is None:
            return self.path, None  # printf/echo output: only the RUN line stands in the file
        return self.path, origin.content_line - 1

    def link_finding(
        self,
        rule: "Rule",
        link: Link,
        message: str,
        *,
        severity: Severity | None = None,
        fix: str | None = None,
        edit: Edit | None = None,
    ) -> Finding | None:
        """A finding about a link, where its words were written: the line of the entry
        script that starts it, or the ENTRYPOINT/CMD instruction."""
        index = self.chain.links.index(link)
        parent = self.chain.links[index - 1] if index else None
        info = parent.script if parent is not None else None
        written_in_script = parent is not None and link.origin is parent.origin  # not passed in as "$@"
        if info is not None and info.origin is not None and info.outcome is not None and written_in_script:
            return self.script_finding(
                rule, info.origin, info.outcome.line, message, severity=severity, fix=fix, edit=edit
            )
        if link.origin is None or link.origin.instruction is None:
            return None
        return self.finding(rule, link.origin.instruction, message, severity=severity, fix=fix, edit=edit)

    def script_finding(
        self,
        rule: "Rule",
        origin: FileOrigin,
        line: int,
        message: str,
        *,
        severity: Severity | None = None,
        fix: str | None = None,
        columns: tuple[int, int] | None = None,
        edit: Edit | None = None,
    ) -> Finding:
        """`columns` (1-based start, end) when the reported text is on that one line."""
        path, offset = self.script_path(origin)
        text_line = line + offset if offset is not None else origin.instruction.start_line
        if offset is None or (origin.kind == "heredoc" and any(h.chomp for h in origin.instruction.heredocs)):
            columns = None  # generated text, or `<<-` stripped tabs: columns do not map
        start, end = columns if columns is not None else (1, 1)
        return Finding(
            rule=rule.id,
            name=rule.name,
            severity=rule.severity if severity is None else severity,
            path=path,
            line=text_line,
            column=start,
            end_line=text_line,
            end_column=end,
            message=message,
            fix=fix,
            chain=tuple(self.chain.describe()) or None,
            edit=edit,
        )

    def finding(
        self,
        rule: "Rule",
        instruction: Instruction,
        message: str,
        *,
        severity: Severity | None = None,
        fix: str | None = None,
        edit: Edit | None = None,
    ) -> Finding:
        return Finding(
            rule=rule.id,
            name=rule.name,
            severity=rule.severity if severity is None else severity,
            path=self.path,
            line=instruction.start_line,
            column=instruction.column,
            end_line=instruction.end_line,
            end_column=instruction.end_column,
            message=message,
            fix=fix,
            chain=tuple(self.chain.describe()) or None,
            edit=edit,
        )


class Rule(NamedTuple):
    id: str
    name: str
    severity: Severity  # default; a check may lower it per finding
    summary: str  # one line, for `sigcheck rules` and SARIF shortDescription
    check: Callable[[Context], Iterable[Finding]]
    # How often a finding is right (SARIF `precision`, shown by GitHub code scanning):
    # "very-high" when the rule reads a fact (invalid JSON), "high" when it relies on
    # the model of the image (which shell, which entry script).
    precision: str = "high"
