"""Smoke run of bench/manifests.py's inputs (the timings themselves are not tests): the
50-service Compose project and the 200-document manifest stream load completely."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from sigcheck.load.compose import load_compose, service_runtime
from sigcheck.load.kubernetes import container_runtime, load_manifests

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_manifests", BENCH / "manifests.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_inputs_load(tmp_path: Path) -> None:
    bench = _bench()
    project = load_compose([bench.compose_project(str(tmp_path))], {"DATABASE_URL": "x"})
    assert len(project.services) == 50
    assert len(project.files) == 2  # with the default override file
    assert all(service_runtime(service).platform == "compose" for service in project.services)
    containers = load_manifests(bench.manifest_stream(), "stream.yaml")
    assert len(containers) == 350
    assert {c.role for c in containers} == {"init", "sidecar", "container"}
    assert all(container_runtime(c).platform == "kubernetes" for c in containers)
