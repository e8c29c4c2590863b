"""SIG602's facts: the drain timeout each server reads from its command line or environment,
compared with the deployment's grace period (linted through the real YAML loaders)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigcheck.deploy_lint import lint_manifests
from sigcheck.lint import LintOptions


def _manifest(
    command: list[str], *, grace: int | None = None, env: str = "", prestop: int | None = None
) -> str:
    lines = ["apiVersion: v1", "kind: Pod", "metadata: {name: p}", "spec:"]
    if grace is not None:
        lines.append(f"  terminationGracePeriodSeconds: {grace}")
    lines += ["  containers:", "    - name: app", "      image: python:3.12-slim"]
    lines.append(f"      command: {command!r}".replace("'", '"'))
    if env:
        lines += ["      env:", f'        - {{name: {env.split("=")[0]}, value: "{env.split("=", 1)[1]}"}}']
    if prestop is not None:
        lines += ["      lifecycle:", "        preStop:", f"          sleep: {{seconds: {prestop}}}"]
    return "\n".join(lines) + "\n"


def _sig602(text: str) -> list[str]:
    reports = lint_manifests("pod.yaml", text, LintOptions())
    assert [r.error for r in reports if r.error] == []
    return [f.message for r in reports for f in r.findings if f.rule == "SIG602"]


TINI = ["tini", "--"]
SPRING_PHASE = "spring.lifecycle.timeout-per-shutdown-phase"


@pytest.mark.parametrize(
    ("command", "env", "grace", "fires"),
    [
        ([*TINI, "gunicorn", "--graceful-timeout", "45", "app:app"], "", None, True),
        ([*TINI, "gunicorn", "--graceful-timeout=45", "app:app"], "", 60, False),
        ([*TINI, "gunicorn", "app:app"], "GUNICORN_CMD_ARGS=--graceful-timeout 40", None, True),
        ([*TINI, "gunicorn", "app:app"], "", 5, False),  # gunicorn's 30 s default is not written: silent
        ([*TINI, "uvicorn", "--timeout-graceful-shutdown", "30", "app:app"], "", None, True),
        ([*TINI, "uvicorn", "--timeout-graceful-shutdown", "29", "app:app"], "", None, False),
        ([*TINI, "sidekiq", "-t40"], "", None, True),
        ([*TINI, "sidekiq", "--timeout", "40", "-t", "10"], "", None, False),  # the last one wins
        (
            [*TINI, "java", "-jar", "a.jar", f"--{SPRING_PHASE}=1m"],
            "",
            None,
            True,
        ),
        (
            [*TINI, "java", f"-D{SPRING_PHASE}=PT45S", "-jar", "a.jar"],
            "",
            40,
            True,
        ),
        ([*TINI, "java", "-jar", "a.jar"], "SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE=35000", None, True),
        ([*TINI, "java", "-jar", "a.jar"], "SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE=20s", None, False),
    ],
)
def test_drain_against_kubernetes_grace(command: list[str], env: str, grace: int | None, fires: bool) -> None:
    assert bool(_sig602(_manifest(command, grace=grace, env=env))) is fires


def test_prestop_sleep_is_taken_from_the_grace_period() -> None:
    command = [*TINI, "uvicorn", "--timeout-graceful-shutdown", "20", "app:app"]
    assert not _sig602(_manifest(command, grace=30))
    (message,) = _sig602(_manifest(command, grace=30, prestop=15))
    assert "15 s of it taken by the preStop hook" in message
    assert "15 s after the signal" in message


def test_gunicorn_sigint_is_its_quick_shutdown_not_a_drain() -> None:
    """gunicorn drains only on SIGTERM: with `stopSignal: SIGINT` its graceful timeout never runs."""
    text = _manifest([*TINI, "gunicorn", "--graceful-timeout", "45", "app:app"])
    assert _sig602(text)
    assert not _sig602(text + "      lifecycle:\n        stopSignal: SIGINT\n")


def test_nginx_drains_on_sigquit() -> None:
    command = ["nginx", "-g", "daemon off; worker_shutdown_timeout 1m;"]
    text = _manifest(command).replace("python:3.12-slim", "nginx:1.27")
    (message,) = _sig602(text)  # the official image's STOPSIGNAL is SIGQUIT
    assert "after SIGQUIT" in message
    assert "60 s" in message


def test_a_bare_dockerfile_has_no_grace_period_to_compare(tmp_path: Path) -> None:
    from sigcheck.lint import lint_text

    text = 'FROM python:3.12-slim\nCMD ["gunicorn", "--graceful-timeout", "600", "app:app"]\n'
    assert not [f for f in lint_text(text, str(tmp_path / "Dockerfile"), LintOptions()) if f.rule == "SIG602"]


@pytest.mark.parametrize(
    ("command", "env"),
    [
        ([*TINI, "gunicorn", "--graceful-timeout", "nan", "app:app"], ""),
        ([*TINI, "gunicorn", "--graceful-timeout", "1e999", "app:app"], ""),
        ([*TINI, "nginx", "-g", "daemon off; worker_shutdown_timeout 1" + "0" * 400 + "s;"], ""),
        ([*TINI, "java", "-jar", "a.jar"], "SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE=" + "9" * 5000),
    ],
)
def test_a_drain_timeout_past_any_number_is_no_drain_and_no_crash(command: list[str], env: str) -> None:
    """nan, inf and digit runs past float's (or int's string) range: nothing to compare."""
    assert _sig602(_manifest(command, env=env)) == []


def test_a_prestop_longer_than_the_grace_is_sig601s_alone() -> None:
    """No 'SIGKILLed -10 s after the signal': the hook outlasts the grace, which SIG601 says."""
    text = _manifest([*TINI, "gunicorn", "--graceful-timeout", "10", "app:app"], grace=30, prestop=40)
    reports = lint_manifests("pod.yaml", text, LintOptions())
    rules = [f.rule for r in reports for f in r.findings]
    assert "SIG601" in rules
    assert "SIG602" not in rules
