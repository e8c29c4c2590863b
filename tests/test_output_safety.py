"""Issue #7, "never lie" to the terminal: file content cannot restyle, hide or forge output.

A Dockerfile carries rich markup (`[bold]`, `[link=...]`), an OSC 8 hyperlink
(`ESC ]8;;URL BEL`), a screen clear (`ESC [2J`) and bidi overrides (U+202E)
in a shell-form CMD, so they reach the message, the code frame, the fix and
the chain. Text output, plain and through rich (FORCE_COLOR=1), must show them
as visible text: no ESC, BEL or bidi character from the file, markup printed
literally. JSON and SARIF are data: they must carry the exact strings.
File names with spaces, Unicode and a newline are represented exactly in JSON
and SARIF, and never split a line of text output or stderr.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from cli_helpers import FORMATS_UNDER_TEST, Result, run_sigcheck, sarif_errors, sarif_findings, validate_sarif
from hypothesis import given
from hypothesis import strategies as st

from sigcheck.report.text_format import _CONTROL, printable

TITLE = (
    "[bold]B[/bold] [link=http://x]L[/link] "
    "\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07 "
    "\x1b[2J \u202eevil\u202c"
)
CMD_LINE = f'CMD server --title "{TITLE}"'
DOCKERFILE = f"FROM debian:bookworm-slim\n{CMD_LINE}\n"
FROM_FILE = ("\x1b]8;;http://evil.example/", "\x1b[2J", "\x07", "\u202e", "\u202c")
NEWLINE_NAME = "new\nline/Dockerfile"
ODD_NAMES = ("dir with spaces/Dockerfile", "ünïcødé ✓/Dockerfile.prod", NEWLINE_NAME)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    (tmp_path / "hostile").mkdir()
    (tmp_path / "hostile" / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    return tmp_path


def _text(cwd: Path, *args: str, colour: bool) -> Result:
    env = {"FORCE_COLOR": "1"} if colour else {"NO_COLOR": "1"}
    result = run_sigcheck(["-f", "text", *args], cwd, env=env)
    result.assert_sane()
    return result


@pytest.mark.parametrize("colour", [False, True], ids=["plain", "rich"])
def test_text_shows_escape_sequences_and_markup_as_text(hostile: Path, colour: bool) -> None:
    result = _text(hostile, "hostile/Dockerfile", colour=colour)
    assert result.code == 1
    out = result.stdout
    for raw in FROM_FILE:
        assert raw not in out, repr(raw)
    if colour:
        assert "\x1b[" in out  # the rich path was taken: it styles with its own SGR codes
        assert "\x1b]8;" not in out  # and makes no hyperlink
    else:
        assert "\x1b" not in out
    # Markup is printed, not rendered: the brackets are all there, in every place the CMD appears.
    assert out.count("[bold]B[/bold]") >= 3  # message, code frame, fix (and the chain)
    assert out.count("[link=http://x]L[/link]") >= 3
    # The control characters are visible instead.
    assert "\\x1b]8;;http://evil.example/\\x07click" in out
    assert "\\x1b[2J" in out
    assert "\\u202eevil\\u202c" in out


def test_json_carries_the_exact_strings(hostile: Path) -> None:
    result = run_sigcheck(["-f", "json", "hostile/Dockerfile"], hostile)
    result.assert_sane()
    (finding,) = [f for f in result.json()["findings"] if f["rule"] == "SIG102"]
    assert TITLE in finding["message"]
    assert finding["fix"] == f'CMD exec server --title "{TITLE}"' or TITLE in finding["fix"]
    assert finding["line"] == 2
    assert finding["end_column"] == len(CMD_LINE) + 1


def test_sarif_carries_the_exact_strings(hostile: Path) -> None:
    result = run_sigcheck(["-f", "sarif", "hostile/Dockerfile"], hostile)
    result.assert_sane()
    document = result.json()
    validate_sarif(document)
    (sarif_result,) = [r for r in document["runs"][0]["results"] if r["ruleId"] == "SIG102"]
    assert TITLE in sarif_result["message"]["text"]
    region = sarif_result["locations"][0]["physicalLocation"]["region"]
    assert region["snippet"]["text"] == CMD_LINE + "\n"
    # ensure_ascii=False in the SARIF writer: the raw characters are JSON-escaped, not lost
    assert "\\u001b" in result.stdout


def test_json_chain_carries_the_exact_command_string(hostile: Path) -> None:
    result = run_sigcheck(["-f", "json", "hostile/Dockerfile"], hostile)
    (finding,) = [f for f in result.json()["findings"] if f["rule"] == "SIG102"]
    assert finding["chain"]
    assert all("\\x1b" not in link and "\\u202e" not in link for link in finding["chain"])
    assert any(TITLE in link for link in finding["chain"])


FORGED = '["python", "app.py\\n  2:1  error  SIG999 forged-finding"]'


@pytest.mark.parametrize("colour", [False, True], ids=["plain", "rich"])
def test_text_cannot_be_forged_with_a_newline_in_a_value(tmp_path: Path, colour: bool) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.12\nCMD {FORGED}\n", encoding="utf-8")
    result = _text(tmp_path, "Dockerfile", colour=colour)
    import re

    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    assert "SIG301" in plain
    assert not any(line.lstrip().startswith("2:1  error  SIG999") for line in plain.splitlines()), plain


def test_json_escapes_in_exec_form_never_reach_the_terminal(tmp_path: Path) -> None:
    """ESC, BEL and bidi written as JSON escapes in an exec-form CMD become real characters in
    the argv; text output must still show them escaped."""
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.12\nCMD ["python", "app.py", "\\u001b[2J\\u0007\\u202e\\u009b31m"]\n', encoding="utf-8"
    )
    for colour in (False, True):
        result = _text(tmp_path, "Dockerfile", colour=colour)
        assert "SIG301" in result.stdout
        for raw in ("\x1b[2J", "\x07", "\u202e", "\x9b"):
            assert raw not in result.stdout, (colour, repr(raw))


@pytest.fixture
def odd_names(tmp_path: Path) -> Path:
    for name in ODD_NAMES:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("FROM debian:bookworm-slim\nCMD server --port 8080\n", encoding="utf-8")
    binary = tmp_path / "bad\nname" / "Dockerfile"
    binary.parent.mkdir()
    binary.write_bytes(b"\x7fELF\x00\x00")
    return tmp_path


@pytest.mark.parametrize("fmt", [f for f in FORMATS_UNDER_TEST if f != "text"])
def test_odd_paths_are_exact_in_machine_readable_output(odd_names: Path, fmt: str) -> None:
    result = run_sigcheck(["-f", fmt, *ODD_NAMES, "bad\nname/Dockerfile"], odd_names)
    result.assert_sane()
    assert result.code == 2
    document = result.json()
    if fmt == "json":
        assert sorted({f["path"] for f in document["findings"]}) == sorted(ODD_NAMES)
        assert [e["path"] for e in document["errors"]] == ["bad\nname/Dockerfile"]
    else:
        validate_sarif(document)
        assert sorted({path for _, path, _ in sarif_findings(document)}) == sorted(ODD_NAMES)
        assert [path for path, _ in sarif_errors(document)] == ["bad\nname/Dockerfile"]
        for sarif_result in document["runs"][0]["results"]:
            uri = sarif_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert "\n" not in uri  # percent-encoded, as a URI must be
            assert " " not in uri
            assert unquote(uri) in ODD_NAMES
    json.dumps(document)  # and it is plain JSON data


def test_odd_paths_in_text_output(odd_names: Path) -> None:
    result = _text(odd_names, "dir with spaces/Dockerfile", "ünïcødé ✓/Dockerfile.prod", colour=False)
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert "dir with spaces/Dockerfile" in lines
    assert "ünïcødé ✓/Dockerfile.prod" in lines


NEWLINE_BUG = (
    "BUG: text_format.printable() leaves \\n alone, so a file name with a newline splits the "
    "stderr error line (`sigcheck: bad` / `name/Dockerfile: binary file ...`) and the text "
    "report's heading over two lines"
)


def test_newline_in_a_file_name_keeps_stderr_one_line(odd_names: Path) -> None:
    result = run_sigcheck(["-f", "json", "bad\nname/Dockerfile"], odd_names)
    result.assert_sane()
    assert result.code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("sigcheck: bad")
    assert "binary" in lines[0]


def test_newline_in_a_file_name_keeps_the_text_heading_one_line(odd_names: Path) -> None:
    result = _text(odd_names, NEWLINE_NAME, colour=False)
    assert result.code == 1
    assert "new" not in result.stdout.splitlines()  # the name is not cut in two
    assert any(
        line.startswith("new") and line.endswith("line/Dockerfile") for line in result.stdout.splitlines()
    )


@given(
    st.text(
        # Every character but surrogates, plus the lone surrogates surrogateescape makes of
        # undecodable bytes (U+DC80-U+DCFF): no input text holds any other (Hypothesis found \ud800).
        st.characters(exclude_categories=["Cs"])
        | st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF)
    )
)
def test_printable_leaves_no_control_character(text: str) -> None:
    """Whichever way `printable` goes (the isprintable() shortcut or the escaping), it
    gives what escaping alone gives, and nothing that can move the cursor, end a line or
    reorder text. Lone surrogates are what undecodable bytes become (surrogateescape)."""
    out = printable(text)
    decoded = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    escaped = re.sub(
        _CONTROL,
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
        decoded,
    )
    assert out == escaped
    assert not re.search(_CONTROL, out)
