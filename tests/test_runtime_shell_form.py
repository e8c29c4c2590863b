"""Runtime proof for SIG101-SIG104: sigcheck's verdict against a real shell as PID 1.

For each image family, the same command string is linted inside a Dockerfile
and run as ``SHELL -c STRING`` as PID 1 of a new PID namespace (tests/runtime.py),
with the shell that family really has. Then SIGTERM is sent from the host, as
`docker stop` does. The mapping asserted:

- a SIG101/SIG102/SIG103 finding with severity ``error`` <=> the shell stays
  PID 1 and the app never receives SIGTERM;
- an ``info`` from the "works only because the shell execs" branch, or no finding
  at all (explicit ``exec``) <=> the app is PID 1 and receives SIGTERM directly.

Image /bin/sh shells are run through a symlink named ``sh``, as /bin/sh is
(dash for Debian, busybox ash for Alpine, bash in POSIX mode for Fedora/UBI);
``SHELL ["/bin/bash", "-c"]`` runs ``/usr/bin/bash -c``. Each (shell, string) is
measured once per session, in parallel, and shared by the CMD, ENTRYPOINT and
exec-form tests that need it.
"""

from __future__ import annotations

import functools
import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from runtime import Outcome, SigApp, run_as_pid1, run_parallel, unavailable_reason, write_sigapp

from sigcheck.findings import Finding, Severity
from sigcheck.lint import lint_text

pytestmark = pytest.mark.runtime

SHELL_RULES = ("SIG101", "SIG102", "SIG103")
ACCIDENT = "works only because"


class Disagreement(AssertionError):
    """sigcheck's verdict and the measured behaviour differ."""


@dataclass(frozen=True, slots=True)
class Shell:
    key: str
    binary: str  # looked up on PATH; the test is skipped when it is missing
    argv0: str | None  # run through a symlink with this name (None: the binary itself)

    @property
    def comm(self) -> str:
        return self.argv0 or Path(self.binary).name


DASH = Shell("dash", "dash", "sh")  # Debian's dash, with patch 0004
BUSYBOX = Shell("busybox", "busybox", "sh")  # busybox ash, as Alpine's /bin/sh
BASH_SH = Shell("bash_sh", "bash", "sh")  # RHEL/UBI/Fedora /bin/sh -> bash
BASH = Shell("bash", "bash", None)  # SHELL ["/bin/bash", "-c"]


@dataclass(frozen=True, slots=True)
class Family:
    id: str
    header: str  # the Dockerfile before CMD/ENTRYPOINT
    shell_form: Shell  # runs shell-form CMD/ENTRYPOINT (SHELL, default /bin/sh)
    bin_sh: Shell  # the image's /bin/sh: what `sh` in exec form runs


FAMILIES = (
    Family("debian", "FROM debian:bookworm\n", DASH, DASH),
    Family("alpine", "FROM alpine:3.20\n", BUSYBOX, BUSYBOX),
    Family("fedora", "FROM fedora:40\n", BASH_SH, BASH_SH),
    Family("ubi9", "FROM redhat/ubi9\n", BASH_SH, BASH_SH),
    Family("debian_bash_shell", 'FROM debian:bookworm\nSHELL ["/bin/bash", "-c"]\n', BASH, DASH),
)

# `{app}` is replaced with the test app's command (`.../sigapp .../sigapp.py LOG`).
STRINGS = {
    "app_args": "{app}",
    "cd_and_app": "cd /tmp && {app}",
    "env_prefix": "FOO=1 {app}",
    "redirect_stderr": "{app} 2>&1",
    "redirect_devnull": "{app} >/dev/null",
    "app_or_true": "{app} || true",
    "pipe_into_app": "echo hi | {app}",
    "background_wait": "{app} & wait",
    "trap_term": "trap 'echo t' TERM; {app}",
    "subshell": "({app})",
    "group": "{{ {app}; }}",
    "exec_app": "exec {app}",
    "set_e": "set -e; {app}",
}

# More rows of signal-semantics.md Table 1, beyond the list above.
STRINGS.update(
    {
        "true_then_app": "true; {app}",
        "trailing_semicolon": "{app};",
        "trailing_comment": "{app} # comment",
        "app_into_pipe": "{app} | cat",
        "trap_exit": "trap 'echo b' EXIT; {app}",
        "trailing_newline": "{app}\n",  # only exec form can end a string in a newline
        "negated": "! {app}",
        # An explicit exec wins over a trap, an `|| exit` fallback, or an if whose branches all exec.
        "trap_then_exec": "trap 'echo t' TERM; exec {app}",
        "exec_or_exit": "exec {app} || exit 1",
        "if_all_exec": "if true; then exec {app}; else exec {app}; fi",
        # Compound commands without exec: busybox execs out of if/case, never out of a loop.
        "if_branch": "if true; then {app}; fi",
        "case_branch": "case x in x) {app};; esac",
        "while_loop": "while true; do {app}; done",
    }
)
EXEC_FORM_ONLY = frozenset({"trailing_newline"})

# (shell key, string id) -> "BUG: ..." for a case where sigcheck and reality disagree.
# Such a case is xfail(strict=True, raises=Disagreement): it must keep failing, and only
# on the verdict, never on a broken measurement.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True, slots=True)
class Case:
    family: Family
    shell: Shell  # the shell that runs the string in this case
    string_id: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.shell.key, self.string_id)


# --- measurements, shared by every test that runs the same string under the same shell ---


class Lab:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.app: SigApp = write_sigapp(base)
        self._outcomes: dict[tuple[str, str], Outcome] = {}
        self._lock = threading.Lock()

    def shell_argv(self, shell: Shell) -> list[str]:
        binary = shutil.which(shell.binary)
        if binary is None:
            pytest.skip(f"{shell.binary} is not installed")
        if shell.argv0 is None:
            return [binary]
        link = self.base / "shells" / shell.key / shell.argv0
        with self._lock:
            if not link.is_symlink():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(binary)
        return [str(link)]

    def log(self, key: tuple[str, str]) -> Path:
        return self.base / f"{key[0]}-{key[1]}.log"

    def string(self, key: tuple[str, str]) -> str:
        if key[1] == "malformed":
            # CMD ['app', ...]: not JSON, so Docker runs the text as a shell string.
            return "[" + ", ".join(f"'{w}'" for w in self.app.argv(self.log(key))) + "]"
        return STRINGS[key[1]].format(app=self.app.command(self.log(key)))

    def _measure(self, shell: Shell, key: tuple[str, str]) -> Outcome:
        return run_as_pid1([*self.shell_argv(shell), "-c", self.string(key)], self.log(key))

    def prefetch(self, shells: dict[tuple[str, str], Shell]) -> None:
        todo = {
            key: functools.partial(self._measure, shell, key)
            for key, shell in shells.items()
            if key not in self._outcomes and shutil.which(shell.binary) is not None
        }
        results = run_parallel(todo)
        with self._lock:
            self._outcomes.update(results)

    def outcome(self, shell: Shell, key: tuple[str, str]) -> Outcome:
        with self._lock:
            cached = self._outcomes.get(key)
        if cached is None:
            cached = self._measure(shell, key)
            with self._lock:
                self._outcomes[key] = cached
        return cached


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    lab = Lab(tmp_path_factory.mktemp("runtime"))
    # Measure, side by side, every (shell, string) the selected tests of this module need.
    wanted: dict[tuple[str, str], Shell] = {}
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is request.module and callspec is not None:
            case = callspec.params.get("case")
            if isinstance(case, Case):
                wanted[case.key] = case.shell
    lab.prefetch(wanted)
    return lab


# --- the check ---


def _lint(tmp_path: Path, dockerfile: str) -> list[Finding]:
    path = tmp_path / "Dockerfile"
    path.write_text(dockerfile, encoding="utf-8")
    return lint_text(dockerfile, str(path))


def _reality(case: Case, outcome: Outcome) -> bool:
    """True: the app got SIGTERM directly as PID 1; False: the shell stayed and the app got nothing."""
    details = outcome.describe()
    assert outcome.ready, f"the app never started: {details}"
    assert outcome.sent == "SIGTERM", details
    if outcome.received("SIGTERM"):
        assert outcome.app_is_pid1, f"SIGTERM reached the app, but not as PID 1: {details}"
        assert outcome.pid1_comm == SigApp.comm, details
        assert outcome.graceful_exit, details
        assert outcome.pid1_exited, details
        return True
    assert not outcome.app_is_pid1, f"the app was PID 1 and missed SIGTERM: {details}"
    assert outcome.pid1_comm == case.shell.comm, details
    assert outcome.signals == (), f"the app got something else: {details}"
    assert not outcome.graceful_exit, details
    # The shell usually keeps running; with an EXIT trap bash exits 143 at once instead, and
    # the namespace teardown SIGKILLs the app (signal-semantics.md §2). Either way: no SIGTERM.
    return False


def _check(case: Case, rule: str, dockerfile: str, findings: list[Finding], outcome: Outcome) -> None:
    reality = _reality(case, outcome)
    relevant = [f for f in findings if f.rule in (*SHELL_RULES, "SIG104")]
    assert all(f.rule == rule for f in relevant), f"expected only {rule}, got {relevant}"
    assert len(relevant) <= 1, relevant
    if not relevant:
        predicted, verdict = True, "no finding"
    elif relevant[0].severity == Severity.ERROR:
        predicted, verdict = False, f"{rule} error"
    elif relevant[0].severity == Severity.INFO and ACCIDENT in relevant[0].message:
        predicted, verdict = True, f"{rule} info (works because the shell execs)"
    else:
        predicted, verdict = None, f"{rule} {relevant[0].severity.label}"
    if predicted != reality:
        measured = (
            "the app got SIGTERM as PID 1" if reality else "the shell stayed PID 1, the app got nothing"
        )
        message = relevant[0].message if relevant else ""
        raise Disagreement(
            f"sigcheck: {verdict} ({message}); measured: {measured}.\n"
            f"Dockerfile:\n{dockerfile}\nrun: {outcome.describe()}"
        )


def _cases(exec_form: bool) -> list[object]:
    params: list[object] = []
    for family in FAMILIES:
        shell = family.bin_sh if exec_form else family.shell_form
        for string_id in STRINGS:
            if string_id in EXEC_FORM_ONLY and not exec_form:
                continue
            case = Case(family, shell, string_id)
            bug = KNOWN_BUGS.get(case.key)
            marks = [pytest.mark.xfail(strict=True, raises=Disagreement, reason=bug)] if bug else []
            params.append(pytest.param(case, id=f"{family.id}-{shell.key}-{string_id}", marks=marks))
    return params


@pytest.mark.parametrize("case", _cases(exec_form=False))
def test_shell_form_cmd(case: Case, lab: Lab, tmp_path: Path) -> None:
    """SIG102: CMD STRING runs as SHELL -c STRING."""
    string = lab.string(case.key)
    dockerfile = f"{case.family.header}CMD {string}\n"
    _check(case, "SIG102", dockerfile, _lint(tmp_path, dockerfile), lab.outcome(case.shell, case.key))


@pytest.mark.parametrize("case", _cases(exec_form=False))
def test_shell_form_entrypoint(case: Case, lab: Lab, tmp_path: Path) -> None:
    """SIG101: ENTRYPOINT STRING runs as SHELL -c STRING."""
    string = lab.string(case.key)
    dockerfile = f"{case.family.header}ENTRYPOINT {string}\n"
    _check(case, "SIG101", dockerfile, _lint(tmp_path, dockerfile), lab.outcome(case.shell, case.key))


@pytest.mark.parametrize("case", _cases(exec_form=True))
def test_exec_form_sh_c(case: Case, lab: Lab, tmp_path: Path) -> None:
    """SIG103: CMD ["sh", "-c", STRING] runs the image's /bin/sh, whatever SHELL says."""
    string = lab.string(case.key)
    dockerfile = f"{case.family.header}CMD {json.dumps(['sh', '-c', string])}\n"
    _check(case, "SIG103", dockerfile, _lint(tmp_path, dockerfile), lab.outcome(case.shell, case.key))


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(Case(f, f.shell_form, "malformed"), id=f"{f.id}-{f.shell_form.key}-malformed_cmd")
        for f in FAMILIES
    ],
)
def test_malformed_json_cmd(case: Case, lab: Lab, tmp_path: Path) -> None:
    """SIG104: CMD ['app', ...] is not JSON: the shell runs a command named `[app,`; the app never starts."""
    string = lab.string(case.key)
    dockerfile = f"{case.family.header}CMD {string}\n"
    findings = [f for f in _lint(tmp_path, dockerfile) if f.rule in (*SHELL_RULES, "SIG104")]
    assert [(f.rule, f.severity) for f in findings] == [("SIG104", Severity.ERROR)], findings
    outcome = lab.outcome(case.shell, case.key)
    details = outcome.describe()
    assert not outcome.ready, f"the app started: {details}"
    assert outcome.sent is None, details
    assert outcome.signals == (), details
    assert outcome.pid1_exited, details
    assert outcome.pid1_status == 127, details  # command not found
    # dash/ash: "[/path/sigapp,: not found"; bash: "...: No such file or directory"
    assert "[" + str(lab.app.exe) + ",:" in outcome.output, details
