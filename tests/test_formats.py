"""Each report format checked against its definition.

- SARIF 2.1.0: the official schema (tests/schemas/, a copy of OASIS's
  sarif-schema-2.1.0.json) and the fields GitHub code scanning reads.
- GitHub workflow commands: the syntax and escaping of @actions/core's command.ts.
- GitLab Code Quality: the keys GitLab requires and its severity scale.
- JSON and text: the contract in design.md, unchanged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sigcheck.cli import main
from sigcheck.findings import Finding, Severity
from sigcheck.lint import FileReport, lint_file
from sigcheck.report.common import fingerprinted
from sigcheck.report.github_format import escape_data, escape_property, render_github
from sigcheck.report.gitlab_format import render_gitlab
from sigcheck.report.sarif_format import FINGERPRINT_KEY, render_sarif, rule_descriptor
from sigcheck.rules import ALL_RULES

SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"

SHELL_CMD = "FROM debian:bookworm-slim\nCOPY server /usr/local/bin/server\nCMD server --port 8080\n"
WORKER = 'FROM debian:bookworm-slim\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'
RUN_SH = "#!/bin/sh\nset -e\nnode server.js\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with two services: a shell-form CMD and an entry script without exec."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    _write(root / "services" / "api" / "Dockerfile", SHELL_CMD)
    _write(root / "services" / "worker" / "Dockerfile", WORKER)
    _write(root / "services" / "worker" / "run.sh", RUN_SH).chmod(0o755)
    monkeypatch.chdir(root)
    for variable in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        monkeypatch.delenv(variable, raising=False)
    return root


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout, result.stderr


def _json_findings(args: list[str]) -> list[dict[str, Any]]:
    code, out, _ = _run(["check", "-f", "json", *args])
    assert code in (0, 1)
    findings: list[dict[str, Any]] = json.loads(out)["findings"]
    return findings


# --- SARIF ---------------------------------------------------------------------------------


def _sarif(args: list[str]) -> dict[str, Any]:
    code, out, err = _run(["check", "-f", "sarif", *args])
    assert code in (0, 1), err
    document: dict[str, Any] = json.loads(out)
    return document


def _validate(document: dict[str, Any]) -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_sarif_is_valid_against_the_schema(repo: Path) -> None:
    document = _sarif(["services"])
    _validate(document)
    assert document["version"] == "2.1.0"
    assert len(document["runs"][0]["results"]) == 2


def test_sarif_without_findings_or_with_errors_is_valid(repo: Path) -> None:
    _write(repo / "clean" / "Dockerfile", "FROM nginx:1.27\n")
    clean = _sarif(["clean"])
    _validate(clean)
    assert clean["runs"][0]["results"] == []
    assert clean["runs"][0]["invocations"][0]["executionSuccessful"] is True
    code, out, _ = _run(["check", "-f", "sarif", "clean", "missing/Dockerfile"])
    assert code == 2
    broken = json.loads(out)
    _validate(broken)
    invocation = broken["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "missing/Dockerfile"


def test_sarif_driver_and_rule_metadata(repo: Path) -> None:
    driver = _sarif(["services"])["runs"][0]["tool"]["driver"]
    assert driver["name"] == "sigcheck"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", driver["version"])
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [r.id for r in ALL_RULES]
    levels = {"error", "warning", "note"}
    for descriptor, rule in zip(driver["rules"], ALL_RULES, strict=True):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"]
        assert descriptor["help"]["markdown"]
        assert descriptor["helpUri"] == f"https://github.com/sigcheck/sigcheck/blob/main/rules/{rule.id}.md"
        assert descriptor["defaultConfiguration"]["level"] in levels
        properties = descriptor["properties"]
        assert properties["tags"]
        assert all(isinstance(tag, str) for tag in properties["tags"])
        assert properties["precision"] in {"very-high", "high", "medium", "low"}
        assert properties["problem.severity"] in {"error", "warning", "recommendation"}


def test_sarif_rule_help_comes_from_the_rule_page(repo: Path) -> None:
    driver = _sarif(["services"])["runs"][0]["tool"]["driver"]
    sig102 = next(r for r in driver["rules"] if r["id"] == "SIG102")
    page = (Path(__file__).resolve().parent.parent / "rules" / "SIG102.md").read_text(encoding="utf-8")
    assert sig102["help"]["markdown"].startswith("# SIG102: shell-form-cmd")
    assert "## Why is this bad?" in sig102["help"]["markdown"]
    assert len(sig102["help"]["markdown"]) >= len(page) * 0.9
    # "What it does" is the full description; links to other rules point at the published pages.
    assert sig102["fullDescription"]["text"].startswith("Flags a `CMD` written in shell form")
    assert "](SIG101.md)" not in sig102["help"]["markdown"]
    assert sig102["defaultConfiguration"]["level"] == "error"
    assert sig102["properties"]["problem.severity"] == "error"
    assert "shell-form" in sig102["properties"]["tags"]


def test_sarif_rule_help_falls_back_to_the_summary_without_a_page() -> None:
    rule = next(r for r in ALL_RULES if r.id == "SIG102")
    descriptor = rule_descriptor(rule, None)
    assert descriptor["fullDescription"]["text"] == rule.summary
    assert rule.summary in descriptor["help"]["text"]
    assert descriptor["helpUri"] in descriptor["help"]["markdown"]


def test_sarif_results_have_what_github_needs(repo: Path) -> None:
    run = _sarif(["services"])["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    expected = {(f["path"], f["rule"]): f for f in _json_findings(["services"])}
    root_uri = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root_uri == repo.resolve().as_uri() + "/"
    seen = set()
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        artifact = location["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith(("/", "file:"))
        finding = expected[(artifact["uri"], result["ruleId"])]
        assert result["level"] == {"error": "error", "warning": "warning"}[finding["severity"]]
        assert result["message"]["text"].startswith(finding["message"])
        region = location["region"]
        assert region["startLine"] == finding["line"]
        assert region["startColumn"] == finding["column"]
        assert region["endLine"] == finding["end_line"]
        if finding["end_column"] > finding["column"]:
            assert region["endColumn"] == finding["end_column"]
        else:
            assert "endColumn" not in region  # to the end of the line
        assert re.fullmatch(r"[0-9a-f]{64}", result["partialFingerprints"][FINGERPRINT_KEY])
        seen.add(artifact["uri"])
    assert seen == {"services/api/Dockerfile", "services/worker/run.sh"}


def test_sarif_paths_are_relative_to_the_repository_root_from_a_subdirectory(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "services" / "api")
    run = _sarif(["Dockerfile"])["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "services/api/Dockerfile"


def _fingerprint(tmp_path: Path, text: str, name: str = "Dockerfile") -> list[str]:
    path = _write(tmp_path / name, text)
    document = json.loads(render_sarif([lint_file(str(path))], root=str(tmp_path)))
    return [r["partialFingerprints"][FINGERPRINT_KEY] for r in document["runs"][0]["results"]]


def test_sarif_fingerprint_is_stable_when_lines_move(tmp_path: Path) -> None:
    before = _fingerprint(tmp_path, SHELL_CMD)
    moved = SHELL_CMD.replace(
        "CMD server", "# a comment\nENV PORT=8080\n\nLABEL org.opencontainers.image.title=api\nCMD server"
    )
    after = _fingerprint(tmp_path, moved)
    assert len(before) == 1
    assert before == after
    # Whitespace and line continuations do not change the instruction.
    assert (
        _fingerprint(tmp_path, SHELL_CMD.replace("CMD server --port", "CMD  server \\\n  --port")) == before
    )
    # Another command is another finding.
    assert _fingerprint(tmp_path, SHELL_CMD.replace("8080", "9090")) != before


def test_fingerprints_tell_identical_findings_apart(tmp_path: Path) -> None:
    finding = Finding("SIG102", "shell-form-cmd", Severity.ERROR, "Dockerfile", 3, 1, 3, 23, "m")
    other = Finding("SIG102", "shell-form-cmd", Severity.ERROR, "Dockerfile", 9, 1, 9, 23, "m")
    lines = ["FROM x", "", "CMD a b", "", "", "", "", "", "CMD a b"]
    report = FileReport("Dockerfile", [finding, other], lines=lines)
    prints = [p for _, _, p in fingerprinted([report], with_path=False)]
    assert len(set(prints)) == 2
    copy = FileReport("other/Dockerfile", [finding._replace(path="other/Dockerfile")], lines=lines)
    sarif = [p for _, _, p in fingerprinted([report, copy], with_path=False)]
    gitlab = [p for _, _, p in fingerprinted([report, copy], with_path=True)]
    assert sarif[0] == sarif[2]  # per file, as GitHub compares them
    assert len(set(gitlab)) == 3  # unique in the whole report, as GitLab requires


# --- GitHub workflow commands --------------------------------------------------------------

_COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def _parse_command(line: str) -> tuple[str, dict[str, str], str]:
    m = _COMMAND.match(line)
    assert m, f"not a workflow command: {line!r}"
    properties = dict(item.split("=", 1) for item in m.group(2).split(","))
    return m.group(1), {k: _unescape(v) for k, v in properties.items()}, _unescape(m.group(3))


def test_github_escaping_follows_actions_core() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_data("a:b,c") == "a:b,c"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotations(repo: Path) -> None:
    code, out, _ = _run(["check", "-f", "github", "services"])
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    expected = {f["path"]: f for f in _json_findings(["services"])}
    for line in lines:
        level, props, message = _parse_command(line)
        finding = expected[props["file"]]
        assert level == {"error": "error", "warning": "warning"}[finding["severity"]]
        assert props["line"] == str(finding["line"])
        assert props["endLine"] == str(finding["end_line"])
        assert props["col"] == str(finding["column"])
        assert props["title"] == f"{finding['rule']} {finding['name']}"
        assert message.startswith(finding["message"])
        assert finding["url"] in message
        assert list(props) == [
            p for p in ("file", "line", "col", "endLine", "endColumn", "title") if p in props
        ]


def test_github_escapes_properties_and_message(tmp_path: Path) -> None:
    finding = Finding(
        "SIG102", "shell-form-cmd", Severity.WARNING, "odd:name,1.dockerfile", 2, 1, 2, 10, "50% of\nit"
    )
    (line,) = render_github([FileReport("odd:name,1.dockerfile", [finding])], root=str(tmp_path)).splitlines()
    assert "odd%3Aname%2C1.dockerfile" in line
    level, props, message = _parse_command(line)
    assert level == "warning"
    assert props["file"] == "odd:name,1.dockerfile"
    assert props["col"] == "1"
    assert props["endColumn"] == "10"
    assert message.startswith("50% of\nit")


def test_github_multi_line_regions_have_no_columns(tmp_path: Path) -> None:
    finding = Finding("SIG102", "shell-form-cmd", Severity.ERROR, "Dockerfile", 3, 1, 5, 9, "m", fix="CMD []")
    (line,) = render_github([FileReport("Dockerfile", [finding])], root=str(tmp_path)).splitlines()
    _, props, message = _parse_command(line)
    assert "col" not in props
    assert "endColumn" not in props
    assert props["endLine"] == "5"
    assert "fix: CMD []" in message


def test_github_uses_the_workspace_for_paths(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "services")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    _, out, _ = _run(["check", "-f", "github", "api/Dockerfile"])
    _, props, _ = _parse_command(out.splitlines()[0])
    assert props["file"] == "services/api/Dockerfile"


def test_github_reports_unlintable_files(repo: Path) -> None:
    code, out, _ = _run(["check", "-f", "github", "missing.dockerfile"])
    assert code == 2
    level, props, message = _parse_command(out.strip())
    assert (level, props["file"], message) == ("error", "missing.dockerfile", "no such file")


# --- GitLab Code Quality -------------------------------------------------------------------


def test_gitlab_code_quality(repo: Path) -> None:
    code, _, _ = _run(["check", "-f", "gitlab:gl-code-quality-report.json", "services"])
    assert code == 1
    data = (repo / "gl-code-quality-report.json").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf"), "GitLab rejects a BOM"
    issues = json.loads(data.decode("utf-8"))
    assert isinstance(issues, list)
    assert len(issues) == 2
    expected = {f["path"]: f for f in _json_findings(["services"])}
    for issue in issues:
        for key in ("description", "check_name", "fingerprint", "severity", "location"):
            assert key in issue, key
        assert isinstance(issue["description"], str)
        assert issue["description"]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        location = issue["location"]
        finding = expected[location["path"]]
        assert issue["check_name"] == finding["rule"]
        assert location["lines"]["begin"] == finding["line"]
        assert isinstance(location["lines"]["begin"], int)
        assert not location["path"].startswith(("/", "./"))
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_severity_scale(tmp_path: Path) -> None:
    findings = [
        Finding("SIG102", "shell-form-cmd", severity, "Dockerfile", n, 1, n, 2, f"m{n}")
        for n, severity in enumerate(Severity, start=1)
    ]
    issues = json.loads(render_gitlab([FileReport("Dockerfile", findings)], root=str(tmp_path)))
    assert [i["severity"] for i in issues] == ["info", "minor", "major", "critical"]
    assert json.loads(render_gitlab([], root=str(tmp_path))) == []


# --- JSON and text stay as design.md says --------------------------------------------------


def test_json_contract_unchanged(repo: Path) -> None:
    code, out, _ = _run(["check", "--format", "json", "services"])
    assert code == 1
    document = json.loads(out)
    assert set(document) == {"version", "findings", "errors"}
    assert document["version"] == 1
    for finding in document["findings"]:
        assert set(finding) == {
            "rule", "name", "severity", "path", "line", "column", "end_line", "end_column",
            "message", "fix", "fix_applicable", "edit", "chain", "url",
        }  # fmt: skip
        assert finding["path"].startswith("services/")


def test_text_report_unchanged(repo: Path) -> None:
    code, out, _ = _run(["services"])
    assert code == 1
    assert "services/api/Dockerfile\n  3:1  error  SIG102 shell-form-cmd\n" in out
    assert "see: https://github.com/sigcheck/sigcheck/blob/main/rules/SIG102.md" in out
    assert re.search(r"^2 files, 2 errors, 0 warnings, 0 infos, 0 styles, \d+\.\d\d s$", out, re.M)


def test_script_lines_are_counted_as_the_linter_counted_them(tmp_path: Path) -> None:
    """A form feed is a character inside a shell line; `str.splitlines()` splits there and put
    the SARIF snippet and fingerprint of a two-line script on the wrong line (issue 12)."""
    (tmp_path / "Dockerfile").write_text('FROM debian\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n')
    (tmp_path / "run.sh").write_text("#!/bin/sh\f# set up\n/usr/local/bin/app --serve\n")
    report = lint_file(str(tmp_path / "Dockerfile"))
    finding = next(f for f in report.findings if f.rule == "SIG201")
    assert finding.line == 2
    assert report.sources[finding.path].endswith("\n/usr/local/bin/app --serve\n")
    (tmp_path / "run.sh").write_text("overwritten after the lint\n")  # reporters must not read it again
    sarif = json.loads(render_sarif([report]))
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "SIG201")
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["snippet"]["text"].startswith("/usr/local/bin/app --serve")


def test_the_command_line_offers_exactly_the_registered_formats() -> None:
    from sigcheck.cli import FORMATS
    from sigcheck.report import FORMATS as REGISTRY

    assert tuple(REGISTRY) == FORMATS
