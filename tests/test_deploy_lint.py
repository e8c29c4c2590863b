"""Compose files and Kubernetes manifests linted as the deployment runs each container."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from sigcheck.cli import main
from sigcheck.deploy_lint import lint_compose, lint_manifests
from sigcheck.findings import FileReport, Finding
from sigcheck.lint import LintOptions, lint_input
from sigcheck.model.chain import build_chain
from sigcheck.model.image import image_config
from sigcheck.runtime import Override, Runtime
from sigcheck.span import Span

OPTIONS = LintOptions()

NODE_DOCKERFILE = """\
FROM node:20-bookworm
WORKDIR /app
COPY server.js /app/server.js
CMD ["node", "server.js"]
"""

TINI_DOCKERFILE = """\
FROM python:3.12-slim
RUN apt-get update && apt-get install -y tini
COPY app.py /app.py
ENTRYPOINT ["tini", "--"]
CMD ["python", "/app.py"]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "server.js").write_text("require('http').createServer().listen(80)\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    return tmp_path


def _compose(project: Path, text: str, dockerfile: str = NODE_DOCKERFILE) -> list[FileReport]:
    (project / "Dockerfile").write_text(dockerfile)
    (project / "compose.yaml").write_text(text)
    return lint_compose(["compose.yaml"], OPTIONS)


def _findings(reports: list[FileReport]) -> list[Finding]:
    assert [r.error for r in reports if r.error] == []
    return [f for r in reports for f in r.findings]


def _rules(reports: list[FileReport], path: str | None = None) -> list[str]:
    return [f.rule for f in _findings(reports) if path is None or f.path == path]


def test_compose_sh_c_command_is_reported_in_the_compose_file(project: Path) -> None:
    text = 'services:\n  web:\n    build: .\n    command: sh -c "node server.js"\n'
    reports = _compose(project, text)
    (finding,) = [f for f in _findings(reports) if f.rule == "SIG103"]
    assert (finding.path, finding.line, finding.column) == ("compose.yaml", 4, 14)
    assert finding.message.startswith("service web: ")
    assert "dash" in finding.message  # the Debian image's sh, from the Dockerfile's base
    yaml_report = next(r for r in reports if r.path == "compose.yaml")
    assert yaml_report.lines is not None
    assert "command:" in yaml_report.lines[3]


def test_overridden_dockerfile_cmd_is_not_reported_from_the_compose_lint(project: Path) -> None:
    # Linted alone, the Dockerfile's CMD (node as PID 1, no init) is SIG301 at line 4.
    (project / "Dockerfile").write_text(NODE_DOCKERFILE)
    assert "SIG301" in _rules(lint_input("Dockerfile", OPTIONS))
    text = 'services:\n  web:\n    build: .\n    command: ["node", "--version"]\n    init: true\n'
    reports = _compose(project, text)
    assert _rules(reports, "Dockerfile") == []


def test_init_true_silences_no_init(project: Path) -> None:
    without = _compose(project, "services:\n  web:\n    build: .\n")
    assert "SIG301" in _rules(without)
    (finding,) = [f for f in _findings(without) if f.rule == "SIG301"]
    assert finding.path == "Dockerfile"
    assert finding.line == 4
    assert finding.message.startswith("service web: ")
    with_init = _compose(project, "services:\n  web:\n    build: .\n    init: true\n")
    assert "SIG301" not in _rules(with_init)


def test_entrypoint_override_drops_the_images_tini(project: Path) -> None:
    kept = _compose(project, "services:\n  app:\n    build: .\n", TINI_DOCKERFILE)
    assert "SIG301" not in _rules(kept)
    text = 'services:\n  app:\n    build: .\n    entrypoint: ["python", "/app.py"]\n'
    dropped = _compose(project, text, TINI_DOCKERFILE)
    (finding,) = [f for f in _findings(dropped) if f.rule == "SIG301"]
    assert (finding.path, finding.line) == ("compose.yaml", 4)
    assert finding.message.startswith("service app: ")


def test_stop_signal_override_is_checked_where_written(project: Path) -> None:
    text = "services:\n  app:\n    build: .\n    stop_signal: SIGKILLX\n"
    reports = _compose(project, text, TINI_DOCKERFILE)
    (finding,) = [f for f in _findings(reports) if f.rule == "SIG401"]
    assert (finding.path, finding.line) == ("compose.yaml", 4)


def test_an_invalid_stop_signal_is_fixed_in_yaml_words_and_the_others_assume_the_fix(project: Path) -> None:
    """The engine refuses the container: SIG401 says so with the YAML line to write, and the
    other findings speak of SIGTERM (what the container gets once that is fixed), never SIGFOO."""
    text = (
        "services:\n  web:\n    image: debian:bookworm-slim\n"
        '    command: ["sh", "-c", "app --serve && echo done"]\n    stop_signal: SIGFOO\n'
    )
    (project / "compose.yaml").write_text(text)
    findings = _findings(lint_compose(["compose.yaml"], OPTIONS))
    (invalid,) = [f for f in findings if f.rule == "SIG401"]
    assert invalid.fix == "stop_signal: SIGTERM"
    assert "never created" in invalid.message
    assert "build" not in invalid.message
    (wrapper,) = [f for f in findings if f.rule == "SIG103"]
    assert "sends SIGTERM" in wrapper.message
    assert "SIGFOO" not in wrapper.message


def test_image_only_service_uses_the_knowledge_base(project: Path) -> None:
    text = 'services:\n  api:\n    image: python:3.12\n    command: ["python", "app.py"]\n'
    (project / "compose.yaml").write_text(text)
    reports = lint_compose(["compose.yaml"], OPTIONS)
    (finding,) = [f for f in _findings(reports) if f.rule == "SIG301"]
    assert (finding.path, finding.line) == ("compose.yaml", 4)


def test_build_context_outside_the_project_is_an_error_never_read(tmp_path: Path) -> None:
    inside = tmp_path / "project"
    inside.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM python:3.12\n")
    (inside / "compose.yaml").write_text("services:\n  web:\n    build: ../elsewhere\n")
    reports = lint_compose([str(inside / "compose.yaml")], OPTIONS)
    errors = [r.error for r in reports if r.error]
    assert len(errors) == 1
    assert "outside the project" in errors[0]
    assert "service web" in errors[0]


K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: python:3.12
          command: ["sh", "-c", "python migrate.py"]
      containers:
        - name: app
          image: python:3.12
          command: ["sh", "-c", "python app.py"]
"""

SHARED = """\
apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  shareProcessNamespace: {shared}
  containers:
    - name: app
      image: python:3.12
      command: ["python", "app.py"]
"""


def test_kubernetes_sh_c_command_names_the_workload_and_container() -> None:
    reports = lint_manifests("deploy.yaml", K8S, OPTIONS)
    findings = _findings(reports)
    assert [f.rule for f in findings] == ["SIG103"]  # the one-shot init container is skipped
    (finding,) = findings
    assert (finding.path, finding.line) == ("deploy.yaml", 15)
    assert finding.message.startswith("Deployment api, container app: ")


def test_shared_process_namespace_means_no_pid1() -> None:
    assert "SIG301" in _rules(lint_manifests("pod.yaml", SHARED.format(shared="false"), OPTIONS))
    assert "SIG301" not in _rules(lint_manifests("pod.yaml", SHARED.format(shared="true"), OPTIONS))


def test_chain_honours_the_shared_pid_namespace() -> None:
    override = Override(("python", "app.py"), Span.point("pod.yaml", 3))
    runtime = Runtime(platform="kubernetes", entrypoint=override, shared_pid_namespace=True)
    chain = build_chain(image_config("python:3.12"), None, runtime)
    assert chain.links
    assert not any(link.pid1 for link in chain.links)
    assert chain.pid1 is None
    alone = build_chain(image_config("python:3.12"), None, runtime._replace(shared_pid_namespace=False))
    assert alone.pid1 is not None


def _cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_cli_broken_yaml_is_a_one_line_error_and_the_others_are_linted(project: Path) -> None:
    (project / "Dockerfile").write_text(NODE_DOCKERFILE)
    (project / "compose.yaml").write_text("services:\n  web: [unclosed\n")
    (project / "deploy.yaml").write_text(K8S)
    code, out, err = _cli("--format", "json", "compose.yaml", "deploy.yaml", "Dockerfile")
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("sigcheck: compose.yaml")]
    assert len(errors) == 1
    paths = {f["path"] for f in json.loads(out)["findings"]}
    assert paths == {"deploy.yaml", "Dockerfile"}


def test_cli_yaml_bomb_is_an_error(project: Path) -> None:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    (project / "compose.yaml").write_text("\n".join(lines) + "\nservices: {}\n")
    code, _, err = _cli("compose.yaml")
    assert code == 2
    assert "alias" in err


def test_cli_yaml_that_is_neither_is_an_error_when_named_and_skipped_in_a_directory(project: Path) -> None:
    (project / "Dockerfile").write_text(NODE_DOCKERFILE)
    (project / "values.yaml").write_text("replicas: 3\n")
    code, _, err = _cli("values.yaml")
    assert code == 2
    assert "neither a Compose file nor a Kubernetes manifest" in err
    (project / "deploy.yaml").write_text(K8S)
    code, out, err = _cli("--format", "json", ".")
    assert code == 1
    assert "values.yaml" not in err
    paths = {os.path.normpath(f["path"]) for f in json.loads(out)["findings"]}
    assert paths == {"Dockerfile", "deploy.yaml"}


def test_cli_stdin_is_recognised_as_kubernetes_by_content(project: Path) -> None:
    code, out, _ = _cli("--format", "json", "-", stdin=K8S)
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert finding["rule"] == "SIG103"
    assert finding["path"] == "-"


def test_cli_stdin_dockerfile_still_works(project: Path) -> None:
    code, out, _ = _cli("--format", "json", "-", stdin=NODE_DOCKERFILE)
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["SIG301"]


PRE_STOP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
{grace}      containers:
        - name: web
          image: nginx:1.27
          lifecycle:
            preStop:
{hook}
"""


GRACE = "      terminationGracePeriodSeconds: {}\n"


@pytest.mark.parametrize(
    ("grace", "hook", "fires"),
    [
        ("", '              exec:\n                command: ["sh", "-c", "sleep 30"]', True),
        ("", '              exec:\n                command: ["sleep", "29"]', False),
        (GRACE.format(15), "              sleep:\n                seconds: 20", True),
        (GRACE.format(45), "              sleep:\n                seconds: 10", False),
        ("", "              httpGet:\n                path: /drain\n                port: 80", False),
        ("", '              exec:\n                command: ["/drain.sh"]', False),
    ],
)
def test_sig601_prestop_eats_grace(grace: str, hook: str, fires: bool) -> None:
    reports = lint_manifests("deploy.yaml", PRE_STOP.format(grace=grace, hook=hook), OPTIONS)
    found = [f for f in _findings(reports) if f.rule == "SIG601"]
    assert bool(found) == fires
    if found:
        assert (found[0].path, found[0].line) == ("deploy.yaml", 13 + grace.count("\n"))  # at `preStop:`
        assert found[0].message.startswith("Deployment web, container web: ")
        assert "SIGQUIT" in found[0].message  # nginx's STOPSIGNAL, from the knowledge base


def test_cli_stdin_compose_is_recognised_and_builds_from_the_working_directory(project: Path) -> None:
    (project / "Dockerfile").write_text(NODE_DOCKERFILE)
    text = 'services:\n  web:\n    build: .\n    command: sh -c "node server.js"\n'
    code, out, _ = _cli("--format", "json", "-", stdin=text)
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert (finding["rule"], finding["path"], finding["line"]) == ("SIG103", "-", 4)


def test_github_format_points_at_the_yaml_line(project: Path) -> None:
    (project / "Dockerfile").write_text(NODE_DOCKERFILE)
    text = 'services:\n  web:\n    build: .\n    command: sh -c "node server.js"\n'
    (project / "compose.yaml").write_text(text)
    code, out, _ = _cli("--format", "github", "compose.yaml")
    assert code == 1
    assert "file=compose.yaml,line=4,col=14," in out
