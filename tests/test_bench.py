"""Smoke runs of the benchmark scripts (the measurements themselves are not tests):
the corpus generator yields projects sigcheck lints without an error and that exercise
every rule family, and the start-up benchmark runs."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from sigcheck.lint import LintOptions, lint_file

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _corpus_module() -> ModuleType:
    """bench/corpus.py, loaded from its path: bench/ is not a package or on sys.path."""
    spec = importlib.util.spec_from_file_location("bench_corpus", BENCH / "corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_corpus_covers_every_rule_family(tmp_path: Path) -> None:
    files = _corpus_module().generate(str(tmp_path), 60)
    assert len(files) == 60
    rules: set[str] = set()
    for path in files:
        report = lint_file(path, LintOptions())
        assert report.error is None, (path, report.error)
        rules |= {f.rule for f in report.findings}
    assert {rule[:4] for rule in rules} >= {"SIG1", "SIG2", "SIG3", "SIG4"}, sorted(rules)


def test_the_start_up_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "startup.py"), "--runs", "1", "--no-compile"],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "sigcheck Dockerfile" in result.stdout
    assert "ratio" in result.stdout
