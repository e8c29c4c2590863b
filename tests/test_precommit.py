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
    # One call with every file: one summary line.
    assert output.count(" files, ") == 1
    assert "5 files, 5 errors" in output
    assert "README.md" not in output
    assert "dockerfile-guide.md" not in output

    clean = _project(tmp_path / "clean", {"Dockerfile": CLEAN, "app/Containerfile": CLEAN}, env)
    result = _try_repo(clean, hook_repo, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_hook_definition_matches_what_sigcheck_discovers() -> None:
    import re

    import yaml

    from sigcheck.discover import is_dockerfile_name

    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "sigcheck"
    assert hook["language"] == "python"
    assert hook["entry"] == "sigcheck check"  # a file named `rules` stays a path
    assert hook["require_serial"] is True  # every file in one call
    assert "dockerfile" in hook["types_or"]
    files = re.compile(hook["files"])
    names = [
        "Dockerfile", "Dockerfile.prod", "Dockerfile.dev.arm64", "Containerfile", "Containerfile.ci",
        "api.dockerfile", "API.Dockerfile", "db.containerfile", "README.md", "dockerfile-notes.txt",
        "Dockerfiles", "mydockerfile", "docker-compose.yml",
    ]  # fmt: skip
    for name in names:
        for path in (name, f"services/api/{name}"):
            assert bool(files.search(path)) is is_dockerfile_name(name), path
