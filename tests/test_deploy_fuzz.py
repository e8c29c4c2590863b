"""The whole deployment lint on generated Compose files and Kubernetes streams, valid and
broken (tests/yaml_grammar.py): a bounded run of tools/fuzz_yaml.py --lint's properties
(tests/deploy_fuzz.py), and the crashes and vague errors that fuzzing found."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from deploy_fuzz import check_cli, check_lint, report_problem, write_project
from yaml_grammar import yaml_input

from sigcheck.deploy_lint import lint_compose
from sigcheck.findings import FileReport, Finding, Severity
from sigcheck.lint import INTERNAL_ERROR, LintOptions
from sigcheck.report import FORMATS

SEEDS = range(300)  # about 8 s; tools/fuzz_yaml.py --lint runs 100,000 (bench/RESULTS.md)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("deploy-fuzz").resolve()
    write_project(root)
    return root


def test_generated_inputs_lint_without_a_traceback(project: Path) -> None:
    problems = {}
    for seed in SEEDS:
        problem = check_lint(*yaml_input(random.Random(seed)), project)
        if problem is not None:
            problems[seed] = problem
    assert problems == {}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_generated_inputs_through_the_cli(project: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    problems = {}
    for seed in range(1000, 1006):
        problem = check_cli(*yaml_input(random.Random(seed)), project, fmt)
        if problem is not None:
            problems[seed] = problem
    assert problems == {}


def test_the_properties_catch_what_they_promise_to(project: Path) -> None:
    # A check that cannot fail proves nothing: each broken report is named.
    yaml_path = str(project / "compose.yaml")
    text = "services: {}\n"

    def problem(report: FileReport) -> str | None:
        return report_problem([report], yaml_path, text, project)

    assert problem(FileReport(yaml_path)) is None
    assert "internal error" in str(problem(FileReport(yaml_path, error=f"{INTERNAL_ERROR}: KeyError")))
    assert "several lines" in str(problem(FileReport(yaml_path, error=f"{yaml_path}: a\nb")))
    assert "does not name" in str(problem(FileReport(yaml_path, error="no such file")))
    assert "outside the project" in str(problem(FileReport("/etc/passwd", error="x")))
    finding = Finding("SIG102", "shell-form-cmd", Severity.ERROR, yaml_path, 5, 1, 5, 2, "m")
    assert "finding outside" in str(problem(FileReport(yaml_path, findings=[finding])))


# --- what fuzzing found ---------------------------------------------------------------------


def _errors(project: Path, text: str) -> list[str]:
    path = str(project / "compose.yaml")
    reports = lint_compose([path], LintOptions(), texts={path: text})
    return [report.error for report in reports if report.error is not None]


def test_a_missing_dockerfile_names_the_service_and_the_file(project: Path) -> None:
    errors = _errors(project, "services:\n  web:\n    build: ./missing\n  ok:\n    build: .\n")
    assert len(errors) == 1
    assert errors[0].startswith("service web: ")
    assert "missing/Dockerfile" in errors[0]
    assert "\n" not in errors[0]


def test_an_unknown_target_names_the_service_and_the_dockerfile(project: Path) -> None:
    text = "services:\n  web:\n    build: {context: ., target: prod}\n"
    (error,) = _errors(project, text)
    assert error.startswith("service web: ")
    assert "Dockerfile: target stage 'prod' not found" in error
