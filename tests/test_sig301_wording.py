"""SIG301 says why a runtime's entry file was not looked at: `python -m` runs a module
(not a REPL), `-c`/`-e` inline code, and only a bare interpreter is the REPL."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigcheck.lint import LintOptions, lint_text


@pytest.mark.parametrize(
    ("cmd", "said"),
    [
        (
            '["python", "-m", "worker"]',
            "it runs the module `worker` (`-m`), whose code sigcheck does not read",
        ),
        ('["python", "-W", "ignore", "-u", "-m", "jobs.run"]', "it runs the module `jobs.run` (`-m`)"),
        ('["python3", "-mhttp.server"]', "it runs the module `http.server` (`-m`)"),
        ('["python", "-c", "import time; time.sleep(1e9)"]', "it runs inline code (`-c`)"),
        ('["node", "-e", "setInterval(() => {}, 1000)"]', "it runs inline code (`-e`)"),
        ('["python"]', "it runs no script (an interactive REPL)"),
    ],
)
def test_why_no_entry_file_was_read(cmd: str, said: str, tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    text = f"FROM python:3.12-slim\nCMD {cmd}\n"
    dockerfile.write_text(text)
    (finding,) = [f for f in lint_text(text, str(dockerfile), LintOptions()) if f.rule == "SIG301"]
    assert said in finding.message
    if "REPL" not in said:
        assert "REPL" not in finding.message
