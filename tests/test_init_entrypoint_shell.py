"""`init: true` (or `--assume-init`) in front of an entrypoint that execs its arguments
and a shell-form CMD whose shell stays (node's docker-entrypoint.sh on Debian):
docker-init -> /bin/sh -c 'node server.js' -> node. SIG304, not SIG102 and not
silence, and the runtime proof that the app never gets SIGTERM (tests/runtime.py: the
chain run as PID 1 of a new PID namespace, SIGTERM sent from the host)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from runtime import run_as_pid1, unavailable_reason, write_sigapp

from sigcheck.cli import main
from sigcheck.deploy_lint import lint_compose
from sigcheck.lint import LintOptions, lint_source

NODE_SHELL_FORM = "FROM node:20-bookworm\nWORKDIR /app\nCOPY server.js .\nCMD node server.js\n"

# What node's docker-entrypoint.sh does with a command it can run: `exec "$@"`.
ENTRYPOINT_EXEC = '#!/bin/sh\nset -e\nexec "$@"\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # the project root: context discovery stops here
    files = {"Dockerfile": NODE_SHELL_FORM, "server.js": "require('http').createServer().listen(8080);\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_chain_passes_the_entrypoint_to_the_shell_behind_the_runtime_init(project: Path) -> None:
    result = lint_source(NODE_SHELL_FORM, "Dockerfile", LintOptions(assume_init=True))
    links = [(link.role, link.argv) for link in result.context.chain.links]
    assert links == [
        ("init", ("docker-init", "--")),
        ("entrypoint", ("docker-entrypoint.sh",)),
        ("shell", ("/bin/sh", "-c", "node server.js")),
        ("app", ("node", "server.js")),
    ]
    assert [f.rule for f in result.findings] == ["SIG304"]


def test_compose_init_true_reports_sig304_at_the_cmd(project: Path) -> None:
    (project / "compose.yaml").write_text("services:\n  web:\n    build: .\n    init: true\n")
    findings = [f for r in lint_compose(["compose.yaml"], LintOptions()) for f in r.findings]
    assert [(f.rule, f.path, f.line, f.services) for f in findings] == [
        ("SIG304", "Dockerfile", 4, ("service web",))
    ]


def test_cli_assume_init(project: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--isolated", "--assume-init", "Dockerfile"])
    assert result.exit_code == 1
    assert "SIG304 init-to-non-exec-shell" in result.stdout
    assert "SIG102" not in result.stdout


def test_runtime_tini_entrypoint_exec_then_dash_never_delivers_sigterm(tmp_path: Path) -> None:
    reason = unavailable_reason()
    tini = shutil.which("tini")
    dash = shutil.which("dash")
    if reason is not None or tini is None or dash is None:
        pytest.skip(reason or "tini or dash is not installed")
    app = write_sigapp(tmp_path / "bin")
    entrypoint = tmp_path / "bin" / "docker-entrypoint.sh"
    entrypoint.write_text(ENTRYPOINT_EXEC.replace("/bin/sh", dash))
    entrypoint.chmod(0o755)
    shell = tmp_path / "bin" / "sh"  # dash as /bin/sh, as Debian's is
    os.symlink(dash, shell)
    log = tmp_path / "app.log"
    # docker-init is plain `tini --`; the shell-form CMD is `/bin/sh -c STRING`.
    argv = [tini, "--", str(entrypoint), str(shell), "-c", app.command(log, 1000)]
    outcome = run_as_pid1(argv, log, grace=3.0)
    assert outcome.ready, outcome.describe()
    assert outcome.app_pid not in (None, 1, 2), outcome.describe()  # behind tini and the shell
    assert not outcome.received("SIGTERM"), outcome.describe()
    assert not outcome.graceful_exit, outcome.describe()
