"""Which image: an `image:` resolved through a Compose build of the same project or run,
or through `[tool.sigcheck.images]`, then linted as that Dockerfile with the container's
own overrides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sigcheck.cli import main
from sigcheck.config import ConfigError, load_config
from sigcheck.deploy_lint import lint_compose, lint_manifests
from sigcheck.lint import LintOptions
from sigcheck.load.image_map import ImageSource, find_image, split_reference

# Shell form on Debian: dash stays as PID 1 (SIG102) when nothing overrides the CMD.
API_DOCKERFILE = """\
FROM python:3.12-slim AS base
COPY app.py /app.py
CMD python /app.py

FROM base AS prod
CMD ["python", "/app.py"]
"""

COMPOSE = """\
services:
  api:
    image: myorg/api:1
    build:
      context: ./api
      target: base
  api-copy:
    image: myorg/api:1
    stop_signal: SIGKILL
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: myorg/api:1
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # the project root: nothing above it is read
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text(API_DOCKERFILE)
    (tmp_path / "api" / "app.py").write_text("print('hi')\n")
    return tmp_path


def _cli(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(main, ["check", "--format", "json", *args])
    document = json.loads(result.stdout) if result.stdout.startswith("{") else {"findings": []}
    return result.exit_code, document["findings"], result.stderr


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("myorg/api:1", ("myorg/api", "1")),
        ("myorg/api", ("myorg/api", None)),
        ("localhost:5000/api", ("localhost:5000/api", None)),
        ("localhost:5000/api:2", ("localhost:5000/api", "2")),
        ("docker.io/library/nginx:1.27", ("nginx", "1.27")),
        ("myorg/api@sha256:abc", ("myorg/api", "sha256:abc")),
    ],
)
def test_split_reference(reference: str, expected: tuple[str, str | None]) -> None:
    assert split_reference(reference) == expected


def test_a_tag_matches_only_itself_and_a_tagless_name_every_tag() -> None:
    tagged = ImageSource("myorg/api", "1", "/p/Dockerfile.one", None, None, "test")
    loose = ImageSource("myorg/api", None, "/p/Dockerfile", None, None, "test")
    assert find_image([loose, tagged], "myorg/api:1") is tagged
    assert find_image([tagged, loose], "myorg/api:2") is loose
    assert find_image([tagged], "myorg/api") is None  # no tag is `latest`, not `1`
    assert find_image([loose], "myorg/web:1") is None
    assert find_image([loose], None) is None


def test_an_image_only_service_lints_the_build_of_its_project_with_its_own_overrides(project: Path) -> None:
    (project / "compose.yaml").write_text(COMPOSE)
    reports = lint_compose(["compose.yaml"], LintOptions())
    assert [r.error for r in reports if r.error] == []
    found = {(f.rule, f.path, f.line, f.services) for r in reports for f in r.findings}
    # Both run stage `base`'s shell-form CMD; only the copy sets a stop signal nobody can catch.
    assert ("SIG102", "api/Dockerfile", 3, ("service api",)) in found
    assert ("SIG102", "api/Dockerfile", 3, ("service api-copy",)) in found
    assert any(rule == "SIG401" and path == "compose.yaml" for rule, path, _, _ in found)
    assert not any(rule == "SIG501" for rule, *_ in found)


def test_without_the_build_the_image_stays_unknown(project: Path) -> None:
    (project / "compose.yaml").write_text("services:\n  api-copy:\n    image: myorg/api:1\n")
    reports = lint_compose(["compose.yaml"], LintOptions())
    (finding,) = [f for r in reports for f in r.findings]
    assert finding.rule == "SIG501"
    assert "[tool.sigcheck.images]" in finding.message
    assert "`build:`" in finding.message


def test_a_manifest_is_resolved_through_a_compose_file_of_the_same_run(project: Path) -> None:
    (project / "compose.yaml").write_text(COMPOSE)
    (project / "pod.yaml").write_text(POD)
    code, alone, _ = _cli("pod.yaml")
    assert [f["rule"] for f in alone] == ["SIG501"]
    code, together, _ = _cli("compose.yaml", "pod.yaml")
    assert code == 1
    pod = [f for f in together if f["message"].startswith("Pod web, container app:")]
    assert [(f["rule"], f["path"], f["line"]) for f in pod] == [("SIG102", "api/Dockerfile", 3)]


def test_the_configuration_maps_an_image_for_kubernetes_with_its_target(project: Path) -> None:
    (project / "pod.yaml").write_text(POD)
    (project / ".sigcheck.toml").write_text(
        '[images]\n"myorg/api" = { dockerfile = "api/Dockerfile", target = "prod" }\n'
    )
    code, findings, err = _cli("pod.yaml")
    # Stage prod's exec-form python is PID 1 without an init: SIG301, at that stage's CMD.
    assert (code, err) == (1, "")
    assert [(f["rule"], f["path"], f["line"]) for f in findings] == [("SIG301", "api/Dockerfile", 6)]
    (project / ".sigcheck.toml").write_text('[images]\n"myorg/api:2" = "api/Dockerfile"\n')
    _, findings, _ = _cli("pod.yaml")
    assert [f["rule"] for f in findings] == ["SIG501"]  # another tag


def test_the_projects_own_build_wins_over_the_configuration(project: Path) -> None:
    (project / "compose.yaml").write_text(COMPOSE)
    (project / ".sigcheck.toml").write_text(
        '[images]\n"myorg/api" = { dockerfile = "api/Dockerfile", target = "prod" }\n'
    )
    _, findings, _ = _cli("compose.yaml")
    copy = [
        f for f in findings if f["message"].startswith("service api-copy:") and f["path"] == "api/Dockerfile"
    ]
    assert [(f["rule"], f["line"]) for f in copy] == [("SIG102", 3)]  # stage base, as Compose builds it


def test_config_paths_are_relative_to_the_config_file(project: Path) -> None:
    config = project / "api" / ".sigcheck.toml"
    config.write_text('[images]\n"myorg/api" = "Dockerfile"\n')
    (source,) = load_config(str(config)).images
    assert source == ImageSource(
        "myorg/api",
        None,
        str(project / "api" / "Dockerfile"),
        None,
        None,
        "[tool.sigcheck.images] in api/.sigcheck.toml",
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            '"x" = "../outside/Dockerfile"',
            "images: 'x': dockerfile = '../outside/Dockerfile' is outside the project",
        ),
        ('"x" = "/etc/passwd"', "images: 'x': dockerfile = '/etc/passwd' is outside the project"),
        ('"x" = "api/Missing"', "images: 'x': dockerfile = 'api/Missing': no such file"),
        ('"x" = 3', "images: 'x': expected a Dockerfile path or"),
        ('"x" = { target = "prod" }', "images: 'x': no dockerfile"),
        ('"x" = { dockerfile = "api/Dockerfile", tag = "1" }', "images: 'x': unknown key 'tag'"),
        (
            '"x" = { dockerfile = "api/Dockerfile", target = "" }',
            "images: 'x': target = '' is not a non-empty string",
        ),
        (
            '"x" = { dockerfile = "api/Dockerfile", context = "nowhere" }',
            "context = 'nowhere': no such directory",
        ),
    ],
)
def test_a_bad_mapping_is_a_one_line_error(project: Path, entry: str, message: str) -> None:
    (project.parent / "outside").mkdir(exist_ok=True)
    (project.parent / "outside" / "Dockerfile").write_text("FROM scratch\n")
    (project / "pyproject.toml").write_text(f"[tool.sigcheck.images]\n{entry}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(str(project / "pyproject.toml"))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    (project / "pod.yaml").write_text(POD)
    result = CliRunner().invoke(main, ["check", "pod.yaml"])
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_symlink_out_of_the_project_is_refused(project: Path) -> None:
    (project.parent / "outside").mkdir(exist_ok=True)
    (project.parent / "outside" / "Dockerfile").write_text("FROM scratch\n")
    (project / "linked").symlink_to(project.parent / "outside")
    (project / ".sigcheck.toml").write_text('[images]\n"x" = "linked/Dockerfile"\n')
    with pytest.raises(ConfigError, match="outside the project"):
        load_config(str(project / ".sigcheck.toml"))


def test_lint_manifests_uses_the_options_images(project: Path) -> None:
    source = ImageSource("myorg/api", None, str(project / "api" / "Dockerfile"), "base", None, "test")
    reports = lint_manifests("pod.yaml", POD, LintOptions(images=(source,)))
    assert [(f.rule, f.path, f.line) for r in reports for f in r.findings] == [
        ("SIG102", "api/Dockerfile", 3)
    ]
