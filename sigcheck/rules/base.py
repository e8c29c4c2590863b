"""Rule metadata and the context every check function receives."""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

from collections.abc import Callable, Iterable
from typing import NamedTuple

from sigcheck.findings import Edit, Finding, Severity
from sigcheck.load.dockerfile import Instruction, ParsedDockerfile
from sigcheck.load.source import Source
from sigcheck.model.chain import LaunchChain, Link
from sigcheck.model.files import FileOrigin, ImageFiles
from sigcheck.model.image import Command, ImageConfig, Model, Stage, instruction_span
from sigcheck.model.runtime import DEFAULT_RUNTIME, Runtime
from sigcheck.span import Span

__all__ = ["Context", "DockerfileView", "Rule"]


class DockerfileView(NamedTuple):
    """The Dockerfile the image is built from, when the input has one."""

    parsed: ParsedDockerfile
    model: Model
    stage: Stage  # the final stage, or --target
    source: Source  # where it was read from (standard input cannot be rewritten)


class Context(NamedTuple):
    """What every rule reads: the image config, the chain, the files, the runtime, and
    the Dockerfile when there is one (an image archive has none)."""

    path: str  # the input as given on the command line
    config: ImageConfig  # the effective image config (of the final or --target stage)
    chain: LaunchChain
    files: ImageFiles | None = None  # the files the container will see
    runtime: Runtime = DEFAULT_RUNTIME  # what the runtime overrides (`--assume-init`: its init)
    dockerfile: DockerfileView | None = None
    # With no Dockerfile, where a finding about the image's own defaults is reported:
    # a deployment's `image:` line (the image's CMD is written nowhere else).
    image_span: Span | None = None

    def script_path(self, origin: FileOrigin) -> tuple[str, int | None]:
        """Where to report a script line: (path as the user would open it, line offset).

        A script with a file of its own (the build context) is reported in it; a
        heredoc or RUN-written script inside the file that holds its text."""
        if origin.display is not None:
            return origin.display, 0
        path = origin.span.path if origin.span is not None else self.path
        if origin.content_line is None:
            return path, None  # printf/echo output: only the RUN line stands in the file
        return path, origin.content_line - 1

    def anchor(self) -> Span:
        """Where a finding about what no line of the input wrote is reported: the FROM
        of the linted stage (a known base image's ENTRYPOINT, CMD or STOPSIGNAL), or the
        input's config as a whole."""
        if self.dockerfile is None:
            return self.image_span or Span.point(self.path, logical="config")
        return self.at(self.dockerfile.stage.from_instruction)

    def written_as(self, origin: "Command | None") -> str:
        """How the user wrote this ENTRYPOINT/CMD, for messages and fixes: the Dockerfile
        keyword, or the deployment's YAML key when it is the runtime's override
        (`command:` in Compose; `command:`/`args:` in Kubernetes)."""
        runtime = self.runtime
        if origin is not None and origin.span is not None:
            kubernetes = runtime.platform == "kubernetes"
            if runtime.entrypoint is not None and origin.span == runtime.entrypoint.span:
                return "command:" if kubernetes else "entrypoint:"
            if runtime.command is not None and origin.span == runtime.command.span:
                return "args:" if kubernetes else "command:"
        return origin.keyword if origin is not None else "CMD"

    def at(self, ins: Instruction) -> Span:
        """The span of an instruction of the linted Dockerfile."""
        return instruction_span(self.path, ins)

    def link_finding(
        self,
        rule: "Rule",
        link: Link,
        message: str,
        *,
        severity: Severity | None = None,
        fix: str | None = None,
        edit: Edit | None = None,
    ) -> Finding:
        """A finding about a link, where its words were written: the line of the entry
        script that starts it, the ENTRYPOINT/CMD instruction or the runtime's override;
        else (a known base image's default) the stage's FROM."""
        index = self.chain.links.index(link)
        parent = self.chain.links[index - 1] if index else None
        info = parent.script if parent is not None else None
        written_in_script = parent is not None and link.origin is parent.origin  # not passed in as "$@"
        written = info.origin_of(info.outcome) if info is not None and info.outcome is not None else None
        if info is not None and written is not None and info.outcome is not None and written_in_script:
            return self.script_finding(
                rule, written, info.outcome.line, message, severity=severity, fix=fix, edit=edit
            )
        span = link.origin.span if link.origin is not None else None
        return self.finding(rule, span or self.anchor(), message, severity=severity, fix=fix, edit=edit)

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
        written = origin.span.line if origin.span is not None else 1
        text_line = line + offset if offset is not None else written
        chomped = origin.instruction is not None and any(h.chomp for h in origin.instruction.heredocs)
        if offset is None or (origin.kind == "heredoc" and chomped):
            columns = None  # generated text, or `<<-` stripped tabs: columns do not map
        start, end = columns if columns is not None else (1, 1)
        logical = None
        if origin.kind == "layer":
            logical = f"{origin.image_path}:{text_line}"  # the archive has no lines: the in-image file does
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
            logical=logical,
        )

    def finding(
        self,
        rule: "Rule",
        span: Span,
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
            path=span.path,
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
            message=message,
            fix=fix,
            chain=tuple(self.chain.describe()) or None,
            edit=edit,
            logical=span.logical,
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
