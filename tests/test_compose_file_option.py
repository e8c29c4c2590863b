"""`--file a.yml --file b.yml`: one Compose project merged in order, as `docker compose -f`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sigcheck.cli import main

BASE = """\
services:
  worker:
    image: ruby:3.3
    command: ["sidekiq", "-t", "25"]
"""
PROD = """\
services:
  worker:
    stop_grace_period: 40s
"""


def _run(args: list[str]) -> tuple[int, list[tuple[str, str, int]]]:
    result = CliRunner().invoke(main, ["--isolated", "-f", "json", *args], catch_exceptions=False)
    document = json.loads(result.stdout)
    return result.exit_code, [(f["rule"], f["path"], f["line"]) for f in document["findings"]]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "compose.yaml").write_text(BASE)
    (tmp_path / "compose.prod.yaml").write_text(PROD)
    return tmp_path


def test_one_file_keeps_the_default_grace_period(project: Path) -> None:
    # At the service, where the missing stop_grace_period goes (rules/SIG602.md).
    assert _run(["--file", "compose.yaml"]) == (1, [("SIG602", "compose.yaml", 2)])


def test_later_files_override_earlier_ones(project: Path) -> None:
    assert _run(["--file", "compose.yaml", "--file", "compose.prod.yaml"]) == (0, [])


def test_the_order_is_the_merge_order(project: Path) -> None:
    (project / "compose.fast.yaml").write_text(PROD.replace("40s", "5s"))
    merged = ["--file", "compose.yaml", "--file", "compose.prod.yaml", "--file", "compose.fast.yaml"]
    assert _run(merged) == (1, [("SIG602", "compose.fast.yaml", 3)])  # the grace period that wins
    reordered = ["--file", "compose.yaml", "--file", "compose.fast.yaml", "--file", "compose.prod.yaml"]
    assert _run(reordered) == (0, [])


def test_a_project_and_paths_in_one_run(project: Path) -> None:
    (project / "Dockerfile").write_text("FROM node:20-bookworm\nCMD node server.js\n")
    code, findings = _run(["--file", "compose.yaml", "--file", "compose.prod.yaml", "Dockerfile"])
    assert findings == [("SIG102", "Dockerfile", 2)]
    assert code == 1


def test_no_path_and_no_file_is_a_usage_error(project: Path) -> None:
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2
    assert "--file" in result.output
