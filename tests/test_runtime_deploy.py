"""Runtime proof for two deployment claims, where the kernel decides, not sigcheck:

1. Kubernetes `shareProcessNamespace: true`: the pod's pause container is PID 1 of the
   one PID namespace and every app container's process joins it from outside, as an
   ordinary process. The runtime sends a container's stop signal to that container's
   process; not being PID 1, a process without a handler gets the default action of
   SIGTERM and dies at once, where the same program as PID 1 is protected by the kernel
   and ignores it (signal-semantics.md §3). Reproduced with `unshare` (a pause-like
   PID 1) and `nsenter --pid` (the app joining the namespace, as runc does with setns),
   and tied to sigcheck's verdict: the chain's `pid1` and `stops_on`, and SIG301.
2. A Compose `command:` string is split into words and exec'd, never given to a shell:
   the words sigcheck's loader makes (`load/shellwords.py`, through `load_compose`) are
   exec'd as PID 1 of a new namespace by a program that prints the argv it got; the
   shell's `$HOME`, quotes, `&&` and `;` arrive as literal words, exactly the argv of
   the chain's app link. The same string given to `sh -c` gives another argv, so the
   comparison can fail.

Each wait is bounded; the namespaces are SIGKILLed from the host at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from runtime import CONTAINER_ENV, NOHANDLER_SOURCE, run_as_pid1, unavailable_reason

from sigcheck.deploy_lint import lint_manifests
from sigcheck.lint import LintOptions
from sigcheck.load.compose import load_compose, service_runtime
from sigcheck.load.kubernetes import container_runtime, load_manifests
from sigcheck.load.shellwords import split_command
from sigcheck.model.chain import LaunchChain, build_chain
from sigcheck.model.image import image_config
from sigcheck.rules.apps import stops_on

pytestmark = pytest.mark.runtime

GRACE = 2.0  # seconds: "at once" is well inside it; ignoring it means outliving it
POLL = 0.005

# What the pause container does, no more: sit as PID 1, reap what is reparented to it,
# exit on SIGTERM or SIGINT (a handler, so the kernel delivers them to PID 1).
PAUSE_SOURCE = '''\
"""pause: a pod's PID 1 that only sleeps and reaps (written by tests/test_runtime_deploy.py)."""
import os
import signal
import sys
import time


def reap(signum, frame):
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


signal.signal(signal.SIGCHLD, reap)
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
signal.signal(signal.SIGINT, lambda signum, frame: sys.exit(0))
with open(sys.argv[1], "a") as log:
    log.write("ready pid=%d\\n" % os.getpid())
deadline = time.monotonic() + 60  # never outlive a broken test
while time.monotonic() < deadline:
    time.sleep(0.05)
'''

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: exporter
spec:
  shareProcessNamespace: {shared}
  containers:
    - name: app
      image: python:3.12
      command: ["python", "/app/exporter.py"]
"""


@pytest.fixture(scope="module", autouse=True)
def _needs_namespaces() -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    if shutil.which("nsenter") is None:
        pytest.skip("nsenter (util-linux) is not installed")


def _python() -> str:
    # The real interpreter, not a venv shim: inside the namespace it needs nothing else.
    return os.path.realpath(sys.executable)


def _wait_for(predicate: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(POLL)
    return bool(predicate())


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(word) for word in text.split()]


def _ready(log: Path) -> dict[str, int] | None:
    try:
        line = log.read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    fields = dict(item.split("=", 1) for item in line.split()[1:])
    return {key: int(value) for key, value in fields.items()}


# --- 1. shareProcessNamespace ----------------------------------------------------------------


def _pod_chain(shared: bool) -> LaunchChain:
    """The chain deploy_lint builds for the pod's app container (an image-only container)."""
    (container,) = load_manifests(POD.format(shared=str(shared).lower()), "pod.yaml")
    assert container.image is not None
    return build_chain(image_config(container.image.value), None, container_runtime(container))


def _verdict(shared: bool) -> tuple[bool, bool, bool]:
    """(the app is PID 1, it stops on the stop signal, SIG301 is reported), as sigcheck says."""
    chain = _pod_chain(shared)
    app = chain.app
    assert app is not None
    assert app.app is not None
    assert app.app.id == "python"
    assert chain.stopsignal == "SIGTERM"
    stops = stops_on(app, chain.stopsignal)
    assert stops is not None
    reports = lint_manifests("pod.yaml", POD.format(shared=str(shared).lower()), LintOptions())
    rules = {finding.rule for report in reports for finding in report.findings}
    return app.pid1, stops, "SIG301" in rules


class Joined:
    """The app run as an ordinary process of a pause-like PID 1's namespace."""

    def __init__(self, nsenter: subprocess.Popen[bytes], app_host_pid: int, ready: dict[str, int]) -> None:
        self.nsenter = nsenter
        self.app_host_pid = app_host_pid
        self.ready = ready


@contextlib.contextmanager
def _pod(tmp_path: Path) -> Iterator[tuple[int, Joined]]:
    """A pause-like PID 1 in a new PID namespace, and the app joined to it by nsenter
    (its parent, nsenter, stays outside: in the namespace its ppid is 0, as a container
    process started by runc in a shared namespace)."""
    pause, app = tmp_path / "pause.py", tmp_path / "exporter.py"
    pause.write_text(PAUSE_SOURCE)
    app.write_text(NOHANDLER_SOURCE)
    pause_log, app_log = tmp_path / "pause.log", tmp_path / "app.log"
    unshare = subprocess.Popen(
        [
            "unshare",
            "--pid",
            "--fork",
            "--mount-proc",
            "--kill-child",
            "--",
            _python(),
            str(pause),
            str(pause_log),
        ],
        stdin=subprocess.DEVNULL,
        env=dict(CONTAINER_ENV),
        start_new_session=True,
    )
    nsenter: subprocess.Popen[bytes] | None = None
    pid1 = 0
    try:
        assert _wait_for(lambda: bool(_children(unshare.pid)) and _ready(pause_log), 10), "no pause"
        pid1 = _children(unshare.pid)[0]
        nsenter = subprocess.Popen(
            ["nsenter", f"--target={pid1}", "--pid", "--", _python(), str(app), str(app_log)],
            stdin=subprocess.DEVNULL,
            env=dict(CONTAINER_ENV),
            start_new_session=True,
        )
        assert _wait_for(lambda: bool(_children(nsenter.pid)) and _ready(app_log), 10), "no app"
        ready = _ready(app_log)
        assert ready is not None
        yield pid1, Joined(nsenter, _children(nsenter.pid)[0], ready)
    finally:
        if nsenter is not None and nsenter.poll() is None:
            for child in _children(nsenter.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            nsenter.kill()
            nsenter.wait(timeout=5)
        if pid1:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid1, signal.SIGKILL)  # from outside, forced even for PID 1
        unshare.kill()
        unshare.wait(timeout=5)


def test_shared_namespace_the_app_is_not_pid1_and_dies_on_sigterm(tmp_path: Path) -> None:
    app_is_pid1, stops, sig301 = _verdict(shared=True)
    with _pod(tmp_path) as (pid1, joined):
        # One namespace, two processes: the pause is PID 1, the app an ordinary process.
        assert os.readlink(f"/proc/{joined.app_host_pid}/ns/pid") == os.readlink(f"/proc/{pid1}/ns/pid")
        assert (joined.ready["pid"] == 1) is app_is_pid1
        assert joined.ready["ppid"] == 0  # its parent is outside the namespace, as runc's is
        sent = time.monotonic()
        os.kill(joined.app_host_pid, signal.SIGTERM)  # the runtime's stop of this container
        exited = _wait_for(lambda: joined.nsenter.poll() is not None, GRACE)
        seconds = time.monotonic() - sent
        pause_alive = (
            Path(f"/proc/{pid1}").exists() and "zombie" not in Path(f"/proc/{pid1}/status").read_text()
        )
    assert exited is stops, f"sigcheck says stops={stops}; exited within {GRACE} s: {exited}"
    # nsenter re-raises the signal that killed its child: the default action, no handler ran.
    assert joined.nsenter.returncode == -signal.SIGTERM
    assert seconds < GRACE / 2
    assert pause_alive  # the pod's PID 1 is untouched by one container's stop
    assert not sig301  # nothing of the app is PID 1: no "PID 1 without an init" to report


def test_the_same_app_as_pid1_ignores_sigterm(tmp_path: Path) -> None:
    app_is_pid1, stops, sig301 = _verdict(shared=False)
    app = tmp_path / "exporter.py"
    app.write_text(NOHANDLER_SOURCE)
    outcome = run_as_pid1([_python(), str(app), str(tmp_path / "app.log")], tmp_path / "app.log", grace=GRACE)
    assert outcome.ready, outcome.describe()
    assert outcome.sent == "SIGTERM", outcome.describe()
    assert outcome.app_is_pid1 is app_is_pid1
    # Still running when the grace period is over: the kernel dropped SIGTERM for PID 1.
    assert outcome.pid1_exited is stops, outcome.describe()
    assert sig301 is not stops  # sigcheck reports exactly the case the kernel leaves hanging


# --- 2. a compose command string is not run by a shell ---------------------------------------

PRINTARGV = """\
#!{python}
import json, os, sys
print(json.dumps({{"pid": os.getpid(), "argv": sys.argv[1:]}}))
"""

# After Compose's interpolation (`$$` is a literal `$`) the string reads:
#   PRINTARGV $HOME "a && b" 'c; d' --path=$HOME/x a\ b `id` && touch MARKER ; echo done
# A shell would expand $HOME and `id`, and run touch; Compose splits it into words and
# stops at the unquoted `&&` (go-shellwords, which sigcheck's splitter re-implements).
COMMAND = "{printargv} $$HOME \"a && b\" 'c; d' --path=$$HOME/x a\\ b `id` && touch {marker} ; echo done"


def _compose_command(tmp_path: Path) -> tuple[str, tuple[str, ...], LaunchChain]:
    printargv = tmp_path / "printargv"
    printargv.write_text(PRINTARGV.format(python=_python()))
    printargv.chmod(0o755)
    marker = tmp_path / "marker"
    command = COMMAND.format(printargv=printargv, marker=marker)
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  app:\n    image: python:3.12\n    command: {json.dumps(command)}\n")
    (service,) = load_compose([str(compose)], {}).services
    assert service.command is not None
    assert service.command.form == "string"
    text = service.command.text
    assert text is not None
    assert "$$" not in text
    assert service.command.argv == split_command(text).words
    chain = build_chain(image_config("python:3.12"), None, service_runtime(service))
    return text, service.command.argv, chain


def _run(argv: list[str], cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "--", *argv],
        capture_output=True,
        text=True,
        timeout=30,
        env={**CONTAINER_ENV, "HOME": "/home/someone"},
        cwd=cwd,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[0])
    assert isinstance(result, dict)
    return result


def test_a_compose_command_string_is_exec_d_as_words_not_by_a_shell(tmp_path: Path) -> None:
    _text, words, chain = _compose_command(tmp_path)
    # sigcheck's claim: no shell in the chain, the app is PID 1 with exactly these words.
    assert [link.role for link in chain.links] == ["app"]
    (app,) = chain.links
    assert app.pid1
    assert app.argv == words
    assert words[1:] == ("$HOME", "a && b", "c; d", "--path=$HOME/x", "a b", "`id`")
    got = _run(list(words), tmp_path)
    assert got["pid"] == 1
    assert got["argv"] == list(app.argv[1:])  # the kernel's argv is the chain's, word for word
    assert not (tmp_path / "marker").exists()  # nothing after `&&` ran


def test_the_same_string_through_a_shell_is_another_command(tmp_path: Path) -> None:
    # What the test above rules out: had the string been run by `sh -c`, the argv differs
    # (HOME expanded, `id` run) and the words after `&&` run too.
    text, words, _ = _compose_command(tmp_path)
    got = _run(["/bin/sh", "-c", text], tmp_path)
    assert got["argv"] != list(words[1:])
    argv = got["argv"]
    assert isinstance(argv, list)
    assert "/home/someone" in argv
    assert (tmp_path / "marker").exists()
