"""The rule pages in rules/ are executable documentation.

Every rule in ALL_RULES has a page rules/<ID>.md with fixed headings (which
`sigcheck explain` will rely on), a title that names the rule, and a default
severity line that matches the rule's metadata. The "Fix safety" section (after
the examples, before the exceptions, where ruff's pages have it) says when
`sigcheck --fix` applies the rule's fix and when it is withheld; a page whose
section opens by saying the rule has "no automatic fix" must have no Problematic
example that --fix would change, and any other page at least one that it would
(a finding with an edit, marked `[fixable]`). Every ```dockerfile block under
"Problematic code" must make the rule fire; every one under "Correct code" must
not. A ```dockerfile block may be followed, in the same section, by blocks whose
first line is `# file: <path>`: they are written into a fresh build context next
to the Dockerfile (without that line, so a shebang stays first), and the
Dockerfile is linted with `lint_file`, as a user's checkout would be; a header
`# file: <path> (crlf)` writes the file with CRLF line endings. When the
paragraph just before a Problematic block ends in "(error):" or "(warning):",
the rule must report that severity for it: the pages explain the error/warning
split, and this keeps those claims honest.

An example that the measured semantics (signal-semantics.md) back but sigcheck
gets wrong is kept and listed in KNOWN_BUGS (fires / does not fire) or
KNOWN_SEVERITY_BUGS (wrong severity), so the case is a strict xfail until
sigcheck is fixed.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sigcheck.findings import Finding
from sigcheck.lint import LintOptions, lint_file, lint_input
from sigcheck.load.manifests import classify_yaml
from sigcheck.rules import ALL_RULES, Rule, rule_by_id

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Problematic code",
    "Correct code",
    "Fix safety",
    "Exceptions",
    "Related rules",
    "Sources",
)
EXAMPLE_KINDS = {"Problematic code": "problematic", "Correct code": "correct"}
FIX_SAFETY = "Fix safety"
NO_AUTOMATIC_FIX = "no automatic fix"  # in the first paragraph of a rule that never carries an edit

# case id -> why sigcheck gets the example wrong (input, expected, actual).
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
    prose: dict[str, list[str]] = field(default_factory=dict)  # `##` heading -> its lines outside fences

    def paragraphs(self, section: str) -> list[str]:
        """The section's text outside code blocks, one string per paragraph."""
        text = "\n".join(self.prose.get(section, []))
        return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


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
        if section:
            page.prose.setdefault(section, []).append(line)
    return page


def page_path(rule: Rule) -> Path:
    return RULES_DIR / f"{rule.id}.md"


def load_page(rule: Rule) -> Page | None:
    path = page_path(rule)
    return parse_page(path.read_text(encoding="utf-8")) if path.is_file() else None


# Rules whose checks lower the default severity for some findings: the severity
# line must say so ("..., lowered to **warning** when ...").
# The shell-form rules: info where the image's shell execs the app, warning where the shell is unknown.
LOWERED_TO: dict[str, tuple[str, ...]] = {
    "SIG101": ("info", "warning"),
    "SIG102": ("info", "warning"),
    "SIG103": ("info", "warning"),
    "SIG201": ("warning",),
    "SIG202": ("warning",),
    "SIG203": ("warning",),
    "SIG204": ("warning",),
}

# case id -> why sigcheck gets the example wrong (input, expected, actual). The
# case is a strict xfail, so fixing sigcheck turns it into a failure that asks
# for the entry to be removed.
KNOWN_BUGS: dict[str, str] = {}
# case id -> why sigcheck reports another severity than the page announces.
KNOWN_SEVERITY_BUGS: dict[str, str] = {}

# `# file: run.sh` or `# file: run.sh (crlf)`: the second writes the file with CRLF endings.
_FILE_HEADER = re.compile(r"^#\s*file:\s*(\S+)(\s+\(crlf\))?\s*$")


@dataclass(frozen=True, slots=True)
class Example:
    rule: Rule
    kind: str  # "problematic" | "correct"
    dockerfile: Block
    files: tuple[tuple[str, str], ...]  # (context path, content without the `# file:` line)


def file_header(block: Block) -> str | None:
    """The build-context path a block declares on its first line, if any."""
    first = block.text.split("\n", 1)[0]
    match = _FILE_HEADER.match(first)
    return match.group(1) if match else None


def collect_examples(rule: Rule) -> list[Example]:
    page = load_page(rule)
    return [] if page is None else examples_of(page, rule)


def examples_of(page: Page, rule: Rule) -> list[Example]:
    """The page's examples in order: each ```dockerfile block with the file blocks after it."""
    examples: list[Example] = []
    for block in page.blocks:
        kind = EXAMPLE_KINDS.get(block.section)
        if kind is None:
            continue
        if block.lang == "dockerfile":
            examples.append(Example(rule, kind, block, ()))
            continue
        path = file_header(block)
        if path is None or not examples or examples[-1].kind != kind:
            continue  # test_example_blocks_are_attached reports it
        last = examples[-1]
        content = block.text.split("\n", 1)[1] if "\n" in block.text else ""
        header = _FILE_HEADER.match(block.text.split("\n", 1)[0])
        if header is not None and header.group(2):
            content = content.replace("\n", "\r\n")
        examples[-1] = Example(rule, kind, last.dockerfile, (*last.files, (path, content)))
    return examples


def _cases(kind: str, bugs: dict[str, str], announced_only: bool = False) -> list[pytest.ParameterSet]:
    cases: list[pytest.ParameterSet] = []
    for rule in ALL_RULES:
        examples = [e for e in collect_examples(rule) if e.kind == kind]
        for n, example in enumerate(examples, start=1):
            if announced_only and example.dockerfile.announced is None:
                continue
            case_id = f"{rule.id}-{kind}-{n}"
            reason = bugs.get(case_id)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(example, id=case_id, marks=marks))
    return cases


PROBLEMATIC = _cases("problematic", KNOWN_BUGS)
CORRECT = _cases("correct", KNOWN_BUGS)
# An example that does not fire cannot have the right severity either.
ANNOUNCED = _cases("problematic", {**KNOWN_BUGS, **KNOWN_SEVERITY_BUGS}, announced_only=True)
rule_params = pytest.mark.parametrize("rule", ALL_RULES, ids=[r.id for r in ALL_RULES])


def materialise(example: Example, root: Path) -> Path:
    """Write the example's Dockerfile and context files under `root`; return the Dockerfile."""
    dockerfile = root / "Dockerfile"
    dockerfile.write_text(example.dockerfile.text, encoding="utf-8")
    for rel, content in example.files:
        norm = posixpath.normpath(rel)
        inside = not posixpath.isabs(norm) and norm != ".." and not norm.startswith("../")
        assert inside, f"`# file: {rel}` must name a path inside the build context"
        target = root / norm
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8"))  # as written: write_text would not keep \r\n
        if content.startswith("#!") or norm.endswith(".sh"):
            target.chmod(0o755)
    return dockerfile


def lint_example(example: Example, root: Path) -> list[Finding]:
    dockerfile = materialise(example, root)
    reports = [lint_file(str(dockerfile), LintOptions())]
    # A `# file:` block that is a Compose file or a manifest is linted as the user's
    # `sigcheck deploy.yaml` would (the SIG6xx rules read only deployments).
    for rel, content in example.files:
        if rel.endswith((".yaml", ".yml")) and classify_yaml(rel, content) is not None:
            reports += lint_input(str(dockerfile.parent / posixpath.normpath(rel)), LintOptions())
    for report in reports:
        assert report.error is None, (
            f"rules/{example.rule.id}.md line {example.dockerfile.line}: could not be linted: {report.error}"
        )
    return [f for report in reports for f in report.findings if f.rule == example.rule.id]


def _where(example: Example) -> str:
    return f"rules/{example.rule.id}.md line {example.dockerfile.line}"


def _describe(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.path}:{f.line}: {f.severity.label}: {f.message}" for f in findings) or "  (none)"


@rule_params
def test_headings_in_order(rule: Rule) -> None:
    page = load_page(rule)
    assert page is not None, f"rules/{rule.id}.md is missing"
    top = [(level, text) for level, text in page.headings if level <= 2]
    assert top == [(1, f"{rule.id}: {rule.name}"), *((2, s) for s in SECTIONS)]


@rule_params
def test_title_names_rule(rule: Rule) -> None:
    page = load_page(rule)
    assert page is not None, f"rules/{rule.id}.md is missing"
    assert page.headings, "the page has no headings"
    assert page.headings[0] == (1, f"{rule.id}: {rule.name}")


@rule_params
def test_default_severity_line(rule: Rule) -> None:
    page = load_page(rule)
    assert page is not None, f"rules/{rule.id}.md is missing"
    lines = [line for line in page.preamble if line.strip()]
    assert lines, "no `Default severity: **...**` line under the title"
    match = _SEVERITY.match(lines[0])
    assert match, f"first line under the title is not `Default severity: **...**`: {lines[0]!r}"
    assert match.group(1) == rule.severity.label
    lowered = LOWERED_TO.get(rule.id, ())
    if lowered:
        assert f"lowered to **{lowered[0]}**" in lines[0], "the severity line must say when it is lowered"
    for other in lowered[1:]:
        assert f"to **{other}**" in lines[0], f"the severity line must say when it is {other}"


@rule_params
def test_page_has_both_kinds_of_example(rule: Rule) -> None:
    kinds = {e.kind for e in collect_examples(rule)}
    assert kinds == {"problematic", "correct"}, f"rules/{rule.id}.md needs both kinds of example"


@rule_params
def test_example_blocks_are_attached(rule: Rule) -> None:
    """Every block under Problematic/Correct code is a Dockerfile or a `# file:` block after one."""
    page = load_page(rule)
    assert page is not None, f"rules/{rule.id}.md is missing"
    seen_dockerfile: set[str] = set()
    for block in page.blocks:
        if block.section not in EXAMPLE_KINDS:
            continue
        if block.lang == "dockerfile":
            seen_dockerfile.add(block.section)
            continue
        assert file_header(block) is not None, (
            f"rules/{rule.id}.md line {block.line}: a ```{block.lang} block under {block.section!r} "
            "must start with `# file: <path in the build context>`"
        )
        assert block.section in seen_dockerfile, (
            f"rules/{rule.id}.md line {block.line}: a file block must follow the ```dockerfile block "
            "it belongs to"
        )


def test_known_bugs_name_existing_cases() -> None:
    ids = {p.id for p in (*PROBLEMATIC, *CORRECT)}
    assert set(KNOWN_BUGS) <= ids, f"stale KNOWN_BUGS entries: {sorted(set(KNOWN_BUGS) - ids)}"
    stale = sorted(set(KNOWN_SEVERITY_BUGS) - {p.id for p in ANNOUNCED})
    assert not stale, f"stale KNOWN_SEVERITY_BUGS entries: {stale}"


@rule_params
def test_fix_safety_matches_the_examples(rule: Rule, tmp_path: Path) -> None:
    """The section says whether --fix ever fixes the rule, and the page's examples agree."""
    page = load_page(rule)
    assert page is not None, f"rules/{rule.id}.md is missing"
    paragraphs = page.paragraphs(FIX_SAFETY)
    assert paragraphs, f"rules/{rule.id}.md: the {FIX_SAFETY!r} section is empty"
    never = NO_AUTOMATIC_FIX in paragraphs[0].lower()
    examples = [e for e in collect_examples(rule) if e.kind == "problematic"]
    fixable: list[str] = []
    for n, example in enumerate(examples, start=1):
        root = tmp_path / str(n)
        root.mkdir()
        if any(f.edit is not None for f in lint_example(example, root)):
            fixable.append(_where(example))
    if never:
        assert not fixable, (
            f"rules/{rule.id}.md says {NO_AUTOMATIC_FIX!r}, but --fix would change: " + ", ".join(fixable)
        )
    else:
        assert fixable, (
            f"rules/{rule.id}.md: {FIX_SAFETY!r} does not open with {NO_AUTOMATIC_FIX!r}, but no "
            "Problematic example gets an automatic fix (add one that does)"
        )


@pytest.mark.parametrize("example", PROBLEMATIC)
def test_problematic_example_fires(example: Example, tmp_path: Path) -> None:
    findings = lint_example(example, tmp_path)
    assert findings, f"{_where(example)}: {example.rule.id} does not fire on this Problematic example"


@pytest.mark.parametrize("example", CORRECT)
def test_correct_example_is_clean(example: Example, tmp_path: Path) -> None:
    findings = lint_example(example, tmp_path)
    assert not findings, f"{_where(example)}: {example.rule.id} fires on this Correct example:\n" + _describe(
        findings
    )


@pytest.mark.parametrize("example", ANNOUNCED)
def test_problematic_example_severity(example: Example, tmp_path: Path) -> None:
    findings = lint_example(example, tmp_path)
    announced = example.dockerfile.announced
    assert announced in {f.severity.label for f in findings}, (
        f"{_where(example)}: the page says {announced}, {example.rule.id} reports:\n" + _describe(findings)
    )


_SAMPLE_PAGE = """# SIG201: script-without-exec

## Problematic code

The script (error):

```dockerfile
FROM alpine:3.20
CMD ["/run.sh"]
```

```sh
# file: bin/run.sh
#!/bin/sh
app
```

## Correct code

```sh
# file: stray.sh
```
"""


def test_examples_attach_file_blocks() -> None:
    rule = _rule("SIG201")
    examples = examples_of(parse_page(_SAMPLE_PAGE), rule)
    assert len(examples) == 1
    (example,) = examples
    assert example.kind == "problematic"
    assert example.dockerfile.announced == "error"
    assert example.files == (("bin/run.sh", "#!/bin/sh\napp\n"),)


def test_paragraphs_are_the_prose_of_a_section() -> None:
    page = parse_page(
        "# SIG202: x\n\n## Fix safety\n\nSIG202 has no automatic\nfix.\n\n```sh\nexec app\n```\n\n"
        "Second.\n\n## Exceptions\n\nNone.\n"
    )
    assert page.paragraphs("Fix safety") == ["SIG202 has no automatic fix.", "Second."]
    assert page.paragraphs("Exceptions") == ["None."]
    assert page.paragraphs("Sources") == []


def test_materialise_strips_header_and_keeps_shebang(tmp_path: Path) -> None:
    (example,) = examples_of(parse_page(_SAMPLE_PAGE), _rule("SIG201"))
    rule = example.rule
    block = example.dockerfile
    materialise(example, tmp_path)
    script = tmp_path / "bin" / "run.sh"
    assert script.read_text(encoding="utf-8") == "#!/bin/sh\napp\n"
    assert script.stat().st_mode & 0o111
    escaping = Example(rule, "problematic", block, (("../escape.sh", "x\n"),))
    (tmp_path / "ctx").mkdir()
    with pytest.raises(AssertionError):
        materialise(escaping, tmp_path / "ctx")


def _rule(rule_id: str) -> Rule:
    rule = rule_by_id(rule_id)
    assert rule is not None
    return rule


@rule_params
def test_page_exists(rule: Rule) -> None:
    assert page_path(rule).is_file(), f"{rule.id} has no documentation page at rules/{rule.id}.md"
