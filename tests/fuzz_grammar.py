"""A small grammar of Dockerfiles and entry scripts, and the properties every input must keep.

Shared by tests/test_fuzz.py (hypothesis draws the choices, so failures shrink)
and tools/fuzz.py (a seeded `random.Random` draws them, for speed). The grammar
aims at the inputs sigcheck's own code branches on: exec/shell forms, malformed
JSON arrays, heredocs, continuation lines, parser directives, pragmas, init
shims, wrappers, launchers, apps, STOPSIGNAL values, and entry scripts read from
heredocs, RUN-written files and the build context.

The properties (`check_input`), each a promise of issue #7:
- `lint_text` raises nothing but LoadError; `lint_file` never reaches its
  last-resort guard (an error starting with INTERNAL_ERROR);
- the same input twice gives byte-identical JSON;
- every finding points inside the file it names: 1 <= line <= end_line <= the
  number of lines, columns inside their lines, end after start.
"""

from __future__ import annotations

import os
import random
import re
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Protocol, TypeVar

from sigcheck.findings import Finding
from sigcheck.lint import INTERNAL_ERROR, FileReport, LintOptions, lint_file, lint_text
from sigcheck.load.files import LoadError, decode
from sigcheck.report.json_format import render_json

__all__ = [
    "Chooser",
    "Generated",
    "InputTimeout",
    "RandomChooser",
    "check_bytes",
    "check_input",
    "count_lines",
    "dockerfile",
    "mutate",
    "position_problems",
    "random_bytes",
    "script",
    "time_limit",
    "write_context",
]

T = TypeVar("T")


class Chooser(Protocol):
    """Where the grammar's choices come from: hypothesis data, or a seeded Random."""

    def choice(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int: ...

    def chance(self, probability: float) -> bool: ...


class RandomChooser:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability


@dataclass
class Generated:
    """A Dockerfile and the build-context files it refers to (context-relative path -> text)."""

    text: str
    files: dict[str, str] = field(default_factory=dict)


# --- words -----------------------------------------------------------------------------------

IMAGES = (
    "debian:bookworm-slim",
    "ubuntu:24.04",
    "alpine:3.20",
    "busybox",
    "python:3.12-slim",
    "python:3.12-alpine",
    "node:20",
    "node:20-alpine",
    "nginx:1.27",
    "postgres:16",
    "redis:7",
    "golang:1.22",
    "eclipse-temurin:21",
    "registry.access.redhat.com/ubi9/ubi",
    "fedora:40",
    "amazonlinux:2023",
    "gcr.io/distroless/static",
    "scratch",
    "example.com/unknown/image:1",
    "$BASE",
    "${BASE:-debian}",
    "debian@sha256:" + "a" * 64,
)
APPS = (
    ("node", "server.js"),
    ("node", "dist/index.js"),
    ("python", "app.py"),
    ("python3", "-m", "app"),
    ("python", "-u", "main.py"),
    ("java", "-jar", "app.jar"),
    ("nginx", "-g", "daemon off;"),
    ("php-fpm", "-F"),
    ("gunicorn", "-b", "0.0.0.0:8000", "app:app"),
    ("uvicorn", "app:app"),
    ("postgres",),
    ("redis-server",),
    ("httpd-foreground",),
    ("haproxy", "-f", "/etc/haproxy.cfg"),
    ("./app",),
    ("/usr/local/bin/server", "--port", "8080"),
    ("server",),
    ("app",),
    ("sleep", "infinity"),
    ("tail", "-f", "/dev/null"),
    ("supervisord", "-n"),
    ("s6-svscan", "/etc/s6"),
    ("runsvdir", "/etc/service"),
    ("dotnet", "app.dll"),
    ("ruby", "app.rb"),
    ("caddy", "run"),
    ('"$@"',),
)
INITS = (
    ("tini", "--"),
    ("/sbin/tini", "-g", "--"),
    ("tini", "-s", "--"),
    ("dumb-init",),
    ("dumb-init", "--rewrite", "15:2", "--"),
    ("/usr/bin/dumb-init", "-c", "--"),
    ("catatonit", "--"),
    ("/init",),
    ("docker-init", "--"),
    ("tini",),
)
WRAPPERS = (
    ("gosu", "app"),
    ("su-exec", "app:app"),
    ("setpriv", "--reuid=1000", "--regid=1000", "--init-groups"),
    ("env", "A=1"),
    ("env", "-u", "X"),
    ("nice", "-n", "5"),
    ("chroot", "--userspec=1000", "/"),
    ("stdbuf", "-o", "L"),
    ("ionice", "-c", "3"),
    ("chpst", "-u", "app"),
    ("s6-setuidgid", "app"),
)
LAUNCHERS = (
    ("npm", "start"),
    ("npm", "run", "serve"),
    ("yarn", "start"),
    ("pnpm", "start"),
    ("yarn", "node", "server.js"),
    ("su", "app", "-c"),
    ("runuser", "-u", "app", "--"),
    ("sudo", "-u", "app"),
    ("timeout", "30"),
    ("uv", "run"),
    ("poetry", "run"),
    ("pipenv", "run"),
    ("bundle", "exec"),
)
SHELLS = ("sh", "/bin/sh", "bash", "/bin/bash", "dash", "ash", "zsh", "busybox sh", "/bin/busybox sh")
SCRIPT_PATHS = ("/run.sh", "/entrypoint.sh", "/usr/local/bin/start", "./start.sh", "docker-entrypoint.sh")
CONTEXT_SCRIPTS = ("run.sh", "entrypoint.sh", "bin/start", "a.sh", "b.sh")
SIGNALS = (
    "SIGTERM",
    "SIGINT",
    "SIGQUIT",
    "SIGKILL",
    "SIGSTOP",
    "SIGHUP",
    "SIGUSR1",
    "SIGWINCH",
    "TERM",
    "int",
    "15",
    "9",
    "2",
    "0",
    "65",
    "-1",
    "SIGRTMIN+3",
    "RTMAX-1",
    "SIGFOO",
    "$STOP",
    "${SIG:-SIGINT}",
    "",
)
RULE_NAMES = ("SIG102", "SIG201", "SIG301", "sig402", "shell-form-cmd", "SIG999", "DL3025", "all", "")
NASTY = (
    "\\",
    "`",
    '"',
    "'",
    "[",
    "]",
    ",",
    "$",
    "$(",
    ")",
    "{",
    "}",
    "<<",
    "<<-",
    "EOF",
    "&",
    "&&",
    "|",
    "||",
    ";",
    "#",
    "\n",
    "\r",
    "\r\n",
    "\t",
    " ",
    "\x00",
    "\x1b[2J",
    "\u202e",
    "\ufeff",
    "é",
    "\U0001f600",
    "--",
    "=",
    "*",
    "..",
    "/",
)


def _words(c: Chooser) -> list[str]:
    """An argv that starts the app, maybe behind inits, wrappers and launchers."""
    argv: list[str] = []
    if c.chance(0.2):
        argv += c.choice(INITS)
    if c.chance(0.2):
        argv += c.choice(WRAPPERS)
    if c.chance(0.15):
        argv += c.choice(LAUNCHERS)
    if c.chance(0.2):
        argv.append(c.choice(SCRIPT_PATHS))
    else:
        argv += c.choice(APPS)
    if c.chance(0.1):
        argv.append(c.choice(NASTY))
    return argv


def _quote(word: str) -> str:
    if word and all(ch.isalnum() or ch in "-_./:=+@%,$\"'" for ch in word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def command_string(c: Chooser, depth: int = 0) -> str:
    """A shell command string: what `sh -c` or a shell-form instruction runs."""
    app = " ".join(_quote(w) if not w.startswith('"$') else w for w in _words(c))
    shape = c.integer(0, 16)
    if shape == 0:
        return "exec " + app
    if shape == 1:
        return f"cd /app && {app}"
    if shape == 2:
        return f"cd /app && exec {app}"
    if shape == 3:
        return f"{app} || true"
    if shape == 4:
        return f"{app} | tee /log"
    if shape == 5:
        return f"{app} &"
    if shape == 6:
        return f"{app} & wait"
    if shape == 7:
        return f"trap 'kill -TERM $pid' TERM INT; {app} & pid=$!; wait $pid"
    if shape == 8:
        return f"{app} > /var/log/app.log 2>&1"
    if shape == 9:
        return f"export A=$(cat /etc/a); {app}"
    if shape == 10 and depth < 2:
        inner = command_string(c, depth + 1).replace("'", "'\\''")
        return f"{c.choice(SHELLS)} -c '{inner}'"
    if shape == 11:
        return f"if [ -f /x ]; then exec {app}; else {app}; fi"
    if shape == 12:
        return f'case "$1" in start) exec {app} ;; *) {app} ;; esac'
    if shape == 13:
        return f"while true; do {app}; sleep 1; done"
    if shape == 14:
        return f"set -e; echo starting; {app}"
    if shape == 15:
        return "$(" * c.integer(1, 4) + "echo app" + ")" * c.integer(0, 4)
    return app


def _json_array(words: Sequence[str]) -> str:
    import json

    return "[" + ", ".join(json.dumps(w, ensure_ascii=False) for w in words) + "]"


def _malformed_array(c: Chooser, words: Sequence[str]) -> str:
    inner = ", ".join(f'"{w}"' for w in words)
    return c.choice(
        (
            "[" + ", ".join(f"'{w}'" for w in words) + "]",
            f"[{inner},]",
            f"[{inner}",
            "[" + " ".join(f'"{w}"' for w in words) + "]",
            "[" + ", ".join(words) + "]",
            f'["{words[0]}\\q"]',
            "[1, 2]",
            '["a", 1]',
            f"[{inner}] # trailing",
            "[]",
            '{"a": 1}',
            "[NaN]",
            '["a", null]',
            "[" * 50 + "]" * 49,
            "[ -f /x ] && app",
            "[[]]",
            '"just a string"',
        )
    )


def _exec_or_shell(c: Chooser, keyword: str, avoid_known: bool = False) -> str:
    form = c.integer(0, 9)
    if form <= 3:
        return f"{keyword} {_json_array(_words(c))}"
    if form == 4:
        shell = c.choice(SHELLS).split()
        # avoid_known: no `sh -c` nested in an exec-form `sh -c` (reported bug: ValueError
        # in fix_for_shell_link); depth 2 turns nesting off.
        string = command_string(c, 2 if avoid_known else 0)
        return f"{keyword} {_json_array([*shell, '-c', string])}"
    if form == 5:
        return f"{keyword} {_malformed_array(c, _words(c))}"
    if form == 6:
        return f"{keyword} {_json_array([*c.choice(SHELLS).split(), c.choice(SCRIPT_PATHS)])}"
    return f"{keyword} {command_string(c)}"


# --- scripts ---------------------------------------------------------------------------------

SHEBANGS = (
    "#!/bin/sh",
    "#!/bin/bash",
    "#!/usr/bin/env bash",
    "#!/usr/bin/env sh",
    "#!/bin/dash",
    "#!/bin/ash",
    "#!/bin/busybox sh",
    "#!/bin/sh -e",
    "#!/usr/bin/env python3",
    "#!/usr/bin/env node",
    "#!/bin/sh\r",
    "",
)


def _statement(c: Chooser, functions: Sequence[str], scripts: Sequence[str], depth: int) -> str:
    app = " ".join(_quote(w) if not w.startswith('"$') else w for w in _words(c))
    kind = c.integer(0, 23)
    if kind == 0:
        return f"exec {app}"
    if kind == 1:
        return 'exec "$@"'
    if kind == 2:
        return app
    if kind == 3:
        return f"{app} &"
    if kind == 4:
        return c.choice(("wait", "wait $!", 'wait "$pid"', "pid=$!"))
    if kind == 5:
        return c.choice(
            (
                "trap 'kill -TERM $pid' TERM INT",
                "trap 'exit 0' TERM",
                "trap - TERM",
                "trap cleanup EXIT",
                "trap '' INT",
                "trap -p",
            )
        )
    if kind == 6:
        return c.choice(("set -e", "set -eu", "set -o pipefail", "set -x", "export PATH=/app:$PATH"))
    if kind == 7:
        return f'set -- {app} "$@"'
    if kind == 8 and depth < 3:
        body = _statement(c, functions, scripts, depth + 1)
        other = _statement(c, functions, scripts, depth + 1)
        return f'if [ "$1" = start ]; then\n  {body}\nelse\n  {other}\nfi'
    if kind == 9 and depth < 3:
        body = _statement(c, functions, scripts, depth + 1)
        return f'case "$1" in\n  -*) set -- app "$@" ;;\n  run) {body} ;;\nesac'
    if kind == 10 and depth < 3:
        body = _statement(c, functions, scripts, depth + 1)
        return c.choice((f"while true; do\n  {body}\ndone", f"for i in 1 2; do {body}; done"))
    if kind == 11 and functions:
        return c.choice(functions)
    if kind == 12 and scripts:
        return c.choice(("", "exec ", "sh ", ". ")) + c.choice(scripts)
    if kind == 13:
        return f"{app} | tee /log"
    if kind == 14:
        return f"{app} > /log 2>&1"
    if kind == 15:
        return c.choice(("exit 0", "exit", "return 1", ":"))
    if kind == 16 and depth < 3:
        return "( " + _statement(c, functions, scripts, depth + 1) + " )"
    if kind == 17:
        return 'X=$(echo "$(date)")'
    if kind == 18:
        return c.choice(("echo 'exec app'", 'echo "starting $1"', "cat <<EOF\nexec app\nEOF"))
    if kind == 19:
        return c.choice(NASTY) + c.choice(NASTY)
    if kind == 20:
        return f"{app} && {app}"
    if kind == 21:
        return f"{{ {app}; }}"
    if kind == 22:  # text before the command on its line: columns must count characters
        prefix = c.choice(("echo 'é ✓'; ", 'NAME="Zoë" ', "echo \U0001f600 && ", ": '\u202e'; ", "cd /x; "))
        return prefix + app
    return f'exec {c.choice(("gosu app", "su-exec app", "tini --", "env"))} "$@"'


def script(
    c: Chooser, scripts: Sequence[str] = (), *, recursion: bool = False, avoid_known: bool = False
) -> str:
    """An entry script. `scripts` are other scripts it may run (cycles included).

    Functions call only functions defined after them unless `recursion` is set:
    a recursive function called twice per body makes sigcheck's script walker
    take exponential time (a bug reported with a reproducer; see test_bounds.py).
    `avoid_known` leaves out lone CRs: pragmas.py numbers script lines with
    str.splitlines() (reported; test_fuzz.py has the reproducer)."""
    lines = [c.choice(SHEBANGS)]
    names = [f"f{i}" for i in range(c.integer(0, 3))]
    for index, name in enumerate(names):
        callable_names = names if recursion else names[index + 1 :]
        body = [_statement(c, callable_names, scripts, 1) for _ in range(c.integer(0, 3))]
        lines.append(f"{name}() {{\n  " + "\n  ".join(body or [":"]) + "\n}")
    for _ in range(c.integer(0, 6)):
        lines.append(_statement(c, names, scripts, 0))
    text = "\n".join(lines)
    if c.chance(0.1):
        text = text.replace("\n", "\r\n")
    if avoid_known:
        text = re.sub(r"\r(?!\n)", "", text)
    return text + ("\n" if c.chance(0.9) else "")


# --- Dockerfiles -----------------------------------------------------------------------------


def _heredoc(c: Chooser, body: str) -> tuple[str, str]:
    """(the `<<WORD` to put on the instruction line, the body and terminator lines)."""
    name = c.choice(("EOF", "SCRIPT", "eot", "'EOF'", '"EOF"', "-EOF"))
    bare = name.strip("'\"-")
    if name.startswith("-"):
        body = "\n".join("\t" + line for line in body.split("\n"))
        terminator = "\t" + bare
    else:
        terminator = bare
    if not c.chance(0.97):
        terminator = ""  # unterminated
    return "<<" + name, body.rstrip("\n") + "\n" + terminator


def _instruction(c: Chooser, gen: Generated, stages: Sequence[str], avoid_known: bool) -> str:
    kind = c.integer(0, 30)
    target = c.choice(SCRIPT_PATHS)
    if kind <= 4:
        return _exec_or_shell(c, "CMD", avoid_known)
    if kind <= 8:
        return _exec_or_shell(c, "ENTRYPOINT", avoid_known)
    if kind == 9:
        marker, body = _heredoc(c, script(c, SCRIPT_PATHS, avoid_known=avoid_known))
        chmod = c.choice(("", "--chmod=755 ", "--chmod=644 ", "--chmod=$MODE "))
        return f"COPY {chmod}{marker} {target}\n{body}"
    if kind == 10:
        source = c.choice(CONTEXT_SCRIPTS)
        gen.files.setdefault(source, script(c, SCRIPT_PATHS, avoid_known=avoid_known))
        return c.choice(
            (
                f"COPY {source} {target}",
                f"COPY --chmod=755 {source} {target}",
                f'COPY ["{source}", "{target}"]',
                f"ADD {source} {target}",
                f"COPY {source} /usr/local/bin/",
                "COPY . /app",
                f"COPY ./x/../{source} {target}",
            )
        )
    if kind == 11:
        return c.choice(
            (
                f"COPY ../{c.choice(CONTEXT_SCRIPTS)} {target}",
                f"COPY /{c.choice(CONTEXT_SCRIPTS)} {target}",
                f"COPY --from={c.choice(stages) if stages else 'build'} /out/app /app",
                f"COPY --from=nginx:1.27 /docker-entrypoint.sh {target}",
                "COPY *.sh /",
                "COPY https://example.com/x.sh /run.sh",
                "ADD git@github.com:a/b.git /src",
                "COPY",
                "COPY onlyone",
            )
        )
    if kind == 12:
        text = script(c, SCRIPT_PATHS, avoid_known=avoid_known)
        if avoid_known:  # a blank first line shifts a RUN-written script's lines (reported)
            text = text.lstrip("\r\n")
        marker, body = _heredoc(c, text)
        return c.choice(
            (
                f"RUN {marker}\n{body}",
                f"RUN cat {marker} > {target} && chmod +x {target}\n{body}",
            )
        )
    if kind == 13:
        text = script(c, SCRIPT_PATHS).replace("\\", "\\\\").replace("'", "").replace("\n", "\\n")
        return c.choice(
            (
                f"RUN printf '{text}' > {target} && chmod +x {target}",
                f"RUN echo '{text}' > {target}",
                f"RUN echo -e '{text}' >> {target}",
            )
        )
    if kind == 14:
        return "RUN " + c.choice(
            (
                "apt-get update && apt-get install -y tini",
                "apk add --no-cache tini dumb-init",
                "pip install -r requirements.txt",
                "go build -o /app .",
                "npm ci",
                '["/bin/sh", "-c", "echo hi"]',
                "--mount=type=cache,target=/root/.cache pip install x",
            )
        )
    if kind == 15:
        return f"STOPSIGNAL {c.choice(SIGNALS)}"
    if kind == 16:
        shell = c.choice(
            (
                '["/bin/bash", "-c"]',
                '["/bin/sh", "-c"]',
                '["/bin/bash", "-o", "pipefail", "-c"]',
                '["cmd", "/S", "/C"]',
                '["/bin/zsh", "-c"]',
                "[]",
                "/bin/bash -c",
                '["/bin/busybox", "sh", "-c"]',
            )
        )
        return f"SHELL {shell}"
    if kind == 17:
        return c.choice(
            (
                "ENV PATH=/app/bin:$PATH",
                "ENV PATH /opt/bin:${PATH}",
                "ENV A=1 B=2",
                "ENV NODE_ENV production",
                "ENV STOP=SIGINT",
                "ENV",
                "ENV A",
                "ENV A=\"x y\" B='z'",
            )
        )
    if kind == 18:
        return c.choice(("ARG BASE=debian", "ARG MODE", "ARG SIG=SIGQUIT", "ARG A=$B", "ARG"))
    if kind == 19:
        return c.choice(("USER app", "USER 1000:1000", "USER root", "WORKDIR /app", "WORKDIR relative"))
    if kind == 20:
        return c.choice(("EXPOSE 8080", "LABEL a=b", 'LABEL "x y"="z"', "VOLUME /data", 'VOLUME ["/a"]'))
    if kind == 21:
        return c.choice(
            (
                "HEALTHCHECK CMD curl -f http://localhost/ || exit 1",
                "HEALTHCHECK NONE",
                'HEALTHCHECK --interval=5s CMD ["true"]',
                "ONBUILD CMD node server.js",
                "ONBUILD",
                "MAINTAINER someone",
            )
        )
    if kind == 22:
        return c.choice(("FOO bar", "cmd lowercase", "Run true", "  CMD indented", "\tENTRYPOINT tabbed"))
    if kind == 23:
        rules = ",".join(c.choice(RULE_NAMES) for _ in range(c.integer(1, 3)))
        return c.choice(
            (
                f"# sigcheck ignore={rules} reason",
                f"# sigcheck global ignore={rules}",
                f"# hadolint ignore={rules}",
                f"# sigcheck ignore={rules}\n# another comment\n",
                "# sigcheck",
                "#",
            )
        )
    if kind == 24:
        return ""
    if kind == 25:
        return c.choice(NASTY) * c.integer(1, 3)
    return _exec_or_shell(c, c.choice(("CMD", "ENTRYPOINT")), avoid_known)


def _continue(c: Chooser, line: str, escape: str) -> str:
    """Split an instruction line over continuation lines, maybe with comments and blanks between."""
    if "\n" in line or " " not in line:
        return line
    words = line.split(" ")
    out = words[0]
    for word in words[1:]:
        if c.chance(0.3):
            extra = c.choice(("", "", "# comment\n", "\n", "   \n"))
            out += f" {escape}{c.choice(('', ' ', chr(9)))}\n{extra}  {word}"
        else:
            out += " " + word
    if c.chance(0.05):
        out += " " + escape  # trailing escape at the end of the instruction
    return out


def dockerfile(c: Chooser, *, avoid_known: bool = False) -> Generated:
    """A Dockerfile; `avoid_known` leaves out the shapes of reported bugs (test_fuzz.py has a
    strict xfail test for each, so the property tests still catch anything new)."""
    gen = Generated("")
    lines: list[str] = []
    escape = "\\"
    if c.chance(0.15):
        directive = c.choice(
            (
                "# syntax=docker/dockerfile:1",
                "# escape=`",
                "# escape=\\",
                "# check=skip=JSONArgsRecommended",
                "# check=skip=all",
                "# escape=x",
                "#syntax = docker/dockerfile:1.7",
            )
        )
        lines.append(directive)
        if directive == "# escape=`":
            escape = "`"
        if c.chance(0.1):
            lines.append(directive)
    if c.chance(0.2):
        lines.append(c.choice(("ARG BASE=debian:bookworm-slim", "ARG BASE", "ARG VERSION=3.12")))
    stages: list[str] = []
    for index in range(c.integer(0 if c.chance(0.03) else 1, 3)):
        image = c.choice(stages) if stages and c.chance(0.3) else c.choice(IMAGES)
        name = f"stage{index}" if c.chance(0.5) else ""
        from_line = f"FROM {image}" + (f" AS {name}" if name else "")
        if c.chance(0.05):
            from_line = c.choice(
                ("FROM", "FROM a b", "FROM --platform=$BUILDPLATFORM " + image, "from " + image)
            )
        lines.append(from_line)
        if name:
            stages.append(name)
        # avoid_known: `COPY --from=` names earlier stages only; a stage copying from itself
        # takes exponential time (reported; test_bounds.py has the reproducer)
        sources = stages[:-1] if avoid_known and name else stages
        for _ in range(c.integer(0, 7)):
            instruction = _instruction(c, gen, sources, avoid_known)
            lines.append(_continue(c, instruction, escape) if c.chance(0.15) else instruction)
    text = "\n".join(lines)
    ending = c.integer(0, 19)
    if ending == 0:
        if avoid_known:  # a CRLF script inside a CRLF file leaves a lone CR (see mutate)
            text = text.replace("\r\n", "\n")
        text = text.replace("\n", "\r\n")
    elif ending == 1:
        text = text.replace("\n", "\r")
    if c.chance(0.05):
        text = "\ufeff" + text
    if c.chance(0.9):
        text += "\r\n" if ending == 0 else "\n"
    gen.text = mutate(c, text, avoid_known=avoid_known) if c.chance(0.2) else text
    return gen


def mutate(c: Chooser, text: str, *, avoid_known: bool = False) -> str:
    """A few random edits: insert nasty text, delete or duplicate a stretch.
    `avoid_known`: no lone CR (it breaks script line numbers in pragmas.py) and no NUL (in a
    COPY source it makes lint_text raise ValueError); both reported."""
    nasty = tuple(n for n in NASTY if n not in ("\r", "\x00")) if avoid_known else NASTY
    for _ in range(c.integer(1, 3)):
        at = c.integer(0, len(text))
        edit = c.integer(0, 2)
        if edit == 0:
            text = text[:at] + c.choice(nasty) + text[at:]
        elif edit == 1:
            text = text[:at] + text[at + c.integer(1, 12) :]
        else:
            end = min(len(text), at + c.integer(1, 40))
            text = text[:end] + text[at:end] + text[end:]
    return text


def random_bytes(c: Chooser, size: int = 200) -> bytes:
    """Bytes that are sometimes UTF-8, sometimes not, sometimes with NULs, near Dockerfile text."""
    pieces: list[bytes] = []
    for _ in range(c.integer(0, size // 8)):
        kind = c.integer(0, 5)
        if kind == 0:
            pieces.append(bytes([c.integer(0, 255)]))
        elif kind == 1:
            pieces.append(
                c.choice((b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3", b"\xe2\x80\xae", b"\x00", b"\x7fELF"))
            )
        elif kind == 2:
            pieces.append(c.choice(NASTY).encode("utf-8"))
        else:
            pieces.append(
                c.choice((b"FROM alpine\n", b"CMD x\n", b'CMD ["a"]\n', b"RUN <<EOF\n", b"EOF\n", b"\\\n"))
            )
    return b"".join(pieces)


# --- properties ------------------------------------------------------------------------------


def count_lines(text: str) -> list[str]:
    """The file's lines as sigcheck numbers them: split on "\\n", a final newline ends the last."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def position_problems(finding: Finding, lines: Sequence[str] | None) -> list[str]:
    """Why `finding`'s position is not inside `lines` (the lines of the file it names)."""
    where = f"{finding.rule} at {finding.line}:{finding.column}-{finding.end_line}:{finding.end_column}"
    if lines is None:
        return [f"{where} names {finding.path!r}, which is not a file sigcheck read"]
    problems: list[str] = []
    if not 1 <= finding.line <= len(lines):
        problems.append(f"{where}: line outside 1..{len(lines)}")
    if not finding.line <= finding.end_line <= len(lines):
        problems.append(f"{where}: end line outside {finding.line}..{len(lines)}")
    if finding.column < 1 or finding.end_column < 1:
        problems.append(f"{where}: column below 1")
    if finding.end_line == finding.line and finding.end_column < finding.column:
        problems.append(f"{where}: ends before it starts")
    if 1 <= finding.line <= len(lines) and finding.column > len(lines[finding.line - 1]) + 1:
        problems.append(f"{where}: column past the end of line {finding.line}")
    if 1 <= finding.end_line <= len(lines) and finding.end_column > len(lines[finding.end_line - 1]) + 1:
        problems.append(f"{where}: end column past the end of line {finding.end_line}")
    return problems


class InputTimeout(Exception):
    """One input took longer than the per-input limit (a hang, or worse than linear time)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise InputTimeout in the main thread after `seconds` (Unix; a no-op elsewhere)."""
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise InputTimeout(f"took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def write_context(root: str, gen: Generated, name: str = "Dockerfile") -> str:
    """Write the Dockerfile and its context files under `root`; the Dockerfile's path."""
    for rel, text in gen.files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(path, 0o755)
    path = os.path.join(root, name)
    with open(path, "w", encoding="utf-8", newline="", errors="surrogateescape") as handle:
        handle.write(gen.text)
    return path


def _lines_of(path: str, dockerfile_path: str, text: str) -> list[str] | None:
    if path == dockerfile_path:
        return count_lines(text)
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return count_lines(handle.read())
    except (OSError, UnicodeDecodeError):
        return None


def _describe(exc: BaseException) -> str:
    """`Type at file:line (function): message`, naming the innermost sigcheck frame."""
    import traceback

    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if f"{os.sep}sigcheck{os.sep}" in frame.filename:
            relative = frame.filename[frame.filename.rfind(f"{os.sep}sigcheck{os.sep}") + 1 :]
            where = f" at {relative}:{frame.lineno} ({frame.name})"
    return f"{type(exc).__name__}{where}: {exc}"


def check_input(
    text: str,
    path: str,
    options: LintOptions | None = None,
    *,
    through_file: bool = False,
    timeout: float = 0.0,
    lint: Callable[[str, str, LintOptions], list[Finding]] = lint_text,
) -> list[str]:
    """Every broken promise for one Dockerfile text at `path` (empty when all hold).

    `through_file` also lints the file at `path` (it must hold `text`) with
    lint_file, the CLI's entry point, which must never reach its last-resort guard."""
    options = options if options is not None else LintOptions()
    problems: list[str] = []
    runs: list[str] = []
    for _ in range(2):
        try:
            with time_limit(timeout):
                findings = lint(text, path, options)
        except LoadError as exc:
            message = str(exc)
            if not message or "\n" in message:
                problems.append(f"LoadError message is not one line: {message!r}")
            runs.append("LoadError: " + message)
            continue
        except InputTimeout as exc:
            return [f"lint_text {exc}"]
        except Exception as exc:  # the property under test: nothing else escapes
            return [f"lint_text raised {_describe(exc)}"]
        report = FileReport(path, findings=findings)
        runs.append(render_json([report]))
        for finding in findings:
            problems += position_problems(finding, _lines_of(finding.path, path, text))
    if runs[0] != runs[1]:
        problems.append("two runs on the same input gave different JSON")
    if through_file:
        try:
            with time_limit(timeout):
                report = lint_file(path, options)
        except InputTimeout as exc:
            return [*problems, f"lint_file {exc}"]
        except Exception as exc:
            return [*problems, f"lint_file raised {_describe(exc)}"]
        if report.error is not None and report.error.startswith(INTERNAL_ERROR):
            problems.append(f"lint_file reached the last-resort guard: {report.error}")
    return sorted(set(problems))


def check_bytes(data: bytes, path: str, *, timeout: float = 0.0) -> list[str]:
    """The properties for raw bytes: decoded as sigcheck decodes a file, then linted."""
    try:
        text = decode(data)
    except LoadError:
        return []
    except Exception as exc:
        return [f"decode raised {_describe(exc)}"]
    return check_input(text, path, timeout=timeout)
