"""Kubernetes manifests as the containers the kubelet will run, each field with its Span.

`load_manifests(text, path)` reads a multi-document stream (a file, or what
`helm template`, `kustomize build` or `kubectl get -o yaml` print) and returns
one `K8sContainer` per container of each workload; other kinds (Service,
ConfigMap...) are skipped. `container_runtime(container)` turns one into the
`Runtime` the launch chain applies.

Sources (kubernetes.io API reference, Pod v1 and workload resources; the
Kubernetes docs pages named):
- where the pod template is: Pod `spec`; Deployment, StatefulSet, DaemonSet,
  ReplicaSet, ReplicationController, Job `spec.template.spec`; CronJob
  `spec.jobTemplate.spec.template.spec`; `kind: List` holds `items`;
- "Define a Command and Arguments for a Container": `command` replaces the
  image's ENTRYPOINT and `args` its CMD; a `command` without `args` runs without
  the image's CMD; an empty list counts as not set (containerd CRI
  `WithProcessArgs` checks `len(command) == 0`, as does CRI-O);
- "Container v1" `command`/`args`: "Variable references $(VAR_NAME) are expanded
  using the container's environment. If a variable cannot be resolved, the
  reference in the input string will be unchanged. Double $$ are reduced to a
  single $, which allows for escaping the $(VAR_NAME) syntax" (kubernetes
  `third_party/forked/golang/expansion/expand.go`); `env[].value` may refer to
  variables defined earlier in the list, the same way;
- "Container Lifecycle Hooks" and `LifecycleHandler`: `lifecycle.preStop` is
  `exec.command`, `httpGet`, `tcpSocket` (deprecated, not run) or
  `sleep.seconds`; it runs before the stop signal is sent, and its time counts
  against `terminationGracePeriodSeconds` ("Termination of Pods");
- `lifecycle.stopSignal` (Kubernetes 1.33, KEP-4960, feature gate
  `ContainerStopSignals`) overrides the image's STOPSIGNAL;
- PodSpec `terminationGracePeriodSeconds` (default 30) and
  `shareProcessNamespace` ("Share Process Namespace between Containers in a Pod":
  the pause container is PID 1, so no container's process is);
- "Sidecar Containers": an init container with `restartPolicy: Always` is a
  native sidecar that runs for the pod's life; other init containers, and the
  containers of a Job or CronJob, run to completion (`one_shot`).
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import os
import re
from collections.abc import Iterator, Mapping
from typing import Literal, NamedTuple

from sigcheck.load.yaml_nodes import (
    DEFAULT_LIMITS,
    Limits,
    Node,
    YamlError,
    as_bool,
    load_documents,
    with_logical,
)
from sigcheck.runtime import KUBERNETES_GRACE_SECONDS, Override, Runtime, Setting
from sigcheck.span import Span

__all__ = [
    "WORKLOAD_KINDS",
    "K8sCommand",
    "K8sContainer",
    "K8sEnv",
    "PreStop",
    "container_runtime",
    "expand_references",
    "is_manifest",
    "load_manifests",
    "pre_stop_sleep",
]

# kind -> the path from the document to the PodSpec.
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOAD_KINDS = frozenset(_POD_SPEC_PATHS)
_RUN_TO_COMPLETION = frozenset({"Job", "CronJob"})
MAX_LIST_DEPTH = 8

Role = Literal["container", "sidecar", "init"]
_CONTAINER_FIELDS: tuple[tuple[str, Role], ...] = (("initContainers", "init"), ("containers", "container"))


class K8sCommand(NamedTuple):
    argv: tuple[str, ...]  # after $(VAR) expansion
    written: tuple[str, ...]  # as in the file
    span: Span  # the list
    item_spans: tuple[Span, ...] = ()  # each word's, for a finding about one (a `sh -c` script)


class K8sEnv(NamedTuple):
    value: str | None  # None: valueFrom (a Secret, ConfigMap or field, known only at run time)
    span: Span


class PreStop(NamedTuple):
    action: Literal["exec", "httpGet", "sleep", "tcpSocket"]
    span: Span
    argv: tuple[str, ...] = ()  # exec
    seconds: float | None = None  # sleep
    target: str | None = None  # httpGet: "[scheme://host]:port/path" as written


class K8sContainer(NamedTuple):
    kind: str  # the workload's kind: "Deployment"
    workload: str  # its metadata.name (or generateName)
    namespace: str | None
    name: str
    role: Role  # "container", "sidecar" (init container, restartPolicy: Always) or "init"
    one_shot: bool  # runs to completion: an init container, or a Job/CronJob container
    span: Span  # the container's mapping
    image: Setting | None
    command: K8sCommand | None
    args: K8sCommand | None
    working_dir: Setting | None
    run_as_user: Setting | None  # the container's securityContext, else the pod's
    env: dict[str, K8sEnv]
    pre_stop: PreStop | None
    stop_signal: Setting | None
    grace_seconds: float
    grace_span: Span | None
    shared_pid_namespace: bool
    shared_pid_span: Span | None

    @property
    def label(self) -> str:
        what = {"container": "container", "sidecar": "sidecar container", "init": "init container"}[self.role]
        return f"{self.kind} {self.workload}, {what} {self.name}"


def is_manifest(document: Node) -> bool:
    """A Kubernetes object: a mapping with string `apiVersion` and `kind`."""
    api, kind = document.get("apiVersion"), document.get("kind")
    return api is not None and kind is not None and isinstance(api.value, str) and isinstance(kind.value, str)


def container_runtime(container: K8sContainer) -> Runtime:
    entrypoint = Override(container.command.argv, container.command.span) if container.command else None
    command = Override(container.args.argv, container.args.span) if container.args else None
    return Runtime(
        platform="kubernetes",
        entrypoint=entrypoint,
        command=command,
        init=None,
        stop_signal=container.stop_signal,
        grace_seconds=container.grace_seconds,
        grace_span=container.grace_span,
        shared_pid_namespace=container.shared_pid_namespace,
        label=container.label,
        origin=container.span,
        pre_stop_seconds=pre_stop_sleep(container.pre_stop),
        pre_stop_span=container.pre_stop.span if container.pre_stop is not None else None,
        environment=tuple(
            (name, Setting(env.value, env.span))
            for name, env in container.env.items()
            if env.value is not None
        ),
    )


_SLEEP_SCRIPT = re.compile(r"^\s*(?:exec\s+)?sleep\s+(\d+(?:\.\d+)?)s?\s*$")


def pre_stop_sleep(pre_stop: PreStop | None) -> float | None:
    """Seconds a preStop hook surely takes: a `sleep` action, an exec of `sleep N`, or of
    `sh -c "sleep N"`; None for anything whose time is not written down."""
    if pre_stop is None:
        return None
    if pre_stop.action == "sleep":
        return pre_stop.seconds
    if pre_stop.action != "exec" or not pre_stop.argv:
        return None
    argv = pre_stop.argv
    if os.path.basename(argv[0]) in ("sh", "bash", "ash", "dash") and len(argv) == 3 and argv[1] == "-c":
        script = argv[2]
    elif os.path.basename(argv[0]) == "sleep" and len(argv) == 2:
        script = f"sleep {argv[1]}"
    else:
        return None
    match = _SLEEP_SCRIPT.match(script)
    return float(match.group(1)) if match else None


def expand_references(text: str, variables: Mapping[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: `$$` is `$`, an unknown `$(VAR)` stays as written."""
    if "$" not in text:
        return text
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    length = len(text)
    while cursor < length:
        if text[cursor] == "$" and cursor + 1 < length:
            out.append(text[checkpoint:cursor])
            following = text[cursor + 1]
            if following == "$":
                out.append("$")
                advance = 1
            elif following == "(":
                close = text.find(")", cursor + 2)
                if close < 0:
                    out.append("$(")  # an incomplete reference stays
                    advance = 1
                else:
                    name = text[cursor + 2 : close]
                    value = variables.get(name)
                    out.append(value if value is not None else f"$({name})")
                    advance = close - cursor
            else:
                out.append("$" + following)
                advance = 1
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return "".join(out)


def load_manifests(text: str, path: str, *, limits: Limits = DEFAULT_LIMITS) -> list[K8sContainer]:
    """Every container of every workload in the stream, in order. Raises `YamlError`."""
    containers: list[K8sContainer] = []
    for document in load_documents(text, path, limits=limits, keep_kind=_may_hold_workloads):
        for obj in _objects(document, 0):
            containers.extend(_workload_containers(obj))
    return containers


def _may_hold_workloads(kind: str | None) -> bool:
    return kind is not None and (kind in WORKLOAD_KINDS or kind.endswith("List"))


def _error(node: Node, message: str) -> YamlError:
    return YamlError(node.span.path, node.span.line, message)


def _objects(document: Node, depth: int) -> Iterator[Node]:
    if not isinstance(document.value, dict) or not is_manifest(document):
        return
    kind = document.value["kind"].value
    if kind == "List" or (kind.endswith("List") and document.get("items") is not None):
        items = document.get("items")
        if items is None or items.value is None:
            return
        if not isinstance(items.value, list):
            raise _error(items, "`items` of a List must be a list")
        if depth >= MAX_LIST_DEPTH:
            raise _error(document, f"Lists nested more than {MAX_LIST_DEPTH} deep")
        for item in items.value:
            yield from _objects(item, depth + 1)
        return
    if kind in WORKLOAD_KINDS:
        yield document


def _at(node: Node | None, *path: str) -> Node | None:
    for key in path:
        if node is None or not isinstance(node.value, dict):
            return None
        node = node.value.get(key)
    return node


def _text(node: Node | None, field: str) -> str | None:
    if node is None or node.value is None:
        return None
    if isinstance(node.value, (dict, list)):
        raise _error(node, f"`{field}` must be a string")
    return node.value if isinstance(node.value, str) else (node.text or str(node.value))


def _setting(node: Node | None, field: str, logical: str) -> Setting | None:
    value = _text(node, field)
    if value is None or node is None:
        return None
    return Setting(value, with_logical(node.span, logical))


def _workload_containers(obj: Node) -> Iterator[K8sContainer]:
    kind: str = obj.value["kind"].value
    metadata = obj.get("metadata")
    workload = _text(_at(metadata, "name"), "metadata.name") or _text(
        _at(metadata, "generateName"), "metadata.generateName"
    )
    namespace = _text(_at(metadata, "namespace"), "metadata.namespace")
    path = _POD_SPEC_PATHS[kind]
    pod = _at(obj, *path)
    if pod is None or not isinstance(pod.value, dict):
        return
    prefix = ".".join(path)
    grace_node = pod.get("terminationGracePeriodSeconds")
    grace = KUBERNETES_GRACE_SECONDS
    grace_span = None
    if grace_node is not None and grace_node.value is not None:
        if isinstance(grace_node.value, bool) or not isinstance(grace_node.value, (int, float)):
            raise _error(grace_node, "`terminationGracePeriodSeconds` must be a number of seconds")
        grace = float(grace_node.value)
        grace_span = with_logical(grace_node.span, f"{prefix}.terminationGracePeriodSeconds")
    share_node = pod.get("shareProcessNamespace")
    shared = bool(share_node is not None and as_bool(share_node))
    shared_span = share_node.span if share_node is not None and shared else None
    pod_user = _at(pod, "securityContext", "runAsUser")
    common = (kind, workload or "", namespace)
    pod_facts = (grace, grace_span, shared, shared_span, pod_user)
    for field, role in _CONTAINER_FIELDS:
        listed = pod.get(field)
        if listed is None or listed.value is None:
            continue
        if not isinstance(listed.value, list):
            raise _error(listed, f"`{field}` must be a list of containers")
        for index, container in enumerate(listed.value):
            if not isinstance(container.value, dict):
                raise _error(container, f"`{field}[{index}]` must be a container mapping")
            actual = role
            if role == "init" and _text(container.get("restartPolicy"), "restartPolicy") == "Always":
                actual = "sidecar"
            one_shot = actual == "init" or kind in _RUN_TO_COMPLETION
            logical = f"{prefix}.{field}[{index}]"
            yield _container(container, common, actual, one_shot, logical, pod_facts)


def _string_list(node: Node | None, field: str) -> tuple[str, ...] | None:
    if node is None or node.value is None:
        return None
    if not isinstance(node.value, list):
        raise _error(node, f"`{field}` must be a list of strings")
    words: list[str] = []
    for item in node.value:
        if not isinstance(item.value, str):
            # The API server refuses it: "cannot unmarshal number into ... of type string".
            raise _error(item, f"`{field}` items must be strings (quote {item.text!r})")
        words.append(item.value)
    return tuple(words)


def _environment(node: Node | None) -> dict[str, K8sEnv]:
    env: dict[str, K8sEnv] = {}
    if node is None or not isinstance(node.value, list):
        return env
    known: dict[str, str] = {}
    for item in node.value:
        name = _text(item.get("name"), "env[].name")
        if name is None:
            continue
        value_node = item.get("value")
        if item.get("valueFrom") is not None:
            env[name] = K8sEnv(None, item.span)
            known.pop(name, None)
            continue
        value = expand_references(_text(value_node, "env[].value") or "", known)
        env[name] = K8sEnv(value, (value_node or item).span)
        known[name] = value
    return env


def _pre_stop(node: Node | None, logical: str) -> PreStop | None:
    if node is None or not isinstance(node.value, dict):
        return None
    span = with_logical(node.span, logical)
    exec_node = node.get("exec")
    if exec_node is not None:
        argv = _string_list(exec_node.get("command"), "lifecycle.preStop.exec.command") or ()
        return PreStop("exec", span, argv=argv)
    sleep = node.get("sleep")
    if sleep is not None:
        seconds = sleep.get("seconds")
        value = seconds.value if seconds is not None else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _error(sleep, "`lifecycle.preStop.sleep.seconds` must be a number")
        return PreStop("sleep", span, seconds=float(value))
    http = node.get("httpGet")
    if http is not None:
        port = _text(http.get("port"), "httpGet.port") or ""
        where = _text(http.get("host"), "httpGet.host") or ""
        scheme = (_text(http.get("scheme"), "httpGet.scheme") or "HTTP").lower()
        target = f"{scheme}://{where}:{port}{_text(http.get('path'), 'httpGet.path') or '/'}"
        return PreStop("httpGet", span, target=target)
    if node.get("tcpSocket") is not None:
        return PreStop("tcpSocket", span)
    return None


def _container(
    node: Node,
    common: tuple[str, str, str | None],
    role: Role,
    one_shot: bool,
    logical: str,
    pod_facts: tuple[float, Span | None, bool, Span | None, Node | None],
) -> K8sContainer:
    kind, workload, namespace = common
    grace, grace_span, shared, shared_span, pod_user = pod_facts
    name = _text(node.get("name"), "name") or ""
    env = _environment(node.get("env"))
    variables = {key: item.value for key, item in env.items() if item.value is not None}

    def command(field: str) -> K8sCommand | None:
        child = node.get(field)
        written = _string_list(child, field)
        if not written or child is None:
            return None  # unset or empty: the image's value (containerd/CRI-O: len == 0)
        argv = tuple(expand_references(word, variables) for word in written)
        spans = tuple(item.span for item in child.value)
        return K8sCommand(argv, written, with_logical(child.span, f"{logical}.{field}"), spans)

    user = _at(node, "securityContext", "runAsUser") or pod_user
    return K8sContainer(
        kind=kind,
        workload=workload,
        namespace=namespace,
        name=name,
        role=role,
        one_shot=one_shot,
        span=with_logical(node.span, logical),
        image=_setting(node.get("image"), "image", f"{logical}.image"),
        command=command("command"),
        args=command("args"),
        working_dir=_setting(node.get("workingDir"), "workingDir", f"{logical}.workingDir"),
        run_as_user=_setting(user, "securityContext.runAsUser", f"{logical}.securityContext.runAsUser"),
        env=env,
        pre_stop=_pre_stop(_at(node, "lifecycle", "preStop"), f"{logical}.lifecycle.preStop"),
        stop_signal=_setting(
            _at(node, "lifecycle", "stopSignal"), "lifecycle.stopSignal", f"{logical}.lifecycle.stopSignal"
        ),
        grace_seconds=grace,
        grace_span=grace_span,
        shared_pid_namespace=shared,
        shared_pid_span=shared_span,
    )
