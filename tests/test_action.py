"""The GitHub Action (action.yml): its shape, and its run step executed for real with bash."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
BAD = "FROM debian:bookworm-slim\nCOPY server /usr/local/bin/server\nCMD server --port 8080\n"


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    return data


def _step(name: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in _action()["runs"]["steps"] if s["name"] == name)
    return step


def test_action_shape() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    inputs = set(action["inputs"])
    assert {"paths", "format", "upload-sarif", "sarif-file", "failure-threshold"} <= inputs
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach scripts through `env`, never pasted into the script (injection).
            assert "${{" not in step["run"]
        for value in [*step.get("env", {}).values(), *step.get("with", {}).values(), step.get("if", "")]:
            for used in re.findall(r"inputs\.([A-Za-z0-9_-]+)", str(value)):
                assert used in inputs, used
    upload = _step("Upload SARIF to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "inputs.upload-sarif == 'true'" in upload["if"]


def _sigcheck_bin() -> str:
    found = shutil.which("sigcheck", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.skip("the sigcheck console script is not installed beside this Python")
    return found


def _run_step(tmp_path: Path, **inputs: str) -> tuple[int, dict[str, str], str]:
    script = _step("Run sigcheck")["run"]
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    env = {
        "PATH": os.path.dirname(_sigcheck_bin()) + os.pathsep + os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "GITHUB_OUTPUT": str(output),
        "PATHS": ".",
        "FORMAT": "github",
        "UPLOAD_SARIF": "false",
        "SARIF_FILE": "sigcheck.sarif",
        "FAILURE_THRESHOLD": "",
        "ARGS": "",
    }
    env.update(inputs)
    result = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    return result.returncode, outputs, result.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_run_step_annotates_and_writes_sarif(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text(BAD, encoding="utf-8")
    code, outputs, stdout = _run_step(tmp_path, UPLOAD_SARIF="true", SARIF_FILE="reports/sigcheck.sarif")
    assert code == 0  # the step records the exit code; a later step fails the job after the upload
    assert outputs == {"sarif-file": "reports/sigcheck.sarif", "exit-code": "1"}
    assert stdout.startswith("::error file=svc/Dockerfile,line=3,")
    sarif = json.loads((tmp_path / "reports" / "sigcheck.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"][0]["ruleId"] == "SIG102"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_run_step_passes_threshold_args_and_paths(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(BAD, encoding="utf-8")
    (tmp_path / "other.dockerfile").write_text(BAD, encoding="utf-8")
    code, outputs, stdout = _run_step(
        tmp_path, PATHS="Dockerfile  other.dockerfile", FAILURE_THRESHOLD="none"
    )
    assert (code, outputs) == (0, {"exit-code": "0"})
    assert stdout.count("::error ") == 2
    _, outputs, stdout = _run_step(
        tmp_path, PATHS="Dockerfile", ARGS="--ignore SIG102 --format json:out.json"
    )
    assert outputs == {"exit-code": "0"}
    assert stdout == ""
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["findings"] == []


COMPOSE = "services:\n  web:\n    image: nginx:1.27\n    command: sh -c \"nginx -g 'daemon off;'\"\n"
MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          image: python:3.12
          command: [sh, -c, "python app.py"]
"""


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_default_paths_cover_compose_files_and_manifests(tmp_path: Path) -> None:
    # The default `paths: .` is a directory search: Compose files by name, manifests by
    # content, other YAML (the repository's own workflows) skipped without an error.
    (tmp_path / "Dockerfile").write_text(BAD, encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "api.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n", encoding="utf-8")
    code, outputs, stdout = _run_step(tmp_path, UPLOAD_SARIF="true")
    assert code == 0
    assert outputs["exit-code"] == "1"
    annotated = sorted(re.findall(r"^::error file=([^,]+),line=(\d+),", stdout, re.M))
    assert annotated == [("Dockerfile", "3"), ("compose.yaml", "4"), ("k8s/api.yaml", "10")]
    assert "ci.yml" not in stdout
    sarif = json.loads((tmp_path / "sigcheck.sarif").read_text(encoding="utf-8"))
    located = sorted(
        (
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for result in sarif["runs"][0]["results"]
    )
    assert located == [("Dockerfile", 3), ("compose.yaml", 4), ("k8s/api.yaml", 10)]


def test_readme_workflow_uses_the_action_inputs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    workflows = [yaml.safe_load(b) for b in blocks if "uses: sigcheck/sigcheck" in b]
    assert workflows, "README has no workflow that uses the action"
    inputs = set(_action()["inputs"])
    for workflow in workflows:
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("sigcheck/sigcheck"):
                    assert set(step.get("with", {})) <= inputs
