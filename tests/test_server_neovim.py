"""A real editor's LSP client against `sigcheck server`: Debian 12's Neovim 0.7.2, headless.

The README's Neovim 0.7 setup is taken from the README as it is (the Lua block after
`<!-- neovim-0.7 -->`) and run with a driver that opens a Dockerfile, waits for
Neovim's own diagnostics (its client converts the server's positions), asks for a
hover and the code actions, opens a Compose file, and writes what it got as JSON. Skipped without `nvim`
(.ci/run installs Debian's neovim).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import REPO
from test_server import SCRIPT, SHELL_CMD, _project
from test_server_deploy import COMPOSE

pytestmark = [
    pytest.mark.lsp,
    pytest.mark.skipif(shutil.which("nvim") is None, reason="nvim not installed (apt-get install neovim)"),
]

DRIVER = r"""
local out = os.getenv("SIGCHECK_RESULT")
local function diagnostics(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(found, {
      code = d.code or lsp.code, source = d.source, lnum = d.lnum, col = d.col,
      end_lnum = d.end_lnum, end_col = d.end_col, message = d.message,
    })
  end
  return found
end
local function finish(result)
  local file = io.open(out, "w")
  file:write(vim.json.encode(result))
  file:close()
  vim.cmd("qa!")
end

vim.cmd("filetype on")
vim.cmd("edit Dockerfile")
local dockerfile = vim.api.nvim_get_current_buf()
local script = vim.uri_to_bufnr(vim.uri_from_fname(vim.fn.getcwd() .. "/run.sh"))
local ok = vim.wait(60000, function()
  return #vim.diagnostic.get(dockerfile) > 0 and #vim.diagnostic.get(script) > 0
end, 50)
local result = {
  filetype = vim.bo[dockerfile].filetype,
  clients = #vim.lsp.buf_get_clients(dockerfile),
  waited = ok,
  dockerfile = diagnostics(dockerfile),
  script = diagnostics(script),
}
local position = { textDocument = vim.lsp.util.make_text_document_params(dockerfile),
                   position = { line = 3, character = 1 } }
local hover = vim.lsp.buf_request_sync(dockerfile, "textDocument/hover", position, 20000) or {}
for _, answer in pairs(hover) do
  if answer.result then result.hover = answer.result.contents.value end
end
local context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(dockerfile, 3) }
local range = { textDocument = position.textDocument, context = context,
                range = { start = { line = 3, character = 0 }, ["end"] = { line = 3, character = 0 } } }
local actions = vim.lsp.buf_request_sync(dockerfile, "textDocument/codeAction", range, 20000) or {}
result.actions = {}
for _, answer in pairs(actions) do
  for _, action in ipairs(answer.result or {}) do
    local edits = action.edit and action.edit.changes and action.edit.changes[vim.uri_from_bufnr(dockerfile)]
    table.insert(result.actions, { title = action.title, edits = edits })
  end
end
vim.cmd("edit compose.yaml")  -- the same client, attached by the FileType autocommand
local compose = vim.api.nvim_get_current_buf()
vim.wait(60000, function() return #vim.diagnostic.get(compose) > 0 end, 50)
result.compose_filetype = vim.bo[compose].filetype
result.compose = diagnostics(compose)
result.clients_total = #vim.lsp.get_active_clients()
for _, client in pairs(vim.lsp.get_active_clients()) do client.stop() end
vim.wait(10000, function() return #vim.lsp.get_active_clients() == 0 end, 50)
finish(result)
"""


def _readme_setup() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- neovim-0\.7 -->\n```lua\n(.*?)```", readme, re.DOTALL)
    assert match is not None, "the README's Neovim 0.7 block is gone"
    return match.group(1)


def test_neovim_07_with_the_readmes_setup_shows_diagnostics_hover_and_the_fix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    dockerfile, _script = _project(project)
    (project / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    init = tmp_path / "init.lua"
    init.write_text(_readme_setup() + DRIVER, encoding="utf-8")
    result_file = tmp_path / "result.json"
    bin_dir = str(Path(sys.executable).parent)  # where pip put the `sigcheck` the README runs
    assert os.path.exists(os.path.join(bin_dir, "sigcheck"))
    env = {
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "SIGCHECK_RESULT": str(result_file),
    }
    run = subprocess.run(
        ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {init}"],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result_file.exists(), f"nvim wrote nothing: rc={run.returncode} {run.stdout} {run.stderr}"
    result = json.loads(result_file.read_text(encoding="utf-8"))
    assert result["filetype"] == "dockerfile"
    assert result["clients"] == 1
    assert result["waited"] is True
    (cmd,) = result["dockerfile"]
    assert (cmd["code"], cmd["source"]) == ("SIG102", "sigcheck")
    assert (cmd["lnum"], cmd["col"], cmd["end_lnum"], cmd["end_col"]) == (3, 0, 3, 11)
    (no_exec,) = result["script"]
    assert no_exec["code"] == "SIG201"
    assert (no_exec["lnum"], no_exec["col"]) == (3, 0)
    assert "launch chain" in result["hover"]
    fixes = [a for a in result["actions"] if a["title"].startswith("Fix SIG102")]
    assert len(fixes) == 1
    assert fixes[0]["edits"][0]["newText"] in ('["/run.sh"]', "exec ")
    assert result["compose_filetype"] == "yaml"
    assert result["clients_total"] == 1
    (wrapper,) = result["compose"]
    assert wrapper["code"] == "SIG103"
    assert (wrapper["lnum"], wrapper["col"]) == (5, 13)
    assert dockerfile.read_text(encoding="utf-8") == SHELL_CMD  # nothing applied, nothing written
    assert (project / "run.sh").read_text(encoding="utf-8") == SCRIPT
