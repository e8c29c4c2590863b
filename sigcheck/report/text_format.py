"""`--format text`: grouped by file, with a code frame, the fix and the chain.

The layout is built once as styled segments; a terminal gets them through rich
(imported only then: it costs ~50 ms), anything else gets plain text. File
content never reaches the terminal raw: control characters are made visible
and rich renders Text objects, so `[bold]` in a Dockerfile is just text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

from sigcheck.findings import FileReport, Finding, Severity
from sigcheck.load.files import source_lines

__all__ = ["printable", "render", "render_text"]

Segment = tuple[str, str]  # (style, text)
Line = list[Segment]

# Every field is printed on its own line(s): a newline from the file must not start a line
# that looks like sigcheck's own output, so \n and \r are made visible too.
# A pattern string: re compiles (and caches) it on first use, not at every start-up.
_CONTROL = r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
_STYLES = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "bold blue",
    Severity.STYLE: "bold magenta",
}


def printable(text: str) -> str:
    """Make control characters, escape sequences and bidi overrides visible."""
    if text.isprintable():  # every character _CONTROL matches (and a lone surrogate) is not
        return text
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return re.sub(
        _CONTROL,
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
        text,
    )


def _frame(finding: Finding, source: list[str] | None) -> list[Line]:
    if not source:
        return []
    lines: list[Line] = []
    first = max(1, finding.line - 1)
    last = min(len(source), finding.end_line, finding.line + 4)
    width = len(str(last))
    for number in range(first, last + 1):
        marked = finding.line <= number <= finding.end_line
        gutter = f"    {'>' if marked else ' '} {number:>{width}} | "
        lines.append([("dim", gutter), ("" if marked else "dim", printable(source[number - 1]))])
    if finding.end_line > last:
        lines.append([("dim", f"      {' ' * width} | ...")])
    return lines


def _source(report: FileReport, finding: Finding) -> list[str] | None:
    if finding.logical is not None:
        # In an image: the script's text as the lint read it, never the archive's bytes.
        kept = report.sources.get(finding.logical_file or "")
        return source_lines(kept) if kept is not None else None
    return report.lines if finding.path == report.path else None


def _finding_lines(
    finding: Finding, source: list[str] | None, report_path: str, image: str | None = None
) -> list[Line]:
    style = _STYLES[finding.severity]
    logical = finding.logical
    if logical is not None and image is not None:
        logical = logical.removeprefix(f"{image} ")  # the header names the image
    out: list[Line] = [
        [
            # A finding in an entry script names the script; the group header names the Dockerfile.
            ("", "  " + (printable(finding.path) + ":" if finding.path != report_path else "")),
            # In an image archive the line of the archive means nothing: where the fact lives does.
            (
                "",
                f"{printable(logical)}  "
                if logical
                else f"{finding.line}:{finding.column}  ",
            ),
            (style, finding.severity.label),
            ("", "  "),
            ("bold", finding.rule),
            ("dim", f" {finding.name}"),
        ],
        [("", "    " + printable(finding.message))],
    ]
    out += _frame(finding, source)
    if finding.fix:
        label = "    fix [fixable]: " if finding.fix_safe else "    fix: "
        out.append([("green", label), ("", printable(finding.fix))])
    if finding.chain:
        out.append([("dim", "    chain: " + printable(" -> ".join(finding.chain)))])
    out.append([("dim", f"    see: {finding.doc_url}")])
    return out


def _summary(reports: Sequence[FileReport], seconds: float | None) -> Line:
    counts = {severity: 0 for severity in Severity}
    for report in reports:
        for finding in report.findings:
            counts[finding.severity] += 1
    errors = sum(1 for r in reports if r.error is not None)
    # An archive is one file however many images it holds; each image is one report.
    files = len({r.path for r in reports}) if any(r.image is not None for r in reports) else len(reports)
    parts = [f"{files} file{'s' if files != 1 else ''}"]
    images = sum(1 for r in reports if r.image is not None)
    if images:
        parts.append(f"{images} image{'s' if images != 1 else ''}")
    for severity in sorted(Severity, reverse=True):
        n = counts[severity]
        parts.append(f"{n} {severity.label}{'s' if n != 1 else ''}")
    if errors:
        parts.append(f"{errors} file{'s' if errors != 1 else ''} not linted")
    if seconds is not None:
        parts.append(f"{seconds:.2f} s")
    return [("bold", ", ".join(parts))]


def build_lines(reports: Sequence[FileReport], seconds: float | None) -> list[Line]:
    lines: list[Line] = []
    for report in reports:
        if report.error is not None:
            lines.append(
                [
                    ("bold", printable(report.path)),
                    ("", ": "),
                    ("bold red", "error: "),
                    ("", printable(report.error)),
                ]
            )
            continue
        if not report.findings:
            continue
        header = [("bold underline", printable(report.path))]
        if report.image is not None:
            header += [("", " "), ("bold", f"({printable(report.image)})")]
        lines.append(header)
        for finding in report.findings:
            lines += _finding_lines(finding, _source(report, finding), report.path, report.image)
        lines.append([])
    fixable = sum(1 for report in reports for finding in report.findings if finding.fix_safe)
    if fixable:
        lines.append([("", f"{fixable} fixable with `sigcheck --fix` (`--diff` shows the changes first)")])
    lines.append(_summary(reports, seconds))
    return lines


def render_text(
    reports: Sequence[FileReport],
    stream: TextIO,
    colour: bool,
    seconds: float | None = None,
) -> None:
    lines = build_lines(reports, seconds)
    if not colour:
        stream.write("".join("".join(text for _, text in line) + "\n" for line in lines))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, force_terminal=True, highlight=False, soft_wrap=True)
    for line in lines:
        console.print(Text.assemble(*[(text, style) for style, text in line]))


def render(reports: Sequence[FileReport], stream: TextIO, colour: bool, seconds: float) -> None:
    """The registry's entry point (sigcheck.report)."""
    render_text(reports, stream, colour, seconds)
