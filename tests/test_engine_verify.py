"""`sigcheck verify` against a real engine: the static verdict and the kernel agree.

Each case in tests/engine_fixtures/ is a Dockerfile that buildah builds offline
exactly as written (on local stand-ins for alpine:latest and debian:bookworm, see
tests/engine_lab.py) and that sigcheck lints for the static side. `sigcheck
verify` runs the image with podman, stops it with a 2 s grace period and must
report what the static findings predict: a SIGKILL or a clean stop. These are
the seed article's four scenarios (exec form, shell form, run.sh with and without
`exec`, tini) plus shell form on dash, STOPSIGNAL SIGQUIT for a TERM-only app, and
a trap that exits at once (SIG204), and the two disagreements this found, now fixed
in the rules: a keep-alive `sleep` ending run.sh without exec (SIG201), and tini in
front of `sh -c 'app; echo done'`, where the shell waits for the app (SIG304).

Every run must leave no container, no image and no temporary file behind, after
success, failure and interruption alike.

Marker `engine`: needs root, podman, buildah, runc, gcc, busybox-static and tini
(.ci/run installs them); skipped elsewhere. The Debian cases also need
debootstrap and Debian's mirror, and are skipped with the reason without them.
The module prints what the engine did per case and how long it took: measured
257 s on a machine with a load average of 7 on 2 cores (debootstrap alone 110 s
of waiting, although it runs in the background while the busybox cases run), about
half that on a quiet one (an estimate: not measured).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from engine_lab import Lab, unavailable_reason

pytestmark = pytest.mark.engine

TIMEOUT = 2  # the grace period under test: short, so a SIGKILL case costs ~2 s
READY = "启动了程序"  # stop.c's first line, printed once its SIGTERM handler is in place


SEEN: list[str] = []  # one line per case, printed at the end (the figures for the record)


class Case(NamedTuple):
    name: str
    debian: bool  # built on the debootstrap root file system (else busybox)
    ready: str
    observed: str  # "clean" or "sigkill"
    rules: tuple[str, ...]  # the findings that predict the SIGKILL
    pid1: str  # PID 1's command line as the engine shows it
    child: str | None = None  # the app, when it is not PID 1
    cleanup: bool = True  # the app ran its cleanup (its output says so), when it stopped in time


CASES = [
    Case("seed-exec-form", False, READY, "clean", (), "/root/stop"),
    Case("seed-shell-form-busybox", False, READY, "clean", (), "/root/stop"),
    Case("seed-runsh-with-exec", False, READY, "clean", (), "/root/stop"),
    Case(
        "seed-runsh-without-exec", False, READY, "sigkill", ("SIG201",), "/bin/sh /root/run.sh", "/root/stop"
    ),
    Case("seed-tini", False, READY, "clean", (), "/sbin/tini -- /root/stop", "/root/stop"),
    # PID 1 exits at once: a clean exit for the engine, a SIGKILL for the app (its output shows it).
    Case(
        "trap-exits-without-kill", False, READY, "clean", ("SIG204",), "/bin/sh /run.sh", "/root/stop", False
    ),
    Case(
        "shell-form-cmd-dash", True, READY, "sigkill", ("SIG102",), "/bin/sh -c stop --serve", "stop --serve"
    ),
    Case("stopsignal-quit-python", True, "^ready$", "sigkill", ("SIG402",), "python3 /app/app.py"),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Lab]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    started = time.monotonic()
    lab = Lab(tmp_path_factory.mktemp("engine-lab"))
    try:
        lab.busybox_base()
        # Detached: an attached `run --rm` under pytest waits out conmon's 20 s exit timeout.
        probe = lab.podman("run", "-d", "--name", "probe", "--pull=never", "--network", "none",
                           "alpine:latest", "sleep", "5", check=False)  # fmt: skip
        lab.podman("rm", "-f", "-t", "0", "probe", check=False)
        if probe.returncode != 0:
            pytest.skip(f"podman cannot run a container here: {probe.stderr.strip()[-300:]}")
        if any("debian" in getattr(item, "fixturenames", ()) for item in request.session.items):
            lab.start_debian()
        yield lab
    finally:
        lab.close()
        _show(request, "\n".join(["engine tests: what the engine did", *SEEN]))
        _show(request, f"engine tests: {time.monotonic() - started:.1f} s (lab set-up included)")


@pytest.fixture(scope="module")
def debian(lab: Lab, request: pytest.FixtureRequest) -> Lab:
    started = time.monotonic()
    reason = lab.debian_base()
    if reason is not None:
        pytest.skip(reason)
    _show(request, f"engine tests: debian:bookworm base image in {time.monotonic() - started:.1f} s")
    return lab


def _show(request: pytest.FixtureRequest, line: str) -> None:
    """Print past pytest's output capture, so that CI's log shows what the module costs."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


class Run(NamedTuple):
    code: int
    report: dict[str, Any]
    stderr: str


def verify(lab: Lab, image: str, *args: str, dockerfile: Path | None = None) -> Run:
    """`sigcheck verify -f json` in a subprocess with a private TMPDIR; checks that it
    leaves no container, image or temporary file behind."""
    images = lab.images()
    tmp = lab.work / f"tmp-{time.monotonic_ns()}"
    tmp.mkdir()
    argv = [
        sys.executable,
        "-m",
        "sigcheck",
        "verify",
        image,
        "--engine",
        "podman",
        "--timeout",
        str(TIMEOUT),
    ]
    argv += ["-f", "json", *args]
    if dockerfile is not None:
        argv += ["--dockerfile", str(dockerfile)]
    proc = subprocess.run(
        argv, env={**lab.env, "TMPDIR": str(tmp)}, capture_output=True, text=True, timeout=120, check=False
    )
    assert lab.containers() == [], "a container was left behind"
    assert lab.images() == images, "verify changed the image store"
    assert list(tmp.iterdir()) == [], "a temporary file was left behind"
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        pytest.fail(f"not JSON (exit {proc.returncode}): {proc.stdout!r} {proc.stderr!r}")
    return Run(proc.returncode, report, proc.stderr)


BUSYBOX_CASES = [c for c in CASES if not c.debian]
DEBIAN_CASES = [c for c in CASES if c.debian]


@pytest.mark.parametrize("case", BUSYBOX_CASES, ids=[c.name for c in BUSYBOX_CASES])
def test_verify_agrees_with_the_static_verdict(lab: Lab, case: Case) -> None:
    _check(lab, case)


def _check(lab: Lab, case: Case) -> None:
    image = lab.build(case.name)
    try:
        run = verify(lab, image, "--ready-log", case.ready, dockerfile=lab.context(case.name) / "Dockerfile")
    finally:
        lab.podman("rmi", image, check=False)
    seen, verdict = run.report["observation"], run.report["verdict"]
    SEEN.append(
        f"  {case.name:<26} PID 1 {seen['pid1']!r:<28} {seen['signal']:<7} -> {seen['outcome']:<7} "
        f"exit {seen['exit_code']:>3} after {seen['seconds']:.2f} s; static {verdict['predicted']}: "
        f"{verdict['result']}"
    )
    assert run.stderr.startswith("sigcheck verify: about to run image"), run.stderr
    assert seen["ready"] is True
    assert seen["pid1"] == case.pid1
    if case.child is not None:
        assert [p["args"] for p in seen["processes"] if p["ppid"] == 1] == [case.child]
    assert seen["outcome"] == case.observed, seen
    assert tuple(run.report["static"]["predicts_sigkill"]) == case.rules
    assert verdict["result"] == "confirmed", verdict
    if case.observed == "sigkill":
        assert (run.code, seen["exit_code"], seen["sigkill"]) == (1, 137, True)
        assert TIMEOUT - 0.1 <= seen["seconds"] < TIMEOUT + 2
    else:
        assert (run.code, seen["exit_code"], seen["sigkill"]) == (0, 0, False)
        assert seen["seconds"] < 1.5
        assert ("结束退出..." in seen["output"]) == case.cleanup  # the app's last cleanup line
        assert verdict["predicted"] == ("abrupt" if case.rules else "clean")


def test_keepalive_sleep_in_runsh(lab: Lab) -> None:
    image = lab.build("runsh-sleep-keepalive")
    try:
        dockerfile = lab.context("runsh-sleep-keepalive") / "Dockerfile"
        run = verify(lab, image, "--ready-log", "^ready$", dockerfile=dockerfile)
    finally:
        lab.podman("rmi", image, check=False)
    assert run.report["observation"]["outcome"] == "sigkill"  # what the kernel does
    assert run.report["observation"]["pid1"] == "/bin/sh /run.sh"
    assert run.report["verdict"]["result"] == "confirmed", run.report["verdict"]


def test_tini_in_front_of_a_shell_that_stays(lab: Lab) -> None:
    image = lab.build("tini-busybox-shell-not-last")
    try:
        dockerfile = lab.context("tini-busybox-shell-not-last") / "Dockerfile"
        run = verify(lab, image, "--ready-log", READY, dockerfile=dockerfile)
    finally:
        lab.podman("rmi", image, check=False)
    seen = run.report["observation"]
    # What the kernel does: the shell between tini and the app dies of SIGTERM at once.
    assert [p["args"] for p in seen["processes"] if p["ppid"] == 1] == ["/bin/sh -c /root/stop; echo stopped"]
    assert (seen["outcome"], seen["exit_code"]) == ("nonzero", 143)
    assert "结束退出..." not in seen["output"]  # the app never ran its cleanup
    assert run.report["verdict"]["predicted"] == "abrupt", run.report["static"]["findings"]


def test_signal_option_overrides_the_image(lab: Lab) -> None:
    """`--signal SIGINT` replaces the image's (default) SIGTERM: the TERM-only app, PID 1,
    never sees it, so the engine SIGKILLs it."""
    image = lab.build("seed-exec-form")
    try:
        run = verify(lab, image, "--signal", "SIGINT", "--ready-log", READY)
    finally:
        lab.podman("rmi", image, check=False)
    seen = run.report["observation"]
    assert (seen["signal"], seen["signal_source"], seen["outcome"]) == ("SIGINT", "--signal", "sigkill")
    assert run.report["verdict"]["result"] == "unverified"  # no --dockerfile: nothing to compare
    assert run.code == 1


def test_missing_image_is_exit_2_and_never_pulls(lab: Lab) -> None:
    run = verify(lab, "docker.io/library/no-such-image:1")
    assert run.code == 2
    assert "verify never pulls" in run.report["error"]
    assert "image not known" in run.stderr  # the engine's own words


def test_engine_error_removes_the_half_made_container(lab: Lab) -> None:
    """`run` fails after creating the container (no such program): exit 2, nothing left."""
    run = verify(lab, "alpine:latest", "--", "/no/such/program")
    assert run.code == 2
    assert "/no/such/program" in run.report["error"]


def test_container_that_exits_at_once_is_not_verified(lab: Lab) -> None:
    run = verify(lab, "alpine:latest", "--settle", "1", "--", "/bin/true")
    assert run.code == 2
    assert run.report["observation"]["outcome"] == "exited-early"
    assert run.report["verdict"]["result"] == "unverified"


@pytest.mark.parametrize(
    ("phase", "options", "delay"),
    [
        # Interrupted while it waits for the app to settle: raised at once.
        ("settle", ["--settle", "60"], 0.0),
        # Interrupted during `podman stop -t 6` (sleep as PID 1 ignores SIGTERM): held until
        # the engine call returns, so that no call is cut in half; then the same cleanup.
        ("stop", ["--settle", "0.5", "--timeout", "6"], 2.5),
    ],
    ids=["during-settle", "during-stop"],
)
def test_ctrl_c_removes_the_container(lab: Lab, phase: str, options: list[str], delay: float) -> None:
    images = lab.images()
    tmp = lab.work / f"tmp-interrupt-{phase}"
    tmp.mkdir()
    argv = [sys.executable, "-m", "sigcheck", "verify", "alpine:latest", "--engine", "podman", *options]
    proc = subprocess.Popen(
        [*argv, "--", "sleep", "1000"],
        env={**lab.env, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not lab.podman("ps", "-q", "--filter", "label=io.sigcheck.verify").stdout.strip():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the container never started"
            time.sleep(0.2)
        time.sleep(delay)
        assert proc.poll() is None, "verify ended before the interruption"
        os.kill(proc.pid, signal.SIGINT)  # what Ctrl-C sends (to the foreground process)
        interrupted = time.monotonic()
        out, err = proc.communicate(timeout=60)
        held = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGINT, err
    if phase == "stop":
        assert held > 1.0, "the stop was cut short"  # it had ~4 s of its 6 s left
    assert "interrupted; the container was removed" in err
    assert out == ""  # no report of a run that did not finish
    assert lab.containers() == []
    assert lab.images() == images
    assert list(tmp.iterdir()) == []


# Last in the module: debootstrap runs in the background while the tests above run.
@pytest.mark.parametrize("case", DEBIAN_CASES, ids=[c.name for c in DEBIAN_CASES])
def test_verify_agrees_with_the_static_verdict_on_debian(debian: Lab, case: Case) -> None:
    _check(debian, case)


def test_without_a_dockerfile_the_saved_image_is_the_static_side(lab: Lab) -> None:
    """The run.sh without exec, verified with no --dockerfile: the engine saves the image,
    `sigcheck image` lints it (SIG201 in /root/run.sh), and the SIGKILL is confirmed."""
    image = lab.build("seed-runsh-without-exec")
    try:
        run = verify(lab, image, "--ready-log", READY)
    finally:
        lab.podman("rmi", image, check=False)
    assert run.report["observation"]["outcome"] == "sigkill"
    assert [f["rule"] for f in run.report["static"]["findings"]] == ["SIG201"]
    assert run.report["verdict"]["result"] == "confirmed", run.report["verdict"]
