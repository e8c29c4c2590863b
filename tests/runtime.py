"""Run a command as PID 1 of a fresh PID namespace and see what a signal does to it.

This is the method of signal-semantics.md §0, small enough to reuse for shell
strings, entry scripts and init shims:

1. ``unshare --pid --fork --mount-proc --kill-child -- CMD...``: the child of
   ``unshare`` is PID 1 of a new PID namespace, where a container's
   ENTRYPOINT/CMD process sits.
2. Wait (bounded) until the test app writes ``ready`` to its log file.
3. Record PID 1's ``comm``, then ``os.kill`` it from the host namespace, as
   ``docker stop`` does.
4. Wait until PID 1 exits, or at most ``grace`` seconds (so the full grace is
   only spent when nothing happens), then read what the app logged.
5. Always SIGKILL PID 1 from the host (the kernel then kills everything in the
   namespace) and reap ``unshare``.

The test app (:data:`SIGAPP_SOURCE`) handles TERM, INT, QUIT, HUP, USR1 and
WINCH with ``signal.signal`` (handlers work for PID 1, too), logs ``ready
pid=N ppid=M`` with its pid *inside* the namespace, one ``signal NAME`` line
per signal it receives, and ``exit`` when it shuts down gracefully after the
first terminating signal (optionally after a delay, to model a slow shutdown).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

__all__ = [
    "NOHANDLER_SOURCE",
    "SIGAPP_SOURCE",
    "Outcome",
    "SigApp",
    "run_as_pid1",
    "run_parallel",
    "unavailable_reason",
    "write_sigapp",
]

K = TypeVar("K")

# A container-like environment: nothing from the test process leaks into the shells.
CONTAINER_ENV: Mapping[str, str] = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
}
POLL = 0.005  # seconds between polls; every wait below is bounded by a deadline

SIGAPP_SOURCE = '''\
"""sigapp: log the signals this process receives (written by tests/runtime.py)."""
import os
import signal
import sys
import time

log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
delay = int(sys.argv[2]) / 1000 if len(sys.argv) > 2 else 0.0
TERMINATING = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP}
stop = []


def note(text):
    os.write(log, (text + "\\n").encode())


def handler(signum, frame):
    note("signal " + signal.Signals(signum).name)
    if signum in TERMINATING and not stop:
        stop.append(signum)


for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGWINCH):
    signal.signal(sig, handler)
note("ready pid=%d ppid=%d" % (os.getpid(), os.getppid()))
deadline = time.monotonic() + 60  # never outlive a broken test
while not stop and time.monotonic() < deadline:
    time.sleep(0.01)
if stop:
    time.sleep(delay)
    note("exit")
sys.exit(0)
'''


# An app without any signal handler: Python installs only its SIGINT handler
# (KeyboardInterrupt), which this script does not catch. Same log protocol as
# SIGAPP_SOURCE: `ready pid=N ppid=M`, then nothing it could log.
NOHANDLER_SOURCE = '''\
"""exporter: no signal handling at all (written by tests/runtime.py)."""
import os
import sys
import time

log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.write(log, ("ready pid=%d ppid=%d\\n" % (os.getpid(), os.getppid())).encode())
deadline = time.monotonic() + 60  # never outlive a broken test
while time.monotonic() < deadline:
    time.sleep(0.01)
'''


@dataclass(frozen=True, slots=True)
class SigApp:
    """The test app: ``exe`` is a symlink named ``sigapp`` to the Python interpreter,
    so the app's ``comm`` is ``sigapp`` and its command line is one plain word list."""

    exe: Path
    script: Path

    comm = "sigapp"

    def argv(self, log: Path, delay_ms: int = 0) -> list[str]:
        argv = [str(self.exe), str(self.script), str(log)]
        return [*argv, str(delay_ms)] if delay_ms else argv

    def command(self, log: Path, delay_ms: int = 0) -> str:
        """The app as a shell command (the paths are plain words, so no quoting is added)."""
        return " ".join(shlex.quote(word) for word in self.argv(log, delay_ms))


def write_sigapp(directory: Path) -> SigApp:
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "sigapp.py"
    script.write_text(SIGAPP_SOURCE, encoding="utf-8")
    exe = directory / SigApp.comm
    with contextlib.suppress(FileNotFoundError):
        exe.unlink()
    # The real interpreter, not a venv or pyenv shim: it finds its stdlib through the link.
    exe.symlink_to(os.path.realpath(sys.executable))
    return SigApp(exe, script)


@dataclass(frozen=True, slots=True)
class Outcome:
    argv: tuple[str, ...]
    sent: str | None  # the signal sent to PID 1 (None: the app never got ready, nothing sent)
    ready: bool  # the app logged `ready`
    app_pid: int | None  # the app's pid inside the namespace (1: the app is PID 1)
    pid1_comm: str | None  # PID 1's comm just before the signal
    signals: tuple[str, ...]  # the signals the app logged, in order ("SIGTERM", ...)
    graceful_exit: bool  # the app logged its own exit
    pid1_exited: bool  # PID 1 exited within the grace period (or before the app was ready)
    pid1_status: int | None  # unshare's return code (PID 1's exit status; -N: killed by signal N)
    seconds: float  # from the signal to PID 1's exit, or the whole grace period
    log: str
    output: str  # stdout and stderr of everything in the namespace

    @property
    def app_is_pid1(self) -> bool:
        return self.app_pid == 1

    def received(self, sig: signal.Signals | str = signal.SIGTERM) -> bool:
        name = sig.name if isinstance(sig, signal.Signals) else sig
        return name in self.signals

    def describe(self) -> str:
        return (
            f"argv={list(self.argv)!r} sent={self.sent} ready={self.ready} app_pid={self.app_pid} "
            f"pid1_comm={self.pid1_comm!r} signals={list(self.signals)} graceful_exit={self.graceful_exit} "
            f"pid1_exited={self.pid1_exited} pid1_status={self.pid1_status} after={self.seconds:.2f}s "
            f"log={self.log!r} output={self.output[-300:]!r}"
        )


class HarnessError(RuntimeError):
    """The harness itself failed (not a finding about the command under test)."""


@functools.lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """Why PID-namespace runs cannot work here, or None when they can."""
    if not sys.platform.startswith("linux"):
        return "PID namespaces need Linux"
    if os.geteuid() != 0:
        return "runtime tests need root (unshare --pid)"
    unshare = shutil.which("unshare")
    if unshare is None:
        return "unshare (util-linux) is not installed"
    try:
        probe = subprocess.run(
            [unshare, "--pid", "--fork", "--mount-proc", "--", "true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare --pid does not work here: {exc}"
    if probe.returncode != 0:
        return f"unshare --pid does not work here: {probe.stderr.decode(errors='replace').strip()}"
    return None


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _ppid(int(entry)) == pid:
            found.append(int(entry))
    return found


def _comm(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _find_pid1(unshare: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The host pid of the namespace's PID 1: the child of unshare."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and unshare.poll() is None:
        children = _children(unshare.pid)
        if children:
            return children[0]
        time.sleep(POLL)
    return None


def _parse_log(text: str) -> tuple[bool, int | None, tuple[str, ...], bool]:
    ready, app_pid, signals, graceful = False, None, [], False
    for line in text.splitlines():
        word, _, rest = line.partition(" ")
        if word == "ready":
            ready = True
            fields = dict(item.split("=", 1) for item in rest.split() if "=" in item)
            app_pid = int(fields["pid"]) if fields.get("pid", "").isdigit() else None
        elif word == "signal":
            signals.append(rest.strip())
        elif word == "exit":
            graceful = True
    return ready, app_pid, tuple(signals), graceful


def run_as_pid1(
    argv: Sequence[str],
    log: Path,
    *,
    sig: signal.Signals = signal.SIGTERM,
    grace: float = 1.2,
    ready_timeout: float = 10.0,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Outcome:
    """Start ``argv`` as PID 1 of a new PID namespace, wait for ``ready`` in ``log``,
    send ``sig`` to PID 1 from the host, and report what happened.

    ``log`` must be the file the app writes (it is removed first). The
    namespace's output goes to ``log`` + ``.out``. Nothing here can hang: every
    wait has a deadline, and PID 1 is SIGKILLed from the host at the end."""
    reason = unavailable_reason()
    if reason is not None:
        raise HarnessError(reason)
    unshare_bin = shutil.which("unshare")
    assert unshare_bin is not None
    with contextlib.suppress(FileNotFoundError):
        log.unlink()
    out_path = log.with_name(log.name + ".out")
    command = [unshare_bin, "--pid", "--fork", "--mount-proc", "--kill-child", "--", *argv]
    with open(out_path, "wb") as out:
        unshare = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(CONTAINER_ENV if env is None else env),
            cwd=cwd,
            start_new_session=True,  # keep the namespace away from the terminal's signals
        )
    pid1: int | None = None
    sent: str | None = None
    comm: str | None = None
    seconds = 0.0
    try:
        pid1 = _find_pid1(unshare, timeout=5.0)
        deadline = time.monotonic() + ready_timeout
        ready = False
        while time.monotonic() < deadline and unshare.poll() is None:
            if _parse_log(_read(log))[0]:
                ready = True
                break
            time.sleep(POLL)
        if ready and pid1 is not None and unshare.poll() is None:
            comm = _comm(pid1)
            started = time.monotonic()
            os.kill(pid1, sig)
            sent = sig.name
            while time.monotonic() - started < grace and unshare.poll() is None:
                time.sleep(POLL)
            seconds = time.monotonic() - started
        pid1_exited = unshare.poll() is not None
    finally:
        if pid1 is None and unshare.poll() is None:
            unshare.kill()  # --kill-child: PID 1 dies with it
        elif pid1 is not None and unshare.poll() is None:
            # From the ancestor namespace SIGKILL is forced even for PID 1; the
            # kernel then kills every other process of the namespace.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid1, signal.SIGKILL)
        try:
            unshare.wait(timeout=5)
        except subprocess.TimeoutExpired:
            unshare.kill()  # --kill-child: PID 1 dies with it
            unshare.wait(timeout=5)
    text = _read(log)
    ready, app_pid, signals, graceful = _parse_log(text)
    return Outcome(
        argv=tuple(argv),
        sent=sent,
        ready=ready,
        app_pid=app_pid,
        pid1_comm=comm,
        signals=signals,
        graceful_exit=graceful,
        pid1_exited=pid1_exited,
        pid1_status=unshare.returncode if pid1_exited else None,
        seconds=seconds,
        log=text,
        output=_read(out_path),
    )


def run_parallel(jobs: Mapping[K, Callable[[], Outcome]], workers: int = 8) -> dict[K, Outcome]:
    """Run independent measurements side by side (each is its own namespace)."""
    if not jobs:
        return {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {key: pool.submit(job) for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}
