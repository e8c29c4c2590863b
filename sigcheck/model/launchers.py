"""Launchers between PID 1 and the app, and what they do with the stop signal.

Measured (signal-semantics.md §5, §6): npm relays only to its `sh -c` child
(9.6.7-10.2.5 relays nothing); yarn 1 exits without relaying; pnpm relays but
exits at once, killing a slow shutdown; su and runuser translate QUIT/INT to
TERM, drop HUP/USR1/WINCH and SIGKILL the child 2 s later. sudo, timeout,
yarn >= 2 and uv run relay; poetry run, pipenv run and bundle exec exec.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import posixpath
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["Launcher", "identify_launcher"]


class Launcher(NamedTuple):
    name: str
    label: str  # shown in the chain
    forwards: bool  # the app gets the stop signal and is waited for
    severity: str  # for SIG203 when not forwarding: "error" or "warning"
    why: str  # what happens at `docker stop`
    instead: str  # what to run instead
    command_start: int | None  # index of the wrapped command in argv, when known
    # What happens to each stop signal on the way through (None: dropped); absent: passed on.
    signal_map: tuple[tuple[str, str | None], ...] = ()
    # It exits on the stop signal while the app still runs, so the app dies with it at
    # once (kernel SIGKILL when PID 1 exits), not at the end of the grace period.
    exits_first: bool = False

    def passes(self, signal: str) -> str | None:
        return dict(self.signal_map).get(signal, signal)


_NPM_RUNS = frozenset({"start", "run", "run-script", "test", "stop", "restart"})


# pnpm's own commands (pnpm.io/cli); any other first word runs the package.json script of that
# name (`pnpm start-docker` is `pnpm run start-docker`), which is what a CMD launches.
_PNPM_COMMANDS = frozenset(
    {
        "add",
        "i",
        "install",
        "install-test",
        "it",
        "ln",
        "link",
        "unlink",
        "remove",
        "rm",
        "un",
        "uninstall",
        "up",
        "update",
        "upgrade",
        "import",
        "rebuild",
        "rb",
        "prune",
        "fetch",
        "dedupe",
        "patch",
        "patch-commit",
        "patch-remove",
        "audit",
        "list",
        "ls",
        "ll",
        "la",
        "outdated",
        "why",
        "licenses",
        "create",
        "publish",
        "pack",
        "store",
        "env",
        "setup",
        "init",
        "deploy",
        "config",
        "c",
        "bin",
        "root",
        "server",
        "doctor",
        "help",
        "self-update",
    }
)


def _pnpm_script(sub: str) -> bool:
    return bool(sub) and not sub.startswith("-") and sub not in _PNPM_COMMANDS


def _package_manager(argv: tuple[str, ...], yarn_berry: bool) -> Launcher | None:
    name = posixpath.basename(argv[0])
    sub = argv[1] if len(argv) > 1 else ""
    if name == "npm" and sub in _NPM_RUNS:
        return Launcher(
            "npm",
            "relays only to its sh",
            False,
            "error",
            "npm relays SIGTERM only to the `sh -c` it starts the script with (npm 9.6.7-10.2.5 relays "
            "nothing), so on a Debian-based image the app never gets it and is SIGKILLed",
            'run the app directly in exec form, e.g. CMD ["node", "server.js"]',
            None,
        )
    if name == "yarn" and not yarn_berry and sub not in ("install", "add", "build"):
        return Launcher(
            "yarn",
            "yarn 1, does not relay",
            False,
            "error",
            "yarn 1 exits on SIGTERM without relaying it, and the app is SIGKILLed when PID 1 exits",
            'run the app directly in exec form, e.g. CMD ["node", "server.js"]',
            None,
            exits_first=True,
        )
    if name == "yarn":
        return Launcher("yarn", "yarn >= 2, relays", True, "error", "", "", None)
    if name == "pnpm" and (sub in _NPM_RUNS | {"exec", "dlx"} or _pnpm_script(sub)):
        return Launcher(
            "pnpm",
            "exits at once",
            False,
            "error",
            "pnpm relays SIGTERM but exits at once, so the container stops and a slow graceful "
            "shutdown is SIGKILLed midway",
            'run the app directly in exec form, e.g. CMD ["node", "server.js"]',
            None,
            exits_first=True,
        )
    return None


# signal-semantics.md §5 Table 5b, and util-linux su-common.c: su and runuser relay TERM;
# INT and QUIT only when a command is run with -c for a user other than root (then as TERM);
# HUP, USR1, USR2 and WINCH never.
_ALWAYS_DROPPED = (("SIGHUP", None), ("SIGUSR1", None), ("SIGUSR2", None), ("SIGWINCH", None))
_SU_AS_TERM = (("SIGINT", "SIGTERM"), ("SIGQUIT", "SIGTERM"), *_ALWAYS_DROPPED)
_SU_ONLY_TERM = (("SIGINT", None), ("SIGQUIT", None), *_ALWAYS_DROPPED)
_SU_VALUED = frozenset(
    {
        "-c",
        "--command",
        "-s",
        "--shell",
        "-g",
        "--group",
        "-G",
        "--supp-group",
        "-w",
        "--whitelist-environment",
        "-u",
        "--user",
        "-C",
        "--session-command",
    }
)


def _su_parts(argv: tuple[str, ...]) -> tuple[str | None, str, str | None]:
    """(command string given with -c, target user, -u user) of a su/runuser argv."""
    command = None
    user_flag = None
    positional: list[str] = []
    i = 1
    while i < len(argv):
        word = argv[i]
        if word == "--":
            positional += argv[i + 1 :]
            break
        if word in _SU_VALUED and i + 1 < len(argv):
            if word in ("-c", "--command", "-C", "--session-command"):
                command = argv[i + 1]
            elif word in ("-u", "--user"):
                user_flag = argv[i + 1]
            i += 2
            continue
        if word.startswith("--command="):
            command = word.split("=", 1)[1]
        elif not word.startswith("-"):
            positional.append(word)
        i += 1
    user = positional[0] if positional else "root"
    return command, user, user_flag


def _user_switch(argv: tuple[str, ...]) -> Launcher | None:
    name = posixpath.basename(argv[0])
    if name not in ("su", "runuser"):
        return None
    command, user, user_flag = _su_parts(argv)
    instead = (
        "switch user with an exec-style tool: `exec gosu USER app`, `exec setpriv --reuid=USER "
        "--regid=USER --init-groups app` or `exec su-exec USER app`"
    )
    if name == "runuser" and user_flag is not None and command is None:
        start = argv.index("--") + 1 if "--" in argv else argv.index(user_flag) + 1
        return Launcher(
            "runuser",
            "runuser -u, 2 s SIGKILL cap",
            False,
            "warning",
            "runuser relays only SIGTERM (QUIT and INT are dropped with -u, as are HUP, USR1 and WINCH) "
            "and SIGKILLs the app 2 s later, cutting any longer graceful shutdown",
            instead,
            start if start < len(argv) else None,
            _SU_ONLY_TERM,
        )
    signal_map = _SU_AS_TERM if command is not None and user != "root" else _SU_ONLY_TERM
    if command is not None and command.lstrip().startswith("exec "):
        # The app replaces the user's shell: it gets SIGTERM, but only 2 s to finish.
        return Launcher(
            name,
            f"{name}, 2 s SIGKILL cap",
            False,
            "warning",
            f"{name} relays the stop signal as SIGTERM to the app (its shell execs it), drops HUP, USR1 and "
            "WINCH, and SIGKILLs the app 2 s later, cutting any longer graceful shutdown",
            instead,
            None,
            signal_map,
        )
    return Launcher(
        name,
        f"{name}, 2 s SIGKILL cap",
        False,
        "error",
        f"{name} relays the stop signal as SIGTERM to the user's shell, drops HUP, USR1 and WINCH, and "
        "SIGKILLs the child 2 s later; with a dash login shell the app never gets the signal at all",
        instead,
        None,
        signal_map,
    )


def _sudo_takes_next(word: str) -> bool:
    """Whether sudo's option word `word` takes the next word as its value: `-u app`, or a
    cluster whose value-taking letter comes last (`-HEu app`); `-uroot` holds its value."""
    if word.startswith("--"):
        return word in ("--user", "--group", "--close-from", "--chdir", "--prompt", "--role", "--type",
                        "--other-user", "--command-timeout", "--host")  # fmt: skip
    for index, letter in enumerate(word[1:], start=1):
        if letter in "ugCDhprtUT":
            return index == len(word) - 1  # the rest of the word, if any, is the value
    return False


def _relaying(argv: tuple[str, ...]) -> Launcher | None:
    name = posixpath.basename(argv[0])
    sub = argv[1] if len(argv) > 1 else ""
    if name == "sudo":
        i = 1
        while i < len(argv) and argv[i].startswith("-"):
            word = argv[i]
            i += 2 if _sudo_takes_next(word) else 1
        return Launcher("sudo", "sudo, relays", True, "error", "", "", i if i < len(argv) else None)
    if name == "timeout":
        i = 1
        while i < len(argv) and argv[i].startswith("-"):
            i += 2 if argv[i] in ("-s", "--signal", "-k", "--kill-after") else 1
        i += 1  # the duration
        return Launcher(
            "timeout",
            "timeout, relays",
            True,
            "error",
            "",
            "",
            i if i < len(argv) else None,
            (("SIGUSR1", None), ("SIGUSR2", None), ("SIGWINCH", None)),
        )
    if name in ("poetry", "pipenv", "uv") and sub == "run":
        start = 2
        while start < len(argv) and argv[start].startswith("-"):
            start += 1
        label = f"{name} run, " + ("relays" if name == "uv" else "execs")
        return Launcher(name, label, True, "error", "", "", start if start < len(argv) else None)
    if name == "bundle" and sub == "exec":
        return Launcher("bundle", "bundle exec, execs", True, "error", "", "", 2 if len(argv) > 2 else None)
    return None


_IDENTIFIERS: tuple[Callable[[tuple[str, ...]], Launcher | None], ...] = (_user_switch, _relaying)


def identify_launcher(argv: tuple[str, ...], yarn_berry: bool = False) -> Launcher | None:
    if not argv:
        return None
    found = _package_manager(argv, yarn_berry)
    if found is not None:
        return found
    for identify in _IDENTIFIERS:
        found = identify(argv)
        if found is not None:
            return found
    return None
