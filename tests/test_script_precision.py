"""Entry-script analysis on the shapes real images use (issue 13): what the container
really runs, path by path. Each case is a minimal script written from scratch."""

from __future__ import annotations

import pytest

from sigcheck.model.knowledge import daemonizes, identify_app, is_one_shot, is_teardown
from sigcheck.model.launchers import identify_launcher
from sigcheck.shell.script import Outcome, analyse_script


def _default(text: str, args: tuple[str, ...] = ()) -> list[Outcome]:
    return [o for o in analyse_script(text, args).outcomes if o.default_path]


def _apps(text: str, args: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(kind, program) of every path the image's own arguments take, exec'd or not."""
    return [(o.kind, o.words[0]) for o in _default(text, args)]


@pytest.mark.parametrize("builtin", ["shopt -s nullglob", "umask 0077", "ulimit -n 1024", "break", "fi"])
def test_builtins_and_reserved_words_are_never_the_app(builtin: str) -> None:
    text = (
        f"#!/bin/bash\nset -e\n{builtin}\n"
        '_is_sourced() { [ "${FUNCNAME[1]}" = source ]; }\n'
        '_main() { exec "$@"; }\n'
        'if ! _is_sourced; then _main "$@"; fi\n'
    )
    # The path where the script is sourced runs nothing long-lived; the other one execs.
    assert [o.kind for o in _default(text)] == ["exec"]


def test_case_on_first_argument_takes_the_images_cmd() -> None:
    text = (
        "#!/bin/bash\n"
        'case "$1" in\n'
        "  app:start) exec supervisord -n ;;\n"
        "  app:init) rake db:migrate ;;\n"
        '  *) exec "$@" ;;\n'
        "esac\n"
    )
    assert _apps(text, ("app:start",)) == [("exec", "supervisord")]
    # Another argument takes another branch: a one-shot task is not reported at all.
    assert all(o.kind == "exec" for o in analyse_script(text, ("app:start",)).outcomes)


def test_nested_case_on_the_same_value() -> None:
    text = (
        "#!/bin/bash\n"
        "case ${1} in\n"
        "  app:*)\n"
        "    case ${1} in\n"
        "      app:start) puma -C config/puma.rb ;;\n"
        "      app:rake) rake ;;\n"
        "    esac\n"
        "    ;;\n"
        "esac\n"
    )
    assert _apps(text, ("app:start",)) == [("foreground", "puma")]


def test_other_branch_starting_a_known_server_stays_a_lesser_finding() -> None:
    text = '#!/bin/sh\ncase "$1" in\n  web) exec gunicorn app ;;\n  worker) celery -A app worker ;;\nesac\n'
    other = [o for o in analyse_script(text, ("web",)).outcomes if not o.default_path]
    assert [(o.kind, o.words[0]) for o in other] == [("foreground", "celery")]


def test_background_app_survives_later_setup_and_the_follower_is_not_the_app() -> None:
    text = (
        "#!/bin/bash\n"
        "trap 'killall -15 dnsd; wait $PID' TERM\n"
        "dnsd --no-daemon &\n"
        "PID=$!\n"
        "dnsctl updatecheck\n"
        "tail -F /var/log/dnsd.log &\n"
        "wait $PID\n"
        "sh /usr/lib/dnsd/poststop.sh\n"
    )
    outcomes = _default(text)
    assert [(o.kind, o.words[0]) for o in outcomes] == [("background", "dnsd")]
    (app,) = outcomes
    assert app.forwarding_traps
    assert app.forwarding_traps[0].waits


def test_trap_handler_that_stops_the_app_itself_protects_a_log_follower() -> None:
    text = (
        "#!/bin/bash\n"
        "trap '/u01/bin/stopServer.sh; kill -TERM $PID' TERM\n"
        "tail -f /u01/logs/server.log &\n"
        "PID=$!\n"
        "wait $PID\n"
    )
    (follower,) = _default(text)
    assert follower.follower
    assert follower.forwarding_traps
    assert not follower.exiting_traps


def test_temporary_server_killed_by_the_script_is_not_the_app() -> None:
    text = (
        "#!/bin/bash\n"
        "influxd --http-bind-address :9999 &\n"
        'pid="$!"\n'
        "influx setup --force\n"
        'kill -TERM "$pid"\n'
        'wait "$pid" || true\n'
        'exec influxd "$@"\n'
    )
    assert _apps(text) == [("exec", "influxd")]


def test_variable_holding_a_launcher_is_expanded_per_value() -> None:
    text = (
        "#!/bin/sh\n"
        "EXEC=\n"
        'if [ "$(id -u)" = 0 ]; then EXEC="runuser -u app -g app --"; fi\n'
        'exec $EXEC /opt/app/bin/server "$@"\n'
    )
    words = [o.words for o in _default(text, ("--port", "8080"))]
    assert words[0][:4] == ("runuser", "-u", "app", "-g")
    assert ("/opt/app/bin/server", '"$@"') in words  # the chain substitutes the arguments


def test_variable_holding_exec_makes_the_line_an_exec() -> None:
    text = (
        "#!/bin/bash\n"
        'if [ "$(id -u)" = 0 ]; then exec_cmd="exec su-exec app"; else exec_cmd="exec"; fi\n'
        "readonly exec_cmd\n"
        "${exec_cmd} java -jar /opt/app.jar\n"
    )
    assert {o.kind for o in _default(text)} == {"exec"}


def test_unknown_name_after_a_source_may_be_a_sourced_function() -> None:
    text = "#!/bin/bash\nsource /etc/app/functions\nconfigure_nginx\nmigrate_database\n"
    assert _default(text) == []
    # A known server is never taken for one, nor a plain word, as often a program as a function.
    assert _apps("#!/bin/sh\n. /etc/app/env.sh\ngunicorn app:app\n") == [("foreground", "gunicorn")]
    assert _apps("#!/bin/sh\n. /etc/app/env.sh\ngetmail --rcfile x\n") == [("foreground", "getmail")]


def test_backgrounded_group_with_the_arguments_is_the_app() -> None:
    text = '#!/bin/bash\n/bin/bash -c "$INIT"\n( true ) && ( while "$@"; do echo again; done ) &\nwait\n'
    assert _apps(text, ("/opt/app/bin/app", "start")) == [("background", '"$@"')]


def test_one_shot_clients_end_the_path_but_loop_forever_in_a_watchdog() -> None:
    assert _default("#!/bin/sh\ncurl -fsS -X POST http://api/setup\n") == []
    looped = _default("#!/bin/bash\nwhile true; do curl -fsS http://api/health; sleep 10; done\n")
    assert [(o.words[0], o.loop) for o in looped] == [("curl", True)]


@pytest.mark.parametrize(
    ("argv", "one_shot"),
    [
        (("kubectl", "apply", "-f", "x.yaml"), True),
        (("kubectl", "port-forward", "svc/web", "80"), False),
        (("pg_dump", "-Fc", "db"), True),
        (("gunicorn", "app:app"), False),
    ],
)
def test_one_shot_knowledge(argv: tuple[str, ...], one_shot: bool) -> None:
    assert is_one_shot(argv) is one_shot


def test_version_query_is_not_a_long_running_app() -> None:
    assert identify_app(("/bin/node", "-v")) is None
    assert identify_app(("node", "server.js")) is not None


@pytest.mark.parametrize(
    ("argv", "found"),
    [(("pnpm", "start-docker"), True), (("pnpm", "install"), False), (("pnpm", "--version"), False)],
)
def test_pnpm_runs_a_script_of_any_name(argv: tuple[str, ...], found: bool) -> None:
    assert (identify_launcher(argv) is not None) is found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[uwsgi]\nmodule = app\ndie-on-term = true\n", {"--die-on-term"}),
        ("[uwsgi]\ndie-on-term\nmaster = 1\n", {"--die-on-term", "--master"}),
        ("[uwsgi]\ndie-on-term = false\n", set()),
        ("[uwsgi]\n; die-on-term = true\n", set()),
        ("[other]\ndie-on-term = true\n[uwsgi]\nhttp = :80\n", set()),
        ("uwsgi:\n  die-on-term: true\n", {"--die-on-term"}),
    ],
)
def test_uwsgi_config_options(text: str, expected: set[str]) -> None:
    from sigcheck.load.app_config import enabled_options

    assert enabled_options(text) >= expected
    assert "--die-on-term" not in enabled_options(text) or "--die-on-term" in expected


@pytest.mark.parametrize(
    ("env", "default_kind"),
    [
        ((), "exec"),  # unset in the image: `[ -n "$APP_USER" ]` is false by default
        ((("APP_USER", "app"),), "foreground"),
        ((("APP_USER", ""),), "exec"),
        (None, None),  # no ENV known: the test is not decided, both paths stay
    ],
)
def test_a_branch_on_an_env_variable_is_decided_by_the_image_env(
    env: tuple[tuple[str, str], ...] | None, default_kind: str | None
) -> None:
    from sigcheck.shell.script import analyse_script

    text = '#!/bin/sh\nif [ -n "$APP_USER" ]; then\n  su-exec "$APP_USER" "$@"\nelse\n  exec "$@"\nfi\n'
    outcomes = analyse_script(text, ("server",), env).outcomes
    taken = {o.kind for o in outcomes if o.default_path}
    if default_kind is None:
        assert taken == {"exec", "foreground"}
    else:
        assert taken == {default_kind}


def test_a_variable_the_script_assigns_is_not_decided_by_the_env() -> None:
    from sigcheck.shell.script import analyse_script

    text = (
        '#!/bin/sh\nAPP_USER="${APP_USER:-app}"\n'
        'if [ -z "$APP_USER" ]; then\n  exec "$@"\nfi\nsu-exec x "$@"\n'
    )
    taken = {o.kind for o in analyse_script(text, ("server",), ()).outcomes if o.default_path}
    assert "foreground" in taken


@pytest.mark.parametrize(
    ("last", "is_app"),
    [("sleep 1d", True), ("sleep infinity", True), ("sleep 3600", True), ("sleep 1m", True),
     ("sleep 5", False), ("sleep 30s", False), ('sleep "$DELAY"', False)],
)  # fmt: skip
def test_a_long_sleep_is_what_the_container_waits_on(last: str, is_app: bool) -> None:
    from sigcheck.shell.script import analyse_script

    outcomes = analyse_script(f"#!/bin/sh\necho ready\n{last}\n", ()).outcomes
    assert bool([o for o in outcomes if o.words and o.words[0] == "sleep"]) is is_app


@pytest.mark.parametrize(("value", "skipped"), [(None, True), ("y", False), ("yes", False), ("no", True)])
def test_a_regex_test_on_an_env_variable_is_decided(value: str | None, skipped: bool) -> None:
    from sigcheck.shell.script import analyse_script

    text = (
        '#!/bin/bash\nif [[ "${SKIP}" =~ ^([yY][eE][sS]|[yY])+$ ]]; then\n'
        '  sleep 365d\n  exit 0\nfi\nexec "$@"\n'
    )
    env = () if value is None else (("SKIP", value),)
    taken = {o.kind for o in analyse_script(text, ("server",), env).outcomes if o.default_path}
    assert taken == ({"exec"} if skipped else {"foreground"})


NGINX_CONF_OFF = "user nginx;\ndaemon off;\nevents {}\n"


@pytest.mark.parametrize(
    ("argv", "configs", "forks"),
    [
        (("nginx",), {}, True),  # default `daemon on;`, the package's config unknown
        (("/usr/sbin/nginx", "-t"), {}, True),
        (("nginx", "-g", "daemon off;"), {}, False),
        (("nginx", "-g", "pid /run/n.pid; daemon  off;"), {}, False),
        (("nginx",), {"/etc/nginx/nginx.conf": NGINX_CONF_OFF}, False),
        (("nginx", "-c", "/app/n.conf"), {"/app/n.conf": NGINX_CONF_OFF}, False),
        (("nginx", "-c", "/app/n.conf"), {"/etc/nginx/nginx.conf": NGINX_CONF_OFF}, True),
        (("nginx",), {"/etc/nginx/nginx.conf": "# daemon off;\nevents {}\n"}, True),
        (("nginx", "-c", "$CONF"), {}, False),  # chosen at run time: unknown, not assumed
        (("gunicorn", "app:app"), {}, False),
    ],
)
def test_a_server_daemonizes_unless_its_flags_or_config_say_otherwise(
    argv: tuple[str, ...], configs: dict[str, str], forks: bool
) -> None:
    assert daemonizes(argv, configs.get) is forks


def test_teardown_is_a_fact_of_the_program() -> None:
    assert is_teardown(("tmshutdown", "-y"))
    assert not is_teardown(("tmboot", "-y"))
    assert not is_teardown(("rm", "-f", "/tmp/lock"))


def test_a_hook_loop_over_files_is_not_the_app_but_a_loop_over_work_is() -> None:
    hooks = '#!/bin/bash\nfor f in /hooks/*.sh; do bash "$f"; done\n'
    assert _apps(hooks) == []
    reading = '#!/bin/bash\nwhile read -r f; do "$f"; done < /hooks.list\n'
    assert _apps(reading) == []
    work = '#!/bin/bash\nfor n in 1 2 3; do python worker.py "$n"; done\n'
    assert [(o.kind, o.words[0], o.loop) for o in _default(work)] == [("foreground", "python", True)]


def test_a_function_gets_the_words_it_is_called_with() -> None:
    text = '#!/bin/bash\nrun_as() { sudo -u app "$@"; }\nrun_as psql -c "select 1"\nrun_as gunicorn app:app\n'
    assert [o.words for o in _default(text)] == [("sudo", "-u", "app", "gunicorn", "app:app")]


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (("sudo", "-uroot", "python", "/app.py"), 2),  # the value in the same word
        (("sudo", "-u", "root", "python"), 3),
        (("sudo", "-HEu", "app", "python"), 3),  # a cluster whose last letter takes a value
        (("sudo", "-E", "python"), 2),
        (("sudo", "--user=app", "python"), 2),
        (("sudo", "--user", "app", "python"), 3),
    ],
)
def test_sudo_options_and_the_command_they_wrap(argv: tuple[str, ...], start: int) -> None:
    launcher = identify_launcher(argv)
    assert launcher is not None
    assert launcher.command_start == start
