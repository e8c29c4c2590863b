"""Rule metadata and the context every check function receives."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sigcheck.findings import Finding, Severity
from sigcheck.load.dockerfile import Instruction, ParsedDockerfile
from sigcheck.model.chain import LaunchChain
from sigcheck.model.image import Model, Stage

__all__ = ["Context", "Rule"]


@dataclass(frozen=True, slots=True)
class Context:
    path: str  # as given on the command line
    parsed: ParsedDockerfile
    model: Model
    stage: Stage  # the final stage, or --target
    chain: LaunchChain

    def finding(
        self,
        rule: Rule,
        instruction: Instruction,
        message: str,
        *,
        severity: Severity | None = None,
        fix: str | None = None,
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
        )


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity  # default; a check may lower it per finding
    summary: str  # one line, for `sigcheck rules` and SARIF shortDescription
    check: Callable[[Context], Iterable[Finding]]
