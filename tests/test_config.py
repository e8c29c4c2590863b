"""Configuration: discovery, every key, precedence (flags win), and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sigcheck import cli
from sigcheck.cli import main
from sigcheck.config import Config, ConfigError, FileIgnore, _parse, find_config, load_config
from sigcheck.findings import Severity
from sigcheck.lint import FileReport, LintOptions

SHELL_CMD = "FROM debian:bookworm-slim\nCOPY server /usr/local/bin/server\nCMD server --port 8080\n"
# SIG101 warning: an unknown base image, so sigcheck cannot tell which /bin/sh it has.
UNKNOWN_SHELL_ENTRYPOINT = "FROM mycorp/base:2.1\nCOPY server /app/server\nENTRYPOINT /app/server\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    _write(root / "Dockerfile", SHELL_CMD)
    _write(root / "web" / "Dockerfile", UNKNOWN_SHELL_ENTRYPOINT)
    monkeypatch.chdir(root)
    return root


def _run(args: list[str]) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(main, ["check", "-f", "json", *args])
    findings = json.loads(result.stdout)["findings"] if result.stdout.startswith("{") else []
    return result.exit_code, findings, result.stderr


def _rules(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The shell-form findings these tests are about (other rules may add an info or two)."""
    return [(f["path"], f["rule"], f["severity"]) for f in findings if f["rule"] in ("SIG101", "SIG102")]


# --- discovery -----------------------------------------------------------------------------


def test_walks_up_from_the_current_directory(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _write(project / ".sigcheck.toml", 'ignore = ["SIG102"]\n')
    monkeypatch.chdir(project / "web")
    assert find_config(str(project / "web")) == str(config)
    code, findings, _ = _run(["../Dockerfile", "Dockerfile"])
    assert _rules(findings) == [("Dockerfile", "SIG101", "warning")]
    assert code == 1


def test_pyproject_needs_a_sigcheck_table(project: Path) -> None:
    _write(project / "pyproject.toml", '[project]\nname = "sigcheck-user"\n')
    assert find_config(str(project)) is None
    _write(project / "pyproject.toml", '[project]\nname = "x"\n\n[tool.sigcheck]\nignore = ["SIG102"]\n')
    assert find_config(str(project)) == str(project / "pyproject.toml")
    code, findings, _ = _run(["Dockerfile"])
    assert (code, _rules(findings)) == (0, [])


def test_a_sigcheck_table_with_an_escaped_key_is_found(project: Path) -> None:
    """Files without the word are not parsed, but a quoted key may spell it with escapes."""
    for key in ("\\u0073igcheck", "\\U00000073igcheck", "\\x73igcheck"):
        _write(project / "pyproject.toml", f'[tool."{key}"]\nignore = ["SIG102"]\n')
        if key.startswith("\\x") and not _reads_toml_1_1():
            continue
        assert find_config(str(project)) == str(project / "pyproject.toml"), key


def _reads_toml_1_1() -> bool:
    """Whether the TOML reader sigcheck uses here takes \\x escapes (TOML 1.1)."""
    try:
        return bool(_parse("probe.toml", b'a = "\\x73"')["a"] == "s")
    except ConfigError:
        return False


def test_someone_elses_broken_pyproject_is_not_an_error(project: Path) -> None:
    """A pyproject.toml without the word sigcheck is not sigcheck's to judge, even when
    an escape in it means it has to be parsed; with the word, its error is reported."""
    _write(project / "pyproject.toml", '[project]\nname = "x"\npattern = "C:\\\\Users"\n[[broken\n')
    assert find_config(str(project)) is None
    code, _, _ = _run(["Dockerfile"])
    assert code == 1
    _write(project / "pyproject.toml", "[tool.sigcheck]\nignore = [\n")
    result = CliRunner().invoke(main, ["Dockerfile"])
    assert result.exit_code == 2
    assert "invalid TOML" in result.stderr


def test_sigcheck_toml_comes_before_pyproject_and_the_nearest_wins(project: Path) -> None:
    _write(project / "pyproject.toml", '[tool.sigcheck]\nignore = ["SIG101"]\n')
    _write(project / ".sigcheck.toml", 'ignore = ["SIG102"]\n')
    assert find_config(str(project)) == str(project / ".sigcheck.toml")
    _write(project / "web" / "pyproject.toml", '[tool.sigcheck]\nfailure-threshold = "none"\n')
    assert find_config(str(project / "web")) == str(project / "web" / "pyproject.toml")


def test_config_flag_and_isolated(project: Path, tmp_path: Path) -> None:
    _write(project / ".sigcheck.toml", 'ignore = ["SIG102"]\n')
    other = _write(tmp_path / "elsewhere.toml", 'ignore = ["SIG101"]\n')
    assert _rules(_run(["Dockerfile", "web/Dockerfile"])[1]) == [("web/Dockerfile", "SIG101", "warning")]
    assert _rules(_run(["--config", str(other), "Dockerfile", "web/Dockerfile"])[1]) == [
        ("Dockerfile", "SIG102", "error")
    ]
    assert len(_rules(_run(["--isolated", "Dockerfile", "web/Dockerfile"])[1])) == 2
    code, _, err = _run(["--isolated", "--config", str(other), "Dockerfile"])
    assert code == 2
    assert "--config and --isolated" in err


def test_explicit_pyproject_without_table_is_an_error(project: Path) -> None:
    _write(project / "pyproject.toml", '[project]\nname = "x"\n')
    code, _, err = _run(["--config", "pyproject.toml", "Dockerfile"])
    assert code == 2
    assert err.strip() == "sigcheck: pyproject.toml: no [tool.sigcheck] table"


# --- keys ----------------------------------------------------------------------------------


def test_ignore_takes_ids_and_names_and_the_flag_adds(project: Path) -> None:
    _write(project / ".sigcheck.toml", 'ignore = ["shell-form-cmd"]\n')
    assert _rules(_run(["Dockerfile", "web/Dockerfile"])[1]) == [("web/Dockerfile", "SIG101", "warning")]
    code, findings, _ = _run(["--ignore", "sig101,SIG301", "Dockerfile", "web/Dockerfile"])
    assert (code, findings) == (0, [])  # SIG301 (no-init) would add an info for /app/server


def test_severity_overrides_and_failure_threshold(project: Path) -> None:
    _write(project / ".sigcheck.toml", '[severity]\nSIG102 = "info"\nshell-form-entrypoint = "error"\n')
    code, findings, _ = _run(["Dockerfile", "web/Dockerfile"])
    assert _rules(findings) == [("Dockerfile", "SIG102", "info"), ("web/Dockerfile", "SIG101", "error")]
    assert code == 1
    _write(project / ".sigcheck.toml", 'failure-threshold = "error"\n')
    assert _run(["web/Dockerfile"])[0] == 0  # a warning does not reach "error"
    assert _run(["-t", "warning", "web/Dockerfile"])[0] == 1  # the flag wins
    _write(project / ".sigcheck.toml", 'failure-threshold = "none"\n')
    assert _run(["Dockerfile"])[0] == 0
    assert _run(["-t", "style", "Dockerfile"])[0] == 1


def test_per_file_ignores(project: Path) -> None:
    _write(project / "legacy" / "api" / "Dockerfile", SHELL_CMD)
    _write(project / "jobs" / "batch.dockerfile", SHELL_CMD)
    _write(
        project / ".sigcheck.toml",
        '[per-file-ignores]\n"legacy/**" = ["SIG102"]\n"*.dockerfile" = ["shell-form-cmd"]\n'
        '"web/Dockerfile" = ["SIG101"]\n',
    )
    _, findings, _ = _run(["."])
    assert _rules(findings) == [("./Dockerfile", "SIG102", "error")]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("Dockerfile", "a/b/Dockerfile", True),
        ("*.dockerfile", "svc/api.dockerfile", True),
        ("svc/*", "svc/Dockerfile", True),
        ("svc/*", "svc/a/Dockerfile", False),
        ("svc/**", "svc/a/Dockerfile", True),
        ("**/Dockerfile", "Dockerfile", True),
        ("**/Dockerfile", "x/y/Dockerfile", True),
        ("svc/", "svc/a/Dockerfile", True),
        ("Dockerfile.[!p]*", "Dockerfile.dev", True),
        ("Dockerfile.[!p]*", "Dockerfile.prod", False),
        ("/svc/Dockerfile", "svc/Dockerfile", False),
        ("svc/Dockerfile", "other/svc/Dockerfile", False),
    ],
)
def test_per_file_ignore_globs(tmp_path: Path, pattern: str, path: str, matches: bool) -> None:
    entry = FileIgnore(pattern, frozenset({"SIG102"}), str(tmp_path))
    assert entry.matches(str(tmp_path / path)) is matches


def test_target_and_assume_init(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[LintOptions] = []

    def fake_lint(
        files: list[str], options: LintOptions, show_progress: bool, workers: int = 1
    ) -> list[FileReport]:
        seen.append(options)
        return [FileReport(path) for path in files]

    monkeypatch.setattr(cli, "_lint_all", fake_lint)
    _write(project / ".sigcheck.toml", 'target = "prod"\nassume-init = true\n')
    _run(["Dockerfile"])
    _run(["--target", "dev", "--no-assume-init", "Dockerfile"])
    _run(["--isolated", "Dockerfile"])
    assert [(o.target, o.assume_init) for o in seen] == [("prod", True), ("dev", False), (None, False)]


def test_load_config_returns_everything(tmp_path: Path) -> None:
    path = _write(
        tmp_path / ".sigcheck.toml",
        'ignore = ["SIG203"]\nfailure-threshold = "info"\nassume-init = false\ntarget = "app"\n'
        '[severity]\nSIG402 = "error"\n[per-file-ignores]\n"ci/*" = ["SIG301", "no-init"]\n',
    )
    config = load_config(str(path))
    assert config == Config(
        path=str(path),
        ignore=frozenset({"SIG203"}),
        severity=(("SIG402", Severity.ERROR),),
        failure_threshold="info",
        per_file_ignores=(FileIgnore("ci/*", frozenset({"SIG301"}), str(tmp_path)),),
        assume_init=False,
        target="app",
    )


# --- errors: one line, exit 2 ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('ignroe = ["SIG102"]\n', "unknown key 'ignroe' (did you mean 'ignore'?)"),
        ("assume_init = true\n", "unknown key 'assume_init' (did you mean 'assume-init'?)"),
        ('ignore = ["SIG999"]\n', "ignore: unknown rule 'SIG999'"),
        ('ignore = "SIG102"\n', "ignore: expected a list of rule IDs or names"),
        (
            '[severity]\nSIG102 = "fatal"\n',
            "severity: SIG102 = 'fatal' is not one of error, warning, info, style",
        ),
        ('[severity]\nSIG9 = "error"\n', "severity: unknown rule 'SIG9'"),
        ('failure-threshold = "high"\n', "failure-threshold = 'high' is not one of error, warning"),
        (
            '[per-file-ignores]\n"*.dockerfile" = ["nope"]\n',
            "per-file-ignores: '*.dockerfile': unknown rule 'nope'",
        ),
        ('assume-init = "yes"\n', "assume-init = 'yes' is not true or false"),
        ("target = 3\n", "target = 3 is not a stage name"),
        ("ignore = [\n", "invalid TOML"),
    ],
)
def test_bad_configuration_is_a_one_line_error(project: Path, text: str, message: str) -> None:
    _write(project / ".sigcheck.toml", text)
    code, findings, err = _run(["Dockerfile"])
    assert code == 2
    assert findings == []
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("sigcheck: .sigcheck.toml: ")
    assert message in err
    with pytest.raises(ConfigError):
        load_config(str(project / ".sigcheck.toml"))


def test_pyproject_errors_name_the_table(project: Path) -> None:
    _write(project / "pyproject.toml", '[tool.sigcheck]\nformat = "sarif"\n')
    code, _, err = _run(["Dockerfile"])
    assert code == 2
    assert err.startswith("sigcheck: pyproject.toml: [tool.sigcheck]: unknown key 'format'")


def test_unknown_rule_on_the_command_line(project: Path) -> None:
    code, _, err = _run(["--ignore", "SIG102,SIG999", "Dockerfile"])
    assert code == 2
    assert "unknown rule 'SIG999'" in err


def test_assume_init_silences_no_init(project: Path) -> None:
    _write(project / "node" / "Dockerfile", 'FROM node:20-bookworm-slim\nCMD ["node", "server.js"]\n')
    assert [f["rule"] for f in _run(["node/Dockerfile"])[1]] == ["SIG301"]
    assert _run(["--assume-init", "node/Dockerfile"])[1] == []
    _write(project / ".sigcheck.toml", "assume-init = true\n")
    assert _run(["node/Dockerfile"])[1] == []
    assert [f["rule"] for f in _run(["--no-assume-init", "node/Dockerfile"])[1]] == ["SIG301"]


def test_cli_and_config_agree_on_thresholds() -> None:
    from sigcheck.config import THRESHOLDS

    assert cli.THRESHOLDS == THRESHOLDS
