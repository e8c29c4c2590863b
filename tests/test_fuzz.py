"""Issue #7: property tests over generated Dockerfiles, entry scripts and random bytes.

The grammar and the properties live in tests/fuzz_grammar.py, shared with
tools/fuzz.py (the long run: `python tools/fuzz.py --examples 100000`). Here
hypothesis draws the grammar's choices, so a failure shrinks to a small input.
The properties: nothing but LoadError escapes lint_text; lint_file never
reaches its last-resort guard; the same input twice gives byte-identical
JSON; every finding points inside the file it names.

The grammar leaves out the shapes of reported bugs (`avoid_known=True`); each
has a strict xfail test at the end of this file, so a fix shows up as XPASS.
SIGCHECK_FUZZ_EXAMPLES scales every property test (default 300 examples each,
about 15 s in all).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from fuzz_grammar import (
    Generated,
    check_bytes,
    check_input,
    count_lines,
    dockerfile,
    mutate,
    random_bytes,
    script,
    write_context,
)
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from sigcheck.lint import INTERNAL_ERROR, LintOptions, lint_file, lint_text

T = TypeVar("T")

EXAMPLES = int(os.environ.get("SIGCHECK_FUZZ_EXAMPLES", "300"))
TIMEOUT = 10.0  # seconds per input: a hang or an exponential blow-up fails instead of blocking
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# A directory that does not exist: the Dockerfile's context is empty, nothing is read from disk.
NOWHERE = os.path.join(tempfile.gettempdir(), f"sigcheck-fuzz-{uuid.uuid4().hex}", "Dockerfile")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


class DataChooser:
    """The grammar's choices drawn by hypothesis: each shrinks towards the first option,
    the lowest number and False."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def choice(self, options: Sequence[T]) -> T:
        return options[self.data.draw(st.integers(0, len(options) - 1))]

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def chance(self, probability: float) -> bool:
        return self.data.draw(st.integers(0, 999)) >= 1000 - round(probability * 1000)


def _options(c: DataChooser) -> LintOptions:
    return LintOptions(target=c.choice((None, None, "stage0", "nope")), assume_init=c.chance(0.1))


@FUZZ
@given(st.data())
def test_generated_dockerfiles(data: st.DataObject) -> None:
    c = DataChooser(data)
    gen = dockerfile(c, avoid_known=True)
    note(f"Dockerfile: {gen.text!r}")
    assert check_input(gen.text, NOWHERE, _options(c), timeout=TIMEOUT) == []


@FUZZ
@given(st.data())
def test_generated_dockerfiles_with_a_build_context(data: st.DataObject) -> None:
    """The scripts the Dockerfile COPYs exist in a real context; lint_file reads it all."""
    c = DataChooser(data)
    gen = dockerfile(c, avoid_known=True)
    note(f"Dockerfile: {gen.text!r}\ncontext: {gen.files!r}")
    with tempfile.TemporaryDirectory(prefix="sigcheck-fuzz-") as root:
        path = write_context(root, gen)
        problems = check_input(gen.text, path, _options(c), through_file=True, timeout=TIMEOUT)
    assert problems == []


@FUZZ
@given(st.data())
def test_generated_entry_scripts(data: st.DataObject) -> None:
    """Entry scripts from the context that run each other (cycles included), started in
    every way the chain follows."""
    c = DataChooser(data)
    names = ["a.sh", "b.sh", "c.sh"]
    files = {name: script(c, [f"/{n}" for n in names], avoid_known=True) for name in names}
    start = c.choice(
        (
            'ENTRYPOINT ["/a.sh"]\nCMD ["node", "server.js"]',
            'ENTRYPOINT ["/a.sh"]',
            "CMD /a.sh",
            'ENTRYPOINT ["sh", "/a.sh"]',
            'ENTRYPOINT ["tini", "--", "/a.sh"]',
            'CMD ["bash", "/b.sh", "run"]',
            'ENTRYPOINT ["/c.sh"]\nCMD ["python", "app.py"]',
        )
    )
    base = c.choice(("debian:bookworm-slim", "alpine:3.20", "python:3.12", "node:20", "fedora:40"))
    copy = c.choice(("COPY . /", "COPY a.sh b.sh c.sh /", "COPY --chmod=755 *.sh /"))
    gen = Generated(f"FROM {base}\n{copy}\n{start}\n", files)
    note(f"Dockerfile: {gen.text!r}\ncontext: {gen.files!r}")
    with tempfile.TemporaryDirectory(prefix="sigcheck-fuzz-") as root:
        path = write_context(root, gen)
        assert check_input(gen.text, path, through_file=True, timeout=TIMEOUT) == []


@FUZZ
@given(st.data())
def test_entry_scripts_in_heredocs(data: st.DataObject) -> None:
    """The same scripts written by `COPY <<EOF`: findings then point into the Dockerfile."""
    c = DataChooser(data)
    body = script(c, ["/run.sh"], avoid_known=True).replace("\r\n", "\n").rstrip("\n")
    marker = c.choice(("EOF", "'EOF'", "-EOF"))
    if marker == "-EOF":
        body = "\n".join("\t" + line for line in body.split("\n"))
    text = (
        f"FROM {c.choice(('debian:bookworm-slim', 'alpine:3.20'))}\n"
        f"COPY --chmod=755 <<{marker} /run.sh\n{body}\n{chr(9) if marker == '-EOF' else ''}EOF\n"
        'ENTRYPOINT ["/run.sh"]\nCMD ["node", "server.js"]\n'
    )
    note(f"Dockerfile: {text!r}")
    assert check_input(text, NOWHERE, timeout=TIMEOUT) == []


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    assert check_bytes(data, NOWHERE, timeout=TIMEOUT) == []


@FUZZ
@given(st.data())
def test_bytes_near_dockerfile_text(data: st.DataObject) -> None:
    raw = random_bytes(DataChooser(data), 400)
    note(f"bytes: {raw!r}")
    assert check_bytes(raw, NOWHERE, timeout=TIMEOUT) == []


def _fixture_dockerfiles() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/Dockerfile*") if p.is_file())


@pytest.mark.skipif(not _fixture_dockerfiles(), reason="no fixtures in this checkout")
@FUZZ
@given(st.data())
def test_mutated_fixtures(data: st.DataObject) -> None:
    """Real Dockerfiles with a few random edits, linted in their own context."""
    c = DataChooser(data)
    path = c.choice(_fixture_dockerfiles())
    text = mutate(c, path.read_text(encoding="utf-8"), avoid_known=True)
    note(f"{path}: {text!r}")
    assert check_input(text, str(path), timeout=TIMEOUT) == []


def test_fixtures_keep_the_promises() -> None:
    """Every fixture as it is, through lint_file (the CLI's path), with positions checked."""
    from fuzz_grammar import position_problems

    for path in _fixture_dockerfiles():
        report = lint_file(str(path))
        assert report.error is None or not report.error.startswith(INTERNAL_ERROR), (path, report.error)
        text = path.read_text(encoding="utf-8")
        for finding in report.findings:
            lines = count_lines(text) if finding.path == str(path) else None
            if lines is None and os.path.isfile(finding.path):
                lines = count_lines(Path(finding.path).read_text(encoding="utf-8"))
            assert position_problems(finding, lines) == [], (path, finding)


# --- reported bugs found by the fuzzer (or while writing it) ---------------------------------

NESTED_SHELL_BUG = (
    "BUG: rules/shell_wrapper.py fix_for_shell_link does argv.index(cs.text) on the exec-form "
    "ENTRYPOINT/CMD, but a shell link's command string is not an element of it when the shell "
    'is nested (`CMD ["sh", "-c", "sh -c app"]`) or started by an entry script '
    "(`exec sh -c app` in run.sh): ValueError, reported as an internal error"
)


@pytest.mark.parametrize(
    "text",
    [
        'FROM alpine\nCMD ["sh", "-c", "sh -c app"]\n',
        'FROM debian\nENTRYPOINT ["tini", "--", "bash", "-c", "sh -c \'exec-less app\'"]\n',
        'FROM debian\nCOPY <<EOF /run.sh\n#!/bin/sh\nexec sh -c "app"\nEOF\nENTRYPOINT ["/run.sh"]\n',
    ],
    ids=["nested-sh-c", "nested-behind-tini", "script-execs-sh-c"],
)
def test_nested_shell_in_exec_form_is_linted(text: str) -> None:
    assert check_input(text, NOWHERE, timeout=TIMEOUT) == []


def test_chomped_heredoc_script_is_analysed() -> None:
    text = 'FROM debian\nCOPY <<-EOF /run.sh\n\t#!/bin/sh\n\tnode server.js\n\tEOF\nENTRYPOINT ["/run.sh"]\n'
    findings = lint_text(text, NOWHERE)
    assert [(f.rule, f.line) for f in findings] == [("SIG201", 4)]


RUN_WRITTEN = (
    "FROM debian\nRUN set -e; \\\n  echo hi; \\\n  cat <<EOF > /run.sh\n#!/bin/sh\nset -e\nnode server.js\n"
    'EOF\nENTRYPOINT ["/run.sh"]\n',
    'FROM debian\nRUN cat <<EOF > /run.sh\n\nset -e\nnode server.js\nEOF\nCMD ["sh", "/run.sh"]\n',
)


@pytest.mark.parametrize("text", RUN_WRITTEN, ids=["after-continuations", "blank-first-line"])
def test_run_written_script_points_at_the_command(text: str) -> None:
    findings = [f for f in lint_text(text, NOWHERE) if f.rule == "SIG201"]
    assert findings
    assert text.split("\n")[findings[0].line - 1] == "node server.js"


def test_run_written_script_without_continuations_points_at_the_command() -> None:
    """The same without continuation lines or a blank first line: right (so the xfail above
    is about them)."""
    text = (
        "FROM debian\nRUN cat <<EOF > /run.sh\n#!/bin/sh\nset -e\nnode server.js\nEOF\n"
        'ENTRYPOINT ["/run.sh"]\n'
    )
    findings = [f for f in lint_text(text, NOWHERE) if f.rule == "SIG201"]
    assert findings
    assert text.split("\n")[findings[0].line - 1] == "node server.js"


def test_script_finding_columns_count_characters() -> None:
    """Found by tools/fuzz.py (columns were UTF-8 byte offsets, past the end of the line at
    worst); fixed in 0aa156d."""
    text = 'FROM debian\nCOPY <<EOF /run.sh\n#!/bin/sh\necho é; node server.js\nEOF\nENTRYPOINT ["/run.sh"]\n'
    (finding,) = [f for f in lint_text(text, NOWHERE) if f.rule == "SIG201"]
    line = text.split("\n")[finding.line - 1]
    assert line[finding.column - 1 : finding.end_column - 1] == "node server.js"


@pytest.mark.parametrize("odd", ["\u2028", "\x0c", "\r"], ids=["U+2028", "form-feed", "lone-CR"])
def test_ignore_comment_in_a_script_after_an_odd_line_break(odd: str) -> None:
    text = (
        f"FROM debian\nCOPY <<EOF /run.sh\n#!/bin/sh\necho {odd} x\n# sigcheck ignore=SIG201\n"
        'node server.js\nEOF\nENTRYPOINT ["/run.sh"]\n'
    )
    assert [f.rule for f in lint_text(text, NOWHERE)] == []


def test_nul_byte_in_a_copy_source() -> None:
    text = 'FROM alpine\nCOPY ./x/\x00../a.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'
    assert check_input(text, NOWHERE, timeout=TIMEOUT) == []
