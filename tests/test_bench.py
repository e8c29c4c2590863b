"""Smoke runs of the benchmark scripts (the measurements themselves are not tests):
the corpus generator yields projects sigcheck lints without an error and that exercise
every rule family, and the start-up benchmark runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sigcheck.lint import LintOptions, lint_file

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from corpus import generate  # noqa: E402


def test_the_corpus_covers_every_rule_family(tmp_path: Path) -> None:
    files = generate(str(tmp_path), 60)
    assert len(files) == 60
    rules: set[str] = set()
    for path in files:
        report = lint_file(path, LintOptions())
        assert report.error is None, (path, report.error)
        rules |= {f.rule for f in report.findings}
    assert {rule[:4] for rule in rules} >= {"SIG1", "SIG2", "SIG3", "SIG4"}, sorted(rules)


def test_the_start_up_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "startup.py"), "--runs", "1"],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "sigcheck Dockerfile" in result.stdout
    assert "ratio" in result.stdout
