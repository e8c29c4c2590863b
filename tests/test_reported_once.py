"""A Dockerfile pitfall that reaches a Compose service is reported once per run: at the
Dockerfile line, naming the services (`sigcheck .` lints the Dockerfile and the compose file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sigcheck.cli import main

DOCKERFILE = "FROM node:20-bookworm\nWORKDIR /app\nCOPY server.js .\nCMD node server.js\n"
COMPOSE = """\
services:
  web:
    build: .
  admin:
    build: .
  other:
    build: .
    command: ["node", "admin.js"]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "server.js").write_text("require('http').createServer().listen(80)\n")
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    return tmp_path


def _findings(args: list[str]) -> list[dict[str, object]]:
    result = CliRunner().invoke(main, ["--isolated", "-f", "json", *args], catch_exceptions=False)
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def test_directory_run_reports_the_dockerfile_line_once_naming_the_services(project: Path) -> None:
    sig102 = [f for f in _findings(["."]) if f["rule"] == "SIG102"]
    assert [(f["path"], f["line"]) for f in sig102] == [("./Dockerfile", 4)]
    message = str(sig102[0]["message"])
    assert message.startswith("Shell-form CMD")  # the Dockerfile's own finding, with its fix
    assert message.endswith("It reaches service web, service admin too.")
    assert sig102[0]["fix_applicable"] is True


def test_the_service_that_overrides_the_cmd_is_not_named(project: Path) -> None:
    (finding,) = [f for f in _findings(["Dockerfile", "compose.yaml"]) if f["rule"] == "SIG102"]
    assert "service other" not in str(finding["message"])


def test_the_compose_file_alone_still_reports_each_service(project: Path) -> None:
    sig102 = [f for f in _findings(["compose.yaml"]) if f["rule"] == "SIG102"]
    assert sorted(str(f["message"]).split(":")[0] for f in sig102) == ["service admin", "service web"]
    assert {(f["path"], f["line"]) for f in sig102} == {("Dockerfile", 4)}


def test_the_dockerfile_alone_names_no_service(project: Path) -> None:
    (finding,) = [f for f in _findings(["Dockerfile"]) if f["rule"] == "SIG102"]
    assert "reaches" not in str(finding["message"])
