"""What is not reported: inline ignores, per-file ignores, severity overrides.

Applied once per linted Dockerfile, after every rule has run (`apply_ignores`):

- `# sigcheck ignore=SIG201,SIG301 reason` silences those rules (IDs or names) on
  the next instruction: the comment may be followed by more comments or blank
  lines before it. A comment between an instruction's continuation lines applies to
  that instruction. Inside an entry script (a build-context file or a heredoc),
  it silences the next line of code.
- `# sigcheck global ignore=...` anywhere: in a Dockerfile, everything reported
  for it (its entry scripts included); in a script, that script.
- `# hadolint ignore=DL3025` (and `# hadolint global ignore=DL3025`): hadolint's
  JSON-notation rule is sigcheck's SIG101/SIG102, so one comment serves both tools.
- BuildKit's `# check=skip=JSONArgsRecommended` (or `skip=all`) parser directive:
  SIG101, SIG102 and SIG104 in the whole file, as `docker build --check` skips
  its own check for them.

A sigcheck ignore that silences nothing is reported as SIG001 (unused-ignore),
so stale or misplaced ones are found; hadolint's and BuildKit's comments are
never reported (they exist for those tools). The comment scanning takes the
comment map of any file (`line -> text after '#'`), so each new kind of file
sigcheck reads needs only to hand its comments in.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from sigcheck.findings import Finding
from sigcheck.load.dockerfile import Instruction, ParsedDockerfile
from sigcheck.load.files import source_lines
from sigcheck.rules import rule_by_id
from sigcheck.rules.sig001_unused_ignore import RULE as UNUSED_IGNORE
from sigcheck.rules.sig001_unused_ignore import unused_ignore_finding

if TYPE_CHECKING:
    from sigcheck.config import FileIgnore
    from sigcheck.findings import Severity
    from sigcheck.model.image import Stage
    from sigcheck.rules.base import Context

__all__ = [
    "BUILDKIT_EQUIVALENTS",
    "HADOLINT_EQUIVALENTS",
    "Ignore",
    "apply_ignores",
    "comment_map",
    "dockerfile_ignores",
    "parse_check_directive",
    "parse_ignore_comment",
    "script_ignores",
]

# hadolint codes whose findings sigcheck also makes, and BuildKit checks likewise.
HADOLINT_EQUIVALENTS: dict[str, frozenset[str]] = {"DL3025": frozenset({"SIG101", "SIG102"})}
BUILDKIT_EQUIVALENTS: dict[str, frozenset[str]] = {
    "JSONArgsRecommended": frozenset({"SIG101", "SIG102", "SIG104"}),
}
_BUILDKIT_ALL = frozenset().union(*BUILDKIT_EQUIVALENTS.values())

_IGNORE = (
    r"^(?P<tool>sigcheck|hadolint)\s+(?P<global>global\s+)?ignore\s*=\s*"
    r"(?P<names>[^\s,]+(?:\s*,\s*[^\s,]+)*)\s*,?\s*(?P<reason>.*)$"
)
_EVERYWHERE = (None, 1, 1 << 62)

Scope = tuple[str | None, int, int]  # path (None: every file of this lint), first line, last line


class Ignore:
    """One ignore comment, and which of the rules it names it was needed for.

    A plain class, not a dataclass: this module loads on every run, and a
    dataclass costs ~0.4 ms to define."""

    def __init__(
        self,
        path: str,  # the file the comment is in, as findings name it
        line: int,
        tool: str,  # "sigcheck", "hadolint" or "buildkit"
        is_global: bool,
        names: tuple[str, ...],  # as written
        rules: tuple[frozenset[str], ...],  # per name, the sigcheck rule IDs it silences (empty: unknown)
        scope: Scope | None,  # None: applies to nothing
        target: str,  # what it applies to, for messages: "on the CMD at line 5", "in this Dockerfile"
        *,
        reason: str = "",
        anchor: int | None = None,  # start line of the Dockerfile instruction it belongs to
        column: int = 1,
        end_column: int = 1,
    ) -> None:
        self.path = path
        self.line = line
        self.tool = tool
        self.is_global = is_global
        self.names = names
        self.rules = rules
        self.scope = scope
        self.target = target
        self.reason = reason
        self.anchor = anchor
        self.column = column
        self.end_column = end_column
        self.used = [False] * len(names)

    def __repr__(self) -> str:
        return f"Ignore({self.path!r}, line {self.line}, {self.tool}, {self.names!r}, scope={self.scope!r})"

    def covers(self, finding: Finding) -> bool:
        if self.scope is None:
            return False
        path, first, last = self.scope
        return (path is None or finding.path == path) and first <= finding.line <= last

    def silences(self, finding: Finding) -> bool:
        """Whether this ignore silences `finding`; marks the names that did."""
        if not self.covers(finding):
            return False
        hit = False
        for index, rules in enumerate(self.rules):
            if finding.rule in rules:
                self.used[index] = True
                hit = True
        return hit


@functools.cache
def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


def parse_ignore_comment(text: str) -> tuple[str, bool, tuple[str, ...], str] | None:
    """`sigcheck ignore=A,B reason` (the text after '#') -> (tool, is_global, names, reason)."""
    text = text.strip()
    if "ignore" not in text:
        return None  # most comments: no need to compile the pattern at start-up
    m = _pattern(_IGNORE).match(text)
    if m is None:
        return None
    names = tuple(n for n in re.split(r"\s*,\s*", m.group("names")) if n)
    return m.group("tool"), m.group("global") is not None, names, m.group("reason").strip()


def parse_check_directive(value: str) -> frozenset[str]:
    """The sigcheck rules a BuildKit `# check=skip=...` directive silences.

    BuildKit's syntax (frontend/dockerfile/linter ParseLintOptions): `;`-separated
    `key=value` options; `skip=all` or a comma-separated list of check names,
    compared case-sensitively."""
    silenced: set[str] = set()
    for option in value.split(";"):
        key, _, names = option.partition("=")
        if key.strip() != "skip":
            continue
        names = names.strip()
        if names == "all":
            return _BUILDKIT_ALL
        for name in names.split(","):
            silenced |= BUILDKIT_EQUIVALENTS.get(name.strip(), frozenset())
    return frozenset(silenced)


def comment_map(text: str) -> dict[int, str]:
    """Full-line `#` comments of a shell script: line -> text after '#' (not the shebang)."""
    comments: dict[int, str] = {}
    for number, line in enumerate(source_lines(text), start=1):
        stripped = line.lstrip()
        if stripped.startswith("#") and not (number == 1 and stripped.startswith("#!")):
            comments[number] = stripped[1:].strip()
    return comments


def _resolve(tool: str, name: str) -> frozenset[str]:
    if tool == "hadolint":
        return HADOLINT_EQUIVALENTS.get(name.upper(), frozenset())
    rule = rule_by_id(name)
    return frozenset({rule.id}) if rule is not None else frozenset()


def _columns(lines: Sequence[str] | None, index: int) -> tuple[int, int]:
    if lines is None or not 0 <= index < len(lines):
        return 1, 1
    line = lines[index]
    return line.find("#") + 1, len(line) + 1


def dockerfile_ignores(path: str, parsed: ParsedDockerfile) -> list[Ignore]:
    """The ignores in a Dockerfile's comments and its BuildKit `check` directive."""
    ignores: list[Ignore] = []
    instructions = parsed.instructions
    for line, text in sorted(parsed.comments.items()):
        found = parse_ignore_comment(text)
        if found is None:
            continue
        tool, is_global, names, reason = found
        scope: Scope | None = _EVERYWHERE
        target, anchor = "in this Dockerfile", None
        if not is_global:
            ins = _instruction_after(instructions, parsed, line)
            scope = (path, ins.start_line, ins.end_line) if ins is not None else None
            target, anchor = "no instruction", None
            if ins is not None:
                target, anchor = f"on the {ins.keyword} at line {ins.start_line}", ins.start_line
        column, end_column = _columns(parsed.lines, line - 1)
        rules = tuple(_resolve(tool, name) for name in names)
        ignores.append(
            Ignore(
                path,
                line,
                tool,
                is_global,
                names,
                rules,
                scope,
                target,
                reason=reason,
                anchor=anchor,
                column=column,
                end_column=end_column,
            )
        )
    check = parsed.directives.get("check")
    if check is not None:
        silenced = parse_check_directive(check)
        if silenced:
            line = next((n for n, t in sorted(parsed.comments.items()) if re.match(r"check\s*=", t, re.I)), 1)
            ignores.append(
                Ignore(path, line, "buildkit", True, (check,), (silenced,), _EVERYWHERE, "in this Dockerfile")
            )
    for ins in instructions:
        for heredoc in ins.heredocs:
            body = source_lines(heredoc.content)
            inside = script_ignores(path, comment_map(heredoc.content), body, heredoc.start_line - 1)
            for ignore in inside:
                ignore.anchor = ins.start_line
            ignores += inside
    return ignores


def _instruction_after(
    instructions: Sequence[Instruction], parsed: ParsedDockerfile, line: int
) -> Instruction | None:
    """The instruction a comment on `line` belongs to: the one it sits inside (a comment
    between continuation lines), else the next one, with only comments and blank lines between."""
    for ins in instructions:
        if ins.start_line < line <= ins.end_line:
            return ins
        if ins.start_line > line:
            between = range(line + 1, ins.start_line)
            if all(n in parsed.comments or not parsed.lines[n - 1].strip() for n in between):
                return ins
            return None
    return None


def script_ignores(
    path: str,
    comments: Mapping[int, str],
    lines: Sequence[str] | None = None,
    offset: int = 0,
) -> list[Ignore]:
    """The ignores in a script's comments (`line -> text after '#'`, lines of the script).

    `offset` maps script line n to line n + offset of `path`, for a script inside a
    Dockerfile (a heredoc). `lines`, when given, lets blank lines sit between an
    ignore and its line and gives the comment's columns."""
    ignores: list[Ignore] = []
    last = len(lines) if lines is not None else max(comments, default=0) + 1
    for line, text in sorted(comments.items()):
        found = parse_ignore_comment(text)
        if found is None:
            continue
        tool, is_global, names, reason = found
        scope: Scope | None
        if is_global:
            scope, target = (path, 1 + offset, last + offset), "in this script"
        else:
            number = line + 1
            while number <= last and (
                number in comments or (lines is not None and not lines[number - 1].strip())
            ):
                number += 1
            scope = (path, number + offset, number + offset) if number <= last else None
            target = f"on line {number + offset}" if scope is not None else "no line of code"
        column, end_column = _columns(lines, line - 1)
        rules = tuple(_resolve(tool, name) for name in names)
        ignores.append(
            Ignore(
                path,
                line + offset,
                tool,
                is_global,
                names,
                rules,
                scope,
                target,
                reason=reason,
                column=column,
                end_column=end_column,
            )
        )
    return ignores


def _context_script_ignores(ctx: Context) -> list[Ignore]:
    """Ignores in the entry scripts the chain reads from the build context."""
    ignores: list[Ignore] = []
    seen: set[str] = set()
    origins = [o for link in ctx.chain.links if link.script is not None for o in link.script.origins]
    for origin in origins:
        if origin.display is None or ctx.files is None:
            continue  # a heredoc's or RUN's comments are the Dockerfile's own
        path, _ = ctx.script_path(origin)
        if path in seen:
            continue
        seen.add(path)
        text = ctx.files.read(origin)[0]
        if text is None:
            continue  # the chain says why it could not read the script
        ignores += script_ignores(path, comment_map(text), source_lines(text))
    return ignores


def _linted_lines(ctx: Context) -> set[int]:
    """Start lines of the instructions of the linted stage and the stages it is built on."""
    lines: set[int] = set()
    stage: Stage | None = ctx.dockerfile.stage if ctx.dockerfile is not None else None
    while stage is not None:
        lines.add(stage.from_instruction.start_line)
        lines.update(ins.start_line for ins in stage.instructions)
        stage = stage.parent
    return lines


def apply_ignores(
    ctx: Context,
    findings: Iterable[Finding],
    *,
    enabled: frozenset[str],
    per_file: Sequence[FileIgnore] = (),
    severity: Sequence[tuple[str, Severity]] = (),
) -> list[Finding]:
    """Drop what per-file ignores and ignore comments silence, report unused ignores
    (SIG001) when it is among the `enabled` rule IDs, then apply the configured
    severity overrides."""

    def disabled(path: str) -> frozenset[str]:
        out: set[str] = set()
        for entry in per_file:
            if entry.matches(path) or entry.matches(ctx.path):
                out |= entry.rules
        return frozenset(out)

    kept = [f for f in findings if f.rule not in disabled(f.path)]
    ignores = _context_script_ignores(ctx)
    if ctx.dockerfile is not None:
        ignores = dockerfile_ignores(ctx.path, ctx.dockerfile.parsed) + ignores
    if ignores:
        # A list, not any(): every ignore that covers a finding is marked as used.
        kept = [f for f in kept if not [ig for ig in ignores if ig.silences(f)]]
        kept += _unused(ctx, ignores, enabled, disabled)
    overrides = dict(severity)
    if overrides:
        kept = [f._replace(severity=overrides[f.rule]) if f.rule in overrides else f for f in kept]
    return kept


def _unused(
    ctx: Context,
    ignores: list[Ignore],
    enabled: frozenset[str],
    disabled: Callable[[str], frozenset[str]],
) -> list[Finding]:
    if UNUSED_IGNORE.id not in enabled or UNUSED_IGNORE.id in disabled(ctx.path):
        return []
    linted = _linted_lines(ctx)
    reports: list[Finding] = []
    for ignore in ignores:
        if ignore.tool != "sigcheck":
            continue
        if ignore.anchor is not None and ignore.anchor not in linted:
            continue  # in a stage this run does not lint: another --target may need it
        off = disabled(ignore.path)
        if UNUSED_IGNORE.id in off:
            continue
        unused: list[str] = []
        reasons: list[str] = []
        for name, rules, used in zip(ignore.names, ignore.rules, ignore.used, strict=True):
            if used or UNUSED_IGNORE.id in rules:
                continue
            if not rules:
                unused.append(name)
                reasons.append(f"`{name}` is not a sigcheck rule (see `sigcheck rules`)")
            elif rules <= enabled and not rules & off:
                unused.append(name)
                reasons.append(_why(name, ignore))
        if unused:
            reports.append(unused_ignore_finding(ignore, unused, reasons))
    # `# sigcheck global ignore=SIG001` turns the report off too.
    return [f for f in reports if not [ig for ig in ignores if ig.silences(f)]]


def _why(name: str, ignore: Ignore) -> str:
    if ignore.scope is None:
        return f"{name}: {ignore.target} follows this comment"
    return f"{name} reports nothing {ignore.target}"
