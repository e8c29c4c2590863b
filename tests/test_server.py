"""End to end: a real LSP client (pytest-lsp) talks to a real `sigcheck server` process over stdio.

Nothing is mocked: each test starts `python -m sigcheck server`, initializes it
as an editor would (the capabilities pytest-lsp records of VS Code and Neovim),
opens buffers and checks what the server publishes and answers.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

pytestmark = [pytest.mark.lsp, pytest.mark.asyncio]

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "sigcheck", "server"])
TIMEOUT = 20.0  # seconds: generous, the machine may be busy; a healthy server answers in ms

SHELL_CMD = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y nodejs\nCOPY run.sh /run.sh\nCMD /run.sh\n"
)
EXEC_CMD = SHELL_CMD.replace("CMD /run.sh", 'CMD ["/run.sh"]')
SCRIPT = "#!/bin/sh\nset -e\necho starting\nnode server.js\n"


def _project(root: Path, dockerfile: str = SHELL_CMD, script: str = SCRIPT) -> tuple[Path, Path]:
    (root / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    run = root / "run.sh"
    run.write_text(script, encoding="utf-8")
    run.chmod(0o755)
    return root / "Dockerfile", run


async def _opened_project(client: LanguageClient, root: Path) -> tuple[Path, Path]:
    """The project of `_project` in a started server, its Dockerfile open."""
    dockerfile, script = _project(root)
    await _start(client, root)
    _open(client, dockerfile, "dockerfile")
    return dockerfile, script


async def _start(
    client: LanguageClient, root: Path, editor: str = "visual-studio-code", **init: object
) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(editor),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="project")],
            root_uri=root.as_uri(),
            initialization_options=init or None,
        )
    )


def _instrument(lsp_client: LanguageClient) -> None:
    """What an editor does beyond pytest-lsp's defaults: accept the server's dynamic
    registrations (VS Code's capabilities allow them), and keep every publication in
    order (pytest-lsp keeps only the newest per URI)."""
    registrations: list[types.Registration] = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)  # type: ignore[untyped-decorator]
    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    published: list[types.PublishDiagnosticsParams] = []
    features = lsp_client.protocol.fm.features
    keep_newest = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams) -> None:
        published.append(params)
        keep_newest(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
    lsp_client.registrations = registrations  # type: ignore[attr-defined]
    lsp_client.published = published  # type: ignore[attr-defined]


@pytest_lsp.fixture(config=SERVER)  # type: ignore[untyped-decorator]  # pytest-lsp has no hints here
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    _instrument(lsp_client)
    yield
    if lsp_client._server is not None and lsp_client._server.returncode is None:
        await lsp_client.shutdown_session()


async def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _codes(client: LanguageClient, path: Path) -> list[str]:
    return sorted(str(d.code) for d in client.diagnostics.get(path.as_uri(), ()))


async def _codes_become(client: LanguageClient, path: Path, codes: Sequence[str]) -> None:
    await _until(lambda: _codes(client, path) == sorted(codes), f"{path.name} diagnostics {codes}")


def _open(client: LanguageClient, path: Path, language: str, text: str | None = None) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                uri=path.as_uri(),
                language_id=language,
                version=1,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )


def _replace(client: LanguageClient, path: Path, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def _offset(text: str, position: types.Position) -> int:
    """A UTF-16 LSP position -> an index into `text` (the test's own, independent conversion)."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, ch in enumerate(line):
        if units >= position.character:
            return start + index
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(line)


def _apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: _offset(text, edit.range.start)] + edit.new_text + text[_offset(text, edit.range.end) :]
    return text


async def _actions(
    client: LanguageClient, path: Path, line: int, only: list[types.CodeActionKind | str] | None = None
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=types.Range(types.Position(line, 0), types.Position(line, 0)),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
    return [a for a in result or () if isinstance(a, types.CodeAction)]


async def _hover(client: LanguageClient, path: Path, line: int, character: int = 1) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            position=types.Position(line, character),
        )
    )
    if result is None:
        return ""
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


# --- the scenario of the issue -----------------------------------------------------------------


async def test_dockerfile_and_script_diagnostics_live_fix_and_exit(
    client: LanguageClient, tmp_path: Path
) -> None:
    dockerfile, script = await _opened_project(client, tmp_path)
    # The script is not open, yet its diagnostics arrive on its own URI.
    await _codes_become(client, dockerfile, ["SIG102"])
    await _codes_become(client, script, ["SIG201"])

    (cmd,) = client.diagnostics[dockerfile.as_uri()]
    assert cmd.source == "sigcheck"
    assert cmd.severity == types.DiagnosticSeverity.Error
    assert cmd.code_description is not None
    assert cmd.code_description.href.endswith("/rules/SIG102.md")
    assert cmd.range == types.Range(types.Position(3, 0), types.Position(3, 11))
    (no_exec,) = client.diagnostics[script.as_uri()]
    assert no_exec.range == types.Range(types.Position(3, 0), types.Position(3, 14))
    assert no_exec.related_information is not None
    (runner,) = no_exec.related_information
    assert runner.location.uri == dockerfile.as_uri()
    assert runner.location.range.start.line == 3  # the CMD that runs the script

    # Exec form in the buffer, not saved: SIG102 goes, the file on disk is as it was.
    _replace(client, dockerfile, 2, EXEC_CMD)
    await _codes_become(client, dockerfile, [])
    assert dockerfile.read_text(encoding="utf-8") == SHELL_CMD

    # The script's quick fix is its finding's edit; applied in the buffer, SIG201 goes.
    _open(client, script, "shellscript")
    actions = await _actions(client, script, 3)
    fix = next(a for a in actions if a.title.startswith("Fix SIG201"))
    assert fix.kind == types.CodeActionKind.QuickFix
    assert fix.is_preferred
    assert fix.edit is not None
    assert fix.edit.changes is not None
    fixed = _apply(SCRIPT, fix.edit.changes[script.as_uri()])
    assert fixed == SCRIPT.replace("node server.js", "exec node server.js")
    _replace(client, script, 2, fixed)
    await _codes_become(client, script, ["SIG301"])  # node is PID 1 now: the next finding, no init
    assert script.read_text(encoding="utf-8") == SCRIPT  # the server wrote nothing

    await client.shutdown_session()
    assert client._server is not None
    assert client._server.returncode == 0


async def test_hover_shows_the_chain_stop_signal_and_rule(client: LanguageClient, tmp_path: Path) -> None:
    dockerfile, script = _project(tmp_path)
    await _start(client, tmp_path)
    _open(client, dockerfile, "dockerfile")
    _open(client, script, "shellscript")
    await _codes_become(client, script, ["SIG201"])

    on_cmd = await _hover(client, dockerfile, 3)
    assert "launch chain" in on_cmd
    assert "[PID 1]" in on_cmd
    assert "/run.sh" in on_cmd
    assert "`SIGTERM`" in on_cmd
    assert "receives **nothing**" in on_cmd
    assert "SIG102" in on_cmd
    assert "shell-form-cmd" in on_cmd
    on_launch_line = await _hover(client, script, 3)
    assert "launch chain" in on_launch_line
    assert "SIG201" in on_launch_line
    assert "rules/SIG201.md" in on_launch_line
    assert await _hover(client, dockerfile, 0) == ""  # FROM: nothing to say


async def test_hover_on_stopsignal_shell_and_a_stage_that_does_not_run(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = (
        "FROM golang:1.22 AS build\n"
        "CMD go test ./...\n"
        "FROM python:3.12-slim\n"
        'SHELL ["/bin/bash", "-c"]\n'
        "STOPSIGNAL SIGINT\n"
        'CMD ["python", "app.py"]\n'
    )
    dockerfile, _script = _project(tmp_path, dockerfile=text)
    await _start(client, tmp_path)
    _open(client, dockerfile, "dockerfile")
    await _until(lambda: dockerfile.as_uri() in client.diagnostics, "diagnostics")
    builder = await _hover(client, dockerfile, 1)
    assert "Stage `build` does not run" in builder
    for line in (3, 4, 5):
        shown = await _hover(client, dockerfile, line)
        assert "`SIGINT` (STOPSIGNAL at line 5)" in shown
        assert "python app.py" in shown
    assert "the app receives `SIGINT`" in (await _hover(client, dockerfile, 5))


async def test_ignore_action_and_fix_all(client: LanguageClient, tmp_path: Path) -> None:
    dockerfile, script = _project(tmp_path, script=SCRIPT.replace("node server.js", "  node server.js"))
    await _start(client, tmp_path)
    _open(client, dockerfile, "dockerfile")
    await _codes_become(client, script, ["SIG201"])
    _open(client, script, "shellscript")

    actions = await _actions(client, script, 3)
    ignore = next(a for a in actions if a.title == "Ignore SIG201 on this line")
    assert ignore.edit is not None
    assert ignore.edit.changes is not None
    (insert,) = ignore.edit.changes[script.as_uri()]
    assert insert.new_text == "  # sigcheck ignore=SIG201 <reason>\n"  # the line's indentation kept
    assert insert.range.start == insert.range.end == types.Position(3, 0)
    text = _apply(script.read_text(encoding="utf-8"), [insert])
    _replace(client, script, 2, text)
    await _codes_become(client, script, [])
    _replace(client, script, 3, script.read_text(encoding="utf-8"))
    await _codes_become(client, script, ["SIG201"])

    # Fix-all of the Dockerfile: its own fix and the script's, as `sigcheck --fix` would.
    (fix_all,) = await _actions(client, dockerfile, 0, only=[types.CodeActionKind.SourceFixAll])
    assert fix_all.kind == "source.fixAll.sigcheck"
    assert fix_all.edit is not None
    assert fix_all.edit.changes is not None
    changes = fix_all.edit.changes
    assert set(changes) == {dockerfile.as_uri(), script.as_uri()}
    assert _apply(SHELL_CMD, changes[dockerfile.as_uri()]) == EXEC_CMD
    assert "  exec node server.js\n" in _apply(script.read_text(encoding="utf-8"), changes[script.as_uri()])
    assert await _actions(client, dockerfile, 0, only=[types.CodeActionKind.QuickFix]) == []


# --- editing a script, the workspace index, watched files -----------------------------------------


async def test_editing_an_open_script_relints_the_dockerfile_that_runs_it(
    client: LanguageClient, tmp_path: Path
) -> None:
    dockerfile, script = _project(tmp_path, dockerfile=EXEC_CMD)
    await _start(client, tmp_path)
    # Only the script is open: the index built at `initialize` knows which Dockerfile runs it.
    _open(client, script, "shellscript")
    await _codes_become(client, script, ["SIG201"])
    _replace(client, script, 2, SCRIPT.replace("node server.js", "exec node server.js"))
    await _codes_become(client, script, ["SIG301"])  # node is PID 1 now, without an init
    # Closing falls back to the disk copy, which still lacks the exec.
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(script.as_uri()))
    )
    await _codes_become(client, script, [])  # no open buffer needs the Dockerfile any more
    _open(client, dockerfile, "dockerfile")
    await _codes_become(client, script, ["SIG201"])


async def test_watched_files_keep_the_index_current(client: LanguageClient, tmp_path: Path) -> None:
    await _start(client, tmp_path)
    await _until(lambda: any("indexed 0 Dockerfiles" in m.message for m in client.log_messages), "the index")
    assert [r.method for r in client.registrations] == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]  # type: ignore[attr-defined]
    service = tmp_path / "svc"
    service.mkdir()
    dockerfile, script = _project(service, dockerfile=EXEC_CMD)
    _open(client, script, "shellscript")
    await asyncio.sleep(0.3)
    assert _codes(client, script) == []  # the Dockerfile is new: not known yet
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(dockerfile.as_uri(), types.FileChangeType.Created)]
        )
    )
    await _codes_become(client, script, ["SIG201"])
    dockerfile.unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(dockerfile.as_uri(), types.FileChangeType.Deleted)]
        )
    )
    await _codes_become(client, script, [])


async def test_a_script_run_by_two_dockerfiles_links_to_both(client: LanguageClient, tmp_path: Path) -> None:
    dockerfile, script = _project(tmp_path)
    dev = tmp_path / "Dockerfile.dev"
    dev.write_text(SHELL_CMD.replace("CMD /run.sh", "ENV DEBUG=1\nCMD /run.sh"), encoding="utf-8")
    await _start(client, tmp_path)
    _open(client, dockerfile, "dockerfile")
    _open(client, dev, "dockerfile")
    await _until(
        lambda: any(
            len(d.related_information or ()) == 2 for d in client.diagnostics.get(script.as_uri(), ())
        ),
        "one SIG201 linked to both Dockerfiles",
    )
    assert _codes(client, script) == ["SIG201"]  # reported by both, shown once
    (shown,) = client.diagnostics[script.as_uri()]
    assert shown.related_information is not None
    assert {r.location.uri for r in shown.related_information} == {dockerfile.as_uri(), dev.as_uri()}
    assert sorted(r.location.range.start.line for r in shown.related_information) == [3, 4]


async def test_each_workspace_folder_has_its_own_configuration(
    client: LanguageClient, tmp_path: Path
) -> None:
    strict, lenient = tmp_path / "strict", tmp_path / "lenient"
    for folder in (strict, lenient):
        folder.mkdir()
        _project(folder)
    (lenient / ".sigcheck.toml").write_text('ignore = ["SIG102"]\n', encoding="utf-8")
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[
                types.WorkspaceFolder(uri=strict.as_uri(), name="strict"),
                types.WorkspaceFolder(uri=lenient.as_uri(), name="lenient"),
            ],
        )
    )
    _open(client, strict / "Dockerfile", "dockerfile")
    _open(client, lenient / "Dockerfile", "dockerfile")
    await _codes_become(client, strict / "Dockerfile", ["SIG102"])
    await _codes_become(client, lenient / "run.sh", ["SIG201"])
    assert _codes(client, lenient / "Dockerfile") == []


# --- configuration ------------------------------------------------------------------------------


async def test_configuration_from_file_init_options_and_changes(
    client: LanguageClient, tmp_path: Path
) -> None:
    dockerfile, script = _project(tmp_path)
    (tmp_path / ".sigcheck.toml").write_text('ignore = ["SIG102"]\n', encoding="utf-8")
    await _start(client, tmp_path, failureThreshold="error")
    _open(client, dockerfile, "dockerfile")
    await _codes_become(client, script, ["SIG201"])
    assert _codes(client, dockerfile) == []  # the file's ignore
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"sigcheck": {"ignore": ["script-without-exec"]}})
    )
    await _codes_become(client, script, [])
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"sigcheck": {"failureThreshold": "none"}})
    )
    await _codes_become(client, script, ["SIG201"])
    (below,) = client.diagnostics[script.as_uri()]
    assert below.severity == types.DiagnosticSeverity.Hint  # below the threshold: would not fail CI

    # The pull model (VS Code's clients): `settings: null`, and the server asks for them.
    client.set_configuration({"sigcheck": {"failureThreshold": "warning", "ignore": ["SIG201"]}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await _codes_become(client, script, [])


async def test_a_configuration_error_is_shown_once_not_a_crash(
    client: LanguageClient, tmp_path: Path
) -> None:
    dockerfile, _script = _project(tmp_path)
    (tmp_path / ".sigcheck.toml").write_text('ignore = ["SIG999"]\n', encoding="utf-8")
    await _start(client, tmp_path, ignore=["no-such-rule"])
    _open(client, dockerfile, "dockerfile")
    await _codes_become(client, dockerfile, ["SIG102"])  # linted with the defaults
    _replace(client, dockerfile, 2, EXEC_CMD)
    await _codes_become(client, dockerfile, [])
    errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 2, errors  # the file's error and the settings' error, each once
    assert any("SIG999" in m for m in errors)
    assert any("no-such-rule" in m for m in errors)


# --- positions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("editor", "encoding"), [("neovim", "utf-8"), ("visual-studio-code", "utf-16"), ("emacs", "utf-32")]
)
async def test_ranges_count_the_negotiated_code_units(
    client: LanguageClient, tmp_path: Path, editor: str, encoding: str
) -> None:
    cmd = 'CMD echo "café 🐳" && node server.js'
    dockerfile, _ = _project(tmp_path, dockerfile=f"\ufeffFROM debian:12\n{cmd}\n")
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(editor),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="project")],
        )
    )
    assert result.capabilities.position_encoding == encoding
    _open(client, dockerfile, "dockerfile", dockerfile.read_text(encoding="utf-8"))
    await _until(lambda: "SIG102" in _codes(client, dockerfile), "SIG102")
    found = next(d for d in client.diagnostics[dockerfile.as_uri()] if d.code == "SIG102")
    width = {
        "utf-8": len(cmd.encode("utf-8")),
        "utf-16": len(cmd.encode("utf-16-le")) // 2,
        "utf-32": len(cmd),
    }[encoding]
    assert found.range == types.Range(types.Position(1, 0), types.Position(1, width))
    # And back: a hover at the end of the emoji, in the client's units, lands on the CMD.
    assert "launch chain" in await _hover(client, dockerfile, 1, width - 1)


async def test_incremental_changes_use_the_specs_line_breaks(client: LanguageClient, tmp_path: Path) -> None:
    """A form feed or U+2028 is no line break in LSP (pygls' splitlines would count one)."""
    text = "FROM debian:12\n# odd \x0c paste \u2028 here \x85 x\nCMD node server.js\n"
    dockerfile, _script = _project(tmp_path, dockerfile=text)
    await _start(client, tmp_path)
    _open(client, dockerfile, "dockerfile")
    await _until(lambda: "SIG102" in _codes(client, dockerfile), "SIG102")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=dockerfile.as_uri(), version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(2, 4), types.Position(2, 18)),
                    text='["node", "server.js"]',
                )
            ],
        )
    )
    await _until(lambda: "SIG102" not in _codes(client, dockerfile), "SIG102 gone")
    hover = await _hover(client, dockerfile, 2)
    assert "node server.js" in hover  # the CMD is where the editor sees it, on line 3


# --- bad input ------------------------------------------------------------------------------------


async def test_bad_input_never_kills_the_server(client: LanguageClient, tmp_path: Path) -> None:
    dockerfile, _script = _project(tmp_path)
    await _start(client, tmp_path)
    _open(client, dockerfile, "dockerfile", "\x00\x01\x7f\ufffd binary \udcff garbage\n")
    await _until(
        lambda: bool(client.diagnostics.get(dockerfile.as_uri())), "a diagnostic for the binary buffer"
    )
    assert "not linted" in client.diagnostics[dockerfile.as_uri()][0].message

    # A heredoc half typed: a diagnostic on the line BuildKit would stop at.
    _replace(client, dockerfile, 2, "FROM alpine\nCOPY <<EOF /run.sh\n#!/bin/sh\nexec app\n")
    await _until(
        lambda: any("heredoc" in d.message for d in client.diagnostics.get(dockerfile.as_uri(), ())),
        "the heredoc diagnostic",
    )
    assert client.diagnostics[dockerfile.as_uri()][0].range.start.line == 1

    # Positions no editor should send: past the end, negative-looking, inside a surrogate pair.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=dockerfile.as_uri(), version=3),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(999, 5), types.Position(1000, 70)), text="\nCMD 🐳 x\n"
                )
            ],
        )
    )
    assert await _hover(client, dockerfile, 10_000, 10_000) == ""
    assert isinstance(await _actions(client, dockerfile, 10_000), list)
    weird = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(dockerfile.as_uri()), types.Position(5, 3))
    )
    assert weird is None or isinstance(weird, types.Hover)

    # A 10 MB paste: linted or refused, and the server still answers afterwards.
    _replace(
        client, dockerfile, 4, "FROM debian:12\n" + ("# " + "x" * 98 + "\n") * 100_000 + "CMD node a.js\n"
    )
    _replace(client, dockerfile, 5, SHELL_CMD)
    await _codes_become(client, dockerfile, ["SIG102"])
    assert await _hover(client, dockerfile, 3) != ""


async def test_an_untitled_buffer_is_ignored(client: LanguageClient, tmp_path: Path) -> None:
    await _start(client, tmp_path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem("untitled:Untitled-1", "dockerfile", 1, "CMD x\n")
        )
    )
    # An unsaved new Dockerfile (not on disk, nor is run.sh): linted from its buffer.
    _open(client, tmp_path / "Dockerfile", "dockerfile", SHELL_CMD)
    await _until(lambda: "SIG102" in _codes(client, tmp_path / "Dockerfile"), "SIG102")
    assert "untitled:Untitled-1" not in client.diagnostics


# --- responsiveness -------------------------------------------------------------------------------


async def test_typing_is_debounced_and_ends_on_the_newest_text(
    client: LanguageClient, tmp_path: Path
) -> None:
    dockerfile, script = _project(tmp_path)
    await _start(client, tmp_path)
    _open(client, dockerfile, "dockerfile")
    await _codes_become(client, dockerfile, ["SIG102"])
    published: list[types.PublishDiagnosticsParams] = client.published  # type: ignore[attr-defined]
    before = len([p for p in published if p.uri == dockerfile.as_uri()])
    for version in range(2, 30):  # keystrokes, faster than the debounce; the last one is exec form
        _replace(client, dockerfile, version, SHELL_CMD if version < 29 else EXEC_CMD)
    await _codes_become(client, dockerfile, [])
    await asyncio.sleep(0.5)
    after = [p for p in published if p.uri == dockerfile.as_uri()][before:]
    assert 1 <= len(after) < 10, len(after)  # a few lints for the burst of 28, not one per keystroke
    assert not after[-1].diagnostics

    # A save lints at once (no debounce); closing clears what the Dockerfile published.
    _replace(client, dockerfile, 30, SHELL_CMD)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(dockerfile.as_uri()))
    )
    await _codes_become(client, dockerfile, ["SIG102"])
    assert _codes(client, script) == ["SIG201"]
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(dockerfile.as_uri()))
    )
    await _codes_become(client, dockerfile, [])
    await _codes_become(client, script, [])


BROKEN_RULE_SERVER = ClientServerConfig(
    server_command=[
        sys.executable,
        "-c",
        # A bug in one lint, planted in the real server process: any text with BOOM in it.
        "import sigcheck.lint as lint\n"
        "real = lint.lint_source\n"
        "def lint_source(text, *args, **kwargs):\n"
        "    if 'BOOM' in text:\n"
        "        raise ZeroDivisionError('planted')\n"
        "    return real(text, *args, **kwargs)\n"
        "lint.lint_source = lint_source\n"
        "import sys\nfrom sigcheck.cli import run\nsys.argv = ['sigcheck', 'server']\nrun()\n",
    ]
)


@pytest_lsp.fixture(config=BROKEN_RULE_SERVER)  # type: ignore[untyped-decorator]
async def broken(lsp_client: LanguageClient) -> AsyncIterator[None]:
    _instrument(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def test_an_internal_error_in_one_lint_is_logged_and_survived(
    broken: LanguageClient, tmp_path: Path
) -> None:
    dockerfile, _script = _project(tmp_path)
    await _start(broken, tmp_path)
    _open(broken, dockerfile, "dockerfile")
    await _codes_become(broken, dockerfile, ["SIG102"])
    _replace(broken, dockerfile, 2, SHELL_CMD + "# BOOM\n")
    await _until(
        lambda: any("planted" in m.message for m in broken.log_messages), "the internal error in the log"
    )
    assert _codes(broken, dockerfile) == ["SIG102"]  # the previous diagnostics stay
    assert not [m for m in broken.messages if "planted" in m.message]  # a log line, no pop-up
    _replace(broken, dockerfile, 3, EXEC_CMD)
    await _codes_become(broken, dockerfile, [])  # and the next lint works
