"""SIG602 from the drain timeout an app's own config file sets, in the image the service
builds: the parsers (literals only, nothing run) and the whole path through a real
Dockerfile's COPY, the Compose loader and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigcheck.deploy_lint import lint_compose
from sigcheck.lint import LintOptions
from sigcheck.load.app_config import (
    gunicorn_graceful_timeout,
    nginx_worker_shutdown_timeout,
    puma_worker_shutdown_timeout,
    sidekiq_timeout,
    spring_shutdown_phase_timeout,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('bind = "0.0.0.0:80"\ngraceful_timeout = 60\n', "60"),
        ("graceful_timeout = 2.5\n", "2.5"),
        ("graceful_timeout = 30\ngraceful_timeout = 90\n", "90"),  # the last assignment wins
        ("import os\ngraceful_timeout = int(os.environ['T'])\n", None),  # computed
        ("graceful_timeout = 60\nif DEBUG:\n    graceful_timeout = 5\n", None),  # conditional
        ("graceful_timeout = 60\ngraceful_timeout += 5\n", None),
        ("graceful_timeout = True\n", None),
        ("graceful_timeout = (\n", None),  # not Python
        ("timeout = 60\n", None),
    ],
)
def test_gunicorn_config(text: str, expected: str | None) -> None:
    found = gunicorn_graceful_timeout(text)
    assert (found[1] if found else None) == expected


def test_gunicorn_config_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"open({str(marker)!r}, 'w').close()\ngraceful_timeout = 40\n"
    assert gunicorn_graceful_timeout(text) == ("graceful_timeout = 40", "40")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("workers 2\nworker_shutdown_timeout 45\n", "45"),
        ("worker_shutdown_timeout(45) # drain\n", "45"),
        ("if ENV['X']\n  worker_shutdown_timeout 45\nend\n", None),  # inside a block: may not run
        ("worker_shutdown_timeout ENV.fetch('T', 30).to_i\n", None),
        ("# worker_shutdown_timeout 45\n", None),
    ],
)
def test_puma_config(text: str, expected: str | None) -> None:
    found = puma_worker_shutdown_timeout(text)
    assert (found[1] if found else None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":concurrency: 5\n:timeout: 40\n", "40"),
        ("timeout: 40 # seconds\n", "40"),
        ("production:\n  :timeout: 40\n", None),  # nested: an environment's section
        (":timeout: <%= ENV['T'] %>\n", None),  # ERB: computed
    ],
)
def test_sidekiq_config(text: str, expected: str | None) -> None:
    found = sidekiq_timeout(text)
    assert (found[1] if found else None) == expected


@pytest.mark.parametrize(
    ("text", "properties", "expected"),
    [
        ("spring:\n  lifecycle:\n    timeout-per-shutdown-phase: 45s\n", False, "45s"),
        ("spring.lifecycle.timeout-per-shutdown-phase: '1m'\n", False, "1m"),
        ("spring:\n  main:\n    x: 1\n  lifecycle:\n    timeout-per-shutdown-phase: 20s\n", False, "20s"),
        ("other:\n  lifecycle:\n    timeout-per-shutdown-phase: 20s\n", False, None),
        ("a: 1\n---\nspring.lifecycle.timeout-per-shutdown-phase: 9s\n", False, None),  # a profile's
        ("spring.lifecycle.timeout-per-shutdown-phase=30s\n", True, "30s"),
        ("spring.lifecycle.timeout-per-shutdown-phase = 30s\n", True, "30s"),
        ("# spring.lifecycle.timeout-per-shutdown-phase=30s\n", True, None),
    ],
)
def test_spring_config(text: str, properties: bool, expected: str | None) -> None:
    found = spring_shutdown_phase_timeout(text, properties)
    assert (found[1] if found else None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("worker_processes 1;\nworker_shutdown_timeout 30s;\nevents {}\n", "30s"),
        ('worker_shutdown_timeout "1m 30s";\n', "1m 30s"),
        ("http {\n  worker_shutdown_timeout 30s;\n}\n", None),  # not the main context
        ("# worker_shutdown_timeout 30s;\n", None),
    ],
)
def test_nginx_config(text: str, expected: str | None) -> None:
    found = nginx_worker_shutdown_timeout(text)
    assert (found[1] if found else None) == expected


GUNICORN_DOCKERFILE = """\
FROM python:3.12-slim
WORKDIR /app
COPY {copied} ./
CMD {cmd}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "app.py").write_text("def app(e, s):\n    return []\n")
    return tmp_path


def _sig602(project: Path, dockerfile: str, compose: str) -> list[tuple[str, int, str, str | None]]:
    (project / "Dockerfile").write_text(dockerfile)
    (project / "compose.yaml").write_text(compose)
    reports = lint_compose(["compose.yaml"], LintOptions())
    assert [r.error for r in reports if r.error] == []
    return [(f.path, f.line, f.message, f.fix) for r in reports for f in r.findings if f.rule == "SIG602"]


def test_the_default_gunicorn_conf_py_in_the_workdir_counts_only_when_copied(project: Path) -> None:
    (project / "gunicorn.conf.py").write_text("graceful_timeout = 45\n")
    compose = "services:\n  web:\n    build: .\n"
    cmd = '["gunicorn", "app:app"]'
    (found,) = _sig602(
        project, GUNICORN_DOCKERFILE.format(copied="gunicorn.conf.py app.py", cmd=cmd), compose
    )
    assert found[:2] == ("compose.yaml", 2)
    assert "(`graceful_timeout = 45` in gunicorn.conf.py)" in found[2]
    assert found[3] == "add `stop_grace_period: 50s` to service web"
    # Not copied into the image: the server never reads it.
    assert _sig602(project, GUNICORN_DOCKERFILE.format(copied="app.py", cmd=cmd), compose) == []


def test_the_command_line_wins_over_the_config_file(project: Path) -> None:
    (project / "gunicorn.conf.py").write_text("graceful_timeout = 45\n")
    compose = "services:\n  web:\n    build: .\n"
    cmd = '["gunicorn", "--graceful-timeout", "5", "app:app"]'
    dockerfile = GUNICORN_DOCKERFILE.format(copied="gunicorn.conf.py app.py", cmd=cmd)
    assert _sig602(project, dockerfile, compose) == []


def test_a_named_config_file_and_the_grace_setting_is_where_the_finding_sits(project: Path) -> None:
    (project / "conf").mkdir()
    (project / "conf" / "prod.py").write_text("graceful_timeout = 45\n")
    compose = "services:\n  web:\n    build: .\n    stop_grace_period: 20s\n"
    cmd = '["gunicorn", "-c", "conf/prod.py", "app:app"]'
    (found,) = _sig602(
        project, GUNICORN_DOCKERFILE.format(copied="conf", cmd=cmd).replace("./", "conf/"), compose
    )
    assert found[:2] == ("compose.yaml", 4)
    assert "in conf/prod.py" in found[2]
    assert found[3] == "stop_grace_period: 50s"


def test_a_drain_in_the_dockerfile_cmd_is_reported_at_the_service_naming_the_line(project: Path) -> None:
    compose = "services:\n  web:\n    build: .\n"
    cmd = '["gunicorn", "--graceful-timeout", "60", "app:app"]'
    (found,) = _sig602(project, GUNICORN_DOCKERFILE.format(copied="app.py", cmd=cmd), compose)
    assert found[:2] == ("compose.yaml", 2)
    assert "(`--graceful-timeout 60`, Dockerfile line 4)" in found[2]
    assert found[3] == "add `stop_grace_period: 65s` to service web"


def test_a_long_yaml_line_without_a_colon_is_read_in_one_pass() -> None:
    """A regex for `key: value` backtracked on every length of such a line (minutes at 1 MB)."""
    from sigcheck.load.app_config import _yaml_pairs

    assert _yaml_pairs("x" * 1_000_000 + "\n:timeout: 40\n") == [(":timeout", "40")]
    assert _yaml_pairs("a:b\n'q k': 1\nspring:\n  lifecycle:\n    x: 2 # c\n") == [
        ("q k", "1"),
        ("spring.lifecycle.x", "2"),
    ]
