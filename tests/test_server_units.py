"""The language server's pure parts, without a process: positions, settings, edits, start-up cost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from sigcheck.findings import Edit, Finding, Severity
from sigcheck.fix import apply_edits
from sigcheck.server import actions
from sigcheck.server.diagnostics import lsp_range, severity_of
from sigcheck.server.positions import TextLines, units
from sigcheck.server.settings import (
    ClientSettings,
    SettingsError,
    merge_settings,
    parse_client_settings,
    resolve,
)


@pytest.mark.parametrize(("encoding", "expected"), [("utf-8", 7), ("utf-16", 5), ("utf-32", 4)])
def test_units_of_the_spec_example(encoding: str, expected: int) -> None:
    # The LSP spec's example: the closing quote of x="😋" is at 7 (UTF-8), 5 (UTF-16), 4 (UTF-32).
    assert units('x="😋', encoding) == expected


def test_columns_round_trip_in_every_encoding() -> None:
    lines = TextLines('\ufeffCMD ["é", "🐳"]\r\nRUN x\n')
    for encoding in ("utf-8", "utf-16", "utf-32"):
        for column in range(1, len(lines.content(1)) + 2):
            line, character = lines.to_client(1, column, encoding)
            assert lines.from_client(line, character, encoding) == (1, column)
    # The BOM is not a column of sigcheck's, but is a code unit of the client's line.
    assert lines.to_client(1, 1, "utf-16") == (0, 1)
    assert lines.content(2) == "RUN x"  # the CR of CRLF is no character of the line


@pytest.mark.parametrize(
    ("line", "character", "expected"),
    [(-1, 0, (1, 1)), (0, -5, (1, 1)), (0, 10_000, (1, 5)), (99, 3, (2, 1)), (0, 4, (1, 4))],
)
def test_positions_a_client_should_not_send_are_clamped(
    line: int, character: int, expected: tuple[int, int]
) -> None:
    lines = TextLines("a🐳bc\n")  # the emoji is 2 UTF-16 units
    assert lines.from_client(line, character, "utf-16") == expected
    # Inside the surrogate pair: the position is the emoji's start.
    assert lines.from_client(0, 2, "utf-16") == (1, 2)


def test_a_whole_line_finding_covers_the_line_text() -> None:
    lines = TextLines("FROM x\n    CMD app   \n")
    assert lsp_range(lines, 2, 1, 2, 1, "utf-16") == types.Range(types.Position(1, 4), types.Position(1, 11))
    assert lsp_range(lines, 3, 1, 3, 1, "utf-16") == types.Range(types.Position(2, 0), types.Position(2, 0))


def test_severity_and_the_failure_threshold() -> None:
    assert severity_of(Severity.STYLE, None) == types.DiagnosticSeverity.Hint
    assert severity_of(Severity.INFO, None) == types.DiagnosticSeverity.Information
    assert severity_of(Severity.WARNING, "error") == types.DiagnosticSeverity.Hint
    assert severity_of(Severity.ERROR, "error") == types.DiagnosticSeverity.Error
    assert severity_of(Severity.ERROR, "none") == types.DiagnosticSeverity.Hint


def test_client_settings() -> None:
    parsed = parse_client_settings({"sigcheck": {"failureThreshold": "info", "ignore": "SIG402, no-init"}})
    assert parsed == ClientSettings("info", frozenset({"SIG402", "SIG301"}), None)
    assert parse_client_settings({"assume-init": True}).assume_init is True
    assert parse_client_settings(None) == ClientSettings()
    for bad in ({"failureThreshold": "loud"}, {"ignore": ["SIG999"]}, {"assumeInit": "yes"}, ["x"]):
        with pytest.raises(SettingsError):
            parse_client_settings(bad)


def test_initialization_options_and_later_settings_merge_key_by_key() -> None:
    merged = merge_settings({"failureThreshold": "error"}, {"sigcheck": {"ignore": ["SIG402"]}})
    assert parse_client_settings(merged) == ClientSettings("error", frozenset({"SIG402"}), None)
    assert merge_settings({"assume-init": True}, {"assumeInit": False}) == {"assume-init": False}
    assert merge_settings(None, None) is None


def test_the_editor_wins_over_the_file(tmp_path: Path) -> None:
    (tmp_path / ".sigcheck.toml").write_text(
        'failure-threshold = "error"\nassume-init = true\n', encoding="utf-8"
    )
    resolved = resolve(str(tmp_path), ClientSettings(assume_init=False, ignore=frozenset({"SIG102"})))
    assert resolved.error is None
    assert resolved.threshold == "error"
    assert resolved.options.assume_init is False
    assert "SIG102" not in {rule.id for rule in resolved.options.rules}
    (tmp_path / ".sigcheck.toml").write_text("colour = 1\n", encoding="utf-8")
    broken = resolve(str(tmp_path), ClientSettings())
    assert broken.error is not None
    assert "colour" in broken.error


def _finding(edit: Edit | None, line: int = 2) -> Finding:
    return Finding(
        "SIG201", "script-without-exec", Severity.ERROR, "x", line, 3, line, 10, "m", "fix", None, edit
    )


def test_the_quick_fix_is_the_findings_edit_with_the_files_line_endings() -> None:
    text = "#!/bin/sh\r\n  node a\r\n"
    edit = Edit("x", "/x", 2, 3, 2, 9, "exec node a", "node a")
    assert actions.edit_holds(text, edit)
    assert not actions.edit_holds(text.replace("node", "deno"), edit)  # the buffer moved on
    lsp = actions.text_edit(text, edit, "utf-16")
    assert lsp.range == types.Range(types.Position(1, 2), types.Position(1, 8))
    assert lsp.new_text == "exec node a"
    assert apply_edits(text, [edit])[0] == "#!/bin/sh\r\n  exec node a\r\n"
    ignore = actions.ignore_edit(text, _finding(edit), "utf-16")
    assert ignore is not None
    assert ignore.new_text == "  # sigcheck ignore=SIG201 <reason>\r\n"
    assert actions.ignore_edit(text, _finding(None, line=40), "utf-16") is None


def test_replace_all_spans_the_whole_text() -> None:
    edit = actions.replace_all("a\nb🐳", "new", "utf-16")
    assert edit.range == types.Range(types.Position(0, 0), types.Position(1, 3))


def test_server_without_pygls_says_what_to_install(tmp_path: Path) -> None:
    # A stand-in package that fails to import, first on the path: as if the extra were missing.
    blocker = tmp_path / "pygls"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('not installed')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    result = subprocess.run(
        [sys.executable, "-m", "sigcheck", "server"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 2
    assert "pip install 'sigcheck[server]'" in result.stderr


def test_the_server_benchmark_runs() -> None:
    """A smoke run of bench/server.py (its figures are measurements, not a test)."""
    bench = Path(__file__).resolve().parent.parent / "bench" / "server.py"
    result = subprocess.run(
        [sys.executable, str(bench), "--runs", "1", "--files", "8", "--no-compile"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "first diagnostics" in result.stdout
    assert "8 files" in result.stdout


def test_the_futures_can_lose_one_while_shutdown_walks_them() -> None:
    """pygls's shutdown iterates `_request_futures.items()` while a worker's callback may
    pop a done future; the snapshot keeps that from raising (seen in CI)."""
    from sigcheck.server.server import _Futures

    futures = _Futures({1: "a", 2: "b", 3: "c"})
    for key, _ in futures.items():
        futures.pop(key % 3 + 1, None)
    assert len(futures) < 3


def test_a_quick_fix_edits_the_file_its_edit_names_not_the_one_it_is_shown_in(tmp_path: Path) -> None:
    """A finding shown in the entry script whose fix is the Dockerfile's STOPSIGNAL (the shape
    of SIG402's edit): the code action's WorkspaceEdit is on the Dockerfile's URI, and applied
    there it is what `--fix` writes. No rule today yields such a finding; the server must not
    depend on that."""
    dockerfile = tmp_path / "Dockerfile"
    text = 'FROM python:3.12\nCOPY entry.sh /\nENTRYPOINT ["/entry.sh"]\n'
    dockerfile.write_text(text, encoding="utf-8")
    edit = Edit("Dockerfile", str(dockerfile), 1, 17, 1, 17, "\nSTOPSIGNAL SIGINT")
    finding = Finding(
        "SIG402",
        "stopsignal-mismatch",
        Severity.ERROR,
        "entry.sh",
        3,
        1,
        3,
        20,
        "m",
        "STOPSIGNAL SIGINT",
        None,
        edit,
    )
    diagnostic = types.Diagnostic(types.Range(types.Position(2, 0), types.Position(2, 19)), "m")
    texts = {str(dockerfile): text}
    action = actions.quick_fix(finding, diagnostic, texts.get, lambda f: Path(f).as_uri(), "utf-16")
    assert action is not None
    assert action.edit is not None
    assert action.edit.changes is not None
    (lsp,) = action.edit.changes[dockerfile.as_uri()]
    assert list(action.edit.changes) == [dockerfile.as_uri()]
    assert lsp.range == types.Range(types.Position(0, 16), types.Position(0, 16))
    assert lsp.new_text == "\nSTOPSIGNAL SIGINT"
    assert apply_edits(text, [edit])[0] == "FROM python:3.12\nSTOPSIGNAL SIGINT\n" + text.split("\n", 1)[1]
    # The Dockerfile is gone (deleted since the lint): no action rather than an edit of nothing.
    texts.clear()
    assert actions.quick_fix(finding, diagnostic, texts.get, lambda f: Path(f).as_uri(), "utf-16") is None


def test_a_lone_cr_breaks_the_clients_lines_not_sigchecks() -> None:
    text = "\ufeffFROM x\r# a\rb\r\nCMD 🐳\rnode\n"
    lines = TextLines(text)
    assert len(lines) == 3  # sigcheck's lines: "\n" only
    assert lines.content(2) == "CMD 🐳\rnode"
    # The editor's lines: 0 FROM x, 1 "# a", 2 "b", 3 "CMD 🐳", 4 "node", 5 "".
    assert lines.to_client(1, 8, "utf-16") == (1, 0)
    assert lines.to_client(2, 7, "utf-16") == (4, 0)
    assert lines.to_client(2, 11, "utf-16") == (4, 4)
    assert lines.from_client(4, 2, "utf-16") == (2, 9)
    assert lines.from_client(3, 6, "utf-16") == (2, 6)  # after the whale: its two UTF-16 units
    assert lines.from_client(3, 5, "utf-16") == (2, 5)  # inside it: its start
    assert lines.from_client(99, 0, "utf-16") == (3, 1)
    for encoding in ("utf-8", "utf-16", "utf-32"):
        for line in range(1, len(lines) + 1):
            for column in range(1, len(lines.content(line)) + 2):
                assert lines.from_client(*lines.to_client(line, column, encoding), encoding) == (line, column)


def test_sigcheck_server_starts_without_the_command_line() -> None:
    """`sigcheck server` (the console script and `python -m sigcheck`) goes straight to the
    server: click and sigcheck.cli are never imported (~60 ms of its start). With any
    other argument it is the CLI's."""
    probe = (
        "import atexit, sys\n"
        "names = ('click', 'sigcheck.cli', 'pygls')\n"
        "atexit.register(lambda: print(sorted(m for m in names if m in sys.modules)))\n"
        "from sigcheck.__main__ import main\n"
        "sys.argv = ['sigcheck'] + sys.argv[1:]\n"
        "main()\n"
    )
    fast = subprocess.run(
        [sys.executable, "-c", probe, "server"], stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    assert fast.stdout.strip() == "['pygls']"
    assert fast.returncode == 1  # standard input ended without shutdown: LSP's exit code
    other = subprocess.run(
        [sys.executable, "-c", probe, "server", "--help"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert "Run the language server" in other.stdout
    assert other.stdout.strip().endswith("['click', 'sigcheck.cli']")
