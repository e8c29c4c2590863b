"""`--fix` and `--diff`: only safe fixes, applied byte for byte, proven afterwards.

- fixtures/fix/<case>/: a `before/` tree, the `after/` tree `sigcheck --fix` must
  leave (contents and file modes), and fix.json (`description`; `fixed`: rules with
  no finding after, the first of them with a safe fix before; `argv`: the exec-form value
  BuildKit must read from the result; `unchanged`: nothing may change). Every
  case is also fixed a second time (nothing may change) and parsed by BuildKit.
  tests/test_parser_parity.py compares both trees with BuildKit line by line.
- A property test: for generated shell-form commands (words with quotes and
  escapes), the exec-form array `--fix` writes equals the argv `sh -c` executes
  (dash, bash and busybox sh, run for real on the generated strings).
- `--diff`: a unified diff that `git apply` and `patch -p1` take, and its exit codes.
- `--fix` on a copy of the whole fixture corpus leaves no SIG1xx/SIG2xx error that
  has a safe fix, and a second run changes nothing.
- Runtime (marker `runtime`): a fixed entry script and a fixed shell-form CMD make
  the app PID 1, and it now gets SIGTERM (tests/runtime.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigcheck.cli import main
from sigcheck.findings import Edit, Finding, Severity
from sigcheck.fix import apply_edits, plan_fixes, unified_diff, write_fixes
from sigcheck.lint import LintOptions, lint_file, lint_text
from sigcheck.load.dockerfile import parse_dockerfile
from sigcheck.shell.argv import plain_argv
from sigcheck.shell.exec_point import exec_insertable

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "fixtures" / "fix"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir()) if CASES_DIR.is_dir() else []
# A directory that does not exist: no build context is read.
NOWHERE = "/nonexistent-sigcheck-fix/Dockerfile"


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout, result.stderr


def _meta(case: str) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((CASES_DIR / case / "fix.json").read_text(encoding="utf-8"))
    return meta


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below root: (content, permission bits)."""
    found: dict[str, tuple[bytes, int]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mode & 0o7777)
    return found


def _buildkit() -> Any:
    return pytest.importorskip("dockerfile")


def _exec_value(text: str, keyword: str) -> list[str]:
    """BuildKit's reading of the last KEYWORD instruction: its JSON elements."""
    commands = [c for c in _buildkit().parse_string(text) if c.cmd.upper() == keyword]
    assert commands, f"no {keyword} in {text!r}"
    assert commands[-1].json, f"{keyword} is not exec form: {commands[-1].original!r}"
    return list(commands[-1].value)


# --- the before/after cases ------------------------------------------------------------------


def test_there_are_cases_for_every_safe_fix_kind() -> None:
    fixed = {rule for case in CASES for rule in _meta(case)["fixed"]}
    assert fixed >= {"SIG101", "SIG102", "SIG103", "SIG104", "SIG201", "SIG203", "SIG402"}


@pytest.mark.parametrize("case", CASES)
def test_fix_case(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meta = _meta(case)
    before, after = CASES_DIR / case / "before", CASES_DIR / case / "after"
    work = tmp_path / case
    shutil.copytree(before, work)
    monkeypatch.chdir(work)
    findings = lint_file("Dockerfile").findings
    for rule in meta["fixed"][:1]:  # later ones may appear only once the first is fixed
        assert any(f.rule == rule and f.fix_safe for f in findings), f"{rule} has no safe fix before"

    code, _, err = _run(["--isolated", "--fix", "Dockerfile"])
    assert code in (0, 1), err
    assert _tree(work) == _tree(after), meta["description"]
    if meta.get("unchanged"):
        assert _tree(work) == _tree(before)
        assert "fixed" not in err

    # Idempotent: a second --fix finds nothing to do.
    code, _, err = _run(["--isolated", "--fix", "Dockerfile"])
    assert "fixed" not in err
    assert _tree(work) == _tree(after)

    report = lint_file("Dockerfile")
    assert report.error is None
    assert not {f.rule for f in report.findings} & set(meta["fixed"]), [f.rule for f in report.findings]
    text = (work / "Dockerfile").read_text(encoding="utf-8")
    _buildkit().parse_string(text)  # BuildKit accepts the result
    for keyword, argv in meta.get("argv", {}).items():
        assert _exec_value(text, keyword) == argv


@pytest.mark.parametrize("case", CASES)
def test_case_is_well_formed(case: str) -> None:
    meta = _meta(case)
    assert set(meta) <= {"description", "fixed", "argv", "unchanged"}
    assert meta["description"].strip()
    assert (CASES_DIR / case / "before" / "Dockerfile").is_file()
    assert (CASES_DIR / case / "after" / "Dockerfile").is_file()
    assert set(_tree(CASES_DIR / case / "before")) == set(_tree(CASES_DIR / case / "after"))


# --- exec form equals what sh -c runs --------------------------------------------------------

_BARE = "abcxyzABCXYZ0189_./:=+,@%-"
_SPECIAL = " \"'\\$`*?[]~#{}!&|;<>()\t^"
_SHELLS = [s for s in ("/bin/sh", "bash", "busybox") if shutil.which(s.split("/")[-1]) or os.path.exists(s)]


def _shell_argv(shell: str, script: str) -> list[str]:
    if shell == "busybox":
        return ["busybox", "sh", "-c", script]
    return [shell, "-c", script]


def _sh_words(shell: str, command: str) -> list[str]:
    """The words `sh -c` makes of COMMAND: run `printf '%s\\0' COMMAND` for real (these are
    generated test strings, never user input)."""
    run = subprocess.run(
        _shell_argv(shell, "printf '%s\\0' " + command),
        capture_output=True,
        timeout=10,
        check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"},
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]


_single = st.text(alphabet=_BARE + _SPECIAL.replace("'", ""), max_size=6).map(lambda s: f"'{s}'")
_double_part = st.one_of(
    st.text(alphabet=_BARE + " '*?[]~#{}!&|;<>()\t", min_size=1, max_size=4),
    st.sampled_from(['\\"', "\\\\", "\\$", "\\`", "\\a", "\\'", "\\ "]),
)
_double = st.lists(_double_part, max_size=4).map(lambda parts: '"' + "".join(parts) + '"')
_escaped = st.sampled_from(list(_SPECIAL + "ab")).map(lambda c: "\\" + c)
_bare = st.text(alphabet=_BARE, min_size=1, max_size=6)
_word = st.lists(st.one_of(_bare, _single, _double, _escaped), min_size=1, max_size=4).map("".join)
_command_name = st.sampled_from(
    ["app", "/usr/local/bin/app", "./run", "python3", "'my app'", '"node"', "g\\unicorn"]
)
_command = st.tuples(
    _command_name, st.lists(st.tuples(st.sampled_from([" ", "  ", "\t"]), _word), max_size=5)
).map(lambda t: t[0] + "".join(sep + word for sep, word in t[1]))

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(_command)
def test_exec_form_fix_is_the_argv_sh_runs(command: str) -> None:
    text = f"FROM debian:bookworm-slim\nCMD {command}\n"
    shell_string = next(c for c in _buildkit().parse_string(text) if c.cmd.upper() == "CMD").value[0]
    (finding,) = [f for f in lint_text(text, NOWHERE) if f.rule == "SIG102"]
    if finding.edit is None:
        # Only when the Dockerfile line did not keep the command (`app \ ` ends in a continuation).
        assert shell_string != command, f"no safe fix for {shell_string!r}"
        return
    fixed, applied, skipped = apply_edits(text, [finding.edit])
    assert applied
    assert not skipped
    (cmd,) = [c for c in _buildkit().parse_string(fixed) if c.cmd.upper() == "CMD"]
    if cmd.json:
        argv = list(cmd.value)
        assert finding.fix == f"CMD {json.dumps(argv, ensure_ascii=False)}"
    else:  # kept the shell (a word it must unquote, e.g. an escaped tab): `exec` was added
        assert cmd.value[0] == "exec " + shell_string
        argv = _sh_words("/bin/sh", cmd.value[0])[1:]
    for shell in _SHELLS:
        assert argv == _sh_words(shell, shell_string), (shell, shell_string)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_bare, _single, _double, _escaped, st.sampled_from(list(_SPECIAL))), max_size=8))
def test_plain_argv_never_guesses(parts: list[str]) -> None:
    """Any string: plain_argv either refuses it or splits it exactly as dash does, with
    the command name in first place (a builtin, keyword or assignment is refused)."""
    command = "app " + "".join(parts)
    words = plain_argv(command)
    if words is not None:
        assert words == _sh_words("/bin/sh", command)


@pytest.mark.parametrize(
    "command",
    [
        "app $HOME",
        'app "$HOME"',
        "app `id`",
        "app *.txt",
        "app ~/x",
        "app {a,b}",
        "app # comment",
        "app > log",
        "app && other",
        "app | tee log",
        "app &",
        "FOO=1 app",
        "echo hi",
        "cd /app",
        "time app",
        "exec -a name app",
        "app 'unterminated",
        "app \\",
    ],
)
def test_plain_argv_refuses_what_needs_a_shell(command: str) -> None:
    assert plain_argv(command) is None


def test_exec_keeps_a_prefixed_assignment() -> None:
    """`FOO=1 app` becomes `FOO=1 exec app`: every shell exports FOO to the exec'd app."""
    for shell in _SHELLS:
        run = subprocess.run(
            _shell_argv(shell, "FOO=1 exec env"), capture_output=True, text=True, check=False
        )
        assert "FOO=1" in run.stdout.splitlines(), shell


@pytest.mark.parametrize(
    ("script", "command", "ok"),
    [
        ("a && app", "app", True),
        ("true; app", "app", True),
        ("app >log 2>&1", "app", True),
        ("{ a; app; }", "app", True),
        ("if [ -n x ]; then app; fi", "app", True),
        ("case $1 in w) app ;; esac", "app", True),
        ("a\napp\n# done\n", "app", True),
        ("app || true", "app", False),
        ("(app)", "app", False),
        ("app &", "app", False),
        ("a | app", "app", False),
        ("! app", "app", False),
        ("trap 'rm -f x' EXIT; app", "app", False),
        ("while true; do app; done", "app", False),
        ("f() { app; }; f", "app", False),
        ("app; cleanup", "app", False),
        ("if app; then b; fi", "app", False),
        ("{ a; app; } >log", "app", False),
    ],
)
def test_exec_insertable(script: str, command: str, ok: bool) -> None:
    at = len(script.encode()[: script.encode().index(command.encode())])
    assert exec_insertable(script, at) is ok


# --- what gets no edit -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dockerfile", "rule"),
    [
        ("FROM debian:bookworm-slim\nCMD app --serve | tee /var/log/app.log\n", "SIG102"),
        ('FROM debian:bookworm-slim\nCMD ["sh", "-c", "app & wait"]\n', "SIG103"),
        ('FROM debian:bookworm-slim\nCMD ["sh", "-c", "(app)"]\n', "SIG103"),
        (
            'FROM debian:bookworm-slim\nCMD ["/bin/sh", "-c", "sed -i \\"s/x/\\$PORT/\\" f && exec app"\n',
            "SIG104",
        ),
        ("FROM debian:bookworm-slim\nCMD ['app', 'x'] # comment\n", "SIG104"),
        ('FROM debian:bookworm-slim\nCMD ["app" "x"]\n', "SIG104"),
    ],
)
def test_no_edit_without_a_safe_fix(dockerfile: str, rule: str) -> None:
    findings = [f for f in lint_text(dockerfile, NOWHERE) if f.rule == rule]
    assert findings
    assert all(f.edit is None and not f.fix_safe for f in findings)


@pytest.mark.parametrize(
    ("cmd", "fix"),
    [
        ('["app" "--serve"]', 'CMD ["app", "--serve"]'),  # Python would join them: "app--serve"
        ("['app', 'x' 'y']", 'CMD ["app", "x", "y"]'),
        ("['app', ('x')]", 'CMD ["app", "x"]'),
    ],
)
def test_missing_comma_keeps_the_words_apart(cmd: str, fix: str) -> None:
    """Two quoted words side by side in an ENTRYPOINT/CMD array are two arguments."""
    text = f"FROM debian:bookworm-slim\nCMD {cmd}\n"
    (finding,) = [f for f in lint_text(text, NOWHERE) if f.rule == "SIG104"]
    assert finding.fix == fix
    assert finding.edit is None


def test_shell_entrypoint_with_a_cmd_keeps_the_shell() -> None:
    """Exec form would pass the CMD to the app as arguments; `exec` keeps ignoring it."""
    text = 'FROM debian:bookworm-slim\nENTRYPOINT /usr/local/bin/app --serve\nCMD ["--verbose"]\n'
    (finding,) = [f for f in lint_text(text, NOWHERE) if f.rule == "SIG101"]
    assert finding.fix == "ENTRYPOINT exec /usr/local/bin/app --serve"
    assert finding.edit is not None


def test_login_shell_keeps_the_shell() -> None:
    """`bash -l` reads profile files that may set the environment: no exec form."""
    text = 'FROM debian:bookworm-slim\nSHELL ["/bin/bash", "-lc"]\nCMD app --serve\n'
    (finding,) = [f for f in lint_text(text, NOWHERE) if f.rule == "SIG102"]
    assert finding.fix == "CMD exec app --serve"


@pytest.mark.parametrize(
    "cmd",
    [
        '["runuser", "-u", "www-data", "--", "httpd", "-DFOREGROUND"]',  # runuser -u drops WINCH
        '["dumb-init", "--rewrite", "28:15", "httpd", "-DFOREGROUND"]',  # the init rewrites it
    ],
)
def test_stopsignal_edit_only_when_the_app_would_get_it(cmd: str) -> None:
    """STOPSIGNAL SIGWINCH is httpd's graceful stop, but here it would not reach httpd."""
    findings = lint_text(f"FROM debian:bookworm-slim\nCMD {cmd}\n", NOWHERE)
    (finding,) = [f for f in findings if f.rule == "SIG402"]
    assert finding.fix == "STOPSIGNAL SIGWINCH"
    assert finding.edit is None
    plain = lint_text('FROM debian:bookworm-slim\nCMD ["httpd", "-DFOREGROUND"]\n', NOWHERE)
    assert [f.fix_safe for f in plain if f.rule == "SIG402"] == [True]


def test_parameterised_stopsignal_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text("events {}\n")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM nginx:1.27\nARG STOP=SIGTERM\nSTOPSIGNAL $STOP\n")
    for finding in lint_file(str(dockerfile)).findings:
        assert finding.edit is None


def test_script_edit_stays_inside_the_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A script reached through a symlink to outside the build context is never edited."""
    outside = tmp_path / "outside.sh"
    outside.write_text("#!/bin/sh\nserver --port 8080\n")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "run.sh").symlink_to(outside)
    (context / "Dockerfile").write_text(
        'FROM debian:bookworm-slim\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'
    )
    monkeypatch.chdir(context)
    assert all(f.edit is None for f in lint_file("Dockerfile").findings)
    _run(["--isolated", "--fix", "Dockerfile"])
    assert outside.read_text() == "#!/bin/sh\nserver --port 8080\n"


def test_standard_input_gets_no_edit() -> None:
    """`sigcheck -` reads a Dockerfile that --fix cannot rewrite: nothing is marked fixable."""
    findings = lint_text("FROM debian:bookworm-slim\nCMD server --port 8080\n", "-")
    assert findings
    assert all(f.edit is None for f in findings)


def test_script_fix_keeps_the_rest_of_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`exec` goes after an assignment prefix and the commands before `&&`; the fix text
    is the whole line as --fix writes it."""
    (tmp_path / "run.sh").write_text("#!/bin/sh\n  cd /app && GOMAXPROCS=2 ./server --port 8080 # go\n")
    (tmp_path / "Dockerfile").write_text(
        'FROM debian:bookworm-slim\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'
    )
    monkeypatch.chdir(tmp_path)
    (finding,) = [f for f in lint_file("Dockerfile").findings if f.rule == "SIG201"]
    assert finding.fix == "cd /app && GOMAXPROCS=2 exec ./server --port 8080 # go"
    _run(["--isolated", "--fix", "Dockerfile"])
    expected = "#!/bin/sh\n  cd /app && GOMAXPROCS=2 exec ./server --port 8080 # go\n"
    assert (tmp_path / "run.sh").read_text() == expected


# --- applying edits --------------------------------------------------------------------------


def _edit(line: int, column: int, end_line: int, end_column: int, replacement: str, original: str) -> Edit:
    return Edit("f", "/f", line, column, end_line, end_column, replacement, original)


def test_overlapping_edits_apply_the_first_and_report_the_rest() -> None:
    text = "one two three\r\nfour\r\n"
    first = _edit(1, 5, 1, 8, "2", "two")
    overlapping = _edit(1, 7, 1, 14, "x", "o three")
    later = _edit(2, 1, 2, 5, "4", "four")
    new, applied, skipped = apply_edits(text, [later, overlapping, first])
    assert new == "one 2 three\r\n4\r\n"
    assert applied == [first, later]
    assert [(e, why.startswith("it overlaps")) for e, why in skipped] == [(overlapping, True)]


def test_insertions_take_the_line_ending_of_their_line() -> None:
    new, _, _ = apply_edits("FROM x\r\nCMD y", [_edit(1, 7, 1, 7, "\nSTOPSIGNAL SIGINT", "")])
    assert new == "FROM x\r\nSTOPSIGNAL SIGINT\r\nCMD y"


def test_an_edit_whose_text_moved_is_skipped() -> None:
    new, applied, skipped = apply_edits("CMD b\n", [_edit(1, 5, 1, 6, "c", "a")])
    assert new == "CMD b\n"
    assert not applied
    assert "no longer holds" in skipped[0][1]


def test_result_that_would_not_parse_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian:bookworm-slim\nCMD app\n")
    real = os.path.realpath(dockerfile)
    bad = Edit(str(dockerfile), real, 2, 5, 2, 8, '["app", 1]', "app")
    finding = Finding("SIG102", "shell-form-cmd", Severity.ERROR, str(dockerfile), 2, 1, 2, 8, "m", edit=bad)
    monkeypatch.setattr("sigcheck.fix.lint_text", lambda *args, **kwargs: [finding])
    result = plan_fixes([str(dockerfile)], LintOptions())
    assert not result.changed
    assert any("would not parse" in why for _, why in result.problems)


def test_write_keeps_mode_and_refuses_a_file_changed_meanwhile(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    script = context / "run.sh"
    script.write_text("#!/bin/sh\nset -e\nserver --port 8080\n")
    script.chmod(0o750)
    dockerfile = context / "Dockerfile"
    dockerfile.write_text('FROM debian:bookworm-slim\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n')
    result = plan_fixes([str(dockerfile)], LintOptions())
    assert [f.path for f in result.changed] == [str(script)]
    assert not write_fixes(result.changed)
    assert script.read_text() == "#!/bin/sh\nset -e\nexec server --port 8080\n"
    assert script.stat().st_mode & 0o7777 == 0o750
    assert sorted(p.name for p in context.iterdir()) == ["Dockerfile", "run.sh"]  # no temporary left

    script.write_text("#!/bin/sh\nserver\n")
    result = plan_fixes([str(dockerfile)], LintOptions())
    script.write_text("#!/bin/sh\nserver --changed\n")
    (failure,) = write_fixes(result.changed)
    assert "changed while" in failure[1]
    assert script.read_text() == "#!/bin/sh\nserver --changed\n"


def test_fix_writes_through_a_symlinked_dockerfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "docker").mkdir()
    target = tmp_path / "docker" / "Dockerfile.prod"
    target.write_text("FROM debian:bookworm-slim\nCMD server --port 8080\n")
    (tmp_path / "Dockerfile").symlink_to("docker/Dockerfile.prod")
    monkeypatch.chdir(tmp_path)
    code, _, _ = _run(["--isolated", "--fix", "-t", "error", "Dockerfile"])
    assert code == 0
    assert (tmp_path / "Dockerfile").is_symlink()
    assert target.read_text() == 'FROM debian:bookworm-slim\nCMD ["server", "--port", "8080"]\n'


def test_a_failed_write_is_exit_code_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dockerfile = tmp_path / "Dockerfile"
    original = "FROM debian:bookworm-slim\nCMD server --port 8080\n"
    dockerfile.write_text(original)

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    code, _, err = _run(["--isolated", "--fix", str(dockerfile)])
    assert code == 2
    assert "cannot write it: Permission denied" in err
    assert "fixed" not in err  # nothing claims a fix that was not written
    assert dockerfile.read_text() == original
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]


# --- command line ----------------------------------------------------------------------------

SHELL_CMD = "FROM debian:bookworm-slim\nCMD server --port 8080\n"
CLEAN = 'FROM debian:bookworm-slim\nCMD ["server", "--port", "8080"]\n'
UNFIXABLE = "FROM debian:bookworm-slim\nCMD server --port 8080 | tee /var/log/server.log\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in (("fixable", SHELL_CMD), ("clean", CLEAN), ("unfixable", UNFIXABLE)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--diff", "fixable/Dockerfile"], 1),  # a change
        (["--diff", "-t", "none", "fixable/Dockerfile"], 1),  # a change, whatever the threshold
        (["--diff", "clean/Dockerfile"], 0),
        (["--diff", "unfixable/Dockerfile"], 1),  # no change, but an error finding
        (["--diff", "-t", "none", "unfixable/Dockerfile"], 0),
        (["--fix", "-t", "error", "fixable/Dockerfile"], 0),  # fixed: nothing left
        (["--fix", "unfixable/Dockerfile"], 1),  # what is left decides
        (["--fix", "--diff", "fixable/Dockerfile"], 2),
        (["--fix", "-"], 2),
        (["--diff", "-f", "json", "fixable/Dockerfile"], 2),  # both on standard output
        (["--diff", "nonexistent/Dockerfile"], 2),
    ],
)
def test_exit_codes(project: Path, args: list[str], code: int) -> None:
    assert _run(["--isolated", *args])[0] == code


def test_diff_changes_nothing_and_keeps_stdout_for_the_diff(project: Path) -> None:
    before = _tree(project)
    code, out, err = _run(["--isolated", "--diff", "-f", "json:report.json", "fixable/Dockerfile"])
    assert code == 1
    assert out.startswith("--- a/fixable/Dockerfile\n+++ b/fixable/Dockerfile\n")
    assert '+CMD ["server", "--port", "8080"]' in out
    assert "--fix would fix 1 finding in 1 file" in err
    report = json.loads((project / "report.json").read_text())
    (finding,) = report["findings"]
    assert finding["fix_applicable"] is True
    assert finding["edit"] == {
        "path": "fixable/Dockerfile",
        "line": 2,
        "column": 5,
        "end_line": 2,
        "end_column": 23,
        "replacement": '["server", "--port", "8080"]',
    }
    after = _tree(project)
    del after["report.json"]
    assert after == before


def test_fix_reports_what_is_left(project: Path) -> None:
    args = ["--isolated", "-f", "json", "--fix", "fixable/Dockerfile", "unfixable/Dockerfile"]
    code, out, err = _run(args)
    assert code == 1
    assert "fixed 1 finding in 1 file (fixable/Dockerfile)" in err
    left = {(f["path"], f["rule"]) for f in json.loads(out)["findings"]}
    assert ("unfixable/Dockerfile", "SIG102") in left
    assert ("fixable/Dockerfile", "SIG102") not in left
    assert (project / "fixable" / "Dockerfile").read_text() == CLEAN


def test_text_and_json_mark_fixable_findings(project: Path) -> None:
    _, out, _ = _run(["--isolated", "fixable/Dockerfile", "unfixable/Dockerfile"])
    assert '    fix [fixable]: CMD ["server", "--port", "8080"]\n' in out
    assert "1 fixable with `sigcheck --fix`" in out
    _, out, _ = _run(["--isolated", "-f", "json", "unfixable/Dockerfile"])
    (finding,) = json.loads(out)["findings"]
    assert finding["fix_applicable"] is False
    assert finding["edit"] is None


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, check=False, timeout=60)


@pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("patch") is None, reason="needs git and patch"
)
def test_diff_is_a_patch_git_apply_and_patch_take(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for case in CASES:
        shutil.copytree(CASES_DIR / case / "before", repo / case)
    assert _git(repo, "init", "-q").returncode == 0
    before = _tree(repo)
    run = subprocess.run(
        [sys.executable, "-m", "sigcheck", "--isolated", "--diff", *[f"{c}/Dockerfile" for c in CASES]],
        cwd=repo,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert _tree(repo) == before  # --diff writes nothing
    diff = run.stdout
    assert b"\\ No newline at end of file" in diff  # the CRLF case without a final newline,
    assert b"\r\n" in diff  # byte for byte
    dry = subprocess.run(
        ["patch", "-p1", "--dry-run"], cwd=repo, input=diff, capture_output=True, check=False
    )
    assert dry.returncode == 0, dry.stdout + dry.stderr
    checked = _git(repo, "apply", "--check", "-", stdin=diff)
    assert checked.returncode == 0, checked.stderr
    assert _git(repo, "apply", "-", stdin=diff).returncode == 0
    for case in CASES:
        assert _tree(repo / case) == _tree(CASES_DIR / case / "after"), case


def test_unified_diff_of_nothing_is_empty() -> None:
    assert unified_diff([]) == ""


def test_cold_start_does_not_load_the_fixer() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['sigcheck', '--isolated', 'fixtures/sig102-alpine-and-list/Dockerfile']\n"
        "from sigcheck.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in ('difflib', 'tempfile', 'sigcheck.fix') if m in sys.modules]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.stderr.strip().splitlines()[-1] == "[]"


# --- the whole fixture corpus ----------------------------------------------------------------


def test_fix_leaves_no_safe_fix_undone_in_the_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--fix on a copy of every fixture: no SIG1xx/SIG2xx error with a safe fix remains,
    BuildKit reads every rewritten Dockerfile, and a second run changes nothing."""
    corpus = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", corpus, symlinks=True, ignore=shutil.ignore_patterns("fix"))
    monkeypatch.chdir(tmp_path)
    fixed = 0
    for expected_file in sorted(corpus.glob("*/expected.json")):
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        path = f"fixtures/{expected_file.parent.name}/{expected.get('dockerfile', 'Dockerfile')}"
        options = LintOptions(target=expected.get("target"))
        result = plan_fixes([path], options)
        assert not write_fixes(result.changed)
        fixed += result.fixed
        for change in result.changed:
            if change.file.endswith(("Dockerfile", ".dockerfile")):
                _buildkit().parse_string(change.after)
                parse_dockerfile(change.after)
        assert not plan_fixes([path], options).changed, f"{path}: a second --fix changed something"
        for finding in lint_file(path, options).findings:
            left = finding.rule[:4] in ("SIG1", "SIG2") and finding.severity == Severity.ERROR
            assert not (left and finding.fix_safe), f"{path}: {finding.rule} at {finding.line} still fixable"
    assert fixed >= 40


# --- runtime: the fixed script really delivers SIGTERM ---------------------------------------


@pytest.mark.runtime
def test_fixed_entry_script_delivers_sigterm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runtime import run_as_pid1, unavailable_reason, write_sigapp

    reason = unavailable_reason()
    if reason is not None or shutil.which("dash") is None:
        pytest.skip(reason or "needs dash")
    app = write_sigapp(tmp_path / "bin")
    log = tmp_path / "app.log"
    context = tmp_path / "ctx"
    context.mkdir()
    script = context / "run.sh"
    script.write_text(f"#!/usr/bin/dash\nset -e\necho starting\n{app.command(log)}\n")
    script.chmod(0o755)
    (context / "Dockerfile").write_text(
        'FROM debian:bookworm-slim\nCOPY --chmod=755 run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'
    )
    before = run_as_pid1([str(script)], log)
    assert before.ready, before.describe()
    assert not before.app_is_pid1, before.describe()
    assert not before.received(signal.SIGTERM), before.describe()

    monkeypatch.chdir(context)
    _run(["--isolated", "--fix", "Dockerfile"])
    assert script.read_text().splitlines()[-1] == f"exec {app.command(log)}"
    assert script.stat().st_mode & 0o777 == 0o755
    after = run_as_pid1([str(script)], log)  # run through its shebang: the mode must allow it
    assert after.app_is_pid1, after.describe()
    assert after.received(signal.SIGTERM), after.describe()
    assert after.graceful_exit, after.describe()


@pytest.mark.runtime
@pytest.mark.parametrize("command", ["true && {app}", "{app}"])
def test_fixed_shell_form_cmd_delivers_sigterm(command: str, tmp_path: Path) -> None:
    """Debian's dash keeps a shell-form CMD's shell as PID 1; after --fix (`exec` before the
    last command, or exec form) the app is PID 1 and gets SIGTERM."""
    from runtime import run_as_pid1, unavailable_reason, write_sigapp

    reason = unavailable_reason()
    dash = shutil.which("dash")
    if reason is not None or dash is None:
        pytest.skip(reason or "needs dash")
    app = write_sigapp(tmp_path / "bin")
    log = tmp_path / "app.log"
    text = f"FROM debian:bookworm-slim\nCMD {command.format(app=app.command(log))}\n"
    (finding,) = [f for f in lint_text(text, NOWHERE) if f.rule == "SIG102"]
    assert finding.edit is not None
    fixed, _, _ = apply_edits(text, [finding.edit])
    (cmd,) = [i for i in parse_dockerfile(fixed).instructions if i.keyword == "CMD"]
    argv = list(cmd.args) if cmd.is_json else [dash, "-c", cmd.rest]
    before = run_as_pid1([dash, "-c", command.format(app=app.command(log))], log)
    assert not before.app_is_pid1, before.describe()
    assert not before.received(signal.SIGTERM), before.describe()
    after = run_as_pid1(argv, log)
    assert after.app_is_pid1, after.describe()
    assert after.received(signal.SIGTERM), after.describe()
    assert after.graceful_exit, after.describe()


@pytest.mark.parametrize(
    ("words", "literal", "line"),
    [
        (("nginx", "-g", "daemon off;"), (True, True, True), "exec nginx -g 'daemon off;'"),
        (("node", "jobs.js", '"$@"'), (True, True, False), 'exec node jobs.js "$@"'),  # source text stays
        (("app", "--port", "${PORT:-80}"), (True, True, False), "exec app --port ${PORT:-80}"),
        (("app", "it's"), None, "exec app 'it'\"'\"'s'"),
    ],
)
def test_the_exec_fix_line_is_a_shell_line_of_the_same_words(
    words: tuple[str, ...], literal: tuple[bool, ...] | None, line: str
) -> None:
    from sigcheck.edits import exec_line

    assert exec_line(words, literal) == line
