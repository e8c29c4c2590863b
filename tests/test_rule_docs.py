"""The rule pages in rules/ are executable documentation.

Every rule in ALL_RULES has a page rules/<ID>.md with fixed headings (which
`sigcheck explain` will rely on), a title that names the rule, and a default
severity line that matches the rule's metadata. Every ```dockerfile block under
"Problematic code" must make the rule fire; every one under "Correct code" must
not. When the paragraph just before a Problematic block ends in "(error):" or
"(warning):", the rule must report that severity for it: the pages explain the
error/warning split, and this keeps those claims honest.

An example that the measured semantics (signal-semantics.md) back but sigcheck
gets wrong is kept and listed in KNOWN_BUGS (fires / does not fire) or
KNOWN_SEVERITY_BUGS (wrong severity), so the case is a strict xfail until
sigcheck is fixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sigcheck.findings import Finding
from sigcheck.lint import lint_text
from sigcheck.rules import ALL_RULES, Rule

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Problematic code",
    "Correct code",
    "Exceptions",
    "Related rules",
    "Sources",
)
EXAMPLE_KINDS = {"Problematic code": "problematic", "Correct code": "correct"}

# case id -> why sigcheck gets the example wrong (input, expected, actual).
KNOWN_BUGS: dict[str, str] = {}
KNOWN_SEVERITY_BUGS: dict[str, str] = {}

_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([^`\s]*)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SEVERITY = re.compile(r"^Default severity: \*\*(\w+)\*\*")
_ANNOUNCED = re.compile(r"\((error|warning|info|style)\):\s*$")


@dataclass(frozen=True, slots=True)
class Block:
    section: str  # the `##` heading the block sits under
    lang: str
    text: str
    line: int  # 1-based line of the opening fence
    announced: str | None  # severity named by "(error):" etc. ending the paragraph before it


@dataclass(slots=True)
class Page:
    headings: list[tuple[int, str]] = field(default_factory=list)  # (level, text), outside fences
    preamble: list[str] = field(default_factory=list)  # lines between the title and the first `##`
    blocks: list[Block] = field(default_factory=list)


def parse_page(text: str) -> Page:
    """Headings, the preamble and fenced code blocks of a Markdown page."""
    page = Page()
    section = ""
    fence: str | None = None
    lang = ""
    start = 0
    body: list[str] = []
    announced: str | None = None
    previous = ""  # last non-blank line outside fences
    for number, line in enumerate(text.splitlines(), start=1):
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                page.blocks.append(Block(section, lang, "".join(body), start, announced))
                fence = None
            else:
                body.append(line + "\n")
            continue
        opening = _FENCE.match(line)
        if opening:
            fence, lang, start, body = opening.group(1), opening.group(2).lower(), number, []
            said = _ANNOUNCED.search(previous)
            announced = said.group(1) if said else None
            previous = ""
            continue
        if line.strip():
            previous = line
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            page.headings.append((level, heading.group(2)))
            if level <= 2:
                section = heading.group(2)
            continue
        if len(page.headings) == 1 and page.headings[0][0] == 1:
            page.preamble.append(line)
    return page


def page_path(rule: Rule) -> Path:
    return RULES_DIR / f"{rule.id}.md"


def load_page(rule: Rule) -> Page | None:
    path = page_path(rule)
    return parse_page(path.read_text(encoding="utf-8")) if path.is_file() else None


def _example_cases(
    kind: str, bugs: dict[str, str], announced_only: bool = False
) -> list[pytest.ParameterSet]:
    cases: list[pytest.ParameterSet] = []
    for rule in ALL_RULES:
        page = load_page(rule)
        if page is None:
            continue  # test_page_exists reports it
        blocks = [b for b in page.blocks if b.lang == "dockerfile" and EXAMPLE_KINDS.get(b.section) == kind]
        for n, block in enumerate(blocks, start=1):
            if announced_only and block.announced is None:
                continue
            case_id = f"{rule.id}-{kind}-{n}"
            reason = bugs.get(case_id)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(rule, block, id=case_id, marks=marks))
    return cases


PROBLEMATIC = _example_cases("problematic", KNOWN_BUGS)
CORRECT = _example_cases("correct", KNOWN_BUGS)
# An example that does not fire cannot have the right severity either.
ANNOUNCED = _example_cases("problematic", {**KNOWN_BUGS, **KNOWN_SEVERITY_BUGS}, announced_only=True)
rule_params = pytest.mark.parametrize("rule", ALL_RULES, ids=[r.id for r in ALL_RULES])


def _lint(block: Block, rule: Rule, tmp_path: Path) -> list[Finding]:
    # A fresh directory as the Dockerfile's location: the build context is empty
    # and nothing from the repository leaks into the example.
    findings = lint_text(block.text, str(tmp_path / "Dockerfile"))
    return [f for f in findings if f.rule == rule.id]


def _describe(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.line}: {f.severity.label}: {f.message}" for f in findings) or "  (none)"


@rule_params
def test_page_exists(rule: Rule) -> None:
    assert page_path(rule).is_file(), f"{rule.id} has no documentation page at rules/{rule.id}.md"


@rule_params
def test_headings_in_order(rule: Rule) -> None:
    page = load_page(rule)
    assert page is not None, f"rules/{rule.id}.md is missing"
    top = [(level, text) for level, text in page.headings if level <= 2]
    expected = [(1, f"{rule.id}: {rule.name}"), *((2, s) for s in SECTIONS)]
    assert top == expected


@rule_params
def test_title_names_rule(rule: Rule) -> None:
    page = load_page(rule)
    assert page is not None, f"rules/{rule.id}.md is missing"
    assert page.headings, "the page has no headings"
    level, title = page.headings[0]
    assert (level, title) == (1, f"{rule.id}: {rule.name}")


@rule_params
def test_default_severity_line(rule: Rule) -> None:
    page = load_page(rule)
    assert page is not None, f"rules/{rule.id}.md is missing"
    lines = [line for line in page.preamble if line.strip()]
    assert lines, "no `Default severity: **...**` line under the title"
    match = _SEVERITY.match(lines[0])
    assert match, f"first line under the title is not `Default severity: **...**`: {lines[0]!r}"
    assert match.group(1) == rule.severity.label


@rule_params
def test_page_has_both_kinds_of_example(rule: Rule) -> None:
    ids = {p.id for p in (*PROBLEMATIC, *CORRECT)}
    assert f"{rule.id}-problematic-1" in ids, "no ```dockerfile block under Problematic code"
    assert f"{rule.id}-correct-1" in ids, "no ```dockerfile block under Correct code"


def test_known_bugs_name_existing_cases() -> None:
    ids = {p.id for p in (*PROBLEMATIC, *CORRECT)}
    assert set(KNOWN_BUGS) <= ids, f"stale KNOWN_BUGS entries: {sorted(set(KNOWN_BUGS) - ids)}"
    announced = {p.id for p in ANNOUNCED}
    stale = sorted(set(KNOWN_SEVERITY_BUGS) - announced)
    assert not stale, f"stale KNOWN_SEVERITY_BUGS entries: {stale}"


@pytest.mark.parametrize(("rule", "block"), PROBLEMATIC)
def test_problematic_example_fires(rule: Rule, block: Block, tmp_path: Path) -> None:
    findings = _lint(block, rule, tmp_path)
    assert findings, (
        f"rules/{rule.id}.md line {block.line}: {rule.id} does not fire on this Problematic example"
    )


@pytest.mark.parametrize(("rule", "block"), CORRECT)
def test_correct_example_is_clean(rule: Rule, block: Block, tmp_path: Path) -> None:
    findings = _lint(block, rule, tmp_path)
    assert not findings, (
        f"rules/{rule.id}.md line {block.line}: {rule.id} fires on this Correct example:\n"
        + _describe(findings)
    )


@pytest.mark.parametrize(("rule", "block"), ANNOUNCED)
def test_problematic_example_severity(rule: Rule, block: Block, tmp_path: Path) -> None:
    findings = _lint(block, rule, tmp_path)
    severities = {f.severity.label for f in findings}
    assert block.announced in severities, (
        f"rules/{rule.id}.md line {block.line}: the page says {block.announced}, {rule.id} reports:\n"
        + _describe(findings)
    )
