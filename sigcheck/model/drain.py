"""How long the app drains in-flight work after its stop signal, where the files say so.

A fact for SIG602 (the grace period shorter than the drain): only a timeout
written in the command, the image's ENV, the deployment's environment or the
app's own config file in the image counts, never a server's default (the rule
promises "both numbers are in the files"). Each server's own precedence decides
which wins: the command line over the environment over the config file.

The config files are those the image holds (the `ImageFiles` seam: COPY'd from
the build context), found where the server looks: gunicorn `-c FILE` or
`./gunicorn.conf.py`; puma `-C FILE` or `config/puma.rb`; Sidekiq `-C FILE` or
`config/sidekiq.yml`; nginx `-c FILE` or `/etc/nginx/nginx.conf`; the JVM's
Spring Boot `config/application.properties`, `config/application.yml`,
`application.properties`, `application.yml` (Spring Boot "External Application
Properties": the working directory's `config/` before the directory itself, and
`.properties` before `.yml` in one place); relative paths from the WORKDIR.
`sigcheck.load.app_config` reads them (literals only, nothing run).

Sources (each server's own documentation):
- gunicorn settings, `graceful_timeout` (`--graceful-timeout INT`, default 30):
  "After receiving a restart signal, workers have this much time to finish
  serving requests. Workers still alive after the timeout (starting from the
  receipt of the restart signal) are force killed"; SIGTERM is the graceful
  shutdown (signals.html), SIGINT/SIGQUIT the quick one. `GUNICORN_CMD_ARGS`
  holds command-line options too;
- uvicorn settings, `--timeout-graceful-shutdown <int>`: the maximum number of
  seconds to wait for graceful shutdown (SIGTERM and SIGINT both start it);
- Sidekiq wiki "Signals", TERM: "shut down within the -t timeout option given at
  start-up" (`-t, --timeout NUM`; default 25; `:timeout:` in its YAML config);
- puma docs/signals.md (TERM and INT: "attempt to finish then exit") and the
  `worker_shutdown_timeout` DSL setting (default 30, how long a worker may take
  to finish before it is killed);
- nginx ngx_core_module `worker_shutdown_timeout time` (main context): a timeout
  for the graceful shutdown of worker processes, which is SIGQUIT (SIGTERM is the
  fast shutdown); on the command line as `-g 'worker_shutdown_timeout 30s;'`;
- Spring Boot "Graceful Shutdown": `spring.lifecycle.timeout-per-shutdown-phase`
  (default 30s), as the relaxed-binding environment variable
  `SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE`, a `--spring.lifecycle...=` argument
  or a `-D` system property; a bare number is milliseconds (a `Duration` with
  no `@DurationUnit`). The JVM runs its shutdown hooks on SIGTERM and SIGINT.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import math
import posixpath
import re
import shlex
from collections.abc import Callable, Mapping
from typing import NamedTuple

from sigcheck.load.app_config import (
    gunicorn_graceful_timeout,
    nginx_worker_shutdown_timeout,
    puma_worker_shutdown_timeout,
    sidekiq_timeout,
    spring_shutdown_phase_timeout,
)
from sigcheck.model.chain import Link
from sigcheck.model.files import ImageFiles
from sigcheck.span import Span

__all__ = ["DrainTimeout", "drain_timeout"]

_SPRING_PROPERTY = "spring.lifecycle.timeout-per-shutdown-phase"
_SPRING_VARIABLE = "SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE"
_GRACEFUL_TERM = frozenset({"SIGTERM"})
_TERM_OR_INT = frozenset({"SIGTERM", "SIGINT"})


class DrainTimeout(NamedTuple):
    server: str  # "gunicorn"
    seconds: float
    setting: str  # as written: "--graceful-timeout 60"
    span: Span | None  # the command or environment entry that sets it (a config file: its COPY)
    signals: frozenset[str]  # the stop signals that start this drain
    file: str | None = None  # the config file in the image that sets it: "/app/gunicorn.conf.py"


# Environment values: the image's ENV (no span of their own) under the deployment's.
Environment = Mapping[str, tuple[str, Span | None]]


def drain_timeout(
    app: Link, environment: Environment, files: ImageFiles | None = None, workdir: str = "/"
) -> DrainTimeout | None:
    """The drain timeout the app's command, environment or config file sets, if any."""
    argv = app.argv
    span = app.origin.span if app.origin is not None else None
    name = app.app.id if app.app is not None else posixpath.basename(argv[0]) if argv else ""
    configs = _ConfigFiles(files, workdir)
    if name == "gunicorn":
        found = _option(argv, ("--graceful-timeout",))
        if found is None and "GUNICORN_CMD_ARGS" in environment:
            text, env_span = environment["GUNICORN_CMD_ARGS"]
            found = _option(("gunicorn", *_words(text)), ("--graceful-timeout",))
            span = env_span
        if found is None:
            named = _option(argv, ("-c", "--config"))
            config = named[1] if named is not None else "gunicorn.conf.py"
            if not config.startswith("python:"):  # a module: Python code sigcheck does not import
                reader = _text_only(gunicorn_graceful_timeout)
                return configs.record("gunicorn", (config,), reader, _GRACEFUL_TERM, _plain_seconds)
        return _record("gunicorn", found, span, _GRACEFUL_TERM, _plain_seconds)
    if name == "uvicorn":
        found = _option(argv, ("--timeout-graceful-shutdown",))
        return _record("uvicorn", found, span, _TERM_OR_INT, _plain_seconds)
    if name == "sidekiq":
        found = _option(argv, ("-t", "--timeout"))
        if found is None:
            named = _option(argv, ("-C", "--config"))
            config = named[1] if named is not None else "config/sidekiq.yml"
            reader = _text_only(sidekiq_timeout)
            return configs.record("Sidekiq", (config,), reader, _TERM_OR_INT, _plain_seconds)
        return _record("Sidekiq", found, span, _TERM_OR_INT, _plain_seconds)
    if name == "puma":
        named = _option(argv, ("-C", "--config"))
        config = named[1] if named is not None else "config/puma.rb"
        reader = _text_only(puma_worker_shutdown_timeout)
        return configs.record("puma", (config,), reader, _TERM_OR_INT, _plain_seconds)
    if name == "nginx":
        found = _nginx_directive(argv)
        if found is None:
            named = _option(argv, ("-c",))
            config = named[1] if named is not None else "/etc/nginx/nginx.conf"
            reader = _text_only(nginx_worker_shutdown_timeout)
            return configs.record("nginx", (config,), reader, _NGINX_GRACEFUL, _nginx_seconds)
        return _record("nginx", found, span, _NGINX_GRACEFUL, _nginx_seconds)
    spring = _spring(argv, span, environment)
    if spring is None and name == "java":
        return configs.record("Spring Boot", _SPRING_FILES, _spring_file, _TERM_OR_INT, _spring_seconds)
    return spring


_NGINX_GRACEFUL = frozenset({"SIGQUIT"})
_SPRING_FILES = (
    "config/application.properties",
    "config/application.yml",
    "config/application.yaml",
    "application.properties",
    "application.yml",
    "application.yaml",
)


def _text_only(read: Callable[[str], tuple[str, str] | None]) -> Callable[[str, str], tuple[str, str] | None]:
    return lambda text, _path: read(text)


def _spring_file(text: str, path: str) -> tuple[str, str] | None:
    return spring_shutdown_phase_timeout(text, properties=path.endswith(".properties"))


class _ConfigFiles:
    """The app's config files in the image, read through the `ImageFiles` seam."""

    def __init__(self, files: ImageFiles | None, workdir: str) -> None:
        self.files = files
        self.workdir = workdir

    def record(
        self,
        server: str,
        candidates: tuple[str, ...],
        parse_file: Callable[[str, str], tuple[str, str] | None],
        signals: frozenset[str],
        parse: Callable[[str], float | None],
    ) -> DrainTimeout | None:
        """The first candidate file the image holds and sigcheck can read decides: the server
        reads that one (a file that sets nothing leaves no drain to compare)."""
        if self.files is None:
            return None
        for candidate in candidates:
            path = posixpath.normpath(posixpath.join(self.workdir, candidate))
            origin = self.files.locate(path)
            if origin is None:
                continue
            text, _problem = self.files.read(origin)
            if text is None:
                return None
            found = parse_file(text, path)
            drain = _record(server, found, origin.span, signals, parse)
            return drain._replace(file=origin.display or path) if drain is not None else None
        return None


def _spring(argv: tuple[str, ...], span: Span | None, environment: Environment) -> DrainTimeout | None:
    for word in argv[1:]:
        for prefix in (f"--{_SPRING_PROPERTY}=", f"-D{_SPRING_PROPERTY}="):
            if word.startswith(prefix):
                found = (word, word[len(prefix) :])
                return _record("Spring Boot", found, span, _TERM_OR_INT, _spring_seconds)
    if _SPRING_VARIABLE in environment:
        value, env_span = environment[_SPRING_VARIABLE]
        found = (f"{_SPRING_VARIABLE}={value}", value)
        return _record("Spring Boot", found, env_span, _TERM_OR_INT, _spring_seconds)
    return None


def _record(
    server: str,
    found: tuple[str, str] | None,
    span: Span | None,
    signals: frozenset[str],
    parse: Callable[[str], float | None],
) -> DrainTimeout | None:
    if found is None:
        return None
    try:
        seconds = parse(found[1])
    except (OverflowError, ValueError):  # digits past float's (or int's string) range
        return None
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return None  # 0, nan, inf or unparsable: no drain sigcheck can compare
    return DrainTimeout(server, seconds, found[0], span, signals)


def _option(argv: tuple[str, ...], names: tuple[str, ...]) -> tuple[str, str] | None:
    """(as written, value) of the last `--name VALUE`, `--name=VALUE` or `-tVALUE`: the last
    one wins, as with argparse and Ruby's OptionParser."""
    found: tuple[str, str] | None = None
    for index, word in enumerate(argv[1:], start=1):
        for name in names:
            if word == name and index + 1 < len(argv):
                found = (f"{word} {argv[index + 1]}", argv[index + 1])
            elif word.startswith(name + "="):
                found = (word, word[len(name) + 1 :])
            elif len(name) == 2 and word.startswith(name) and word[2:].isdigit():
                found = (word, word[2:])
    return found


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


_NGINX_DIRECTIVE = re.compile(r"(?:^|;)\s*worker_shutdown_timeout\s+([^;\s]+)\s*(?:;|$)")


def _nginx_directive(argv: tuple[str, ...]) -> tuple[str, str] | None:
    for index, word in enumerate(argv[1:], start=1):
        if word == "-g" and index + 1 < len(argv):
            match = _NGINX_DIRECTIVE.search(argv[index + 1])
            if match is not None:
                return (f"-g '{argv[index + 1]}'", match.group(1))
    return None


def _plain_seconds(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


_NGINX_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000, "y": 31536000}
_NGINX_TIME = re.compile(r"(\d+)(ms|s|m|h|d|w|M|y)?")


def _nginx_seconds(text: str) -> float | None:
    """nginx "Configuration file measurement units": `1h 30m`, `30s`; no unit is seconds."""
    text = "".join(text.split())  # `"1m 30s"`, quoted in a config file
    total, position = 0.0, 0
    while position < len(text):
        match = _NGINX_TIME.match(text, position)
        if match is None:
            return None
        total += int(match.group(1)) * _NGINX_UNITS[match.group(2) or "s"]
        position = match.end()
    return total if text else None


_SPRING_SIMPLE = re.compile(r"^\s*([+-]?\d+)\s*(ns|us|ms|s|m|h|d)?\s*$", re.IGNORECASE)
_SPRING_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$", re.IGNORECASE)


def _spring_seconds(text: str) -> float | None:
    """Spring Boot's `DurationStyle`: `20s`, `500ms`, a bare number in milliseconds, or ISO-8601."""
    simple = _SPRING_SIMPLE.match(text)
    if simple is not None:
        return int(simple.group(1)) * _SPRING_UNITS[(simple.group(2) or "ms").lower()]
    iso = _ISO_DURATION.match(text.strip())
    if iso is None or not any(iso.groups()):
        return None
    days, hours, minutes, seconds = (float(group) if group else 0.0 for group in iso.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds
