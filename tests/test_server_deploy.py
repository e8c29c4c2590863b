"""End to end, like tests/test_server.py: Compose files and Kubernetes manifests in the editor,
lone-CR line endings, and quick fixes whose edit is in another file.

A real `sigcheck server` process and a real LSP client (pytest-lsp) over stdio.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_server import (
    SHELL_CMD,
    _actions,
    _apply,
    _codes,
    _codes_become,
    _hover,
    _open,
    _opened_project,
    _project,
    _replace,
    _start,
    _until,
    client,
)

pytestmark = [pytest.mark.lsp, pytest.mark.asyncio]

__all__ = ["client"]  # the fixture, shared with tests/test_server.py

COMPOSE = (
    'services:\n  web:\n    build: .\n  worker:\n    image: node:20\n    command: sh -c "node worker.js"\n'
)
MANIFEST = (
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: api\n"
    "spec:\n"
    "  template:\n"
    "    spec:\n"
    "      containers:\n"
    "        - name: api\n"
    "          image: node:20\n"
    '          command: ["sh", "-c", "node api.js"]\n'
)


def _messages(client: LanguageClient, path: Path) -> list[str]:
    return [d.message for d in client.diagnostics.get(path.as_uri(), ())]


async def test_a_compose_buffer_publishes_its_own_and_the_dockerfiles_findings(
    client: LanguageClient, tmp_path: Path
) -> None:
    dockerfile, script = _project(tmp_path)
    compose = tmp_path / "compose.yaml"
    compose.write_text(COMPOSE.replace("node worker.js", "exec node worker.js"), encoding="utf-8")
    await _start(client, tmp_path)
    # The buffer, not the disk copy: the disk's command execs, the buffer's does not.
    _open(client, compose, "dockercompose", COMPOSE)
    await _codes_become(client, compose, ["SIG103"])
    (wrapper,) = client.diagnostics[compose.as_uri()]
    assert wrapper.message.startswith("service worker: ")
    assert wrapper.range.start == types.Position(5, 13)  # the command's value, line 6 column 14
    assert wrapper.source == "sigcheck"
    # What the Dockerfile and its script do to service web, on their own URIs.
    await _codes_become(client, dockerfile, ["SIG102"])
    await _codes_become(client, script, ["SIG201"])
    assert _messages(client, dockerfile)[0].startswith("service web: ")
    (reached,) = client.diagnostics[dockerfile.as_uri()]
    assert reached.range.start.line == 3
    # Linked to the service that runs it, as a script's finding is to its Dockerfile's CMD.
    assert reached.related_information is not None
    (service,) = reached.related_information
    assert service.location.uri == compose.as_uri()
    assert service.location.range.start.line == 1  # `web:`
    assert service.message == "service web in compose.yaml runs this"

    # The Dockerfile opened and edited, unsaved: the Compose lint read the disk copy, whose
    # lines are not the buffer's, so only the Dockerfile's own lint (of the buffer) shows.
    _open(client, dockerfile, "dockerfile")
    _replace(client, dockerfile, 2, "# a new first line\n" + SHELL_CMD)
    await _until(
        lambda: (
            [(d.range.start.line, d.message[:12]) for d in client.diagnostics[dockerfile.as_uri()]]
            == [(4, "Shell-form C")]
        ),
        "only the buffer's own SIG102, one line lower",
    )
    _replace(client, dockerfile, 3, SHELL_CMD)  # as on disk again: the service's view is back
    await _until(lambda: len(client.diagnostics[dockerfile.as_uri()]) == 2, "the service's SIG102 back")
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(dockerfile.as_uri()))
    )

    # Edited, unsaved: the wrapper goes, node is PID 1 now (the next finding, no init).
    _replace(client, compose, 2, COMPOSE.replace("sh -c ", ""))
    await _codes_become(client, compose, ["SIG301"])
    assert "exec node worker.js" in compose.read_text(encoding="utf-8")

    # Closed: what it contributed to the Dockerfile goes with it.
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(compose.as_uri()))
    )
    await _codes_become(client, dockerfile, [])
    await _codes_become(client, script, [])


async def test_an_override_file_created_on_disk_relints_the_open_compose_file(
    client: LanguageClient, tmp_path: Path
) -> None:
    _project(tmp_path)
    compose = tmp_path / "compose.yaml"
    compose.write_text(COMPOSE, encoding="utf-8")
    await _start(client, tmp_path)
    _open(client, compose, "yaml")
    await _codes_become(client, compose, ["SIG103"])
    override = tmp_path / "compose.override.yaml"
    override.write_text('services:\n  worker:\n    command: ["node", "worker.js"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(override.as_uri(), types.FileChangeType.Created)])
    )
    # Merged as Compose merges it: the override's command wins, and its finding is its own.
    await _codes_become(client, compose, [])
    await _codes_become(client, override, ["SIG301"])
    assert client.diagnostics[override.as_uri()][0].range.start == types.Position(2, 13)
    override.unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(override.as_uri(), types.FileChangeType.Deleted)])
    )
    await _codes_become(client, compose, ["SIG103"])
    await _codes_become(client, override, [])


async def test_a_kubernetes_manifest_is_recognised_by_content(client: LanguageClient, tmp_path: Path) -> None:
    manifest = tmp_path / "api.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    await _start(client, tmp_path)
    _open(client, manifest, "yaml")
    await _codes_become(client, manifest, ["SIG103"])
    (wrapper,) = client.diagnostics[manifest.as_uri()]
    assert wrapper.message.startswith("Deployment api, container api: ")
    assert wrapper.range.start == types.Position(10, 19)
    assert "SIG103" in await _hover(client, manifest, 10, 22)  # the rule's summary on its diagnostic
    # No fix (the deployment lint's findings carry no edit), and no "ignore" comment,
    # which the deployment lint would not read in YAML.
    assert await _actions(client, manifest, 10) == []


async def test_other_yaml_stays_silent_and_broken_yaml_says_where(
    client: LanguageClient, tmp_path: Path
) -> None:
    other = tmp_path / "config.yaml"
    other.write_text("name: x\nitems:\n  - a\n  - b\n", encoding="utf-8")
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  web:\n    image: [node\n", encoding="utf-8")
    manifest = tmp_path / "api.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    await _start(client, tmp_path)
    _open(client, other, "yaml")
    _open(client, broken, "yaml")
    _open(client, manifest, "yaml")
    # One worker lints in order: once the manifest's diagnostics are in, the others' are done.
    await _codes_become(client, manifest, ["SIG103"])
    await _until(
        lambda: bool(client.diagnostics.get(broken.as_uri())), "the broken compose file's diagnostic"
    )
    assert not client.diagnostics.get(other.as_uri())
    (problem,) = client.diagnostics[broken.as_uri()]
    assert problem.message.startswith("not linted: ")
    assert problem.range.start.line in (2, 3)
    assert not [m for m in client.log_messages if "internal error" in m.message]
    # Binary garbage in a YAML buffer: silent or a diagnostic, and the server still answers.
    _replace(client, other, 2, "\x00\x01services:\x7f\n\udcff: [\n")
    _replace(client, manifest, 2, MANIFEST.replace('"sh", "-c", ', ""))
    await _codes_become(client, manifest, ["SIG301"])  # linted after the garbage: alive
    assert all(d.message.startswith("not linted: ") for d in client.diagnostics.get(other.as_uri(), ()))
    assert not [m for m in client.log_messages if "internal error" in m.message]


# --- line endings ---------------------------------------------------------------------------

OLD_MAC = "FROM debian:12\r# a note\rCOPY run.sh /run.sh\rCMD /run.sh\r"
MIXED = "FROM debian:12\n# pasted \r from an old Mac\nCOPY run.sh /run.sh\nCMD /run.sh node\rserver.js\n"


async def test_a_lone_cr_is_a_line_break_for_the_client_not_for_the_linter(
    client: LanguageClient, tmp_path: Path
) -> None:
    """sigcheck, like BuildKit and the shell, breaks lines at "\\n" only; LSP also at a lone "\\r".
    A finding after a lone "\\r" is shown on the characters the linter meant."""
    dockerfile, _script = _project(tmp_path, dockerfile=MIXED)
    await _start(client, tmp_path)
    _open(client, dockerfile, "dockerfile", MIXED)  # not read_text: its universal newlines drop the "\r"
    await _until(lambda: "SIG102" in _codes(client, dockerfile), "SIG102")
    (cmd,) = [d for d in client.diagnostics[dockerfile.as_uri()] if d.code == "SIG102"]
    # The editor's lines: 0 FROM, 1-2 the comment, 3 COPY, 4 "CMD /run.sh node", 5 "server.js".
    assert cmd.range == types.Range(types.Position(4, 0), types.Position(5, 9))
    assert "launch chain" in await _hover(client, dockerfile, 5, 2)  # still the CMD, after its "\r"
    assert "launch chain" not in await _hover(client, dockerfile, 2, 2)  # the comment's second half
    # The quick fix (`exec ` before the command) lands where --fix puts it.
    (fix,) = [a for a in await _actions(client, dockerfile, 4) if a.title.startswith("Fix SIG102")]
    assert fix.edit is not None
    assert fix.edit.changes is not None
    (edit,) = fix.edit.changes[dockerfile.as_uri()]
    assert edit.range == types.Range(types.Position(4, 4), types.Position(4, 4))
    assert edit.new_text == "exec "

    # A file of lone "\r" only is one line to the linter, as to BuildKit: `FROM` with too
    # many words. Said on that one line, which spans the editor's four.
    _replace(client, dockerfile, 2, OLD_MAC)
    await _until(lambda: "SIG102" not in _codes(client, dockerfile), "SIG102 gone")
    (problem,) = client.diagnostics[dockerfile.as_uri()]
    assert "FROM requires" in problem.message
    assert problem.range == types.Range(types.Position(0, 0), types.Position(3, 11))


# --- quick fixes in another file --------------------------------------------------------------


async def test_a_script_fix_offered_on_the_script_edits_the_script_from_the_dockerfile_lint(
    client: LanguageClient, tmp_path: Path
) -> None:
    """The script is not open: its quick fix still edits it, by its URI, from its disk text."""
    dockerfile, script = await _opened_project(client, tmp_path)
    await _codes_become(client, script, ["SIG201"])
    (fix,) = [a for a in await _actions(client, script, 3) if a.title.startswith("Fix SIG201")]
    assert fix.edit is not None
    assert fix.edit.changes is not None
    assert list(fix.edit.changes) == [script.as_uri()]
    fixed = _apply(script.read_text(encoding="utf-8"), fix.edit.changes[script.as_uri()])
    assert fixed.endswith("exec node server.js\n")
    assert SHELL_CMD in dockerfile.read_text(encoding="utf-8")


# --- bad input, waited for ------------------------------------------------------------------------


async def test_a_10_mb_paste_is_linted_and_one_past_the_limit_says_so(
    client: LanguageClient, tmp_path: Path
) -> None:
    """tests/test_server.py pastes 10 MB and replaces it at once; here each big buffer's own
    result is waited for: a Dockerfile and a Compose file of 10 MB are linted to their last
    line, one past the 10 MiB limit gets one diagnostic saying so."""
    dockerfile, _script = _project(tmp_path)
    compose = tmp_path / "compose.yaml"
    compose.write_text(COMPOSE, encoding="utf-8")
    await _start(client, tmp_path)
    _open(client, dockerfile, "dockerfile")
    _open(client, compose, "yaml")
    await _codes_become(client, compose, ["SIG103"])
    filler = ("# " + "x" * 98 + "\n") * 100_000  # 10.1 MB, under 10 MiB
    _replace(client, dockerfile, 2, "FROM debian:12\n" + filler + "CMD node a.js\n")
    _replace(client, compose, 2, filler + COMPOSE)
    await _until(
        lambda: [d.range.start.line for d in client.diagnostics.get(dockerfile.as_uri(), ())] == [100_001],
        "the shell-form CMD on the 10 MB Dockerfile's last line",
    )
    await _until(
        lambda: [d.range.start.line for d in client.diagnostics.get(compose.as_uri(), ())] == [100_005],
        "the compose command below 10 MB of comments",
    )
    too_big = "# " + "x" * (11 * 1024 * 1024) + "\n"
    _replace(client, compose, 3, too_big + COMPOSE)
    await _until(
        lambda: any("larger than the limit" in m for m in _messages(client, compose)), "the size diagnostic"
    )
    _replace(client, compose, 4, COMPOSE)
    await _codes_become(client, compose, ["SIG103"])
