"""The pre-commit hook, for real: `pre-commit try-repo` against a copy of this checkout.

try-repo needs a git repository with the hook definition committed, so the
working tree (tracked and untracked files that .gitignore does not exclude) is
copied into a throwaway repository and committed there; the checkout itself is
never touched. pre-commit then builds the hook's environment from that copy,
which needs the package index: the test is skipped without pre-commit or
without a route to PyPI.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

BAD = "FROM debian:bookworm-slim\nCOPY server /usr/local/bin/server\nCMD server --port 8080\n"
CLEAN = "FROM nginx:1.27\n"
COMPOSE = """\
services:
  web:
    image: nginx:1.27
    command: sh -c "nginx -g 'daemon off;'"
"""
COMPOSE_OVERRIDE = "services:\n  web:\n    stop_signal: SIGQUIT\n"
MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: api}
spec:
  containers:
    - name: api
      image: python:3.12
      command: [sh, -c, "python app.py"]
"""
HELM_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
"""

GIT_ENV = {
    "GIT_AUTHOR_NAME": "sigcheck tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "sigcheck tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _index_reachable() -> bool:
    try:
        with socket.create_connection(("pypi.org", 443), timeout=5):
            return True
    except OSError:
        return False


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(GIT_ENV)
    env["HOME"] = str(tmp_path / "home")  # no user git config, no user pre-commit cache
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-cache")
    env.pop("FORCE_COLOR", None)
    return env


def _git(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def _copy_checkout(destination: Path, env: dict[str, str]) -> None:
    listed = _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO, env)
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(["init", "-q"], destination, env)
    _git(["add", "-A"], destination, env)
    _git(["commit", "-q", "-m", "sigcheck working tree"], destination, env)


def _project(path: Path, files: dict[str, str], env: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    _git(["init", "-q"], path, env)
    _git(["add", "-A"], path, env)
    return path


def _try_repo(project: Path, hook_repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hook_repo),
            "sigcheck",
            "--all-files",
            "--color=never",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


@pytest.mark.slow
def test_pre_commit_hook(tmp_path: Path) -> None:
    if importlib.util.find_spec("pre_commit") is None:
        pytest.skip("pre-commit is not installed (it is in the test extras)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not _index_reachable():
        pytest.skip("no route to PyPI: pre-commit cannot build the hook's environment")
    env = _env(tmp_path)
    (tmp_path / "home").mkdir()
    hook_repo = tmp_path / "sigcheck-checkout"
    _copy_checkout(hook_repo, env)

    bad = _project(
        tmp_path / "bad",
        {
            "Dockerfile": BAD,
            "services/api.dockerfile": BAD,
            "Dockerfile.prod": BAD,
            "Containerfile": BAD,
            "worker/Containerfile.dev": BAD,
            "README.md": "CMD this is not a Dockerfile\n",
            "docs/dockerfile-guide.md": "neither is this\n",
            "compose.yaml": COMPOSE,
            "compose.override.yaml": COMPOSE_OVERRIDE,
            "deploy/api.yml": MANIFEST,
            # YAML that is neither: skipped silently, not an exit-2 error.
            ".github/workflows/ci.yml": "on: push\njobs: {}\n",
            "chart/templates/deployment.yaml": HELM_TEMPLATE,
            "config.yaml": "services: [not, compose]\n",
        },
        env,
    )
    result = _try_repo(bad, hook_repo, env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "sigcheck" in output
    assert "Failed" in output
    linted = (
        "Dockerfile",
        "services/api.dockerfile",
        "Dockerfile.prod",
        "Containerfile",
        "worker/Containerfile.dev",
    )
    for name in linted:
        assert f"\n{name}\n  3:1  error  SIG102 shell-form-cmd" in output, name
    # The override file stands for the Compose file that merges it: one report, with its
    # stop_signal applied (the SIG103 message names the signal the shell does not forward).
    assert "\ncompose.yaml\n  4:14  error  SIG103 exec-form-shell-wrapper" in output
    assert "sends SIGQUIT to PID 1" in output
    assert "\ndeploy/api.yml\n  8:16  error  SIG103 exec-form-shell-wrapper" in output
    # One call with every file: one summary line.
    assert output.count(" files, ") == 1
    assert "7 files, 7 errors" in output
    assert "not linted" not in output
    for skipped in ("README.md", "dockerfile-guide.md", "ci.yml", "deployment.yaml", "config.yaml"):
        assert skipped not in output, skipped

    clean = _project(
        tmp_path / "clean",
        {"Dockerfile": CLEAN, "app/Containerfile": CLEAN, ".github/workflows/ci.yml": "on: push\n"},
        env,
    )
    result = _try_repo(clean, hook_repo, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_hook_definition_matches_what_sigcheck_discovers() -> None:
    import re

    import yaml

    from sigcheck.discover import is_dockerfile_name, is_yaml_name

    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "sigcheck"
    assert hook["language"] == "python"
    # `check`: a file named `rules` stays a path; the flag: YAML of other kinds is skipped.
    assert hook["entry"] == "sigcheck check --skip-other-yaml"
    assert hook["require_serial"] is True  # every file in one call
    assert "dockerfile" in hook["types_or"]
    files = re.compile(hook["files"])
    names = [
        "Dockerfile", "Dockerfile.prod", "Dockerfile.dev.arm64", "Containerfile", "Containerfile.ci",
        "api.dockerfile", "API.Dockerfile", "db.containerfile", "README.md", "dockerfile-notes.txt",
        "Dockerfiles", "mydockerfile", "docker-compose.yml", "compose.yaml", "deploy.YML",
        "values.yaml.bak", "yaml", "notes.yamlx",
    ]  # fmt: skip
    for name in names:
        for path in (name, f"services/api/{name}"):
            assert bool(files.search(path)) is (is_dockerfile_name(name) or is_yaml_name(name)), path


# --- the hook's flag, through the CLI entry ------------------------------------------------


def _check(project: Path, *args: str) -> tuple[int, str, str]:
    """`sigcheck check ARGS` in `project`, as the hook runs it there (paths relative to it)."""
    from click.testing import CliRunner

    from sigcheck.cli import main

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        result = CliRunner().invoke(main, ["check", "--isolated", "--format", "json", *args])
    return result.exit_code, result.stdout, result.stderr


def _linted(stdout: str) -> set[str]:
    return {finding["path"] for finding in json.loads(stdout)["findings"]}


def test_other_yaml_is_an_error_when_named_and_skipped_with_the_flag(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text("on: push\njobs: {}\n")
    (tmp_path / "chart.yaml").write_text(HELM_TEMPLATE)
    code, _, err = _check(tmp_path, "ci.yml", "chart.yaml")
    assert code == 2
    assert "ci.yml: neither a Compose file nor a Kubernetes manifest" in err
    code, out, err = _check(tmp_path, "--skip-other-yaml", "ci.yml", "chart.yaml")
    assert (code, err) == (0, "")
    assert _linted(out) == set()


def test_the_flag_keeps_deployments_and_lints_an_override_with_its_base(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "compose.override.yaml").write_text(COMPOSE_OVERRIDE)
    (tmp_path / "api.yml").write_text(MANIFEST)
    (tmp_path / "Dockerfile").write_text(BAD)
    code, out, err = _check(tmp_path, "--skip-other-yaml", "compose.override.yaml", "api.yml", "Dockerfile")
    assert (code, err) == (1, "")
    assert _linted(out) == {"compose.yaml", "api.yml", "Dockerfile"}
    # Named twice (the base and its override): linted once.
    code, out, _ = _check(tmp_path, "--skip-other-yaml", "compose.yaml", "compose.override.yaml")
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["SIG103"]


def test_an_override_without_its_base_is_skipped_with_the_flag(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.override.yml").write_text(COMPOSE_OVERRIDE)
    code, out, err = _check(tmp_path, "--skip-other-yaml", "docker-compose.override.yml")
    assert (code, err) == (0, "")
    assert _linted(out) == set()
