"""Every fixture's full report, in every output format, against its reviewed snapshot.

ruff's `assert_messages!` is the model: a change of wording, a fix, an edit, a
chain or a column anywhere shows up as a diff of `fixtures/<name>/report.snap`
in review. The snapshot holds the reports exactly as `sigcheck` writes them with
`-f text:F -f json:F -f sarif:F -f github:F -f gitlab:F`, less what is not the
fixture's: the elapsed time of the text summary, the absolute path of the
checkout, sigcheck's version, and SARIF's copy of every rule page (`tool.driver.rules` is the same
for every fixture; test_formats.py checks it).

After an intended change, rewrite the snapshots and review their diff:

    SIGCHECK_UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sigcheck import __version__
from sigcheck.cli import FORMATS, main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SNAPSHOT = "report.snap"
UPDATE = os.environ.get("SIGCHECK_UPDATE_SNAPSHOTS") == "1"
_ELAPSED = re.compile(r", \d+\.\d\d s$", re.MULTILINE)
_CLEARED = ("NO_COLOR", "FORCE_COLOR", "GITHUB_WORKSPACE", "CI_PROJECT_DIR", "COLUMNS", "TERM")


def _fixtures() -> list[str]:
    found = (p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "fix")
    return sorted(p.name for p in found if (p / "expected.json").is_file())


def _normalise(fmt: str, text: str, roots: list[str]) -> str:
    for root in roots:
        text = text.replace(root, "<ROOT>")
    if fmt == "text":
        return _ELAPSED.sub(", <elapsed> s", text)
    if fmt == "sarif":
        document = json.loads(text)
        for run in document["runs"]:
            driver = run["tool"]["driver"]
            driver["rules"] = [rule["id"] for rule in driver["rules"]]
            for key in ("version", "semanticVersion"):
                driver[key] = "<version>"
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return text.replace(__version__, "<version>") if fmt == "gitlab" else text


def render_fixture(name: str, work: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The fixture's reports, linted as test_fixtures.py lints it (a relative path from
    the repository root, or from a copy that is its own git root)."""
    with open(FIXTURES / name / "expected.json", encoding="utf-8") as handle:
        expected = json.load(handle)
    for variable in _CLEARED:
        monkeypatch.delenv(variable, raising=False)
    if expected.get("git_root"):
        shutil.copytree(FIXTURES / name, work / name, symlinks=True)
        (work / name / ".git").mkdir()
        monkeypatch.chdir(work)
        base = name
    else:
        monkeypatch.chdir(ROOT)
        base = f"fixtures/{name}"
    reports = work / "reports"
    linted = expected.get("deployment") or expected.get("dockerfile", "Dockerfile")
    args = ["check", "--isolated", f"{base}/{linted}"]
    if expected.get("target"):
        args += ["--target", expected["target"]]
    for fmt in FORMATS:
        args += ["-f", f"{fmt}:{reports / fmt}"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    roots = [str(work), str(ROOT), os.path.realpath(work), os.path.realpath(ROOT)]
    parts = [f"exit code: {result.exit_code}\n"]
    for fmt in FORMATS:
        text = (reports / fmt).read_text(encoding="utf-8")
        parts.append(f"===== {fmt} =====\n{_normalise(fmt, text, roots)}")
    return "".join(parts)


@pytest.mark.parametrize("name", _fixtures())
def test_report_snapshot(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    actual = render_fixture(name, tmp_path, monkeypatch)
    path = FIXTURES / name / SNAPSHOT
    if UPDATE:
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.is_file(), f"no snapshot: run SIGCHECK_UPDATE_SNAPSHOTS=1 pytest {__file__}"
    assert actual == path.read_text(encoding="utf-8"), f"{name}: the report changed (see module docstring)"


def test_every_snapshot_belongs_to_a_fixture() -> None:
    """A snapshot left behind by a renamed fixture would never be compared again."""
    stale = [p.parent.name for p in FIXTURES.glob(f"*/{SNAPSHOT}") if p.parent.name not in _fixtures()]
    assert not stale
