"""Issue #7, "never crash": every kind of bad input, through the CLI, in every report format.

Each case runs alone and next to a good Dockerfile with a known finding
(SIG102 on line 2), in text, json and sarif (when the CLI has it), as a
separate process with a timeout, so a hang fails instead of blocking. Every
run must:

- exit 2 when something could not be linted, else 1 for findings (SIG102 is an
  error), 0 for none;
- never print a traceback, never reach the last-resort guard ("internal error
  in sigcheck");
- print valid JSON on stdout for json and sarif (SARIF valid against the schema);
- put a file it could not lint in the `errors` array (SARIF: a tool execution
  notification) and on stderr, as one line naming the file;
- still report the good file's finding.

EACCES as root: root reads a chmod-000 file anyway, so as root the run drops
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its bounding set with
`setpriv` (util-linux) and stays uid 0; without setpriv the case is skipped.
As any other user chmod 000 is enough.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from cli_helpers import (
    FORMATS_UNDER_TEST,
    Result,
    run_sigcheck,
    sarif_errors,
    sarif_findings,
    validate_sarif,
)

GOOD = "good/Dockerfile"
GOOD_TEXT = "FROM debian:bookworm-slim\nCMD server --port 8080\n"
GOOD_RULE, GOOD_LINE = "SIG102", 2
SHELL_CMD = "FROM debian:bookworm-slim\nCMD server --port 8080\n"  # SIG102 on line 2

Outcome = Literal["error", "findings", "clean"]


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], None]  # creates the input under its own directory
    path: str  # what is passed on the command line, relative to the working directory
    outcome: Outcome
    detail: str = ""  # error: words of the message; findings: the rule expected
    line: int = 0  # findings: the line of `detail`
    finding_path: str = ""  # findings: the file the finding names, when not `path`
    args: tuple[str, ...] = ()
    bug: str | None = None  # a reported bug: the case is a strict xfail


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_bytes(data.encode("utf-8"))


def _file(rel: str, data: str | bytes) -> Callable[[Path], None]:
    return lambda root: _write(root / rel, data)


def _directory_without_dockerfile(root: Path) -> None:
    _write(root / "nodockerfile" / "README.md", "no Dockerfile here\n")
    (root / "nodockerfile" / "src").mkdir()


def _symlink_loop(root: Path) -> None:
    (root / "loop").mkdir()
    os.symlink("other", root / "loop" / "Dockerfile")
    os.symlink("Dockerfile", root / "loop" / "other")


def _fifo(root: Path) -> None:
    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / "Dockerfile")


def _unreadable(root: Path) -> None:
    _write(root / "unreadable" / "Dockerfile", SHELL_CMD)
    (root / "unreadable" / "Dockerfile").chmod(0o000)


def _nested_substitutions(root: Path) -> None:
    depth = 3000
    script = "#!/bin/sh\nX=" + "$( " * depth + "echo" + " )" * depth + "\nnode server.js\n"
    _write(root / "nested" / "run.sh", script)
    (root / "nested" / "run.sh").chmod(0o755)
    _write(
        root / "nested" / "Dockerfile",
        'FROM debian:bookworm-slim\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n',
    )


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(40)
CONTINUATIONS = (
    "FROM debian:bookworm-slim\nRUN true \\\n" + " && true \\\n" * 200_000 + " && true\nCMD server\n"
)
LONG_LINE = "FROM debian:bookworm-slim\nCMD server " + "a" * (5 * 1024 * 1024) + "\n"

CASES = [
    Case("missing-path", lambda root: None, "missing/Dockerfile", "error", "no such file"),
    Case(
        "directory-without-dockerfile",
        _directory_without_dockerfile,
        "nodockerfile",
        "error",
        "no Dockerfile, Containerfile, Compose file or manifest",
    ),
    Case("empty-file", _file("empty/Dockerfile", ""), "empty/Dockerfile", "error", "no FROM"),
    Case(
        "nul-bytes",
        _file("nul/Dockerfile", b"FROM alpine\n\x00\x00CMD x\n"),
        "nul/Dockerfile",
        "error",
        "binary",
    ),
    Case("elf-header", _file("elf/Dockerfile", ELF), "elf/Dockerfile", "error", "binary"),
    Case(
        "invalid-utf8",
        _file("badutf8/Dockerfile", b"FROM alpine\nCMD \xff\xfe\xc3 x\n"),
        "badutf8/Dockerfile",
        "error",
        "UTF-8",
    ),
    Case(
        "latin1",
        _file("latin1/Dockerfile", 'FROM alpine\nLABEL maintainer="José Müller"\nCMD x\n'.encode("latin-1")),
        "latin1/Dockerfile",
        "error",
        "UTF-8",
    ),
    Case(
        "utf8-bom",
        _file("bom/Dockerfile", b"\xef\xbb\xbf" + SHELL_CMD.encode()),
        "bom/Dockerfile",
        "findings",
        "SIG102",
        2,
    ),
    Case(
        "crlf",
        _file("crlf/Dockerfile", SHELL_CMD.replace("\n", "\r\n")),
        "crlf/Dockerfile",
        "findings",
        "SIG102",
        2,
    ),
    # Lone CR endings make one line for BuildKit: `FROM debian:bookworm-slim\rCMD server ...`
    # is a FROM with five arguments, which BuildKit rejects.
    Case(
        "lone-cr",
        _file("cr/Dockerfile", SHELL_CMD.replace("\n", "\r")),
        "cr/Dockerfile",
        "error",
        "FROM requires either one or three arguments",
    ),
    Case(
        "unterminated-heredoc",
        _file("heredoc/Dockerfile", "FROM alpine\nRUN <<EOF\necho hi\nCMD x\n"),
        "heredoc/Dockerfile",
        "error",
        "unterminated heredoc",
    ),
    Case(
        "unterminated-json-array",
        _file("json/Dockerfile", 'FROM alpine\nCMD ["server", "--port"\n'),
        "json/Dockerfile",
        "findings",
        "SIG104",
        2,
    ),
    Case(
        "trailing-backslash-at-eof",
        _file("backslash/Dockerfile", "FROM debian:bookworm-slim\nCMD server \\"),
        "backslash/Dockerfile",
        "findings",
        "SIG102",
        2,
    ),
    Case(
        "200000-continuation-lines",
        _file("continuations/Dockerfile", CONTINUATIONS),
        "continuations/Dockerfile",
        "findings",
        "SIG102",
        CONTINUATIONS.count("\n"),
    ),
    Case(
        "5mb-single-line",
        _file("longline/Dockerfile", LONG_LINE),
        "longline/Dockerfile",
        "findings",
        "SIG102",
        2,
    ),
    Case(
        "deeply-nested-substitutions-in-entry-script",
        _nested_substitutions,
        "nested/Dockerfile",
        "findings",
        "SIG201",
        3,
        finding_path="nested/run.sh",
    ),
    Case("symlink-loop", _symlink_loop, "loop/Dockerfile", "error", "symlink loop"),
    Case("fifo", _fifo, "fifo/Dockerfile", "error", "not a regular file"),
    Case("unreadable", _unreadable, "unreadable/Dockerfile", "error", "permission denied"),
    Case(
        "only-comments",
        _file("comments/Dockerfile", "# syntax=docker/dockerfile:1\n# nothing else\n\n#\n"),
        "comments/Dockerfile",
        "error",
        "no FROM",
    ),
    Case(
        "from-missing",
        _file("nofrom/Dockerfile", "CMD server --port 8080\n"),
        "nofrom/Dockerfile",
        "error",
        "no FROM",
    ),
    # BuildKit rejects an unknown instruction, and so does sigcheck (one line, exit 2).
    Case(
        "unknown-instruction",
        _file("unknown/Dockerfile", "FROM debian:bookworm-slim\nFOO bar\nCMD server --port 8080\n"),
        "unknown/Dockerfile",
        "error",
        "unknown instruction: FOO",
    ),
    Case(
        "above-max-file-size",
        _file("big/Dockerfile", SHELL_CMD + "# padding\n" * 1000),
        "big/Dockerfile",
        "error",
        "4096-byte limit",
        args=("--max-file-size", "4096"),
    ),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every case's input, built once, and the good Dockerfile."""
    root = tmp_path_factory.mktemp("bad-input")
    _write(root / GOOD, GOOD_TEXT)
    for case in CASES:
        case.build(root)
    return root


def _unreadable_prefix() -> list[str] | None:
    """How to run sigcheck so that a chmod-000 file gives EACCES; None: impossible here."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def _params() -> list[object]:
    params: list[object] = []
    for case in CASES:
        for fmt in FORMATS_UNDER_TEST:
            for paired in (False, True):
                marks: list[pytest.MarkDecorator] = []
                if case.bug:
                    marks.append(pytest.mark.xfail(strict=True, reason=case.bug))
                name = f"{case.id}-{fmt}-{'with-good' if paired else 'alone'}"
                params.append(pytest.param(case, fmt, paired, id=name, marks=marks))
    return params


def _expected_code(case: Case, paired: bool) -> int:
    if case.outcome == "error":
        return 2
    if case.outcome == "findings" or paired:
        return 1  # SIG102, SIG104, SIG201 are errors; the good file has SIG102
    return 0


def _check_errors_on_stderr(result: Result, case: Case) -> None:
    lines = [line for line in result.stderr.splitlines() if line.startswith("sigcheck: ")]
    if case.outcome != "error":
        assert lines == [], result.stderr
        return
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"sigcheck: {case.path}: "), lines[0]
    assert case.detail in lines[0], lines[0]
    assert GOOD not in result.stderr


def _check_text(result: Result, case: Case, paired: bool) -> None:
    out = result.stdout
    if case.outcome == "error":
        error_lines = [line for line in out.splitlines() if line.startswith(f"{case.path}: error: ")]
        assert len(error_lines) == 1, out[:3000]
        assert case.detail in error_lines[0]
        assert "1 file not linted" in out.splitlines()[-1]
    if case.outcome == "findings":
        assert case.path in out.splitlines(), out[:3000]  # the report's heading
        where = f"{case.finding_path}:{case.line}" if case.finding_path else f"{case.line}"
        assert any(
            line.startswith(f"  {where}:") and f"  {case.detail} " in line for line in out.splitlines()
        ), out[:3000]
    if paired:
        assert GOOD in out.splitlines(), out[:3000]
        assert f"  {GOOD_LINE}:1  error  {GOOD_RULE} " in out


def _check_json(result: Result, case: Case, paired: bool) -> None:
    document = result.json()
    assert document["version"] == 1
    errors = [(e["path"], e["message"]) for e in document["errors"]]
    findings = [(f["rule"], f["path"], f["line"]) for f in document["findings"]]
    if case.outcome == "error":
        assert len(errors) == 1, errors
        assert errors[0][0] == case.path
        assert case.detail in errors[0][1]
        assert "\n" not in errors[0][1]
    else:
        assert errors == []
    if case.outcome == "findings":
        assert (case.detail, case.finding_path or case.path, case.line) in findings
    if paired:
        assert (GOOD_RULE, GOOD, GOOD_LINE) in findings


def _check_sarif(result: Result, case: Case, paired: bool) -> None:
    document = result.json()
    validate_sarif(document)
    errors = sarif_errors(document)
    findings = sarif_findings(document)
    invocation = document["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is (case.outcome != "error")
    if case.outcome == "error":
        assert len(errors) == 1, errors
        assert errors[0][0].rstrip("/") == case.path
        assert case.detail in errors[0][1]
    else:
        assert errors == []
    if case.outcome == "findings":
        assert (case.detail, case.finding_path or case.path, case.line) in findings
    if paired:
        assert (GOOD_RULE, GOOD, GOOD_LINE) in findings


@pytest.mark.parametrize(("case", "fmt", "paired"), _params())
def test_bad_input(workspace: Path, case: Case, fmt: str, paired: bool) -> None:
    prefix: list[str] = []
    if case.id == "unreadable":
        found = _unreadable_prefix()
        if found is None:
            pytest.skip("running as root without setpriv: root reads a chmod-000 file anyway")
        prefix = found
    args = ["-f", fmt, *case.args, case.path] + ([GOOD] if paired else [])
    result = run_sigcheck(args, workspace, timeout=60, prefix=prefix)
    result.assert_sane()
    assert result.code == _expected_code(case, paired), (result.code, result.stderr[-2000:])
    _check_errors_on_stderr(result, case)
    {"text": _check_text, "json": _check_json, "sarif": _check_sarif}[fmt](result, case, paired)


def test_unreadable_case_really_is_unreadable(workspace: Path) -> None:
    """The EACCES case tests what it claims: the file exists and has mode 000."""
    assert (workspace / "unreadable" / "Dockerfile").stat().st_mode & 0o777 == 0


def test_fifo_is_not_opened(workspace: Path) -> None:
    """A FIFO with no writer blocks open(); sigcheck must refuse it before opening (checked above
    by the timeout), and the FIFO is still there, unread."""
    import stat

    assert stat.S_ISFIFO((workspace / "fifo" / "Dockerfile").stat().st_mode)


def test_stdin_bad_input_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """`-` reads standard input: binary and invalid UTF-8 there are errors too."""
    import subprocess
    import sys

    from cli_helpers import REPO

    for data, detail in ((b"\x7fELF\x00\x00", "binary"), (b"FROM alpine\nCMD \xff\n", "UTF-8")):
        completed = subprocess.run(
            [sys.executable, "-m", "sigcheck", "-f", "json", "-"],
            input=data,
            capture_output=True,
            cwd=tmp_path,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            check=False,
        )
        stderr = completed.stderr.decode("utf-8", "replace")
        assert completed.returncode == 2, stderr
        assert "Traceback" not in stderr
        document = __import__("json").loads(completed.stdout)
        assert [e["path"] for e in document["errors"]] == ["-"]
        assert detail in document["errors"][0]["message"]


@pytest.mark.parametrize(
    "args",
    [["--isolated", "Dockerfile"], ["--isolated", "--diff", "Dockerfile"], ["explain", "SIG102"], ["rules"]],
    ids=["report", "diff", "explain", "rules"],
)
def test_closed_standard_output_is_an_error_not_a_crash(tmp_path: Path, args: list[str]) -> None:
    """`sigcheck Dockerfile >&-`: Python sets sys.stdout to None; say so and exit 2."""
    import subprocess
    import sys

    from cli_helpers import REPO

    (tmp_path / "Dockerfile").write_text("FROM debian\nCMD app --serve\n", encoding="utf-8")
    completed = subprocess.run(
        ["sh", "-c", 'exec "$0" -m sigcheck "$@" >&-', sys.executable, *args],
        capture_output=False,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    stderr = completed.stderr.decode("utf-8", "replace")
    assert completed.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert "standard output is closed" in stderr
