"""Inline ignores: where each kind applies, the other tools' comments, and stale-ignore reports (SIG001)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sigcheck.config import FileIgnore
from sigcheck.findings import Finding, Severity
from sigcheck.lint import LintOptions, lint_text
from sigcheck.pragmas import (
    comment_map,
    parse_check_directive,
    parse_ignore_comment,
    script_ignores,
)
from sigcheck.rules import ALL_RULES

SHELL_CMD_LINE = 'CMD server --port "$PORT"'  # SIG102 on Debian: dash stays PID 1


def _lint(tmp_path: Path, text: str, options: LintOptions | None = None) -> list[Finding]:
    path = tmp_path / "Dockerfile"
    path.write_text(text, encoding="utf-8")
    return lint_text(text, str(path), options or LintOptions())


def _summary(findings: list[Finding]) -> list[tuple[str, int]]:
    return [(f.rule, f.line) for f in findings if f.rule != "SIG301"]


def _dockerfile(*middle: str, base: str = "debian:bookworm-slim") -> str:
    return "\n".join([f"FROM {base}", "COPY server /usr/local/bin/server", "ENV PORT=8080", *middle]) + "\n"


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("sigcheck ignore=SIG102", ("sigcheck", False, ("SIG102",), "")),
        (
            "sigcheck ignore=SIG201,SIG301 reason here",
            ("sigcheck", False, ("SIG201", "SIG301"), "reason here"),
        ),
        (
            "sigcheck ignore=SIG201, shell-form-cmd  why",
            ("sigcheck", False, ("SIG201", "shell-form-cmd"), "why"),
        ),
        ("sigcheck global ignore = SIG001", ("sigcheck", True, ("SIG001",), "")),
        ("hadolint ignore=DL3025,DL3008", ("hadolint", False, ("DL3025", "DL3008"), "")),
        ("hadolint global ignore=DL3025", ("hadolint", True, ("DL3025",), "")),
        ("sigcheck: ignore this", None),
        ("ignore=SIG102", None),
        ("sigcheck ignore=", None),
    ],
)
def test_parse_ignore_comment(text: str, parsed: tuple[str, bool, tuple[str, ...], str] | None) -> None:
    assert parse_ignore_comment(text) == parsed


def test_parse_buildkit_check_directive() -> None:
    assert parse_check_directive("skip=JSONArgsRecommended") == {"SIG101", "SIG102", "SIG104"}
    assert parse_check_directive("error=true;skip=StageNameCasing, JSONArgsRecommended") == {
        "SIG101",
        "SIG102",
        "SIG104",
    }
    assert parse_check_directive("skip=all") == {"SIG101", "SIG102", "SIG104"}
    assert parse_check_directive("skip=jsonargsrecommended") == set()  # BuildKit compares case-sensitively
    assert parse_check_directive("skip=StageNameCasing") == set()
    assert parse_check_directive("error=true") == set()


# --- where a Dockerfile ignore applies -----------------------------------------------------


def test_no_ignore(tmp_path: Path) -> None:
    assert _summary(_lint(tmp_path, _dockerfile(SHELL_CMD_LINE))) == [("SIG102", 4)]


def test_ignore_on_the_line_before(tmp_path: Path) -> None:
    text = _dockerfile("# sigcheck ignore=SIG102 one-shot job", SHELL_CMD_LINE)
    assert _summary(_lint(tmp_path, text)) == []


def test_ignore_by_name_and_with_comments_and_blank_lines_between(tmp_path: Path) -> None:
    text = _dockerfile(
        "# sigcheck ignore=shell-form-cmd one-shot job", "# the job exits by itself", "", SHELL_CMD_LINE
    )
    assert _summary(_lint(tmp_path, text)) == []


def test_ignore_applies_to_the_next_instruction_only(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "FROM debian:bookworm-slim",
            "# sigcheck ignore=SIG102 wrong place",
            "COPY server /usr/local/bin/server",
            SHELL_CMD_LINE,
        ]
    )
    findings = _lint(tmp_path, text)
    assert _summary(findings) == [("SIG001", 2), ("SIG102", 4)]
    unused = findings[0]
    assert unused.severity is Severity.STYLE
    assert "SIG102 reports nothing on the COPY at line 3" in unused.message
    assert unused.fix == "delete this comment"
    assert (unused.column, unused.end_column) == (1, len("# sigcheck ignore=SIG102 wrong place") + 1)


def test_ignore_between_continuation_lines_applies_to_that_instruction(tmp_path: Path) -> None:
    text = _dockerfile("CMD server \\", "  # sigcheck ignore=SIG102", '  --port "$PORT"')
    assert _summary(_lint(tmp_path, text)) == []


def test_global_ignore_anywhere(tmp_path: Path) -> None:
    text = _dockerfile(SHELL_CMD_LINE, "# sigcheck global ignore=SIG102 legacy image")
    assert _summary(_lint(tmp_path, text)) == []
    text = _dockerfile(SHELL_CMD_LINE, "# sigcheck global ignore=SIG101")
    findings = _lint(tmp_path, text)
    assert _summary(findings) == [("SIG102", 4), ("SIG001", 5)]
    assert "SIG101 reports nothing in this Dockerfile" in findings[-1].message


def test_partially_used_ignore_keeps_the_used_ids_in_the_fix(tmp_path: Path) -> None:
    text = _dockerfile("# sigcheck ignore=SIG201,SIG102,SIG999 one-shot job", SHELL_CMD_LINE)
    findings = _lint(tmp_path, text)
    assert _summary(findings) == [("SIG001", 4)]
    assert findings[0].fix == "# sigcheck ignore=SIG102 one-shot job"
    assert "`SIG999` is not a sigcheck rule" in findings[0].message
    assert "SIG201 reports nothing on the CMD at line 5" in findings[0].message


def test_ignore_at_the_end_of_the_file(tmp_path: Path) -> None:
    findings = _lint(tmp_path, _dockerfile(SHELL_CMD_LINE, "# sigcheck ignore=SIG102"))
    assert _summary(findings) == [("SIG102", 4), ("SIG001", 5)]
    assert "no instruction follows this comment" in findings[-1].message


# --- hadolint and BuildKit -----------------------------------------------------------------


def test_hadolint_dl3025_silences_the_shell_form_rules(tmp_path: Path) -> None:
    assert _summary(_lint(tmp_path, _dockerfile("# hadolint ignore=DL3008,DL3025", SHELL_CMD_LINE))) == []
    entrypoint = _dockerfile("# hadolint ignore=DL3025", 'ENTRYPOINT server --port "$PORT"')
    assert _summary(_lint(tmp_path, entrypoint)) == []
    assert _summary(_lint(tmp_path, _dockerfile(SHELL_CMD_LINE, "# hadolint global ignore=DL3025"))) == []


def test_hadolint_ignores_are_never_reported_as_unused(tmp_path: Path) -> None:
    text = _dockerfile("# hadolint ignore=DL3025,DL3008", 'CMD ["server"]')
    assert [f.rule for f in _lint(tmp_path, text) if f.rule == "SIG001"] == []
    # ... and other hadolint codes silence nothing of sigcheck's.
    assert _summary(_lint(tmp_path, _dockerfile("# hadolint ignore=DL3008", SHELL_CMD_LINE))) == [
        ("SIG102", 5)
    ]


@pytest.mark.parametrize("directive", ["skip=JSONArgsRecommended", "error=true;skip=all"])
def test_buildkit_check_directive_silences_shell_form_and_json_rules(tmp_path: Path, directive: str) -> None:
    text = f"# check={directive}\n" + _dockerfile(SHELL_CMD_LINE, "ENTRYPOINT ['server']")
    assert _summary(_lint(tmp_path, text)) == []
    assert [f.rule for f in _lint(tmp_path, _dockerfile(SHELL_CMD_LINE, "ENTRYPOINT ['server']"))] == [
        "SIG104"
    ]


def test_buildkit_directive_must_be_a_directive(tmp_path: Path) -> None:
    # After an instruction, `# check=` is a plain comment (BuildKit stops reading directives).
    text = _dockerfile("# check=skip=JSONArgsRecommended", SHELL_CMD_LINE)
    assert _summary(_lint(tmp_path, text)) == [("SIG102", 5)]


# --- entry scripts -------------------------------------------------------------------------

WORKER = 'FROM debian:bookworm-slim\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'


def _worker(tmp_path: Path, script: str, dockerfile: str = WORKER) -> list[Finding]:
    run_sh = tmp_path / "run.sh"
    run_sh.write_text(script, encoding="utf-8")
    run_sh.chmod(0o755)
    return _lint(tmp_path, dockerfile)


def test_ignore_inside_an_entry_script(tmp_path: Path) -> None:
    assert [
        (f.rule, os.path.basename(f.path), f.line) for f in _worker(tmp_path, "#!/bin/sh\nnode server.js\n")
    ] == [("SIG201", "run.sh", 2)]
    script = "#!/bin/sh\nset -e\n# sigcheck ignore=SIG201 a one-shot job\n\nnode server.js\n"
    assert _worker(tmp_path, script) == []


def test_unused_ignore_inside_an_entry_script_is_reported_there(tmp_path: Path) -> None:
    script = "#!/bin/sh\n# sigcheck ignore=SIG201\nset -e\nexec node server.js\n"
    findings = _worker(tmp_path, script)
    assert [(f.rule, f.path, f.line) for f in findings if f.rule == "SIG001"] == [
        ("SIG001", str(tmp_path / "run.sh"), 2)
    ]


def test_script_global_ignore_and_dockerfile_global_ignore(tmp_path: Path) -> None:
    assert _worker(tmp_path, "#!/bin/sh\n# sigcheck global ignore=SIG201\nnode server.js\n") == []
    dockerfile = "# sigcheck global ignore=SIG201 vendored script\n" + WORKER
    assert _worker(tmp_path, "#!/bin/sh\nnode server.js\n", dockerfile) == []


def test_ignore_inside_a_heredoc_script(tmp_path: Path) -> None:
    def text(pragma: str) -> str:
        return (
            "FROM debian:bookworm-slim\n"
            "COPY --chmod=755 <<'EOF' /run.sh\n"
            "#!/bin/sh\n"
            f"{pragma}\n"
            "node server.js\n"
            "EOF\n"
            'ENTRYPOINT ["/run.sh"]\n'
        )

    assert _summary(_lint(tmp_path, text("set -e"))) == [("SIG201", 5)]
    assert _summary(_lint(tmp_path, text("# sigcheck ignore=SIG201"))) == []
    # An ignore above the COPY covers the script the heredoc writes.
    first, rest = text("set -e").split("\n", 1)
    assert _summary(_lint(tmp_path, f"{first}\n# sigcheck ignore=SIG201\n{rest}")) == []


def test_script_ignores_take_any_comment_map() -> None:
    script = "#!/bin/sh\n# sigcheck ignore=SIG201 reason\n\nnode app.js\n# sigcheck global ignore=SIG204\n"
    comments = comment_map(script)
    assert comments == {2: "sigcheck ignore=SIG201 reason", 5: "sigcheck global ignore=SIG204"}
    with_lines = script_ignores("run.sh", comments, script.splitlines())
    assert [(i.line, i.scope, i.reason) for i in with_lines] == [
        (2, ("run.sh", 4, 4), "reason"),
        (5, ("run.sh", 1, 5), ""),
    ]
    # Only the comment map: the next line that is not a comment.
    (first, _) = script_ignores("run.sh", comments)
    assert first.scope == ("run.sh", 3, 3)


# --- what switches the reports off ---------------------------------------------------------


def test_sig001_off(tmp_path: Path) -> None:
    stale = _dockerfile("# sigcheck ignore=SIG101", SHELL_CMD_LINE)
    no_sig001 = LintOptions(rules=tuple(r for r in ALL_RULES if r.id != "SIG001"))
    assert _summary(_lint(tmp_path, stale, no_sig001)) == [("SIG102", 5)]
    assert _summary(_lint(tmp_path, "# sigcheck global ignore=SIG001\n" + stale)) == [("SIG102", 6)]


def test_ignore_of_a_switched_off_rule_is_not_judged(tmp_path: Path) -> None:
    text = _dockerfile("# sigcheck ignore=SIG102", SHELL_CMD_LINE)
    no_sig102 = LintOptions(rules=tuple(r for r in ALL_RULES if r.id != "SIG102"))
    assert _summary(_lint(tmp_path, text, no_sig102)) == []
    per_file = LintOptions(per_file_ignores=(FileIgnore("Dockerfile", frozenset({"SIG102"}), str(tmp_path)),))
    assert _summary(_lint(tmp_path, text, per_file)) == []
    assert _summary(_lint(tmp_path, _dockerfile(SHELL_CMD_LINE), per_file)) == []


def test_ignores_in_stages_not_linted_are_not_judged(tmp_path: Path) -> None:
    text = (
        "FROM debian:bookworm-slim AS dev\n"
        "# sigcheck ignore=SIG102 dev server, killed at will\n"
        "CMD npm run dev\n"
        "FROM debian:bookworm-slim AS prod\n"
        "# sigcheck ignore=SIG102 one-shot job\n"
        'CMD ["server"]\n'
    )
    prod = _summary(_lint(tmp_path, text))
    assert ("SIG001", 2) not in prod  # the dev stage is not linted
    assert ("SIG001", 5) in prod  # the prod ignore is stale
    assert ("SIG001", 2) not in _summary(_lint(tmp_path, text, LintOptions(target="dev")))


def test_severity_overrides_apply_after_ignores(tmp_path: Path) -> None:
    options = LintOptions(severity=(("SIG102", Severity.INFO), ("SIG001", Severity.WARNING)))
    findings = _lint(tmp_path, _dockerfile("# sigcheck ignore=SIG101", SHELL_CMD_LINE), options)
    assert [(f.rule, f.severity) for f in findings if f.rule != "SIG301"] == [
        ("SIG001", Severity.WARNING),
        ("SIG102", Severity.INFO),
    ]
