"""The container engine's command line (docker or podman): subprocess only, no SDK.

Every call captures the engine's output and turns a failure into `EngineError`
carrying the engine's own message, because "could not run" must say why in the
engine's words. Calls run in a new session so that the terminal's Ctrl-C does not
cut one in half (see `interrupt`).
"""

import json
import shutil
import subprocess
from collections.abc import Callable
from typing import Any, NamedTuple

from sigcheck.verify.interrupt import shielded

__all__ = ["ENGINES", "Engine", "EngineError", "Process", "find_engine"]

ENGINES = ("docker", "podman")
CALL_TIMEOUT = 120.0  # seconds; `run` on vfs storage copies the whole root file system
PROBE_TIMEOUT = 10.0


class EngineError(Exception):
    """The engine is missing, refused, or failed; the message is the engine's own."""


class Process(NamedTuple):
    pid: int  # in the container's PID namespace (1 is the container's init)
    ppid: int
    user: str
    args: str


class Engine(NamedTuple):
    name: str  # "docker" or "podman"
    path: str

    def call(
        self, *args: str, timeout: float = CALL_TIMEOUT, check: bool = True
    ) -> "subprocess.CompletedProcess[str]":
        with shielded():
            try:
                proc = subprocess.run(
                    [self.path, *args],
                    capture_output=True,
                    text=True,
                    errors="replace",
                    timeout=timeout,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise EngineError(f"`{self.name} {args[0]}` did not finish within {timeout:.0f} s") from None
            except OSError as exc:
                raise EngineError(f"cannot run {self.path}: {exc.strerror or exc}") from None
        if check and proc.returncode != 0:
            raise EngineError(f"`{self.name} {' '.join(args[:2])}` failed: {_message(proc)}")
        return proc

    def answers(self) -> bool:
        """The engine (and, for docker, its daemon) responds."""
        try:
            self.call("version", timeout=PROBE_TIMEOUT)
        except EngineError:
            return False
        return True

    def inspect_image(self, image: str) -> dict[str, Any]:
        proc = self.call("image", "inspect", image, check=False)
        if proc.returncode != 0:
            raise EngineError(
                f"image {image!r} is not in {self.name}'s local storage (verify never pulls): "
                + _message(proc)
            )
        return _first_object(proc.stdout, f"{self.name} image inspect")

    def inspect_container(self, name: str) -> dict[str, Any]:
        return _first_object(self.call("container", "inspect", name).stdout, f"{self.name} container inspect")

    def top(self, name: str) -> list[Process]:
        if self.name == "podman":
            # podman's top reads /proc itself and shows PIDs as the container sees them.
            out = self.call("top", name, "pid", "ppid", "user", "args").stdout
            return _parse_top(out, lambda pid: pid)
        # docker top runs the host's ps: host PIDs, mapped through /proc/PID/status NSpid
        # when the daemon is local; else at least PID 1 is known (State.Pid).
        init = (self.inspect_container(name).get("State") or {}).get("Pid")
        out = self.call("top", name, "-o", "pid,ppid,user,args").stdout
        return _parse_top(out, lambda pid: 1 if pid == init else _namespace_pid(pid))

    def logs(self, name: str) -> str:
        proc = self.call("logs", name, check=False)
        return proc.stdout + proc.stderr

    def remove(self, name: str) -> None:
        # -v: the anonymous volumes an image's VOLUME lines make on docker go with it.
        # podman's rm -f first sends the stop signal and waits the stop timeout (10 s) for
        # a running container; after Ctrl-C nobody wants to wait, so SIGKILL at once.
        grace = ["-t", "0"] if self.name == "podman" else []
        self.call("rm", "-f", "-v", *grace, name, check=False)

    def labelled(self, label: str) -> list[str]:
        """IDs of every container, running or not, that carries this label (key=value)."""
        proc = self.call("ps", "-a", "-q", "--no-trunc", "--filter", f"label={label}", check=False)
        return proc.stdout.split() if proc.returncode == 0 else []


def find_engine(preferred: str | None = None) -> Engine:
    """The engine to use: the one asked for, else the one on PATH (docker first when both
    are there and both answer: it is what `docker stop` users run)."""
    if preferred is not None:
        path = shutil.which(preferred)
        if path is None:
            raise EngineError(f"{preferred} is not on PATH")
        return Engine(preferred, path)
    found = [Engine(name, path) for name in ENGINES if (path := shutil.which(name)) is not None]
    if not found:
        raise EngineError("neither docker nor podman is on PATH (--engine names one)")
    if len(found) > 1:
        # A docker client without a daemon is common (and on this kind of machine, podman works).
        for engine in found:
            if engine.answers():
                return engine
    return found[0]


def _message(proc: "subprocess.CompletedProcess[str]") -> str:
    text = (proc.stderr.strip() or proc.stdout.strip() or f"exit code {proc.returncode}").splitlines()
    # podman prefixes warnings with time="..." level=warning; the error is the last lines.
    return " / ".join(line.strip() for line in text[-4:] if line.strip())


def _first_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise EngineError(f"{what} printed something that is not JSON") from None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0]
    raise EngineError(f"{what} printed no object")


def _parse_top(text: str, pid_of: Callable[[int], int]) -> list[Process]:
    rows: list[Process] = []
    for line in text.splitlines()[1:]:
        fields = line.split(None, 3)
        if len(fields) < 4 or not fields[0].isdigit() or not fields[1].isdigit():
            continue
        rows.append(Process(pid_of(int(fields[0])), pid_of(int(fields[1])), fields[2], fields[3].rstrip()))
    # The parent of PID 1 lives outside the container (conmon, containerd-shim): show 0.
    pids = {row.pid for row in rows}
    return [row if row.ppid in pids else row._replace(ppid=0) for row in rows]


def _namespace_pid(host_pid: int) -> int:
    """The PID a host process has inside its own namespace (the last NSpid field)."""
    try:
        with open(f"/proc/{host_pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        pass
    return host_pid
