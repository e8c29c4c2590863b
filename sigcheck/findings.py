"""What a rule reports, and how bad it is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["DOCS_URL", "Finding", "Severity"]

DOCS_URL = "https://github.com/sigcheck/sigcheck/blob/main/rules/{rule}.md"


class Severity(IntEnum):
    STYLE = 0
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (error, warning, info, style)") from None


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fix: str | None = None
    chain: tuple[str, ...] | None = None

    @property
    def doc_url(self) -> str:
        return DOCS_URL.format(rule=self.rule)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule)
