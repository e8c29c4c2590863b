"""Compose files are read as Compose will run them (issue 14, the loader half).

Splitting string commands (go-shellwords), interpolation, `.env`, merging `-f`
files and the default override, `extends`, profiles, `build`, every field the
chain needs with its span, and the Runtime a service becomes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigcheck.load.compose import (
    ComposeProject,
    ComposeService,
    load_compose,
    looks_like_compose,
    parse_duration,
    service_runtime,
)
from sigcheck.load.interpolate import InterpolationError, interpolate, parse_dotenv
from sigcheck.load.manifests import classify_yaml, is_compose_file_name, is_override_file_name
from sigcheck.load.shellwords import ShellWordsError, split_command
from sigcheck.load.yaml_nodes import YamlError, load_documents
from sigcheck.model.runtime import DOCKER_INIT

# --- splitting a string command -------------------------------------------------------------

SPLITS = [
    ("node server.js", ("node", "server.js"), None),
    ("  node   server.js  ", ("node", "server.js"), None),
    ("sh -c 'exec node server.js'", ("sh", "-c", "exec node server.js"), None),
    ('sh -c "exec node server.js"', ("sh", "-c", "exec node server.js"), None),
    ("nginx -g 'daemon off;'", ("nginx", "-g", "daemon off;"), None),
    ("echo '' \"\"", ("echo", "", ""), None),
    ("a\\ b c", ("a b", "c"), None),
    ('"a\\b"', ("ab",), None),  # backslash escapes inside double quotes too (not POSIX)
    ("'a\\b'", ("a\\b",), None),
    ("x\ty\nz", ("x", "y", "z"), None),
    ("echo a && echo b", ("echo", "a"), "&& echo b"),  # Compose silently drops the rest
    ("app; other", ("app",), "; other"),
    ("app | tee log", ("app",), "| tee log"),
    ("app > log", ("app",), "> log"),
    ("app 2>&1", ("app",), ">&1"),  # a word starting with a digit before > goes too
    ("app <in", ("app",), "<in"),
    ("echo 'a && b'", ("echo", "a && b"), None),
    ("echo $(date +%s) x", ("echo", "$(date +%s)", "x"), None),
    ("echo `date -u` x", ("echo", "`date -u`", "x"), None),
    ("echo $HOME", ("echo", "$HOME"), None),
    ("", (), None),
    ("   ", (), None),
]


@pytest.mark.parametrize(("line", "words", "dropped"), SPLITS)
def test_split_command_like_go_shellwords(line: str, words: tuple[str, ...], dropped: str | None) -> None:
    assert split_command(line) == (words, dropped)


@pytest.mark.parametrize(
    "line", ["echo 'open", 'echo "open', "trailing\\", "echo (x)", "echo $(open", "a) b", "echo $((1+2))"]
)
def test_split_command_errors_like_go_shellwords(line: str) -> None:
    with pytest.raises(ShellWordsError):
        split_command(line)


# --- interpolation --------------------------------------------------------------------------

ENV = {"SET": "value", "EMPTY": "", "PORT": "8080"}

INTERPOLATIONS = [
    ("plain", "plain"),
    ("$SET", "value"),
    ("${SET}", "value"),
    ("a${SET}b", "avalueb"),
    ("$SET.x", "value.x"),
    ("${UNSET}", ""),
    ("$UNSET", ""),
    ("${UNSET:-default}", "default"),
    ("${EMPTY:-default}", "default"),
    ("${SET:-default}", "value"),
    ("${UNSET-default}", "default"),
    ("${EMPTY-default}", ""),
    ("${SET-default}", "value"),
    ("${EMPTY?msg}", ""),
    ("${SET:?msg}", "value"),
    ("${SET:+alt}", "alt"),
    ("${EMPTY:+alt}", ""),
    ("${EMPTY+alt}", "alt"),
    ("${UNSET+alt}", ""),
    ("$$", "$"),
    ("$$SET", "$SET"),
    ("$${SET}", "${SET}"),
    ("sh -c 'echo $$1'", "sh -c 'echo $1'"),
    ("${UNSET:-${PORT}}", "8080"),
    ("${UNSET:-${ALSO_UNSET:-x}}y", "xy"),
    ("${UNSET:-a b c}", "a b c"),
    ("${UNSET:-}", ""),
]


@pytest.mark.parametrize(("text", "expected"), INTERPOLATIONS)
def test_interpolation_table(text: str, expected: str) -> None:
    assert interpolate(text, ENV.get) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("${UNSET:?needs a value}", "required variable UNSET is missing a value: needs a value"),
        ("${EMPTY:?no}", "required variable EMPTY"),
        ("${UNSET?no}", "required variable UNSET"),
        ("echo $1", "invalid interpolation"),
        ("echo $@", "invalid interpolation"),
        ("cost: 5$", "invalid interpolation"),
        ("${1}", "invalid interpolation"),
        ("${SET", "unclosed"),
        ("${SET/a/b}", "invalid interpolation"),
        ("$(date)", "invalid interpolation"),
    ],
)
def test_interpolation_errors(text: str, match: str) -> None:
    with pytest.raises(InterpolationError, match=match):
        interpolate(text, ENV.get)


def test_unset_variables_are_reported() -> None:
    seen: list[str] = []
    assert interpolate("$A ${B} ${C:-x} ${SET}", ENV.get, seen.append) == "  x value"
    assert seen == ["A", "B"]


def test_dotenv() -> None:
    text = (
        "# comment\n"
        "A=1\n"
        "export B = two words \n"
        "C='single $A'\n"
        'D="line\\nbreak $A"\n'
        "E=${A}-x # trailing comment\n"
        "F=${SHELL_ONLY}\n"
        "G\n"
        "=nokey\n"
    )
    assert parse_dotenv(text, {"SHELL_ONLY": "sh"}) == {
        "A": "1",
        "B": "two words",
        "C": "single $A",
        "D": "line\nbreak 1",
        "E": "1-x",
        "F": "sh",
    }


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10s", 10.0),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("1.5h", 5400.0),
        ("2m", 120.0),
        ("1h1m1s", 3661.0),
        ("0", 0.0),
        ("100us", 0.0001),
        ("1d", 86400.0),
        ("1w", 604800.0),
        ("-1s", -1.0),
        (".5s", 0.5),
        ("10", None),
        ("s", None),
        ("", None),
        ("10 s", None),
        ("1x", None),
    ],
)
def test_durations(text: str, seconds: float | None) -> None:
    result = parse_duration(text)
    assert result == (pytest.approx(seconds) if seconds is not None else None)


# --- loading --------------------------------------------------------------------------------


def _project(tmp_path: Path, files: dict[str, str], *paths: str, **kwargs: object) -> ComposeProject:
    (tmp_path / ".git").mkdir(exist_ok=True)
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    chosen = [str(tmp_path / path) for path in (paths or ("compose.yaml",))]
    return load_compose(chosen, **kwargs)  # type: ignore[arg-type]


def _service(project: ComposeProject, name: str) -> ComposeService:
    (service,) = [service for service in project.services if service.name == name]
    return service


def test_string_command_is_split_not_run_by_a_shell(tmp_path: Path) -> None:
    project = _project(
        tmp_path, {"compose.yaml": "services:\n  web:\n    command: node server.js --port 80\n"}
    )
    command = _service(project, "web").command
    assert command is not None
    assert command.argv == ("node", "server.js", "--port", "80")
    assert command.form == "string"
    span = command.span
    assert (span.line, span.column, span.end_line, span.end_column) == (3, 14, 3, 38)
    assert span.logical == "services.web.command"
    assert span.path == str(tmp_path / "compose.yaml")


def test_a_shell_operator_drops_the_rest(tmp_path: Path) -> None:
    project = _project(tmp_path, {"compose.yaml": "services:\n  web:\n    command: migrate && serve\n"})
    command = _service(project, "web").command
    assert command is not None
    assert (command.argv, command.dropped) == (("migrate",), "&& serve")


def test_list_command_is_the_argv(tmp_path: Path) -> None:
    text = "services:\n  web:\n    entrypoint: [sh, -c, 'exec app']\n    command:\n      - --flag\n"
    service = _service(_project(tmp_path, {"compose.yaml": text}), "web")
    assert service.entrypoint is not None
    assert service.entrypoint.argv == ("sh", "-c", "exec app")
    assert service.entrypoint.form == "list"
    assert [(item.line, item.column) for item in service.entrypoint.item_spans] == [(3, 18), (3, 22), (3, 26)]
    assert service.command is not None
    assert service.command.argv == ("--flag",)


@pytest.mark.parametrize(("value", "argv"), [("[]", ()), ("''", ()), ('""', ())])
def test_empty_entrypoint_clears_and_null_keeps(tmp_path: Path, value: str, argv: tuple[str, ...]) -> None:
    text = f"services:\n  a:\n    entrypoint: {value}\n  b:\n    entrypoint: null\n  c:\n    image: x\n"
    project = _project(tmp_path, {"compose.yaml": text})
    entrypoint = _service(project, "a").entrypoint
    assert entrypoint is not None
    assert entrypoint.argv == argv
    assert _service(project, "b").entrypoint is None
    assert _service(project, "c").entrypoint is None
    runtime = service_runtime(_service(project, "a"))
    assert runtime.entrypoint is not None
    assert runtime.entrypoint.argv == ()


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("[sleep, 10]", "items must be strings"),
        ("{a: b}", "must be a string or a list"),
        ("echo 'open", "invalid command line string"),
        ("echo $1", "invalid interpolation"),
    ],
)
def test_commands_compose_refuses(tmp_path: Path, value: str, match: str) -> None:
    with pytest.raises(YamlError, match=match) as caught:
        _project(tmp_path, {"compose.yaml": f"services:\n  web:\n    command: {value}\n"})
    assert caught.value.line == 3


def test_fields_and_their_spans(tmp_path: Path) -> None:
    text = (
        "services:\n"
        "  web:\n"
        "    image: node:20\n"
        "    init: true\n"
        "    stop_signal: SIGINT\n"
        "    stop_grace_period: 1m30s\n"
        "    user: 1000\n"
        "    working_dir: /srv\n"
        "    environment:\n"
        "      NODE_ENV: production\n"
        "      RETRIES: 3\n"
        "      VERSION: 1.10\n"
        "      FROM_SHELL:\n"
        "      MISSING:\n"
        "    profiles: [debug, tools]\n"
    )
    project = _project(tmp_path, {"compose.yaml": text}, environ={"FROM_SHELL": "yes"})
    web = _service(project, "web")
    assert web.image is not None
    assert web.image.value == "node:20"
    assert web.init is not None
    assert web.init.value == "true"
    assert web.stop_signal is not None
    assert web.stop_signal.value == "SIGINT"
    assert web.stop_signal.span is not None
    assert web.stop_signal.span.line == 5
    assert web.stop_grace_period is not None
    assert web.stop_grace_period.seconds == 90.0
    assert web.user is not None
    assert web.user.value == "1000"
    assert web.working_dir is not None
    assert web.working_dir.value == "/srv"
    environment = {name: env.value for name, env in web.environment.items()}
    assert environment == {
        "NODE_ENV": "production",
        "RETRIES": "3",
        "VERSION": "1.10",
        "FROM_SHELL": "yes",
        "MISSING": None,
    }
    assert web.environment["RETRIES"].span.line == 11
    assert web.profiles == ("debug", "tools")
    assert web.span.line == 2
    assert web.span.logical == "services.web"


def test_environment_list_form(tmp_path: Path) -> None:
    text = "services:\n  web:\n    environment:\n      - A=1\n      - B=x=y\n      - C\n      - D=\n"
    web = _service(_project(tmp_path, {"compose.yaml": text}, environ={"C": "shell"}), "web")
    assert {name: env.value for name, env in web.environment.items()} == {
        "A": "1",
        "B": "x=y",
        "C": "shell",
        "D": "",
    }


@pytest.mark.parametrize(
    ("value", "expected"), [("true", "true"), ("false", "false"), ("yes", "true"), ("'true'", "true")]
)
def test_init_values(tmp_path: Path, value: str, expected: str) -> None:
    web = _service(_project(tmp_path, {"compose.yaml": f"services:\n  web:\n    init: {value}\n"}), "web")
    assert web.init is not None
    assert web.init.value == expected


def test_invalid_init_and_grace_are_errors(tmp_path: Path) -> None:
    with pytest.raises(YamlError, match="init must be true or false"):
        _project(tmp_path, {"compose.yaml": "services:\n  web:\n    init: maybe\n"})
    with pytest.raises(YamlError, match=r"invalid duration '10' \(a number needs a unit: 10s\)"):
        _project(tmp_path, {"compose.yaml": "services:\n  web:\n    stop_grace_period: 10\n"})


def test_profiles_do_not_hide_services(tmp_path: Path) -> None:
    text = "services:\n  web: {image: a}\n  debug: {image: b, profiles: [debug]}\n"
    assert [service.name for service in _project(tmp_path, {"compose.yaml": text}).services] == [
        "web",
        "debug",
    ]


# --- interpolation in files, .env ------------------------------------------------------------


def test_interpolation_from_dotenv_and_shell(tmp_path: Path) -> None:
    files = {
        ".env": "TAG=from-dotenv\nCMD=serve\n",
        "compose.yaml": "services:\n  web:\n    image: app:${TAG}\n    command: ${CMD} --port ${PORT:-80}\n",
    }
    web = _service(_project(tmp_path, files), "web")
    assert web.image is not None
    assert web.image.value == "app:from-dotenv"
    assert web.command is not None
    assert web.command.argv == ("serve", "--port", "80")
    web = _service(_project(tmp_path, files, environ={"TAG": "shell", "PORT": "1"}), "web")
    assert web.image is not None
    assert web.image.value == "app:shell"  # the shell wins over .env
    assert web.command is not None
    assert web.command.argv == ("serve", "--port", "1")


def test_interpolated_value_is_split_after_substitution(tmp_path: Path) -> None:
    files = {"compose.yaml": 'services:\n  web:\n    command: sh -c "${SCRIPT}"\n'}
    web = _service(_project(tmp_path, files, environ={"SCRIPT": "a && b"}), "web")
    assert web.command is not None
    assert web.command.argv == ("sh", "-c", "a && b")


def test_required_variable_missing_is_an_error_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(YamlError, match="required variable TAG is missing a value: set TAG") as caught:
        _project(tmp_path, {"compose.yaml": "services:\n  web:\n    image: app:${TAG:?set TAG}\n"})
    assert caught.value.line == 3
    assert "\n" not in str(caught.value)


def test_unset_variables_are_listed(tmp_path: Path) -> None:
    project = _project(tmp_path, {"compose.yaml": "services:\n  web:\n    image: app:${TAG}\n"})
    assert project.unset_variables == ("TAG",)


def test_dollar_dollar_reaches_the_container_as_one_dollar(tmp_path: Path) -> None:
    text = "services:\n  web:\n    command: [sh, -c, 'echo $$HOME']\n"
    web = _service(_project(tmp_path, {"compose.yaml": text}), "web")
    assert web.command is not None
    assert web.command.argv == ("sh", "-c", "echo $HOME")


# --- merging ------------------------------------------------------------------------------


BASE = (
    "services:\n"
    "  web:\n"
    "    image: app\n"
    "    command: [node, server.js, --base]\n"
    "    entrypoint: [tini, --]\n"
    "    environment: [A=1, B=2]\n"
    "    ports: ['80:80']\n"
    "    init: true\n"
)


def test_command_is_replaced_not_merged(tmp_path: Path) -> None:
    override = "services:\n  web:\n    command: [node, other.js]\n    entrypoint: docker-entrypoint.sh\n"
    files = {"compose.yaml": BASE, "prod.yml": override}
    web = _service(_project(tmp_path, files, "compose.yaml", "prod.yml"), "web")
    assert web.command is not None
    assert web.command.argv == ("node", "other.js")
    assert web.command.span.path == str(tmp_path / "prod.yml")
    assert web.entrypoint is not None
    assert web.entrypoint.argv == ("docker-entrypoint.sh",)
    assert web.image is not None
    assert web.image.value == "app"  # kept from the base


def test_environment_is_merged_by_name_across_forms(tmp_path: Path) -> None:
    override = "services:\n  web:\n    environment:\n      B: override\n      C: new\n"
    files = {"compose.yaml": BASE, "prod.yml": override}
    web = _service(_project(tmp_path, files, "compose.yaml", "prod.yml"), "web")
    assert {name: env.value for name, env in web.environment.items()} == {
        "A": "1",
        "B": "override",
        "C": "new",
    }
    assert web.environment["B"].span.path == str(tmp_path / "prod.yml")


def test_later_files_win_for_scalars_and_the_order_matters(tmp_path: Path) -> None:
    files = {"a.yml": "services:\n  web: {image: a, user: one}\n", "b.yml": "services:\n  web: {image: b}\n"}
    web = _service(_project(tmp_path, files, "a.yml", "b.yml"), "web")
    assert web.image is not None
    assert web.image.value == "b"
    assert web.user is not None
    assert web.user.value == "one"
    web = _service(_project(tmp_path, files, "b.yml", "a.yml"), "web")
    assert web.image is not None
    assert web.image.value == "a"


def test_reset_and_override_tags(tmp_path: Path) -> None:
    override = (
        "services:\n  web:\n    command: !reset null\n    init: !reset\n"
        "    environment: !override {Z: only}\n"
    )
    files = {"compose.yaml": BASE, "prod.yml": override}
    web = _service(_project(tmp_path, files, "compose.yaml", "prod.yml"), "web")
    assert web.command is None
    assert web.init is None
    assert {name: env.value for name, env in web.environment.items()} == {"Z": "only"}


def test_the_default_override_file_is_merged(tmp_path: Path) -> None:
    files = {"compose.yaml": BASE, "compose.override.yaml": "services:\n  web:\n    command: [dev]\n"}
    project = _project(tmp_path, files)
    assert project.files == (str(tmp_path / "compose.yaml"), str(tmp_path / "compose.override.yaml"))
    web = _service(project, "web")
    assert web.command is not None
    assert web.command.argv == ("dev",)
    web = _service(_project(tmp_path, files, default_override=False), "web")
    assert web.command is not None
    assert web.command.argv == ("node", "server.js", "--base")


def test_no_default_override_for_other_names_or_several_files(tmp_path: Path) -> None:
    files = {"prod.yml": BASE, "compose.override.yaml": "services:\n  web:\n    command: [dev]\n"}
    web = _service(_project(tmp_path, files, "prod.yml"), "web")
    assert web.command is not None
    assert web.command.argv == ("node", "server.js", "--base")


def test_relative_paths_of_every_f_file_are_relative_to_the_first(tmp_path: Path) -> None:
    files = {
        "compose.yaml": "services:\n  web: {build: .}\n",
        "deploy/prod.yml": "services:\n  api: {build: ./api}\n",
    }
    project = _project(tmp_path, files, "compose.yaml", "deploy/prod.yml")
    api = _service(project, "api")
    assert api.build is not None
    assert api.build.context == str(tmp_path / "api")


# --- extends ------------------------------------------------------------------------------


def test_extends_in_the_same_file(tmp_path: Path) -> None:
    text = (
        "services:\n"
        "  base:\n    image: app\n    command: [serve]\n    environment: {A: 1}\n"
        "  web:\n    extends: base\n    environment: {B: 2}\n"
        "  worker:\n    extends: {service: web}\n    command: [work]\n"
    )
    project = _project(tmp_path, {"compose.yaml": text})
    web = _service(project, "web")
    assert web.command is not None
    assert web.command.argv == ("serve",)
    assert sorted(web.environment) == ["A", "B"]
    worker = _service(project, "worker")
    assert worker.command is not None
    assert worker.command.argv == ("work",)
    assert worker.image is not None
    assert worker.image.value == "app"


def test_extends_another_file_keeps_its_relative_paths(tmp_path: Path) -> None:
    files = {
        "compose.yaml": "services:\n  web:\n    extends:\n      file: common/base.yml\n      service: app\n",
        "common/base.yml": "services:\n  app:\n    build: ./src\n    entrypoint: [tini, --]\n",
    }
    project = _project(tmp_path, files)
    web = _service(project, "web")
    assert web.build is not None
    assert web.build.context == str(tmp_path / "common" / "src")
    assert web.entrypoint is not None
    assert web.entrypoint.span.path == str(tmp_path / "common" / "base.yml")
    assert str(tmp_path / "common" / "base.yml") in project.files


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("services:\n  a: {extends: b}\n  b: {extends: a}\n", "cycle"),
        ("services:\n  a: {extends: a}\n", "cycle"),
        ("services:\n  a: {extends: missing}\n", "no service 'missing'"),
        ("services:\n  a: {extends: {file: ../../outside.yml, service: x}}\n", "outside the project"),
        ("services:\n  a: {extends: {file: nothere.yml, service: x}}\n", "no such file"),
    ],
)
def test_extends_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(YamlError, match=match):
        _project(tmp_path, {"compose.yaml": text})


def test_extends_depth_is_bounded(tmp_path: Path) -> None:
    chain = "".join(f"  s{i}: {{extends: s{i + 1}}}\n" for i in range(40)) + "  s40: {image: a}\n"
    with pytest.raises(YamlError, match="more than 32"):
        _project(tmp_path, {"compose.yaml": "services:\n" + chain})
    short = "".join(f"  s{i}: {{extends: s{i + 1}}}\n" for i in range(10)) + "  s10: {image: a}\n"
    image = _service(_project(tmp_path, {"compose.yaml": "services:\n" + short}), "s0").image
    assert image is not None
    assert image.value == "a"


# --- build --------------------------------------------------------------------------------


def test_build_forms(tmp_path: Path) -> None:
    text = (
        "services:\n"
        "  a: {build: ./app}\n"
        "  b:\n    build:\n      context: ./app\n      dockerfile: docker/Dockerfile.prod\n"
        "      target: prod\n      args: [X=1, Y]\n"
        "  c:\n    build:\n      dockerfile_inline: |\n        FROM busybox\n"
        "  d: {build: 'https://github.com/x/y.git#main'}\n"
    )
    project = _project(tmp_path, {"compose.yaml": text})
    a = _service(project, "a").build
    assert a is not None
    assert (a.context, a.dockerfile, a.target) == (
        str(tmp_path / "app"),
        str(tmp_path / "app" / "Dockerfile"),
        None,
    )
    assert not a.outside_root
    b = _service(project, "b").build
    assert b is not None
    assert b.dockerfile == str(tmp_path / "app" / "docker" / "Dockerfile.prod")
    assert b.target == "prod"
    assert b.args == {"X": "1", "Y": None}
    c = _service(project, "c").build
    assert c is not None
    assert c.dockerfile is None
    assert c.dockerfile_inline == "FROM busybox\n"
    d = _service(project, "d").build
    assert d is not None
    assert d.remote
    assert not d.outside_root


def test_a_build_context_outside_the_repository_is_flagged_not_read(tmp_path: Path) -> None:
    project_dir = tmp_path / "repo"
    (project_dir / ".git").mkdir(parents=True)
    (project_dir / "compose.yaml").write_text(
        "services:\n  a: {build: ../elsewhere}\n  b: {build: {context: ., dockerfile: ../../Dockerfile}}\n"
    )
    project = load_compose([str(project_dir / "compose.yaml")])
    a = _service(project, "a").build
    assert a is not None
    assert a.outside_root
    b = _service(project, "b").build
    assert b is not None
    assert b.outside_root


def test_override_and_dotenv_symlinks_out_of_the_project_are_not_read(tmp_path: Path) -> None:
    project_dir = tmp_path / "repo"
    (project_dir / ".git").mkdir(parents=True)
    (tmp_path / "secret").write_text("services:\n  web: {image: stolen}\n")
    (project_dir / "compose.yaml").write_text("services:\n  web: {image: a}\n")
    (project_dir / "compose.override.yaml").symlink_to(tmp_path / "secret")
    with pytest.raises(YamlError, match="outside the project"):
        load_compose([str(project_dir / "compose.yaml")])
    (project_dir / "compose.override.yaml").unlink()
    (project_dir / ".env").symlink_to(tmp_path / "secret")
    with pytest.raises(YamlError, match="outside the project"):
        load_compose([str(project_dir / "compose.yaml")])


def test_a_subdirectory_of_the_repository_is_inside(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "compose.yaml").write_text("services:\n  a: {build: ..}\n")
    build = _service(load_compose([str(tmp_path / "deploy" / "compose.yaml")]), "a").build
    assert build is not None
    assert not build.outside_root


# --- the Runtime --------------------------------------------------------------------------


def test_service_runtime(tmp_path: Path) -> None:
    text = (
        "services:\n  web:\n    entrypoint: [docker-entrypoint.sh]\n    command: node server.js\n"
        "    init: true\n    stop_signal: SIGINT\n    stop_grace_period: 45s\n"
        "  bare:\n    image: app\n"
    )
    project = _project(tmp_path, {"compose.yaml": text})
    runtime = service_runtime(_service(project, "web"))
    assert runtime.platform == "compose"
    assert runtime.label == "service web"
    assert runtime.entrypoint is not None
    assert runtime.entrypoint.argv == ("docker-entrypoint.sh",)
    assert runtime.command is not None
    assert runtime.command.argv == ("node", "server.js")
    assert runtime.command.form == "exec"  # split, never a shell
    assert runtime.init is not None
    assert runtime.init.argv == DOCKER_INIT
    assert runtime.stop_signal is not None
    assert runtime.stop_signal.value == "SIGINT"
    assert runtime.grace_seconds == 45.0
    assert runtime.grace_span is not None
    assert runtime.grace_span.line == 7
    bare = service_runtime(_service(project, "bare"))
    assert (bare.entrypoint, bare.command, bare.init, bare.stop_signal) == (None, None, None, None)
    assert bare.grace_seconds == 10.0
    assert not bare.shared_pid_namespace


def test_init_false_adds_no_init(tmp_path: Path) -> None:
    web = _service(_project(tmp_path, {"compose.yaml": "services:\n  web: {init: false}\n"}), "web")
    assert service_runtime(web).init is None


# --- not Compose ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("- a\n- b\n", "not a Compose file"),
        ("", "empty Compose file"),
        ("services: [a]\n", "must be a mapping"),
    ],
)
def test_not_a_compose_file(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(YamlError, match=match):
        _project(tmp_path, {"compose.yaml": text})


def test_texts_overlay_for_standard_input() -> None:
    project = load_compose(
        ["/virtual/compose.yaml"], texts={"/virtual/compose.yaml": "services:\n  w: {image: a}\n"}
    )
    assert [service.name for service in project.services] == ["w"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("services:\n  web:\n    image: a\n", True),
        ("services:\n  web: {}\n", True),
        ("services:\n  web:\n    build: .\n  db:\n    image: postgres\n", True),
        ("services:\n  - docker:dind\n", False),  # .gitlab-ci.yml
        ("services:\n  web:\n    port: 80\n", False),
        ("services: {}\n", False),
        ("name: x\n", False),
    ],
)
def test_looks_like_compose(text: str, expected: bool) -> None:
    (document,) = load_documents(text, "f.yaml")
    assert looks_like_compose(document) is expected


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("compose.yaml", "not: [valid", "compose"),
        ("docker-compose.override.yml", "services: {}\n", "compose"),
        ("deploy/stack.yml", "services:\n  web:\n    image: a\n", "compose"),
        ("ci.yml", "services:\n  - docker:dind\n", None),
        ("values.yaml", "replicaCount: 1\n", None),
    ],
)
def test_classify_compose(path: str, text: str, expected: str | None) -> None:
    assert classify_yaml(path, text) == expected


def test_file_names() -> None:
    for name in ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"):
        assert is_compose_file_name(f"a/{name}")
        assert not is_override_file_name(name)
    for name in ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml"):
        assert is_compose_file_name(name)
        assert is_override_file_name(f"deploy/{name}")
    assert not is_compose_file_name("docker-compose.prod.yml")  # found by content instead


# --- properties ---------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_doubled_dollars_always_read_back_as_the_text(text: str) -> None:
    assert interpolate(text.replace("$", "$$"), ENV.get) == text


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_characters="'", blacklist_categories=["Cs"])), max_size=6
    )
)
def test_single_quoted_words_split_back_into_themselves(words: list[str]) -> None:
    line = " ".join("'" + word + "'" for word in words)
    assert split_command(line) == (tuple(words), None)


@given(st.text(max_size=80))
def test_split_command_raises_only_shell_words_errors(line: str) -> None:
    try:
        _words, dropped = split_command(line)
    except ShellWordsError:
        return
    assert dropped is None or line.endswith(dropped)
