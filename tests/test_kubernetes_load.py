"""Kubernetes manifests are read as the kubelet will run them (issue 14, the loader half).

Workload kinds and where their pod spec is, Lists, other kinds skipped, native
sidecars and one-shot containers, command/args, `$(VAR)` expansion, preStop,
stopSignal, the grace period, the shared PID namespace, and the Runtime.
"""

from __future__ import annotations

import pytest

from sigcheck.load.kubernetes import (
    K8sContainer,
    container_runtime,
    expand_references,
    is_manifest,
    load_manifests,
)
from sigcheck.load.manifests import classify_yaml
from sigcheck.load.yaml_nodes import YamlError, load_documents

POD_SPEC = """\
containers:
- name: app
  image: app:1
  command: [node]
  args: [server.js]
"""


def _indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line if line else line for line in text.splitlines(True))


def _workload(kind: str, spec: str = POD_SPEC, name: str = "w") -> str:
    header = f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: prod\n"
    if kind == "Pod":
        return header + "spec:\n" + _indent(spec, 2)
    if kind == "CronJob":
        return (
            header + "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n" + _indent(spec, 10)
        )
    return header + "spec:\n  template:\n    spec:\n" + _indent(spec, 6)


def _one(text: str) -> K8sContainer:
    (container,) = load_manifests(text, "k.yaml")
    return container


@pytest.mark.parametrize(
    "kind",
    [
        "Pod",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Job",
        "CronJob",
    ],
)
def test_every_workload_kind(kind: str) -> None:
    container = _one(_workload(kind))
    assert (container.kind, container.workload, container.namespace, container.name) == (
        kind,
        "w",
        "prod",
        "app",
    )
    assert container.command is not None
    assert container.command.argv == ("node",)
    assert container.args is not None
    assert container.args.argv == ("server.js",)
    assert container.one_shot is (kind in ("Job", "CronJob"))
    assert container.role == "container"


@pytest.mark.parametrize(
    "kind", ["Service", "ConfigMap", "Ingress", "PodTemplate", "HorizontalPodAutoscaler"]
)
def test_other_kinds_are_skipped(kind: str) -> None:
    assert load_manifests(_workload(kind), "k.yaml") == []


def test_a_multi_document_stream_in_order() -> None:
    text = "---\n".join(
        [
            _workload("Deployment", name="a"),
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
            _workload("Job", name="b"),
        ]
    )
    assert [(c.kind, c.workload) for c in load_manifests(text + "---\n", "k.yaml")] == [
        ("Deployment", "a"),
        ("Job", "b"),
    ]


def test_kind_list_and_typed_lists() -> None:
    item = _indent(_workload("Deployment", name="x"), 2).replace("  apiVersion", "- apiVersion", 1)
    text = "apiVersion: v1\nkind: List\nitems:\n" + item
    assert [c.workload for c in load_manifests(text, "k.yaml")] == ["x"]
    typed = text.replace("kind: List", "kind: DeploymentList")
    assert [c.workload for c in load_manifests(typed, "k.yaml")] == ["x"]
    assert load_manifests("apiVersion: v1\nkind: List\nitems: []\n", "k.yaml") == []


def test_yaml_that_is_not_a_manifest_is_skipped() -> None:
    assert load_manifests("a: 1\n---\n- x\n---\n", "k.yaml") == []


def test_init_containers_and_native_sidecars() -> None:
    spec = (
        "initContainers:\n"
        "- {name: migrate, image: app, command: [./migrate]}\n"
        "- {name: proxy, image: envoy, restartPolicy: Always}\n"
        "- {name: other, image: x, restartPolicy: OnFailure}\n" + POD_SPEC
    )
    containers = load_manifests(_workload("Deployment", spec), "k.yaml")
    assert [(c.name, c.role, c.one_shot) for c in containers] == [
        ("migrate", "init", True),
        ("proxy", "sidecar", False),
        ("other", "init", True),
        ("app", "container", False),
    ]
    assert containers[1].label == "Deployment w, sidecar container proxy"
    assert containers[3].label == "Deployment w, container app"


def test_command_args_and_the_runtime() -> None:
    container = _one(_workload("Deployment"))
    runtime = container_runtime(container)
    assert runtime.platform == "kubernetes"
    assert runtime.label == "Deployment w, container app"
    assert runtime.entrypoint is not None
    assert runtime.entrypoint.argv == ("node",)  # command replaces ENTRYPOINT
    assert runtime.command is not None
    assert runtime.command.argv == ("server.js",)  # args replace CMD
    assert runtime.grace_seconds == 30.0
    assert runtime.grace_span is None
    assert runtime.init is None
    assert not runtime.shared_pid_namespace


def test_command_without_args_and_args_without_command() -> None:
    only_command = _one(_workload("Pod", "containers:\n- name: a\n  command: [sh, -c, 'exec app']\n"))
    runtime = container_runtime(only_command)
    assert runtime.entrypoint is not None
    assert runtime.command is None  # with the entrypoint override, apply_runtime drops the image's CMD
    only_args = _one(_workload("Pod", "containers:\n- name: a\n  args: [--port, '80']\n"))
    runtime = container_runtime(only_args)
    assert runtime.entrypoint is None  # the image's ENTRYPOINT stays
    assert runtime.command is not None
    assert runtime.command.argv == ("--port", "80")


def test_empty_command_and_args_count_as_unset() -> None:
    container = _one(_workload("Pod", "containers:\n- name: a\n  command: []\n  args: []\n"))
    assert container.command is None
    assert container.args is None


def test_command_span_points_at_the_value() -> None:
    container = _one(_workload("Pod"))
    assert container.command is not None
    span = container.command.span
    assert (span.line, span.column, span.end_line, span.end_column) == (10, 14, 10, 20)
    assert span.logical == "spec.containers[0].command"
    assert [(item.line, item.column) for item in container.command.item_spans] == [(10, 15)]
    assert container.span.logical == "spec.containers[0]"


def test_non_string_command_items_are_an_error() -> None:
    with pytest.raises(YamlError, match="items must be strings") as caught:
        load_manifests(_workload("Pod", "containers:\n- name: a\n  command: [sleep, 10]\n"), "k.yaml")
    assert caught.value.line == 9
    with pytest.raises(YamlError, match="must be a list of strings"):
        load_manifests(_workload("Pod", "containers:\n- name: a\n  command: sleep 10\n"), "k.yaml")


# --- $(VAR) -----------------------------------------------------------------------------------

VARIABLES = {"A": "alpha", "EMPTY": "", "B": "$(A)"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$(A)", "alpha"),
        ("x$(A)y", "xalphay"),
        ("$(EMPTY)", ""),
        ("$(MISSING)", "$(MISSING)"),  # unresolved stays as written
        ("$$(A)", "$(A)"),  # escaped
        ("$$$(A)", "$alpha"),
        ("$$", "$"),
        ("$A", "$A"),
        ("${A}", "${A}"),
        ("$(A", "$(A"),
        ("$", "$"),
        ("a$", "a$"),
        ("$()", "$()"),
        ("$(B)", "$(A)"),  # no recursive expansion
        ("$(A)$(A)", "alphaalpha"),
        ("sh -c 'echo $(A) $$HOME'", "sh -c 'echo alpha $HOME'"),
    ],
)
def test_dollar_paren_expansion(text: str, expected: str) -> None:
    assert expand_references(text, VARIABLES) == expected


def test_env_expands_in_order_and_feeds_command_and_args() -> None:
    spec = (
        "containers:\n- name: a\n"
        "  command: [sh, -c, 'exec $(BIN) $$(NOT)']\n"
        "  args: ['$(LATER)', '$(SECRET)']\n"
        "  env:\n"
        "  - {name: BASE, value: /srv}\n"
        "  - {name: BIN, value: '$(BASE)/app'}\n"
        "  - {name: SELF, value: '$(LATER)'}\n"
        "  - {name: LATER, value: late}\n"
        "  - name: SECRET\n    valueFrom: {secretKeyRef: {name: s, key: k}}\n"
    )
    container = _one(_workload("Pod", spec))
    assert container.command is not None
    assert container.command.argv == ("sh", "-c", "exec /srv/app $(NOT)")
    assert container.command.written == ("sh", "-c", "exec $(BIN) $$(NOT)")
    assert container.args is not None
    assert container.args.argv == ("late", "$(SECRET)")  # valueFrom is known only at run time
    assert container.env["SELF"].value == "$(LATER)"  # only earlier variables
    assert container.env["SECRET"].value is None


# --- lifecycle, grace, PID namespace, user ----------------------------------------------------


@pytest.mark.parametrize(
    ("hook", "action", "argv", "seconds", "target"),
    [
        ("{exec: {command: [sh, -c, 'sleep 5']}}", "exec", ("sh", "-c", "sleep 5"), None, None),
        ("{sleep: {seconds: 20}}", "sleep", (), 20.0, None),
        ("{httpGet: {path: /drain, port: 8080}}", "httpGet", (), None, "http://:8080/drain"),
        ("{httpGet: {port: http, host: h, scheme: HTTPS}}", "httpGet", (), None, "https://h:http/"),
        ("{tcpSocket: {port: 80}}", "tcpSocket", (), None, None),
    ],
)
def test_pre_stop(
    hook: str, action: str, argv: tuple[str, ...], seconds: float | None, target: str | None
) -> None:
    spec = f"containers:\n- name: a\n  lifecycle:\n    preStop: {hook}\n"
    container = _one(_workload("Deployment", spec))
    assert container.pre_stop is not None
    assert (container.pre_stop.action, container.pre_stop.argv, container.pre_stop.seconds) == (
        action,
        argv,
        seconds,
    )
    assert container.pre_stop.target == target
    assert container.pre_stop.span.line == 12
    assert container.pre_stop.span.logical == "spec.template.spec.containers[0].lifecycle.preStop"


def test_pre_stop_sleep_needs_a_number() -> None:
    with pytest.raises(YamlError, match=r"sleep\.seconds"):
        load_manifests(
            _workload("Pod", "containers:\n- name: a\n  lifecycle: {preStop: {sleep: {seconds: x}}}\n"),
            "k.yaml",
        )


def test_stop_signal_grace_and_shared_pid_namespace() -> None:
    spec = (
        "terminationGracePeriodSeconds: 60\nshareProcessNamespace: true\n"
        "containers:\n- name: a\n  lifecycle:\n    stopSignal: SIGUSR1\n"
    )
    container = _one(_workload("Deployment", spec))
    assert container.stop_signal is not None
    assert container.stop_signal.value == "SIGUSR1"
    assert container.grace_seconds == 60.0
    assert container.grace_span is not None
    assert container.grace_span.line == 9
    assert container.shared_pid_namespace
    runtime = container_runtime(container)
    assert runtime.shared_pid_namespace
    assert runtime.grace_seconds == 60.0
    assert runtime.stop_signal is not None
    assert runtime.stop_signal.value == "SIGUSR1"


@pytest.mark.parametrize(
    ("value", "expected"), [("false", False), ("null", False), ("yes", True), ("on", True), ("maybe", False)]
)
def test_share_process_namespace_values(value: str, expected: bool) -> None:
    spec = f"shareProcessNamespace: {value}\n" + POD_SPEC
    assert _one(_workload("Pod", spec)).shared_pid_namespace is expected


def test_grace_defaults_and_errors() -> None:
    assert _one(_workload("Pod", "terminationGracePeriodSeconds: null\n" + POD_SPEC)).grace_seconds == 30.0
    assert _one(_workload("Pod", "terminationGracePeriodSeconds: 0\n" + POD_SPEC)).grace_seconds == 0.0
    with pytest.raises(YamlError, match="terminationGracePeriodSeconds"):
        load_manifests(_workload("Pod", "terminationGracePeriodSeconds: '30'\n" + POD_SPEC), "k.yaml")


def test_run_as_user_and_working_dir() -> None:
    spec = (
        "securityContext: {runAsUser: 1000}\n"
        "containers:\n- name: a\n  workingDir: /srv\n- name: b\n  securityContext: {runAsUser: 0}\n"
    )
    a, b = load_manifests(_workload("Pod", spec), "k.yaml")
    assert a.run_as_user is not None
    assert a.run_as_user.value == "1000"  # the pod's default
    assert a.working_dir is not None
    assert a.working_dir.value == "/srv"
    assert b.run_as_user is not None
    assert b.run_as_user.value == "0"  # the container's own wins
    assert b.working_dir is None


def test_image_and_generate_name() -> None:
    text = _workload("Job").replace("  name: w\n", "  generateName: batch-\n")
    container = _one(text)
    assert container.workload == "batch-"
    assert container.image is not None
    assert container.image.value == "app:1"


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("containers: {a: 1}\n", "must be a list of containers"),
        ("containers:\n- just-a-string\n", "must be a container mapping"),
        ("containers:\n- name: [a]\n", "must be a string"),
    ],
)
def test_malformed_pod_specs(spec: str, match: str) -> None:
    with pytest.raises(YamlError, match=match):
        load_manifests(_workload("Pod", spec), "k.yaml")


def test_a_workload_without_a_template_has_no_containers() -> None:
    assert (
        load_manifests("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n", "k.yaml")
        == []
    )


# --- recognising manifests ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: v1\nkind: Pod\n", True),
        ("apiVersion: v1\n", False),
        ("kind: Pod\n", False),
        ("apiVersion: 1\nkind: Pod\n", False),
    ],
)
def test_is_manifest(text: str, expected: bool) -> None:
    (document,) = load_documents(text, "k.yaml")
    assert is_manifest(document) is expected


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("deploy.yaml", _workload("Deployment"), "kubernetes"),
        ("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", "kubernetes"),
        ("list.yaml", "apiVersion: v1\nkind: List\nitems: []\n", "kubernetes"),
        ("broken.yaml", "apiVersion: v1\nkind: Pod\nspec: [\n", "kubernetes"),
        (
            "chart/templates/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
            None,
        ),
        (".github/workflows/ci.yml", "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n", None),
        ("kustomization.yaml", "resources: [a.yaml]\n", None),
        ("values.yaml", "kind: thing\nother: 1\n", None),
    ],
)
def test_classify_kubernetes(path: str, text: str, expected: str | None) -> None:
    assert classify_yaml(path, text) == expected
