"""One-line verdicts of the core, in the style of ShellCheck's `verify`/`verifyNot`.

A Dockerfile (and, where it matters, a runtime) in; who is PID 1, who execs, and
what a rule says out. These pin the seams of issue 12: spans on every command,
the runtime's overrides applied by one function, the runtime's init as a link,
and shell form recognised in an image config's stored shape.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sigcheck.lint import LintOptions, lint_source, lint_text
from sigcheck.load.context import BuildContext
from sigcheck.load.dockerfile import parse_dockerfile
from sigcheck.load.source import Source
from sigcheck.model.chain import LaunchChain, build_chain
from sigcheck.model.dockerfile_files import DockerfileFiles
from sigcheck.model.image import build_model, command_from_config
from sigcheck.model.runtime import (
    ASSUMED_INIT,
    DEFAULT_RUNTIME,
    Override,
    Runtime,
    RuntimeInit,
    Setting,
    apply_runtime,
)
from sigcheck.span import Span

YAML = Span("compose.yaml", 7, 5, 7, 30, "services.web.command")


def chain_of(text: str, runtime: Runtime = DEFAULT_RUNTIME, context: Path | None = None) -> LaunchChain:
    parsed = parse_dockerfile(text)
    model = build_model(parsed, "Dockerfile")
    stage = model.stages[-1]
    context_dir = BuildContext.at(str(context)) if context else None
    files = DockerfileFiles(model, stage, context_dir, Source.of("Dockerfile"))
    return build_chain(stage.config, files, runtime)


def pid1(text: str, runtime: Runtime = DEFAULT_RUNTIME) -> str:
    chain = chain_of(text, runtime)
    link = chain.pid1
    assert link is not None
    return link.program


def rules(text: str, path: str = "Dockerfile", **options: object) -> list[str]:
    return sorted(f.rule for f in lint_text(text, path, LintOptions(**options)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dockerfile", "program"),
    [
        ('FROM debian\nCMD ["node", "server.js"]\n', "node"),
        ("FROM debian\nCMD node server.js\n", "/bin/sh"),
        ("FROM alpine\nCMD node server.js\n", "node"),
        ('FROM debian\nENTRYPOINT ["tini", "--"]\nCMD ["node", "server.js"]\n', "tini"),
    ],
)
def test_verify_pid1(dockerfile: str, program: str) -> None:
    assert pid1(dockerfile) == program


def test_every_command_carries_its_span() -> None:
    config = chain_of('FROM debian\n\nCMD ["node",\\\n "server.js"]\n').config
    assert config.cmd is not None
    assert config.cmd.span == Span("Dockerfile", 3, 1, 4, 14)


def test_an_entrypoint_override_drops_the_image_cmd() -> None:
    config = chain_of('FROM debian\nENTRYPOINT ["tini", "--"]\nCMD ["node", "server.js"]\n').config
    runtime = Runtime(entrypoint=Override(("python", "app.py"), YAML))
    entrypoint, cmd, init = apply_runtime(config, runtime)
    assert entrypoint is not None
    assert entrypoint.argv == ("python", "app.py")
    assert entrypoint.span == YAML
    assert cmd is None
    assert init is None


def test_a_command_override_keeps_the_entrypoint() -> None:
    config = chain_of('FROM debian\nENTRYPOINT ["tini", "--"]\nCMD ["node", "server.js"]\n').config
    entrypoint, cmd, _ = apply_runtime(config, Runtime(command=Override(("node", "worker.js"), YAML)))
    assert entrypoint is config.entrypoint
    assert cmd is not None
    assert cmd.argv == ("node", "worker.js")


def test_the_runtime_init_is_the_first_link_and_pid1() -> None:
    chain = chain_of('FROM debian\nCMD ["node", "server.js"]\n', ASSUMED_INIT)
    assert [link.role for link in chain.links] == ["init", "app"]
    assert chain.pid1 is chain.links[0]
    assert chain.links[0].argv == ("docker-init", "--")


def test_the_runtime_stop_signal_wins() -> None:
    text = 'FROM debian\nSTOPSIGNAL SIGQUIT\nCMD ["node", "server.js"]\n'
    assert chain_of(text).stopsignal == "SIGQUIT"
    assert chain_of(text, Runtime(stop_signal=Setting("SIGINT", YAML))).stopsignal == "SIGINT"


def test_a_finding_on_an_override_points_at_the_override() -> None:
    """No finding is dropped for lack of an instruction: a compose `command:` has a span."""
    runtime = Runtime(command=Override(("/bin/sh", "-c", "node server.js"), YAML))
    chain = chain_of('FROM debian\nCMD ["node", "server.js"]\n', runtime)
    shell = chain.links[0]
    assert shell.role == "shell"
    assert shell.execs is False
    assert shell.origin is not None
    assert shell.origin.span == YAML


@pytest.mark.parametrize(
    ("argv", "shell", "form"),
    [
        (("/bin/sh", "-c", "node server.js"), ("/bin/sh", "-c"), "shell"),
        (("/bin/bash", "-o", "pipefail", "-c", "x"), ("/bin/bash", "-o", "pipefail", "-c"), "shell"),
        (("/bin/sh", "-c", "node server.js"), ("/bin/bash", "-c"), "exec"),
        (("node", "server.js"), ("/bin/sh", "-c"), "exec"),
    ],
)
def test_shell_form_is_recognised_in_its_stored_shape(
    argv: tuple[str, ...], shell: tuple[str, ...], form: str
) -> None:
    command = command_from_config("CMD", argv, shell, Span.point("app.tar", logical="config.Cmd"))
    assert command.form == form
    assert command.shell_string == (argv[-1] if form == "shell" else None)


def test_assume_init_is_the_same_as_an_explicit_init(tmp_path: Path) -> None:
    """With `--assume-init`, a script that forgets exec is SIG304 (an init in front), exactly as
    with an ENTRYPOINT tini; before, it was still SIG201 "the shell stays PID 1"."""
    (tmp_path / "run.sh").write_text("#!/bin/sh\nset -e\n/usr/local/bin/app --serve\n")
    plain = 'FROM alpine\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'
    tini = 'FROM alpine\nRUN apk add tini\nCOPY run.sh /run.sh\nENTRYPOINT ["/sbin/tini", "--", "/run.sh"]\n'
    path = str(tmp_path / "Dockerfile")
    assert rules(plain, path) == ["SIG201"]
    assert rules(plain, path, assume_init=True) == ["SIG304"] == rules(tini, path)


def test_unsaved_text_is_read_checked_and_listed(tmp_path: Path) -> None:
    """The workspace serves unsaved text for existence checks as well as reads: a script
    that exists only in an editor buffer is found by the COPY that names it."""
    script = tmp_path / "run.sh"
    text = 'FROM alpine\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'
    path = str(tmp_path / "Dockerfile")
    overlay = {str(script): "#!/bin/sh\n/usr/local/bin/app\n"}
    result = lint_source(text, path, LintOptions(), overlay)
    assert [f.rule for f in result.findings] == ["SIG201"]
    assert result.reads == frozenset({str(script)})
    overlay = {str(script): "#!/bin/sh\nexec /usr/local/bin/app\n"}
    assert [f.rule for f in lint_source(text, path, LintOptions(), overlay).findings] == ["SIG301"]
    assert BuildContext.at(str(tmp_path), overlay).glob("*.sh") == ["run.sh"]


def test_a_runtime_init_from_the_command_line_has_no_span() -> None:
    runtime = Runtime(init=RuntimeInit(("docker-init", "--"), None))
    chain = chain_of("FROM debian\nCMD node server.js\n", runtime)
    init = chain.links[0].origin
    assert init is not None
    assert init.span is None
