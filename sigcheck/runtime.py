"""What the runtime changes about the image when it starts a container (the records).

Plain data, like `Span`: the loaders of Compose files and Kubernetes manifests
make them, and `sigcheck.model.runtime.apply_runtime` applies them.

`docker run --init --entrypoint ... IMAGE ARGS`, a Compose service and a
Kubernetes container each override parts of the image config. They are one
record, `Runtime`, applied by one function, `apply_runtime`, that encodes the
runtimes' shared rules:

- an entrypoint override clears the image's CMD (moby `container.create`:
  "if the entrypoint is overridden the CMD is reset"; Compose and Kubernetes
  `command` without `args` likewise);
- a command override replaces CMD and keeps ENTRYPOINT;
- `--init` / compose `init: true` puts docker-init (tini) in front as PID 1;
- the stop signal of the runtime wins over the image's STOPSIGNAL;
- the grace period is the runtime's: 10 s for `docker stop` and Compose,
  30 s for Kubernetes (terminationGracePeriodSeconds).
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

from typing import Literal, NamedTuple

from sigcheck.span import Span

__all__ = [
    "ASSUMED_INIT",
    "DEFAULT_RUNTIME",
    "DOCKER_GRACE_SECONDS",
    "DOCKER_INIT",
    "KUBERNETES_GRACE_SECONDS",
    "Override",
    "Platform",
    "Runtime",
    "RuntimeInit",
]

Platform = Literal["docker", "compose", "kubernetes"]

DOCKER_GRACE_SECONDS = 10.0  # `docker stop` and Compose `stop_grace_period`
KUBERNETES_GRACE_SECONDS = 30.0  # Pod terminationGracePeriodSeconds


class Override(NamedTuple):
    """An entrypoint or command the runtime sets instead of the image's."""

    argv: tuple[str, ...]
    span: Span
    # "exec": argv as given (a list, or a Compose string split into words: no shell).
    form: Literal["exec", "shell"] = "exec"


class RuntimeInit(NamedTuple):
    """An init the runtime adds in front of the image's entrypoint as PID 1."""

    argv: tuple[str, ...]  # docker-init is tini: ("docker-init", "--")
    span: Span | None  # where it was asked for; None: `--assume-init` on the command line


class Setting(NamedTuple):
    value: str
    span: Span | None


class Runtime(NamedTuple):
    platform: Platform = "docker"
    entrypoint: Override | None = None
    command: Override | None = None
    init: RuntimeInit | None = None
    stop_signal: Setting | None = None
    grace_seconds: float = DOCKER_GRACE_SECONDS
    grace_span: Span | None = None
    # Kubernetes shareProcessNamespace: the pause container is PID 1, the app never is.
    shared_pid_namespace: bool = False
    # Who runs it, for messages: "service web", "Deployment api, container app".
    label: str | None = None
    # Kubernetes lifecycle.preStop: how long it sleeps (a `sleep` action, or an exec of
    # `sleep N`) and where it is written; the stop signal is sent only after it returns.
    pre_stop_seconds: float | None = None
    pre_stop_span: Span | None = None
    # Compose `environment`, Kubernetes `env`: what the deployment adds to the image's ENV
    # (a drain timeout such as SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE), with spans.
    environment: tuple[tuple[str, Setting], ...] = ()
    # The service's or container's key in the deployment file: where a finding about a
    # setting the deployment leaves at its default (the grace period) can be acted on.
    origin: Span | None = None

    @property
    def after_grace(self) -> str:
        """When the app is SIGKILLed: with no deployment given, both platforms' defaults."""
        if self.platform == "docker" and self.grace_span is None:
            return (
                f"after the grace period ({DOCKER_GRACE_SECONDS:g} s in Docker, "
                f"{KUBERNETES_GRACE_SECONDS:g} s in Kubernetes)"
            )
        return f"after the grace period ({self.grace_seconds:g} s)"


DEFAULT_RUNTIME = Runtime()
DOCKER_INIT = ("docker-init", "--")
ASSUMED_INIT = Runtime(init=RuntimeInit(DOCKER_INIT, None))  # `--assume-init`
