"""Runtime proof for SIG301, SIG402 and SIG304: sigcheck's verdict against a real PID 1.

Each case is a Dockerfile (with its build-context files) and the command its
container would start. The Dockerfile is linted; the command is run as PID 1 of a
new PID namespace with tests/runtime.py (signal-semantics.md §0), and the image's
stop signal is sent from the host, as `docker stop` does. The mapping asserted:

- SIG301 / SIG402 (the app at the end of the chain and its stop signal): a finding
  <=> PID 1 is still running when the grace period ends (Docker would SIGKILL it);
  no finding <=> PID 1 stops within the grace period.
- SIG304 (an init in front of a shell): error <=> the app never receives the signal
  and dies without a graceful exit; warning <=> the app receives it but is killed
  mid-shutdown when it needs time (a 1 s shutdown); no finding <=> the app receives
  it and finishes its shutdown.

The Python apps (no handler; KeyboardInterrupt only) are the programs SIG301 and
SIG402 reason about. The init cases use signal-semantics.md's C test app, compiled
once per module with `cc` and run under `chrt --fifo` (see SIGAPP_C); they are
skipped without a compiler or chrt, like every case whose init is not installed.

Every measurement is bounded by the harness (ready timeout, grace period, SIGKILL
from the host at the end) and they run side by side, once per module (about 4 s).
"""

from __future__ import annotations

import functools
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from runtime import (
    NOHANDLER_SOURCE,
    Outcome,
    SigApp,
    run_as_pid1,
    run_parallel,
    unavailable_reason,
    write_sigapp,
)

from sigcheck.findings import Finding
from sigcheck.lint import LintOptions, lint_file

pytestmark = pytest.mark.runtime

GRACE = 3.0  # seconds; long enough for the 1 s graceful shutdown, short next to Docker's 10 s
SLOW_MS = 1000  # the "slow shutdown" of signal-semantics.md Table 4 (delay=1000)

# The seed article's worker: cleans up on KeyboardInterrupt, installs no SIGTERM handler.
INTERRUPT_SOURCE = '''\
"""worker: cleans up on KeyboardInterrupt only (written by tests/test_runtime_init.py)."""
import os
import sys
import time

log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def note(text):
    os.write(log, (text + "\\n").encode())


note("ready pid=%d ppid=%d" % (os.getpid(), os.getppid()))
try:
    deadline = time.monotonic() + 60  # never outlive a broken test
    while time.monotonic() < deadline:
        time.sleep(0.01)
except KeyboardInterrupt:
    note("signal SIGINT")
    note("exit")
'''

# The C test app of signal-semantics.md §0 (experiments/bin/sigapp): it logs each signal
# from inside the handler with write(2), so the line is on disk before anything else
# can happen. A Python handler runs only later, between bytecodes, and loses the race
# with the namespace teardown when an init exits right after the shell dies (the
# tini -g / dumb-init rows of Table 4). Same log protocol as tests/runtime.py.
SIGAPP_C = r"""
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fd;
static volatile sig_atomic_t stop;

static void put(const char *text) { (void)!write(fd, text, strlen(text)); }

static void on_signal(int sig) {
    const char *line = sig == SIGTERM ? "signal SIGTERM\n" : sig == SIGINT ? "signal SIGINT\n"
        : sig == SIGQUIT ? "signal SIGQUIT\n" : sig == SIGHUP ? "signal SIGHUP\n"
        : sig == SIGUSR1 ? "signal SIGUSR1\n" : "signal SIGWINCH\n";
    put(line);
    if (sig != SIGUSR1 && sig != SIGWINCH) stop = 1;
}

int main(int argc, char **argv) {
    int sigs[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGWINCH};
    struct sigaction action;
    char ready[64];
    long delay_ms = argc > 2 ? atol(argv[2]) : 0;
    fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 6; i++) sigaction(sigs[i], &action, NULL);
    snprintf(ready, sizeof ready, "ready pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
    put(ready);
    for (int i = 0; i < 6000 && !stop; i++) usleep(10000); /* never outlive a broken test */
    if (stop) { /* the slow shutdown: a later signal must not cut it short */
        struct timespec left = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        while (nanosleep(&left, &left) != 0) {}
        put("exit\n");
    }
    return 0;
}
"""

NOEXEC_SCRIPT = '#!/bin/sh\nset -e\necho "setup done"\n"$@"\n'  # Table 4 "script(no exec)"
EXEC_SCRIPT = '#!/bin/sh\nset -e\necho "setup done"\nexec "$@"\n'  # Table 4 "script(exec)"

APPS = {"exporter.py": NOHANDLER_SOURCE, "worker.py": INTERRUPT_SOURCE}
SIGAPP = "sigapp"  # `@sigapp`: the C app, compiled once per module (needs cc)
SCRIPTS = {"run-noexec.sh": NOEXEC_SCRIPT, "run-exec.sh": EXEC_SCRIPT}

DEBIAN_PYTHON = "FROM python:3.12-slim\n"
INSTALL_INITS = (
    "RUN apt-get update && apt-get install -y --no-install-recommends tini dumb-init \\\n"
    " && rm -rf /var/lib/apt/lists/*\n"
)


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    rule: str  # the rule whose verdict the run checks: SIG301, SIG402 or SIG304
    dockerfile: str  # the image; its ENTRYPOINT/CMD is what `command` runs
    command: tuple[str, ...]  # PID 1's argv: `@name` is a binary on PATH, a file of APPS/SCRIPTS, or `@log`
    sig: signal.Signals  # the image's stop signal
    delay_ms: int = 0  # sigapp's graceful shutdown time

    @property
    def binaries(self) -> tuple[str, ...]:
        """Programs the run needs from PATH (the C app needs a compiler)."""
        words = [w[1:] for w in self.command if w.startswith("@")]
        needed = [w for w in words if w not in (*APPS, *SCRIPTS, SIGAPP, "log")]
        return (*needed, "cc", "chrt") if SIGAPP in words else tuple(needed)

    @property
    def files(self) -> dict[str, str]:
        """The build-context files the Dockerfile copies."""
        sources = {**APPS, **SCRIPTS, "sigapp.c": SIGAPP_C}
        names = [w[1:] if w[1:] != SIGAPP else "sigapp.c" for w in self.command if w.startswith("@")]
        return {name: sources[name] for name in names if name in sources}


def _init_case(case_id: str, init: tuple[str, ...], script: str, delay_ms: int) -> Case:
    """SIG304: the init (its argv words) runs `script`, which starts sigapp. The image's
    ENTRYPOINT and PID 1's argv come from the one spelling of the init."""
    entrypoint = ", ".join(f'"{word}"' for word in init)
    dockerfile = (
        "FROM gcc:14 AS build\nCOPY sigapp.c .\nRUN gcc -O2 -o /out/sigapp sigapp.c\n\n"
        "FROM debian:bookworm-slim\n"
        + INSTALL_INITS
        + f"COPY --from=build /out/sigapp /usr/local/bin/sigapp\nCOPY {script} /app/{script}\n"
        + f'ENTRYPOINT [{entrypoint}, "/app/{script}"]\n'
        + f'CMD ["sigapp", "/tmp/sigapp.log", "{delay_ms}"]\n'
    )
    command = (f"@{init[0]}", *init[1:], f"@{script}", "@sigapp", "@log", str(delay_ms))
    return Case(case_id, "SIG304", dockerfile, command, signal.SIGTERM, delay_ms)


CASES = (
    # SIG301: a handler-less app as PID 1 ignores SIGTERM (Table 3); behind tini it stops (Table 4).
    Case(
        "python-no-handler-pid1",
        "SIG301",
        DEBIAN_PYTHON + 'WORKDIR /app\nCOPY exporter.py .\nCMD ["python3", "exporter.py", "/tmp/app.log"]\n',
        ("@exporter.py", "@log"),
        signal.SIGTERM,
    ),
    Case(
        "python-no-handler-behind-tini",
        "SIG301",
        DEBIAN_PYTHON
        + INSTALL_INITS
        + 'WORKDIR /app\nCOPY exporter.py .\nENTRYPOINT ["tini", "--"]\n'
        + 'CMD ["python3", "exporter.py", "/tmp/app.log"]\n',
        ("@tini", "--", "@exporter.py", "@log"),
        signal.SIGTERM,
    ),
    # SIG402: python as PID 1 ignores SIGTERM but raises KeyboardInterrupt on SIGINT (Table 3).
    Case(
        "python-interrupt-only-sigterm",
        "SIG402",
        DEBIAN_PYTHON + 'WORKDIR /app\nCOPY worker.py .\nCMD ["python3", "worker.py", "/tmp/app.log"]\n',
        ("@worker.py", "@log"),
        signal.SIGTERM,
    ),
    Case(
        "python-interrupt-only-stopsignal-sigint",
        "SIG402",
        DEBIAN_PYTHON
        + 'WORKDIR /app\nCOPY worker.py .\nSTOPSIGNAL SIGINT\nCMD ["python3", "worker.py", "/tmp/app.log"]\n',
        ("@worker.py", "@log"),
        signal.SIGINT,
    ),
    # SIG304: inits in front of a dash script with and without exec (Table 4).
    _init_case("tini-script-noexec", ("tini", "--"), "run-noexec.sh", SLOW_MS),
    _init_case("tini-g-script-noexec-slow", ("tini", "-g", "--"), "run-noexec.sh", SLOW_MS),
    _init_case("tini-g-script-noexec-fast", ("tini", "-g", "--"), "run-noexec.sh", 0),
    _init_case("tini-script-exec-slow", ("tini", "--"), "run-exec.sh", SLOW_MS),
    _init_case("dumb-init-script-noexec-slow", ("dumb-init", "--"), "run-noexec.sh", SLOW_MS),
    _init_case("dumb-init-single-child-script-noexec", ("dumb-init", "-c", "--"), "run-noexec.sh", SLOW_MS),
    _init_case("dumb-init-script-exec-slow", ("dumb-init", "--"), "run-exec.sh", SLOW_MS),
)

# case id -> "BUG: ..." where sigcheck and the measurement disagree: a strict xfail on
# Disagreement only, never on a broken measurement.
KNOWN_BUGS: dict[str, str] = {}


class Disagreement(AssertionError):
    """sigcheck's verdict and the measured behaviour differ."""


# --- measurements, once per module, side by side ---


class Lab:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.app: SigApp = write_sigapp(base / "bin")
        for name, text in {**APPS, **SCRIPTS}.items():
            path = base / "bin" / name
            path.write_text(text, encoding="utf-8")
            path.chmod(0o755)
        self._outcomes: dict[str, Outcome] = {}
        self._lock = threading.Lock()
        self.sigapp: Path | None = None
        compiler = shutil.which("cc")
        if compiler is not None:
            source = base / "csrc" / "sigapp.c"
            source.parent.mkdir()
            source.write_text(SIGAPP_C, encoding="utf-8")
            binary = base / "csrc" / SIGAPP  # comm: sigapp
            built = subprocess.run(
                [compiler, "-O2", "-o", str(binary), str(source)],
                capture_output=True,
                timeout=60,
                check=False,
            )
            assert built.returncode == 0, built.stderr.decode(errors="replace")
            self.sigapp = binary

    def log(self, case: Case) -> Path:
        return self.base / f"{case.id}.log"

    def argv(self, case: Case) -> list[str]:
        argv: list[str] = []
        for word in case.command:
            name = word[1:]
            if not word.startswith("@"):
                argv.append(word)
            elif name == "log":
                argv.append(str(self.log(case)))
            elif name in APPS:
                argv += [str(self.app.exe), str(self.base / "bin" / name)]  # comm: sigapp
            elif name in SCRIPTS:
                argv.append(str(self.base / "bin" / name))
            elif name == SIGAPP:
                assert self.sigapp is not None, "the C test app was not built"
                chrt = shutil.which("chrt")
                assert chrt is not None, "chrt is not installed"
                # SCHED_FIFO, so that on a busy machine the app runs its handler as soon as a
                # signal is delivered, before an init that exits with the shell takes the
                # namespace down. It changes when the app runs, not what it is sent; chrt execs.
                argv += [chrt, "--fifo", "10", str(self.sigapp)]
            else:
                binary = shutil.which(name)
                assert binary is not None, f"{name} is not installed"
                argv.append(binary)
        return argv

    def _measure(self, case: Case) -> Outcome:
        return run_as_pid1(self.argv(case), self.log(case), sig=case.sig, grace=GRACE)

    def prefetch(self, cases: list[Case]) -> None:
        todo = {
            case.id: functools.partial(self._measure, case)
            for case in cases
            if case.id not in self._outcomes and all(shutil.which(b) for b in case.binaries)
        }
        results = run_parallel(todo, workers=len(todo) or 1)
        with self._lock:
            self._outcomes.update(results)

    def outcome(self, case: Case) -> Outcome:
        missing = [b for b in case.binaries if shutil.which(b) is None]
        if missing:
            pytest.skip(f"not installed: {', '.join(missing)}")
        with self._lock:
            cached = self._outcomes.get(case.id)
        if cached is None:
            cached = self._measure(case)
            with self._lock:
                self._outcomes[case.id] = cached
        return cached


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    lab = Lab(tmp_path_factory.mktemp("runtime-init"))
    wanted: list[Case] = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is request.module and callspec is not None:
            case = callspec.params.get("case")
            if isinstance(case, Case):
                wanted.append(case)
    lab.prefetch(wanted)
    return lab


# --- the check ---


def _lint(case: Case, tmp_path: Path) -> list[Finding]:
    (tmp_path / "Dockerfile").write_text(case.dockerfile, encoding="utf-8")
    for name, text in case.files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        (tmp_path / name).chmod(0o755)
    report = lint_file(str(tmp_path / "Dockerfile"), LintOptions())
    assert report.error is None, report.error
    return [f for f in report.findings if f.rule == case.rule]


def _verdict(findings: list[Finding]) -> str:
    assert len(findings) <= 1, findings
    return findings[0].severity.label if findings else "none"


def _check_stops(case: Case, findings: list[Finding], outcome: Outcome) -> None:
    """SIG301/SIG402: a finding <=> PID 1 ignores the stop signal for the whole grace period."""
    details = outcome.describe()
    assert outcome.ready, f"the app never started: {details}"
    assert outcome.sent == case.sig.name, details
    predicted_stops = not findings
    if predicted_stops != outcome.pid1_exited:
        measured = "PID 1 stopped" if outcome.pid1_exited else f"PID 1 still ran after {GRACE} s"
        raise Disagreement(
            f"sigcheck: {_verdict(findings)} ({findings[0].message if findings else ''}); "
            f"measured: {measured}.\nDockerfile:\n{case.dockerfile}\nrun: {details}"
        )


def _check_delivery(case: Case, findings: list[Finding], outcome: Outcome) -> None:
    """SIG304: error <=> nothing reaches the app; warning <=> it arrives but a slow
    shutdown is killed; none <=> it arrives and the shutdown completes."""
    details = outcome.describe()
    assert outcome.ready, f"the app never started: {details}"
    assert outcome.sent == case.sig.name, details
    assert not outcome.app_is_pid1, f"the app should be the init's child or grandchild: {details}"
    assert outcome.pid1_exited, f"the init should exit within {GRACE} s: {details}"
    received = outcome.received(case.sig)
    verdict = _verdict(findings)
    if verdict == "error":
        agrees = not received and not outcome.graceful_exit
    elif verdict == "warning":
        # The app gets the signal, but a shutdown that needs time is cut short.
        agrees = received and not (case.delay_ms > 0 and outcome.graceful_exit)
    else:
        agrees = received and outcome.graceful_exit
    if not agrees:
        measured = (
            f"app received {case.sig.name}: {received}, finished its {case.delay_ms} ms shutdown: "
            f"{outcome.graceful_exit}"
        )
        raise Disagreement(
            f"sigcheck: SIG304 {verdict} ({findings[0].message if findings else ''}); measured: {measured}."
            f"\nDockerfile:\n{case.dockerfile}\nrun: {details}"
        )


def _params() -> list[object]:
    params: list[object] = []
    for case in CASES:
        bug = KNOWN_BUGS.get(case.id)
        marks = [pytest.mark.xfail(strict=True, raises=Disagreement, reason=bug)] if bug else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_verdict_matches_pid1(case: Case, lab: Lab, tmp_path: Path) -> None:
    findings = _lint(case, tmp_path)
    outcome = lab.outcome(case)
    if case.rule == "SIG304":
        _check_delivery(case, findings, outcome)
    else:
        _check_stops(case, findings, outcome)


# --- the measured facts themselves (signal-semantics.md §3 and §4), so a broken harness
# --- cannot make the verdict checks above pass by accident ---

EXPECTED = {
    # case id: (app received the signal, app finished a graceful exit, PID 1 exited)
    "python-no-handler-pid1": (False, False, False),
    "python-no-handler-behind-tini": (False, False, True),  # default action kills it; no handler to log
    "python-interrupt-only-sigterm": (False, False, False),
    "python-interrupt-only-stopsignal-sigint": (True, True, True),
    "tini-script-noexec": (False, False, True),
    "tini-g-script-noexec-slow": (True, False, True),
    "tini-g-script-noexec-fast": (True, True, True),
    "tini-script-exec-slow": (True, True, True),
    "dumb-init-script-noexec-slow": (True, False, True),
    "dumb-init-single-child-script-noexec": (False, False, True),
    "dumb-init-script-exec-slow": (True, True, True),
}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_measurement_matches_semantics(case: Case, lab: Lab) -> None:
    outcome = lab.outcome(case)
    details = outcome.describe()
    assert outcome.ready, details
    received = outcome.received(case.sig)
    assert (received, outcome.graceful_exit, outcome.pid1_exited) == EXPECTED[case.id], details
    if case.id == "python-no-handler-behind-tini":
        assert outcome.pid1_status == 128 + signal.SIGTERM, details  # tini exits 143
    if case.id == "tini-g-script-noexec-slow" or case.id == "dumb-init-script-noexec-slow":
        assert outcome.seconds < case.delay_ms / 1000, (
            f"killed mid-shutdown, before {case.delay_ms} ms: {details}"
        )
    if case.id.endswith("exec-slow") and "noexec" not in case.id:
        assert outcome.seconds >= case.delay_ms / 1000, f"waited for the slow shutdown: {details}"


def test_every_case_has_an_expectation() -> None:
    assert set(EXPECTED) == {c.id for c in CASES}
