"""The command line: `check` as the default command, `rules`, `explain`, several reports in
one run, the progress bar, and a lean start-up."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sigcheck import __version__, cli
from sigcheck.cli import main
from sigcheck.lint import LintOptions
from sigcheck.rules import ALL_RULES

SHELL_CMD = "FROM debian:bookworm-slim\nCOPY server /usr/local/bin/server\nCMD server --port 8080\n"
CLEAN = "FROM nginx:1.27\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "Dockerfile").write_text(SHELL_CMD, encoding="utf-8")
    (tmp_path / "clean.dockerfile").write_text(CLEAN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout, result.stderr


# --- the default command -------------------------------------------------------------------


def test_paths_alone_mean_check(workdir: Path) -> None:
    assert _run(["-f", "json", "Dockerfile"]) == _run(["check", "-f", "json", "Dockerfile"])
    code, out, _ = _run(["-f", "json", "Dockerfile", "clean.dockerfile"])
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["SIG102"]
    assert _run(["clean.dockerfile"])[0] == 0


def test_a_file_named_like_a_command_is_still_lintable(workdir: Path) -> None:
    (workdir / "rules").write_text(SHELL_CMD, encoding="utf-8")
    code, out, _ = _run(["check", "rules"])
    assert code == 1
    assert "rules\n  3:1  error  SIG102" in out
    assert _run(["./rules"])[0] == 1
    assert _run(["--format", "text", "rules"])[0] == 1  # options first: still `check`
    code, out, _ = _run(["rules"])
    assert code == 0
    assert "SIG102" in out
    assert "3:1" not in out


def test_no_path_is_a_usage_error(workdir: Path) -> None:
    code, _, err = _run([])
    assert code == 2
    assert "Missing argument 'PATH...'" in err


def test_help_and_version(workdir: Path) -> None:
    code, out, _ = _run(["--help"])
    assert code == 0
    assert "sigcheck [check] [OPTIONS] PATH..." in out
    for command in ("check", "rules", "explain"):
        assert command in out
    code, out, _ = _run(["check", "--help"])
    assert code == 0
    for option in ("--format", "--output", "--config", "--isolated", "--ignore", "--assume-init", "--target"):
        assert option in out
    code, out, _ = _run(["--version"])
    assert (code, out.split()[-1]) == (0, __version__)


# --- rules and explain ---------------------------------------------------------------------


def test_rules_lists_every_rule(workdir: Path) -> None:
    code, out, _ = _run(["rules"])
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(ALL_RULES)
    for line, rule in zip(lines, ALL_RULES, strict=True):
        assert line.split()[:3] == [rule.id, rule.name, rule.severity.label]
        assert line.endswith(rule.summary)
    code, out, _ = _run(["rules", "--format", "json"])
    rows = json.loads(out)
    assert [r["rule"] for r in rows] == [r.id for r in ALL_RULES]
    assert set(rows[0]) == {"rule", "name", "severity", "summary", "url"}


def test_explain_prints_the_page(workdir: Path) -> None:
    page = (Path(__file__).resolve().parent.parent / "rules" / "SIG102.md").read_text(encoding="utf-8")
    code, out, _ = _run(["explain", "SIG102"])
    assert code == 0
    assert out.startswith("# SIG102: shell-form-cmd\n")
    assert "## What it does" in out
    assert len(out) >= len(page) * 0.9
    assert _run(["explain", "shell-form-cmd"]) == (code, out, "")
    assert _run(["explain", "sig102"])[1] == out


def test_explain_on_a_terminal_renders_markdown(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    code, out, _ = _run(["explain", "SIG102"])
    assert code == 0
    assert "What it does" in out
    assert "## What it does" not in out  # rendered, not raw
    assert "\x1b[" in out


def test_explain_without_a_page_falls_back_to_the_summary(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sigcheck.docs

    monkeypatch.setattr(sigcheck.docs, "PAGE_DIRS", (str(workdir / "nowhere"),))
    code, out, _ = _run(["explain", "SIG102"])
    assert code == 0
    rule = next(r for r in ALL_RULES if r.id == "SIG102")
    assert rule.summary in out
    assert "https://github.com/sigcheck/sigcheck/blob/main/rules/SIG102.md" in out


def test_explain_unknown_rule(workdir: Path) -> None:
    code, out, err = _run(["explain", "SIG999"])
    assert (code, out) == (2, "")
    assert "unknown rule 'SIG999'" in err


# --- reports -------------------------------------------------------------------------------


def test_several_reports_in_one_run(workdir: Path) -> None:
    code, out, _ = _run(
        ["-f", "text", "-f", "sarif:out/sigcheck.sarif", "-f", "gitlab:gl.json", "-f", "json:f.json", "."]
    )
    assert code == 1
    assert "SIG102 shell-form-cmd" in out
    assert out.rstrip().splitlines()[-1].startswith("2 files, 1 error")
    sarif = json.loads((workdir / "out" / "sigcheck.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"][0]["ruleId"] == "SIG102"
    assert json.loads((workdir / "gl.json").read_text(encoding="utf-8"))[0]["check_name"] == "SIG102"
    assert json.loads((workdir / "f.json").read_text(encoding="utf-8"))["findings"][0]["rule"] == "SIG102"


def test_output_file(workdir: Path) -> None:
    code, out, _ = _run(["-f", "sarif", "-o", "report.sarif", "Dockerfile"])
    assert (code, out) == (1, "")
    assert json.loads((workdir / "report.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    code, out, _ = _run(["-f", "text", "-o", "report.txt", "-f", "json:-", "Dockerfile"])
    assert code == 1
    assert json.loads(out)["findings"][0]["rule"] == "SIG102"
    text = (workdir / "report.txt").read_text(encoding="utf-8")
    assert "\x1b[" not in text
    assert "3:1  error  SIG102" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "json", "-f", "sarif"], "would both write to standard output"),
        (["-f", "json:a", "-f", "sarif:a"], "would both write to file 'a'"),
        (["-f", "xml"], "'xml' is not one of text, json, sarif, github, gitlab"),
        (["-f", "sarif:"], "names no file after ':'"),
        (["-f", "sarif:a", "-o", "b"], "--output names no report"),
    ],
)
def test_report_usage_errors(workdir: Path, args: list[str], message: str) -> None:
    code, out, err = _run([*args, "Dockerfile"])
    assert (code, out) == (2, "")
    assert message in err


def test_unwritable_report_is_exit_2_and_the_others_are_written(workdir: Path) -> None:
    code, out, err = _run(
        ["-f", "text", "-f", "sarif:Dockerfile/out.sarif", "-f", "json:ok.json", "Dockerfile"]
    )
    assert code == 2
    assert "SIG102" in out
    assert "Dockerfile/out.sarif: cannot write the report" in err
    assert (workdir / "ok.json").is_file()


# --- progress ------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_for_a_person_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", _Terminal())
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert cli._want_progress([("text", None)])
    assert cli._want_progress([("text", None), ("sarif", "out.sarif")])
    assert cli._want_progress([("json", "out.json")])
    for fmt in ("json", "sarif", "gitlab", "github"):
        assert not cli._want_progress([(fmt, None)])
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not cli._want_progress([("text", None)])


def test_progress_bar_appears_after_the_delay(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = []
    for n in range(5):
        path = workdir / f"svc{n}.dockerfile"
        path.write_text(SHELL_CMD, encoding="utf-8")
        files.append(str(path))
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(cli, "PROGRESS_DELAY", 0.0)
    reports = cli._lint_all(files, LintOptions(), show_progress=True)
    assert [r.path for r in reports] == files
    assert all(r.findings for r in reports)
    assert "linting" in terminal.getvalue()
    # Fast runs and non-terminals stay quiet.
    quiet = _Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    monkeypatch.setattr(cli, "PROGRESS_DELAY", 60.0)
    cli._lint_all(files, LintOptions(), show_progress=True)
    assert quiet.getvalue() == ""


# --- start-up ------------------------------------------------------------------------------


def test_start_up_imports_stay_lean(tmp_path: Path) -> None:
    """rich, jsonschema, the TOML reader and hashlib are loaded only where they are used;
    a plain `CMD app args` needs no shell parser; records are NamedTuples or plain classes,
    not dataclasses (~0.5 ms each to define)."""
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(SHELL_CMD, encoding="utf-8")
    heavy = (
        "rich",
        "jsonschema",
        "tomllib",
        "tomli",
        "hashlib",
        "sigcheck.report.sarif_format",
        "tree_sitter",
        "dataclasses",
        "pathlib",
        # The other commands' machinery: the language server (pygls and lsprotocol cost
        # ~0.5 s of CPU to import), the image reader and the deployment lint.
        "pygls",
        "lsprotocol",
        "cattrs",
        "sigcheck.server",
        "sigcheck.load.image",
        "sigcheck.deploy_lint",
        "sigcheck.model.drain",  # SIG602's facts: only a deployment has a grace period of its own
    )
    probe = (
        "import sys\n"
        "from sigcheck.cli import main\n"
        "try:\n"
        "    main(['check', sys.argv[1]])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "GITHUB_WORKSPACE")}
    result = subprocess.run(
        [sys.executable, "-c", probe, str(dockerfile)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "SIG102" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_the_command_exits_fast_without_losing_anything(tmp_path: Path) -> None:
    """`run` skips the interpreter's teardown, but the exit code, every byte of a report
    larger than a pipe buffer (from worker processes, which must be joined) and the
    atexit handlers must all be as with a normal exit."""
    files = []
    for index in range(cli.PARALLEL_FROM + 10):
        path = tmp_path / f"{index}.dockerfile"
        path.write_text(SHELL_CMD, encoding="utf-8")
        files.append(str(path))
    probe = (
        "import atexit, os, sys\n"
        "atexit.register(lambda: sys.stderr.write('atexit handler ran\\n'))\n"
        "real_exit, parent = os._exit, os.getpid()\n"
        "def fast_exit(code):\n"
        "    if os.getpid() == parent:  # forked workers end with os._exit too\n"
        "        sys.stderr.write('fast exit\\n')\n"
        "        sys.stderr.flush()\n"
        "    real_exit(code)\n"
        "os._exit = fast_exit\n"
        "from sigcheck.cli import run\n"
        "sys.argv[0] = 'sigcheck'\n"
        "run()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "--isolated", "--jobs", "2", "-f", "json", *files],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == "atexit handler ran\nfast exit\n"
    report = json.loads(result.stdout)
    assert len(result.stdout) > 65536
    assert {f["path"] for f in report["findings"]} == set(files)
    usage = subprocess.run(
        [sys.executable, "-m", "sigcheck", "--no-such-option"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2
    assert "No such option" in usage.stderr


# --- parallel linting ----------------------------------------------------------------------


def test_jobs_give_the_same_report_as_one_process() -> None:
    """--jobs spreads files over processes; the report must not depend on it."""
    root = Path(__file__).resolve().parent.parent / "fixtures"
    files = sorted(str(p) for p in root.glob("*/Dockerfile"))[:40]
    assert len(files) >= 20
    outputs = []
    for jobs in ("1", "3"):
        run = subprocess.run(
            [sys.executable, "-m", "sigcheck", "-f", "json", "-t", "none", "--jobs", jobs, *files],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert run.returncode in (0, 2), run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["findings"], "the fixtures must produce findings to compare"


def test_workers_default_to_one_for_a_few_files() -> None:
    assert cli._workers(0, 3) == 1
    assert cli._workers(0, cli.PARALLEL_FROM) >= 1
    assert cli._workers(4, 2) == 2
