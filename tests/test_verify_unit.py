"""`sigcheck verify` without an engine: the verdict table, parsing the engine's output,
and the command's errors. tests/test_engine_verify.py runs it for real."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sigcheck.cli import main
from sigcheck.findings import Finding, Severity
from sigcheck.lint import lint_text
from sigcheck.verify.engine import EngineError, Process, _parse_top, find_engine
from sigcheck.verify.observe import Observation, _timestamp
from sigcheck.verify.verdict import compare, effect, kill_predictors, static_findings

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _finding(rule: str, severity: Severity) -> Finding:
    return Finding(rule, rule.lower(), severity, "Dockerfile", 1, 1, 1, 2, "message")


def _observation(outcome: str, exit_code: int = 0, seconds: float = 0.2) -> Observation:
    return Observation(
        engine="podman", image="app", image_id="sha256:0123456789abcdef", args=(), signal="SIGTERM",
        signal_source="engine default", timeout=3, waited=3.0, ready=None,
        processes=(Process(1, 0, "root", "/bin/sh -c app"), Process(6, 1, "root", "app")),
        exited_early=outcome == "exited-early", seconds=seconds, exit_code=exit_code,
        killed=outcome == "sigkill", oom_killed=False, engine_notes=(), output=(),
    )  # fmt: skip


def test_error_findings_of_families_1_to_4_predict_a_sigkill() -> None:
    findings = [
        _finding("SIG102", Severity.ERROR),
        _finding("SIG201", Severity.WARNING),  # it depends: no prediction
        _finding("SIG301", Severity.INFO),
        _finding("SIG402", Severity.ERROR),
        _finding("SIG502", Severity.ERROR),  # the analysis could not see: says nothing about the stop
        _finding("SIG001", Severity.ERROR),
    ]
    assert [f.rule for f in kill_predictors(findings)] == ["SIG102", "SIG402"]


@pytest.mark.parametrize(
    ("rules", "outcome", "result"),
    [
        (["SIG102"], "sigkill", "confirmed"),
        ([], "clean", "confirmed"),
        ([], "nonzero", "confirmed"),  # stopped on the signal: no SIGKILL, as predicted
        (["SIG201"], "clean", "disagreement"),
        ([], "sigkill", "disagreement"),
        (["SIG201"], "exited-early", "unverified"),
    ],
)
def test_verdict(rules: list[str], outcome: str, result: str) -> None:
    observation = _observation(
        outcome, exit_code=137 if outcome == "sigkill" else 1 if outcome == "nonzero" else 0
    )
    verdict = compare([_finding(rule, Severity.ERROR) for rule in rules], observation)
    assert (verdict.result, verdict.observed) == (result, outcome)
    assert verdict.predicted == ("sigkill" if rules else "clean")
    if result == "disagreement":
        assert (rules[0] if rules else "no error finding") in verdict.detail


def test_an_exit_at_once_is_a_different_prediction() -> None:
    """SIG204: PID 1 exits at once and the kernel SIGKILLs the app, so the container stops fast."""
    abrupt = _finding("SIG204", Severity.ERROR)._replace(at_once=True)
    assert effect(abrupt) == "abrupt"
    assert effect(_finding("SIG201", Severity.ERROR)) == "sigkill"
    fast = compare([abrupt], _observation("clean"))
    assert (fast.result, fast.predicted) == ("confirmed", "abrupt")
    assert "its output can" in fast.detail
    slow = compare([abrupt], _observation("sigkill", 137, 3.0))
    assert (slow.result, slow.predicted) == ("disagreement", "abrupt")
    # With an engine SIGKILL predicted too, that is the prediction for the container.
    both = compare([abrupt, _finding("SIG102", Severity.ERROR)], _observation("sigkill", 137, 3.0))
    assert (both.result, both.predicted) == ("confirmed", "sigkill")


_RUN_SH = "COPY --chmod=755 <<'EOF' /run.sh\n#!/bin/sh\n{body}EOF\n"


@pytest.mark.parametrize(
    ("dockerfile", "rule", "predicted"),
    [
        # A trap that exits without signalling the app: PID 1 exits at once.
        ("FROM debian:bookworm-slim\n" + _RUN_SH.format(body="app --serve &\ntrap 'exit 0' TERM\nwait\n")
         + 'ENTRYPOINT ["/run.sh"]\n', "SIG204", "abrupt"),
        # tini forwards to a shell that dies of it: tini exits, the kernel kills the app.
        ("FROM debian:bookworm-slim\nRUN apt-get install -y tini\n" + _RUN_SH.format(body="app --serve\n")
         + 'ENTRYPOINT ["/usr/bin/tini", "--", "/run.sh"]\n', "SIG304", "abrupt"),
        # pnpm relays and exits first; yarn 1 exits without relaying.
        ('FROM node:20-bookworm-slim\nCMD ["pnpm", "start"]\n', "SIG203", "abrupt"),
        ('FROM node:20-bookworm-slim\nCMD ["yarn", "start"]\n', "SIG203", "abrupt"),
        # npm keeps running and the app never gets the signal: the engine's SIGKILL.
        ('FROM node:20-bookworm-slim\nCMD ["npm", "start"]\n', "SIG203", "sigkill"),
        # The shell stays PID 1 and ignores SIGTERM.
        ("FROM debian:bookworm-slim\n" + _RUN_SH.format(body="app --serve\n") + 'ENTRYPOINT ["/run.sh"]\n',
         "SIG201", "sigkill"),
    ],
)  # fmt: skip
def test_rules_say_when_the_stop_kills_at_once(dockerfile: str, rule: str, predicted: str) -> None:
    """The prediction comes from what the rule knows (`Finding.at_once`), not its wording."""
    findings = [f for f in lint_text(dockerfile, "Dockerfile") if f.rule == rule]
    assert findings, lint_text(dockerfile, "Dockerfile")
    assert {effect(f) for f in findings} == {predicted}


def test_no_static_side_is_unverified() -> None:
    verdict = compare(None, _observation("sigkill", 137, 3.0))
    assert (verdict.result, verdict.predicted) == ("unverified", None)
    assert _observation("sigkill").exit_status == 1
    assert _observation("clean").exit_status == 0
    assert _observation("nonzero", 1).exit_status == 1
    assert _observation("exited-early").exit_status == 2


def test_static_findings_lint_the_dockerfile_and_its_target() -> None:
    assert static_findings("app", None) is None
    side = static_findings("app", str(FIXTURES / "sig201-seed-runsh-without-exec" / "Dockerfile"))
    assert side is not None
    assert side.error is None
    assert [f.rule for f in kill_predictors(side.findings)] == ["SIG201"]
    missing = static_findings("app", str(FIXTURES / "no-such" / "Dockerfile"))
    assert missing is not None
    assert missing.error is not None


def test_engine_timestamps_with_nanoseconds_and_zones() -> None:
    assert _timestamp("2026-12-01T08:40:14.205877299Z") == pytest.approx(1796114414.205877)
    assert _timestamp("2026-12-01T09:40:14.5+01:00") == pytest.approx(1796114414.5)
    assert _timestamp("0001-01-01T00:00:00Z") is None
    assert _timestamp("") is None


def test_top_output_keeps_the_command_line_whole() -> None:
    text = "PID  PPID  USER  COMMAND\n1  0  root  /bin/sh -c sleep 1000\n6  1  root  sleep 1000\n"
    rows = _parse_top(text, lambda pid: pid)
    assert rows == [Process(1, 0, "root", "/bin/sh -c sleep 1000"), Process(6, 1, "root", "sleep 1000")]
    # docker top shows host PIDs: PID 1's parent (the shim) is outside the container.
    host = _parse_top("PID PPID USER CMD\n900 850 root app\n", {900: 1, 850: 850}.__getitem__)
    assert host == [Process(1, 0, "root", "app")]


def _fake_engine(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_find_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError, match="neither docker nor podman"):
        find_engine()
    with pytest.raises(EngineError, match="podman is not on PATH"):
        find_engine("podman")
    # A docker client without a daemon next to a working podman: podman.
    _fake_engine(tmp_path, "docker", "echo 'Cannot connect to the Docker daemon' >&2; exit 1\n")
    _fake_engine(tmp_path, "podman", "echo 4.3.1\n")
    assert find_engine().name == "podman"
    assert find_engine("docker").name == "docker"


def _verify(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sigcheck", "verify", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip


def test_help_lists_verify_and_its_options() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "verify" in result.output
    result = runner.invoke(main, ["verify", "--help"])
    assert result.exit_code == 0
    for option in (
        "--engine",
        "--timeout",
        "--signal",
        "--settle",
        "--ready-log",
        "--format",
        "--dockerfile",
    ):
        assert option in result.output


def test_no_engine_is_exit_2_with_the_reason(tmp_path: Path) -> None:
    proc = _verify(["app:1", "-f", "json"], {"PATH": str(tmp_path)})
    assert proc.returncode == 2
    assert "neither docker nor podman" in proc.stderr
    assert json.loads(proc.stdout)["error"].startswith("neither docker nor podman")


def test_engine_error_is_the_engines_message(tmp_path: Path) -> None:
    _fake_engine(
        tmp_path, "podman", "echo 'Error: inspecting object: app:1: image not known' >&2; exit 125\n"
    )
    proc = _verify(["app:1", "--engine", "podman"], {"PATH": str(tmp_path)})
    assert proc.returncode == 2
    assert "verify never pulls" in proc.stderr
    assert "image not known" in proc.stderr


def test_usage_errors_run_nothing(tmp_path: Path) -> None:
    # A fake engine that records every call: none may happen for a usage error.
    log = tmp_path / "calls"
    _fake_engine(tmp_path, "podman", f'echo "$@" >> {log}\nexit 1\n')
    env = {"PATH": str(tmp_path)}
    assert _verify(["app:1", "--signal", "SIGNOPE"], env).returncode == 2
    assert _verify(["app:1", "--ready-log", "("], env).returncode == 2
    proc = _verify(["app:1", "--engine", "podman", "--dockerfile", str(tmp_path / "Dockerfile")], env)
    assert proc.returncode == 2
    assert "Dockerfile" in proc.stderr
    assert _verify(["app:1", "--target", "prod"], env).returncode == 2
    assert not log.exists()
