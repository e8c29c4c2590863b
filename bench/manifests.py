"""Compose files and Kubernetes manifests: load and whole-lint time beyond start-up, and
PyYAML's import cost.

Usage: python bench/manifests.py [--runs N] [--big]

- a Compose file with 50 services (anchors and `<<` merges, `build`, string and
  list commands, environment in both forms, interpolation, an override file):
  `load_compose` plus `service_runtime` for every service;
- a 200-document manifest stream (Deployments, StatefulSets, Jobs, CronJobs with
  init containers, sidecars, preStop hooks, `$(VAR)` references, Services):
  `load_manifests` plus `container_runtime` for every container;
- the whole lint of each (what `sigcheck FILE` does after start-up): `lint_input`
  on the file (read, recognise by content, load, chain, rules, regrouping) and the
  text report rendered to memory; and, apart, what rendering the SARIF report instead costs. The
  Compose project's `build:` contexts hold a two-stage Dockerfile and an entry
  script, so each built service is a Dockerfile lint too;
- the import cost, in a fresh interpreter each run with sigcheck's CLI already
  imported (what a YAML lint adds): PyYAML alone, and sigcheck's YAML loaders
  with it;
- `--big`: a 10 MB manifest stream (11,000-odd documents), once.

Prints medians and minima of `--runs` in-process runs (the first, warm-up run is
not counted). The issue's target: under 100 ms beyond start-up for either input,
the whole lint included.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sigcheck.findings import FileReport  # noqa: E402
from sigcheck.lint import LintOptions, lint_input  # noqa: E402
from sigcheck.load.compose import load_compose, service_runtime  # noqa: E402
from sigcheck.load.kubernetes import container_runtime, load_manifests  # noqa: E402
from sigcheck.report import render  # noqa: E402

COMPOSE_HEAD = """\
x-defaults: &defaults
  init: true
  stop_grace_period: 30s
  environment: &env
    LOG_LEVEL: info
    REGION: ${REGION:-eu-west-1}
"""

SERVICE_TEMPLATES = [
    """\
  web{i}:
    <<: *defaults
    build:
      context: ./services/web{i}
      dockerfile: Dockerfile
      target: prod
      args: ["VERSION=${{VERSION:-1.0}}"]
    command: gunicorn app:wsgi --bind 0.0.0.0:80{i:02d} --graceful-timeout 20
    environment:
      - PORT=80{i:02d}
      - DATABASE_URL
    ports: ["80{i:02d}:80{i:02d}"]
""",
    """\
  worker{i}:
    image: registry.example.com/worker:${{TAG:-latest}}
    entrypoint: ["/usr/bin/tini", "--"]
    command: ["python", "-m", "worker", "--queue", "q{i}"]
    stop_signal: SIGINT
    stop_grace_period: 1m30s
    user: "1000:1000"
    working_dir: /srv
    environment:
      <<: *env
      QUEUE: q{i}
    profiles: [workers]
""",
    """\
  proxy{i}:
    image: nginx:1.27
    command: sh -c "envsubst < /tmpl > /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'"
    stop_signal: SIGQUIT
    depends_on: [web{j}]
""",
]

OVERRIDE = "services:\n" + "".join(
    f"  web{i}:\n    command: [flask, run, --debug]\n" for i in range(0, 50, 3)
)

DEPLOYMENT = """\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: app-{i}
  namespace: team-{ns}
  labels: {{app: app-{i}, tier: backend}}
spec:
  replicas: 3
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      terminationGracePeriodSeconds: {grace}
      initContainers:
      - name: migrate
        image: registry.example.com/app:{i}
        command: ["./manage.py", "migrate"]
      - name: log-shipper
        image: fluent/fluent-bit:3.0
        restartPolicy: Always
      containers:
      - name: app
        image: registry.example.com/app:{i}
        command: ["sh", "-c"]
        args: ["exec gunicorn app:wsgi --bind 0.0.0.0:$(PORT) --graceful-timeout 25"]
        env:
        - name: PORT
          value: "8080"
        - name: POD_NAME
          valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}
        lifecycle:
          preStop:
            sleep: {{seconds: 10}}
        ports:
        - containerPort: 8080
        securityContext: {{runAsUser: 1000, readOnlyRootFilesystem: true}}
"""

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-{i}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: run
            image: busybox:1.36
            command: ["sh", "-c", "echo start; ./batch --all"]
            lifecycle:
              preStop:
                exec: {{command: ["/bin/sh", "-c", "kill -TERM 1; sleep 5"]}}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
spec:
  selector: {{app: app-{i}}}
  ports:
  - port: 80
    targetPort: 8080
"""


# Each `web{i}` service builds this (its `target: prod`), with an entry script to read.
WEB_DOCKERFILE = """\
FROM python:3.12-slim AS base
RUN pip install gunicorn flask
FROM base AS prod
WORKDIR /app
COPY app.py entrypoint.sh /app/
ENTRYPOINT ["/app/entrypoint.sh"]
CMD gunicorn app:wsgi --bind 0.0.0.0:80
"""
# No `exec`: one SIG201 finding per built service, so the reports have something to render.
WEB_ENTRYPOINT = "#!/bin/sh\nset -e\necho migrating\npython -m app.migrate\ngunicorn app:wsgi --bind :80\n"
WEB_APP = "from flask import Flask\nwsgi = Flask(__name__)\n"


def compose_project(directory: str, services: int = 50) -> str:
    body = "".join(SERVICE_TEMPLATES[i % 3].format(i=i, j=i - i % 3) for i in range(services))
    for i in range(0, services, 3):
        context = Path(directory, "services", f"web{i}")
        context.mkdir(parents=True, exist_ok=True)
        (context / "Dockerfile").write_text(WEB_DOCKERFILE)
        (context / "entrypoint.sh").write_text(WEB_ENTRYPOINT)
        (context / "app.py").write_text(WEB_APP)
    path = os.path.join(directory, "compose.yaml")
    Path(path).write_text(COMPOSE_HEAD + "services:\n" + body)
    Path(directory, "compose.override.yaml").write_text(OVERRIDE)
    Path(directory, ".env").write_text("TAG=2024.11\nVERSION=3.2\n")
    return path


def manifest_stream(documents: int = 200) -> str:
    parts = []
    for i in range(documents):
        shape = i % 4
        if shape == 3:
            parts.append(SERVICE.format(i=i))
        elif shape == 2:
            parts.append(CRONJOB.format(i=i))
        else:
            kind = "Deployment" if shape == 0 else "StatefulSet"
            parts.append(DEPLOYMENT.format(kind=kind, i=i, ns=i % 7, grace=30 + i % 3 * 15))
    return "---\n".join(parts)


def _runs(function: Callable[[], int], runs: int) -> tuple[float, float, float, int]:
    """Wall-time median and minimum, and the minimum CPU time (less sensitive to other jobs)."""
    function()  # warm-up: first-call caches, page faults
    walls = []
    cpus = []
    count = 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        count = function()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), min(walls), min(cpus), count


def _reported(reports: list[FileReport]) -> int:
    """Render what the CLI prints by default (the text report); the number of findings."""
    render("text", reports, io.StringIO(), False, 0.0)
    if any(report.error for report in reports):
        raise SystemExit(f"the benchmark input does not lint: {[r.error for r in reports if r.error]}")
    return sum(len(report.findings) for report in reports)


def _sarif(reports: list[FileReport]) -> int:
    """The SARIF report instead: every rule's page goes into it, a cost per run, not per file."""
    render("sarif", reports, io.StringIO(), False, 0.0)
    return len(reports)


def _measure(label: str, function: Callable[[], int], runs: int, unit: str) -> None:
    median, best, cpu, count = _runs(function, runs)
    print(
        f"{label}: {median * 1000:.1f} ms median, {best * 1000:.1f} ms min, "
        f"{cpu * 1000:.1f} ms CPU min ({count} {unit})"
    )


def _import_ms(code: str, module: str, runs: int) -> tuple[float, float]:
    """Cumulative -X importtime of `module` when `code` runs after importing the CLI."""
    values = []
    pattern = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)$")
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import sigcheck.cli, sigcheck.lint\n" + code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        for line in result.stderr.splitlines():
            match = pattern.match(line)
            if match and match.group(3) == module and match.group(2) == "":
                values.append(int(match.group(1)) / 1000)
    return statistics.median(values), min(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--import-runs", type=int, default=15)
    parser.add_argument("--big", action="store_true", help="also load a 10 MB manifest stream once")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = compose_project(tmp)

        def compose() -> int:
            project = load_compose([path], {"DATABASE_URL": "postgres://db"})
            return len([service_runtime(service) for service in project.services])

        _measure("compose, 50 services + override", compose, args.runs, "services")
        _measure(
            "compose, whole lint + text report",
            lambda: _reported(lint_input(path, LintOptions())),
            args.runs,
            "findings",
        )
        reports = lint_input(path, LintOptions())
        _measure("compose, SARIF report alone", lambda: _sarif(reports), args.runs, "reports")

    stream = manifest_stream()
    size = len(stream.encode()) / 1024

    def manifests() -> int:
        return len([container_runtime(c) for c in load_manifests(stream, "stream.yaml")])

    _measure(f"manifests, 200 documents ({size:.0f} KiB)", manifests, args.runs, "containers")
    with tempfile.TemporaryDirectory() as tmp:
        stream_path = os.path.join(tmp, "stream.yaml")
        Path(stream_path).write_text(stream)
        _measure(
            "manifests, whole lint + text report",
            lambda: _reported(lint_input(stream_path, LintOptions())),
            args.runs,
            "findings",
        )

    median, best = _import_ms("import yaml", "yaml", args.import_runs)
    print(f"import yaml after the CLI: {median:.1f} ms median, {best:.1f} ms min")
    code = "import sigcheck.load.compose, sigcheck.load.kubernetes"
    median, best = _import_ms(code, "sigcheck.load.compose", args.import_runs)
    print(
        f"import sigcheck.load.compose (PyYAML included) after the CLI: {median:.1f} ms median, "
        f"{best:.1f} ms min"
    )

    if args.big:
        text = manifest_stream(12000)
        text = text[: text.rfind("---\n", 0, 10 * 1024 * 1024)]
        start = time.perf_counter()
        containers = load_manifests(text, "big.yaml")
        seconds = time.perf_counter() - start
        print(
            f"10 MB stream ({len(text.encode()) / 1e6:.1f} MB, {len(containers)} containers): {seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
