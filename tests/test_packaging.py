"""The wheel carries what an installed sigcheck needs: the rule pages and the data files.

Builds a wheel from this checkout, installs it (without its dependencies, which
are borrowed from the running interpreter through a .pth file) into a fresh
venv, and runs `sigcheck explain` and `sigcheck check` from there, far from the
source tree.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "FORCE_COLOR")}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, check=False, timeout=300)


@pytest.mark.slow
def test_installed_wheel_explains_rules(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)]
    if importlib.util.find_spec("hatchling") is not None:
        build.insert(4, "--no-build-isolation")  # offline and faster; else pip fetches hatchling
    result = _run(build, tmp_path)
    assert result.returncode == 0, result.stderr
    (wheel,) = wheels.glob("sigcheck-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    pages = sorted(p.name for p in (REPO / "rules").glob("SIG*.md"))
    assert pages
    assert {f"sigcheck/_rules_docs/{name}" for name in pages} <= names
    assert {"sigcheck/data/images.json", "sigcheck/data/apps.json"} <= names

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path).returncode == 0
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)]
    result = _run(install, tmp_path)
    assert result.returncode == 0, result.stderr
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        tmp_path).stdout.strip())  # fmt: skip
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "borrowed_dependencies.pth").write_text(
        "\n".join(sorted(dependencies)) + "\n", encoding="utf-8"
    )

    where = _run([str(python), "-c", "import sigcheck.docs as d; print(d.page_path('SIG102'))"], tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr
    assert "_rules_docs" in where.stdout

    explain = _run([str(bindir / "sigcheck"), "explain", "SIG102"], tmp_path)
    assert explain.returncode == 0, explain.stderr
    assert explain.stdout.startswith("# SIG102: shell-form-cmd\n")
    assert "## Why is this bad?" in explain.stdout

    (tmp_path / "Dockerfile").write_text("FROM node:20-bookworm-slim\nCMD node server.js\n", encoding="utf-8")
    check = _run([str(bindir / "sigcheck"), "-f", "sarif", "Dockerfile"], tmp_path)
    assert check.returncode == 1, check.stderr
    assert '"ruleId": "SIG102"' in check.stdout
    assert "## What it does" in check.stdout  # the rule help in the SARIF comes from the shipped page
