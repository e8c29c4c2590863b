"""Every fixture under fixtures/ lints to exactly the findings its expected.json lists.

A fixture is a directory with a Dockerfile, the build-context files a real project
would have, and expected.json:

    {"description": "...", "target": null | "stage",
     "findings": [{"rule": "SIG102", "severity": "error", "line": 4, "path": "Dockerfile"}],
     "silent_for": ["SIG101"], "known_bug": "one line"}

and optionally "dockerfile" (its path inside the fixture, default "Dockerfile"),
"deployment" (a Compose file or Kubernetes manifest inside the fixture: that is
linted instead of the Dockerfile, as `sigcheck compose.yaml` lints it, with the
Dockerfiles and scripts it builds),
"not_in_output" (strings no message, fix or chain may contain), "git_root" (lint
a copy whose directory is a git root, so context discovery stops there) and
"symlinks" (the fixture relies on symlinks; copies keep them).

A finding's `path` is relative to the fixture directory and defaults to the
linted file, the deployment or else the Dockerfile (entry scripts from the build
context, and a deployment's Dockerfiles, are reported in their own file). The
expected findings come from the measured semantics (signal-semantics.md), not
from sigcheck's output; a fixture where sigcheck is known to be wrong carries
`known_bug` and is a strict xfail until the bug is fixed. `silent_for` names the
rules the fixture shows staying silent on a case they could be expected to flag
(a rule ID in the description counts too).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sigcheck.findings import Finding, Severity
from sigcheck.lint import LintOptions, lint_input, lint_text
from sigcheck.load.files import read_text
from sigcheck.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
RULE_IDS = frozenset(rule.id for rule in ALL_RULES)
SEVERITIES = frozenset(severity.label for severity in Severity)
_KEYS = frozenset(
    {
        "description",
        "target",
        "findings",
        "silent_for",
        "known_bug",
        "dockerfile",
        "not_in_output",
        "git_root",
        "symlinks",
        "deployment",
    }
)
_FINDING_KEYS = frozenset({"rule", "severity", "line", "path"})
_RULE_ID = re.compile(r"\bSIG\d{3}\b")

# (rule, severity, path relative to the fixture directory, line)
Key = tuple[str, str, str, int]


@dataclass(frozen=True)
class Fixture:
    name: str
    expected: dict[str, Any]

    @property
    def dockerfile(self) -> str:
        """The Dockerfile's path inside the fixture directory."""
        path = self.expected.get("dockerfile", "Dockerfile")
        return path if isinstance(path, str) else "Dockerfile"

    @property
    def deployment(self) -> str | None:
        """The Compose file or Kubernetes manifest to lint instead of the Dockerfile."""
        path = self.expected.get("deployment")
        return path if isinstance(path, str) else None

    @property
    def linted(self) -> str:
        """The file the fixture lints, and the default path of its findings."""
        return self.deployment or self.dockerfile

    @property
    def target(self) -> str | None:
        target = self.expected.get("target")
        return target if isinstance(target, str) else None

    @property
    def known_bug(self) -> str | None:
        bug = self.expected.get("known_bug")
        return bug if isinstance(bug, str) else None

    def expected_keys(self) -> list[Key]:
        return sorted(
            (f["rule"], f["severity"], f.get("path", self.linted), f["line"])
            for f in self.expected["findings"]
        )

    def firing(self) -> set[str]:
        return {f["rule"] for f in self.expected["findings"]}

    def silent(self) -> set[str]:
        """Rules this fixture shows staying silent: `silent_for`, or named in the description."""
        named = set(self.expected.get("silent_for", ())) | set(
            _RULE_ID.findall(str(self.expected.get("description", "")))
        )
        return named - self.firing()


# fixtures/fix/ holds --fix cases (before/ and after/ trees), checked by tests/test_fix.py.
_NOT_FIXTURES = frozenset({"fix"})


def _fixture_names() -> list[str]:
    return sorted(
        p.name
        for p in FIXTURES.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in _NOT_FIXTURES
    )


def _load(name: str) -> Fixture:
    with open(FIXTURES / name / "expected.json", encoding="utf-8") as handle:
        expected: dict[str, Any] = json.load(handle)
    return Fixture(name, expected)


def _all_fixtures() -> Iterator[Fixture]:
    for name in _fixture_names():
        if (FIXTURES / name / "expected.json").is_file():
            yield _load(name)


def _params() -> list[Any]:
    params: list[Any] = []
    for name in _fixture_names():
        marks: list[pytest.MarkDecorator] = []
        if (FIXTURES / name / "expected.json").is_file():
            bug = _load(name).known_bug
            if bug is not None:
                marks.append(pytest.mark.xfail(strict=True, reason=f"known bug: {bug}"))
        params.append(pytest.param(name, id=name, marks=marks))
    return params


def _key(base: str, finding: Finding) -> Key:
    path = posixpath.relpath(finding.path.replace(os.sep, "/"), base)
    return (finding.rule, finding.severity.label, path, finding.line)


def _lint(fixture: Fixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[str, list[Finding]]:
    """Lint the fixture as a CI job in the repository root would: a relative path, the
    build context discovered from the Dockerfile's location. Returns the fixture
    directory as given and the findings."""
    if fixture.expected.get("git_root"):
        # Context discovery stops at the repository root; make the fixture one.
        shutil.copytree(FIXTURES / fixture.name, tmp_path / fixture.name, symlinks=True)
        (tmp_path / fixture.name / ".git").mkdir()
        monkeypatch.chdir(tmp_path)
        base = fixture.name
    else:
        monkeypatch.chdir(ROOT)
        base = f"fixtures/{fixture.name}"
    path = f"{base}/{fixture.linted}"
    if fixture.deployment is None:
        return base, lint_text(read_text(path), path, LintOptions(target=fixture.target))
    reports = lint_input(path, LintOptions(target=fixture.target))
    errors = [f"{report.path}: {report.error}" for report in reports if report.error is not None]
    assert not errors, errors
    return base, [finding for report in reports for finding in report.findings]


@pytest.mark.parametrize("name", _params())
def test_fixture_findings(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fixture = _load(name)
    base, findings = _lint(fixture, monkeypatch, tmp_path)
    actual = sorted(_key(base, finding) for finding in findings)
    assert actual == fixture.expected_keys(), fixture.expected["description"]
    for secret in fixture.expected.get("not_in_output", ()):
        for finding in findings:
            shown = [finding.message, finding.fix or "", *(finding.chain or ())]
            assert not any(secret in text for text in shown), f"{secret!r} leaked into {finding.rule}"


@pytest.mark.parametrize("name", _fixture_names())
def test_fixture_is_well_formed(name: str) -> None:
    directory = FIXTURES / name
    assert (directory / "expected.json").is_file(), f"{name}: no expected.json"
    fixture = _load(name)
    expected = fixture.expected
    assert (directory / fixture.linted).is_file(), f"{name}: no {fixture.linted}"
    assert expected.get("deployment") is None or isinstance(expected["deployment"], str)
    assert set(expected) <= _KEYS, f"unknown keys {sorted(set(expected) - _KEYS)}"
    assert isinstance(expected.get("description"), str)
    assert expected["description"].strip()
    assert expected.get("target") is None or isinstance(expected["target"], str)
    assert expected.get("known_bug") is None or isinstance(expected["known_bug"], str)
    assert all(isinstance(text, str) and text for text in expected.get("not_in_output", []))
    silent = expected.get("silent_for", [])
    assert isinstance(silent, list)
    assert set(silent) <= RULE_IDS, f"silent_for: {silent}"
    findings = expected["findings"]
    assert isinstance(findings, list)
    for finding in findings:
        assert set(finding) <= _FINDING_KEYS, finding
        assert {"rule", "severity", "line"} <= set(finding), finding
        assert finding["rule"] in RULE_IDS, finding
        assert finding["severity"] in SEVERITIES, finding
        assert isinstance(finding["line"], int), finding
        assert finding["line"] >= 1, finding
        path = finding.get("path", fixture.linted)
        assert isinstance(path, str), finding
        assert (directory / path).is_file(), finding
    contradictions = set(silent) & {f["rule"] for f in findings}
    assert not contradictions, f"both expected and silent: {sorted(contradictions)}"


def _coverage() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    firing: dict[str, list[str]] = {rule: [] for rule in sorted(RULE_IDS)}
    silent: dict[str, list[str]] = {rule: [] for rule in sorted(RULE_IDS)}
    for fixture in _all_fixtures():
        if fixture.known_bug is not None:
            continue  # only fixtures that pass count as evidence
        for rule in fixture.firing() & RULE_IDS:
            firing[rule].append(fixture.name)
        for rule in fixture.silent() & RULE_IDS:
            silent[rule].append(fixture.name)
    return firing, silent


# A rule only a deployment can fire (SIG6xx) has deployment fixtures (`"deployment"`) like
# any other: no rule is exempt.
@pytest.mark.parametrize("rule", sorted(RULE_IDS))
def test_every_rule_has_a_firing_and_a_silent_fixture(rule: str) -> None:
    firing, silent = _coverage()
    assert firing[rule], f"no passing fixture expects a {rule} finding"
    assert silent[rule], f"no passing fixture shows {rule} staying silent (add it to `silent_for`)"
