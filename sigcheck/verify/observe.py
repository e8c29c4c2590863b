"""Run the image, let it settle, read its process tree, stop it as the engine does, measure.

The container is created with a unique name and label, without network, volumes
or pulling, with memory and PID limits, and is removed in a `finally` (error,
Ctrl-C and success alike): first by name, then every container carrying the
label, in case an interrupted `run` created one under a name we never saw.

The stop is the engine's own `stop -t T`: it sends the container's stop signal
(the image's STOPSIGNAL, or `--signal` given to `run --stop-signal`), waits T
seconds and sends SIGKILL. What happened is read back from the engine, never
inferred from the Dockerfile.
"""

# No `from __future__ import annotations` here: this module defines NamedTuples.

import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, NamedTuple

from sigcheck.model.signals import parse_signal, signal_name
from sigcheck.verify import interrupt
from sigcheck.verify.engine import Engine, EngineError, Process

__all__ = ["LABEL", "MEMORY", "PIDS_LIMIT", "Observation", "Plan", "announcement", "observe"]

LABEL = "io.sigcheck.verify"  # value: the run's token; cleanup and tests find containers by it
NAME_PREFIX = "sigcheck-verify-"
MEMORY = "256m"
PIDS_LIMIT = 256
READY_WAIT = 60.0  # seconds to wait for --ready-log before giving up
POLL = 0.25
LOG_TAIL = 12  # lines of the container's output kept for the report


class Plan(NamedTuple):
    image: str
    args: tuple[str, ...] = ()  # replace the image's CMD, as `docker run IMAGE ARGS` does
    timeout: int = 10  # the grace period: `stop -t`
    signal: str | None = None  # None: the image's STOPSIGNAL, as the engine does
    settle: float = 3.0
    ready_log: "re.Pattern[str] | None" = None


class Observation(NamedTuple):
    engine: str
    image: str
    image_id: str
    args: tuple[str, ...]
    signal: str  # the signal the stop sent, by name
    signal_source: str  # "image STOPSIGNAL", "--signal" or "engine default"
    timeout: int
    waited: float  # seconds between the start and the stop
    ready: bool | None  # --ready-log: whether the line appeared (None without it)
    processes: tuple[Process, ...]  # just before the stop
    exited_early: bool  # the container ended before it was stopped: nothing to verify
    seconds: float  # from the stop to the container's exit
    exit_code: int
    killed: bool  # the engine had to SIGKILL (or the stop signal was SIGKILL)
    oom_killed: bool
    engine_notes: tuple[str, ...]  # what the engine printed while stopping (podman warns on SIGKILL)
    output: tuple[str, ...]  # the container's last lines of output

    @property
    def outcome(self) -> str:
        """ "exited-early", "sigkill", "clean" (exit 0 in time) or "nonzero" (another code in time)."""
        if self.exited_early:
            return "exited-early"
        if self.killed:
            return "sigkill"
        return "clean" if self.exit_code == 0 else "nonzero"

    @property
    def exit_status(self) -> int:
        """sigcheck's exit code: 0 graceful, 1 SIGKILL or non-zero exit, 2 nothing verified."""
        return {"clean": 0, "sigkill": 1, "nonzero": 1}.get(self.outcome, 2)

    @property
    def pid1(self) -> Process | None:
        return next((p for p in self.processes if p.pid == 1), None)


def stop_signal(plan: Plan, image: dict[str, Any]) -> tuple[str, str]:
    """The signal the stop will send and where it comes from."""
    if plan.signal is not None:
        return _name(plan.signal), "--signal"
    configured = (image.get("Config") or {}).get("StopSignal")
    if configured:
        return _name(str(configured)), "image STOPSIGNAL"
    return "SIGTERM", "engine default"


def announcement(engine: Engine, plan: Plan, signal: str) -> str:
    args = f" with arguments {list(plan.args)}" if plan.args else ""
    return (
        f"sigcheck verify: about to run image {plan.image}{args} with {engine.name} "
        f"(no network, no volumes, memory {MEMORY}, {PIDS_LIMIT} PIDs), stop it with {signal} "
        f"and a {plan.timeout} s grace period, then remove it"
    )


def observe(engine: Engine, plan: Plan, announce: Callable[[str], None]) -> Observation:
    """Run, stop and measure; raises EngineError (could not run) or interrupt.Interrupted."""
    image = engine.inspect_image(plan.image)
    signal, source = stop_signal(plan, image)
    token = uuid.uuid4().hex[:16]
    name = NAME_PREFIX + token
    announce(announcement(engine, plan, signal))
    try:
        return _run_and_stop(engine, plan, image, name, token, signal, source)
    finally:
        interrupt.cleaning_up()
        _remove(engine, name, token)


def _remove(engine: Engine, name: str, token: str) -> None:
    """Remove the container by name, then anything else with the run's label."""
    try:
        engine.remove(name)
        for leftover in engine.labelled(f"{LABEL}={token}"):
            engine.remove(leftover)
    except EngineError as exc:  # do not hide the run's own error behind the cleanup's
        print(f"sigcheck verify: could not remove container {name}: {exc}", file=sys.stderr)


def _run_and_stop(
    engine: Engine, plan: Plan, image: dict[str, Any], name: str, token: str, signal: str, source: str
) -> Observation:
    options = [
        "--name", name,
        "--label", f"{LABEL}={token}",
        "--pull=never",
        "--network", "none",
        "--memory", MEMORY,
        "--pids-limit", str(PIDS_LIMIT),
        "--no-healthcheck",  # podman would need systemd timers for one; it is not what we test
    ]  # fmt: skip
    if engine.name == "podman":
        options += ["--image-volume", "ignore"]  # an image's VOLUME lines make no volume at all
    if plan.signal is not None:
        options += ["--stop-signal", plan.signal]
    engine.call("run", "-d", *options, plan.image, *plan.args)
    started = time.monotonic()
    ready: bool | None = None
    if plan.ready_log is not None:
        ready = _wait_for_line(engine, name, plan.ready_log)
    else:
        _sleep_while_running(engine, name, plan.settle)
    state = _state(engine.inspect_container(name))
    processes: list[Process] = []
    if state.get("Running"):
        try:
            processes = engine.top(name)
        except EngineError:
            state = _state(engine.inspect_container(name))  # it exited in between
            if state.get("Running"):
                raise
    waited = time.monotonic() - started
    base = Observation(
        engine=engine.name,
        image=plan.image,
        image_id=str(image.get("Id", "")),
        args=plan.args,
        signal=signal,
        signal_source=source,
        timeout=plan.timeout,
        waited=round(waited, 2),
        ready=ready,
        processes=tuple(processes),
        exited_early=True,
        seconds=0.0,
        exit_code=int(state.get("ExitCode", -1)),
        killed=False,
        oom_killed=bool(state.get("OOMKilled")),
        engine_notes=(),
        output=(),
    )
    if not state.get("Running"):
        return base._replace(output=_tail(engine.logs(name)))
    sent = time.time()
    clock = time.monotonic()
    stop = engine.call("stop", "-t", str(plan.timeout), name, timeout=plan.timeout + 60.0)
    elapsed = time.monotonic() - clock
    state = _state(engine.inspect_container(name))
    finished = _timestamp(str(state.get("FinishedAt", "")))
    # The engine's own record of the exit is more exact than our wall clock around `stop`.
    seconds = finished - sent if finished is not None and 0 <= finished - sent <= elapsed + 1 else elapsed
    exit_code = int(state.get("ExitCode", -1))
    notes = tuple(_note(line) for line in stop.stderr.splitlines() if line.strip())
    number = parse_signal(signal).number
    killed = exit_code == 137 and (
        number == 9 or seconds >= plan.timeout - 0.5 or any("SIGKILL" in note for note in notes)
    )
    return base._replace(
        exited_early=False,
        seconds=round(seconds, 2),
        exit_code=exit_code,
        killed=killed,
        oom_killed=bool(state.get("OOMKilled")),
        engine_notes=notes,
        output=_tail(engine.logs(name)),
    )


def _state(container: dict[str, Any]) -> dict[str, Any]:
    state = container.get("State")
    return state if isinstance(state, dict) else {}


def _sleep_while_running(engine: Engine, name: str, seconds: float) -> None:
    """Sleep, but notice a container that ends at once (a one-shot or a crash)."""
    deadline = time.monotonic() + seconds
    checked = False
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 1.0))
        if not checked and not _state(engine.inspect_container(name)).get("Running"):
            return
        checked = True


def _wait_for_line(engine: Engine, name: str, pattern: "re.Pattern[str]") -> bool:
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline:
        if any(pattern.search(line) for line in engine.logs(name).splitlines()):
            return True
        if not _state(engine.inspect_container(name)).get("Running"):
            return False
        time.sleep(POLL)
    return False


_LOGRUS = re.compile(r'\blevel=(\w+)\s+msg="((?:[^"\\]|\\.)*)"')


def _note(line: str) -> str:
    """podman's `time="..." level=warning msg="..."` as `warning: ...`."""
    match = _LOGRUS.search(line)
    return f"{match.group(1)}: {match.group(2)}" if match else line.strip()


def _tail(text: str) -> tuple[str, ...]:
    return tuple(line.rstrip() for line in text.splitlines()[-LOG_TAIL:])


def _name(raw: str) -> str:
    parsed = parse_signal(raw)
    return signal_name(parsed.number) if parsed.number is not None else raw


_STAMP = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?\s*(Z|[+-]\d\d:?\d\d)?")


def _timestamp(text: str) -> float | None:
    """An engine's RFC 3339 time with nanoseconds (which datetime cannot parse) as epoch seconds."""
    match = _STAMP.match(text.strip())
    if match is None or text.startswith("0001-"):
        return None
    day, clock, fraction, zone = match.groups()
    moment = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=timezone.utc)
    seconds = moment.timestamp() + (float("0." + fraction) if fraction else 0.0)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        seconds -= sign * (hours * 3600 + minutes * 60)
    return seconds
