"""Lookups in data/apps.json: apps and runtimes, init shims, supervisors.

Loaded once per process (a few hundred microseconds); every entry carries its
source in the data file.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import posixpath
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

from sigcheck.data import load, name_matches

__all__ = [
    "GO_APP",
    "App",
    "Init",
    "Supervisor",
    "daemonizes",
    "identify_app",
    "identify_init",
    "identify_supervisor",
    "init_files",
    "init_packages",
    "is_one_shot",
    "is_teardown",
]


class App(NamedTuple):
    id: str
    label: str
    pid1_exits_on: frozenset[str]
    graceful: str | None
    handles_signals: bool
    reaps: bool
    avoid: tuple[tuple[str, str], ...]
    handler_patterns: tuple[str, ...]  # regexes with {signal}: the code handles that signal
    framework_patterns: tuple[str, ...]  # servers that handle SIGTERM and SIGINT for the app
    interrupt_patterns: tuple[str, ...]
    term_flag: str | None
    note: str | None
    source: str
    stops_at_once: bool = False  # its SIGTERM handler exits without a drain that takes time

    def avoid_reason(self, signal: str) -> str | None:
        return dict(self.avoid).get(signal)


class Init(NamedTuple):
    id: str
    group: bool  # signals go to the child's whole process group
    supervises: bool
    rewrites: tuple[tuple[str, str], ...]  # dumb-init --rewrite, as signal names
    command_start: int | None  # index in argv of the wrapped command
    source: str


class Supervisor(NamedTuple):
    id: str
    stops_children: bool
    why: str
    source: str


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return load("apps.json")


@lru_cache(maxsize=1024)
def _first_entry(section: str, name: str, program: str = "") -> dict[str, Any] | None:
    """The first entry of `section` whose patterns match the program's base name (or,
    given, its full path). Cached: the same few programs start most containers."""
    entries: list[dict[str, Any]] = _data()[section]
    for entry in entries:
        patterns = entry["match"]
        if any(name_matches(name, p) for p in patterns) or (program and program in patterns):
            return entry
    return None


@lru_cache(maxsize=64)
def _app(entry_id: str) -> App:
    entry = next(e for e in _data()["apps"] if e["id"] == entry_id)
    return App(
        id=entry["id"],
        label=entry["label"],
        pid1_exits_on=frozenset(entry["pid1_exits_on"]),
        graceful=entry["graceful"],
        handles_signals=entry["handles_signals"],
        reaps=entry["reaps"],
        avoid=tuple(sorted(entry.get("avoid", {}).items())),
        handler_patterns=tuple(entry.get("handler_patterns", ())),
        framework_patterns=tuple(entry.get("framework_patterns", ())),
        interrupt_patterns=tuple(entry.get("interrupt_patterns", ())),
        term_flag=entry.get("term_flag"),
        note=entry.get("note"),
        source=entry["source"],
        stops_at_once=bool(entry.get("stops_at_once", False)),
    )


GO_APP = App(
    id="go",
    label="a Go binary",
    pid1_exits_on=frozenset({"SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"}),
    graceful="SIGTERM",
    handles_signals=True,
    reaps=False,
    avoid=(),
    handler_patterns=(),
    framework_patterns=(),
    interrupt_patterns=(),
    term_flag=None,
    note=None,
    source="semantics §3 Table 3: a Go binary exits on TERM/INT/HUP as PID 1 (status 2, no signal.Notify)",
)


# Flags that make a program print something and exit, whatever it is (`node -v`, `python3 -V`).
_QUERIES = frozenset({"-v", "-V", "--version", "version", "-h", "--help", "help"})


def identify_app(argv: tuple[str, ...]) -> App | None:
    if not argv:
        return None
    if len(argv) == 2 and argv[1] in _QUERIES:
        return None  # it prints its version or usage and exits: not a long-running app
    entry = _first_entry("apps", posixpath.basename(argv[0]))
    if entry is None:
        return None
    found = _app(entry["id"])
    if found.id == "python" and "-m" in argv[1:-1]:
        module = argv[argv.index("-m", 1) + 1]
        inner = identify_app((module.split(".")[0],))
        if inner is not None and inner.id != "python":
            return inner
    return found


def identify_init(argv: tuple[str, ...]) -> Init | None:
    if not argv:
        return None
    program = argv[0]
    entry = _first_entry("inits", posixpath.basename(program), program)
    if entry is None:
        return None
    group = entry["default_group"]
    rewrites: list[tuple[str, str]] = []
    i = 1
    while i < len(argv):
        word = argv[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        if word in entry["group_flags"]:
            group = True
        elif word in entry["child_only_flags"]:
            group = False
        if word in entry["valued_flags"] or word in ("-r", "--rewrite"):
            if word in ("-r", "--rewrite") and i + 1 < len(argv):
                rewrites.append(_rewrite(argv[i + 1]))
            i += 2
            continue
        if word.startswith("--rewrite="):
            rewrites.append(_rewrite(word.split("=", 1)[1]))
        i += 1
    return Init(
        id=entry["id"],
        group=group,
        supervises=bool(entry.get("supervises", False)),
        rewrites=tuple(rewrites),
        command_start=i if i < len(argv) else None,
        source=entry["source"],
    )


_SIGNAL_NUMBERS = {
    "1": "SIGHUP",
    "2": "SIGINT",
    "3": "SIGQUIT",
    "10": "SIGUSR1",
    "12": "SIGUSR2",
    "15": "SIGTERM",
    "28": "SIGWINCH",
    "0": "none",
}


def _rewrite(spec: str) -> tuple[str, str]:
    before, _, after = spec.partition(":")
    return _SIGNAL_NUMBERS.get(before, before), _SIGNAL_NUMBERS.get(after, after)


def identify_supervisor(argv: tuple[str, ...]) -> Supervisor | None:
    if not argv:
        return None
    entry = _first_entry("supervisors", posixpath.basename(argv[0]))
    if entry is None:
        return None
    return Supervisor(entry["id"], entry["stops_children"], entry.get("why", ""), entry["source"])


# Subcommands that keep a client running (they serve or stream until stopped).
_STAYS = frozenset({"proxy", "port-forward", "logs", "attach", "wait", "watch", "s_server"})


def is_one_shot(argv: tuple[str, ...]) -> bool:
    """A program that does one job and exits (a client, a package manager, a set-up tool):
    never the long-running app of a container."""
    if not argv:
        return False
    entry = _first_entry("one_shot", posixpath.basename(argv[0]))
    if entry is None:
        return False
    watch = entry.get("watch_flags", ("-w", "--watch"))  # pg_dump's -w is --no-password
    return not any(word in _STAYS or word in watch for word in argv[1:])


@lru_cache(maxsize=1)
def init_packages() -> dict[str, tuple[str, ...]]:
    raw = _data()["init_packages"]
    return {key: tuple(value) for key, value in raw.items() if not key.startswith("_")}


@lru_cache(maxsize=1)
def init_files() -> tuple[tuple[str, str, str], ...]:
    """(init, path, beside): inits an image shows by a fixed file rather than a package on
    PATH; `beside` must exist too, so an unrelated `/init` is not taken for one."""
    return tuple((e["id"], e["path"], e["beside"]) for e in _data().get("init_files", ()))


def mentions_handler(text: str, patterns: tuple[str, ...], signal: str = "SIGTERM") -> bool:
    """Whether the code matches one of the patterns, `{signal}` standing for `signal`."""
    return any(re.search(p.replace("{signal}", re.escape(signal)), text) for p in patterns)


def is_teardown(argv: tuple[str, ...]) -> bool:
    """A command that stops the services the script started (`tmshutdown`): what ran in the
    foreground before it was a client that returned, not the container's app."""
    entry = _first_entry("one_shot", posixpath.basename(argv[0])) if argv else None
    return entry is not None and bool(entry.get("teardown"))


def daemonizes(argv: tuple[str, ...], read: Callable[[str], str | None]) -> bool:
    """The server forks its daemon into the background and the command returns at once
    (nginx's default `daemon on;`), unless its flags or the configuration file it reads
    (`read(path)`: the image's text of it, None when unknown) keep it in the foreground."""
    entry = _first_entry("apps", posixpath.basename(argv[0])) if argv else None
    daemon = entry.get("daemon") if entry is not None else None
    if daemon is None:
        return False
    foreground = re.compile(daemon["foreground"])
    if any(foreground.search(word) for word in argv[1:]):
        return False
    flag = daemon["config_flag"]
    config = argv[argv.index(flag) + 1] if flag in argv[1:-1] else daemon["config"]
    if "$" in config:
        return False  # a configuration the script chooses at run time: unknown
    text = read(config)
    return text is None or not re.search(r"(?m)^\s*" + daemon["foreground"] + r"\s*;", text)
