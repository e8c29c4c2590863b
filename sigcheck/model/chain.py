"""The launch chain: who is PID 1, who execs, and where the app ends up.

Docker starts the container with ENTRYPOINT + CMD (shell forms already wrapped
in SHELL). The chain unwraps that argv link by link: a shell either execs its
final command (the next link inherits PID 1) or stays and runs it as a child;
exec-style wrappers (env, gosu, setpriv...) replace themselves; an official
base image's entrypoint that ends in `exec "$@"` hands over to CMD. Every rule
is a question asked of this chain; none re-parses text.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Literal

from sigcheck.model.baseimages import family_shell, shell_label
from sigcheck.model.image import Command, ImageConfig, Stage
from sigcheck.shell.command_string import (
    CommandString,
    ExecVerdict,
    analyse_command_string,
    decide_exec,
)

__all__ = ["SHELL_NAMES", "Arg", "LaunchChain", "Link", "build_chain"]

Role = Literal["shell", "wrapper", "entrypoint", "app"]

SHELL_NAMES = frozenset({"sh", "bash", "dash", "ash", "zsh", "mksh", "ksh", "busybox"})

# Exec-style wrappers keep the signal path: they set something up and execve()
# the command, which inherits their PID (signal-semantics.md §5, Table 5a).
# name -> (options that take a separate value, positional arguments before the command)
_EXEC_WRAPPERS: dict[str, tuple[frozenset[str], int]] = {
    "env": (frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}), 0),
    "nice": (frozenset({"-n", "--adjustment"}), 0),
    "gosu": (frozenset(), 1),
    "su-exec": (frozenset(), 1),
    "s6-setuidgid": (frozenset(), 1),
    "setpriv": (
        frozenset(
            {
                "--reuid",
                "--regid",
                "--ruid",
                "--rgid",
                "--euid",
                "--egid",
                "--groups",
                "--inh-caps",
                "--ambient-caps",
                "--bounding-set",
                "--securebits",
                "--selinux-label",
                "--apparmor-profile",
                "--pdeathsig",
                "--landlock-access",
                "--landlock-rule",
            }
        ),
        0,
    ),
    "chroot": (frozenset({"--userspec", "--groups"}), 1),
    "stdbuf": (frozenset({"-i", "-o", "-e"}), 0),
    "ionice": (frozenset({"-c", "-n", "-p", "-P", "-u"}), 0),
    "chpst": (
        frozenset(
            {"-u", "-U", "-b", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c", "-r", "-t"}
        ),
        0,
    ),
}


@dataclass(frozen=True, slots=True)
class Arg:
    text: str
    origin: Command | None


@dataclass(frozen=True, slots=True)
class Link:
    role: Role
    argv: tuple[str, ...]
    pid1: bool
    execs: bool | None  # does this link replace itself with the next one?
    origin: Command | None  # the ENTRYPOINT/CMD the link's words come from
    shell: str | None = None  # shell implementation, for shell links
    command_string: CommandString | None = None
    verdict: ExecVerdict | None = None

    @property
    def program(self) -> str:
        return self.argv[0] if self.argv else ""

    def describe(self) -> str:
        text = (
            " ".join(self.argv) if self.role != "shell" else f"{' '.join(self.argv[:-1])} {self.argv[-1]!r}"
        )
        if self.role == "shell":
            state = {True: "execs", False: "stays", None: "may stay"}[self.execs]
            text += f" ({shell_label(self.shell)}, {state})"
        elif self.role == "entrypoint":
            text += ' (exec "$@")'
        if self.pid1:
            text += " [PID 1]"
        return text


@dataclass(slots=True)
class LaunchChain:
    stage: Stage
    links: list[Link]
    stopsignal: str

    def describe(self) -> list[str]:
        return [link.describe() for link in self.links]

    @property
    def pid1(self) -> Link | None:
        pid1 = [link for link in self.links if link.pid1]
        return pid1[-1] if pid1 else None


def shell_implementation(program: str, family: str) -> str | None:
    """Which shell code runs for `program` in an image of `family`."""
    name = posixpath.basename(program)
    if name == "sh":
        return family_shell(family)
    if name == "dash":
        return "dash-debian" if family in ("debian", "ubuntu") else "dash"
    if name in ("bash", "zsh", "mksh"):
        return name
    if name in ("ash", "busybox"):
        return "ash"
    return None


def _command_string_index(args: list[Arg], start: int) -> int | None:
    """Index of the STRING in `sh [options] -c STRING`, or None."""
    i = start
    while i < len(args):
        word = args[i].text
        if word in ("-o", "+o", "-O", "+O"):
            i += 2
            continue
        if word == "--":
            return None
        if len(word) > 1 and word[0] in "-+" and word[1] != "-":
            if "c" in word[1:] and word[0] == "-":
                return i + 1 if i + 1 < len(args) else None
            i += 1
            continue
        if word.startswith("--"):
            i += 1
            continue
        return None
    return None


def _wrapper_command_start(name: str, args: list[Arg], start: int) -> int | None:
    valued, positionals = _EXEC_WRAPPERS[name]
    i = start
    while i < len(args):
        word = args[i].text
        if word == "--":
            i += 1
            break
        if word.startswith("-") and len(word) > 1:
            i += 2 if word in valued else 1
            continue
        if name == "env" and "=" in word:
            i += 1
            continue
        break
    i += positionals
    return i if i < len(args) else None


def _compose(config: ImageConfig) -> list[Arg]:
    ep, cmd = config.entrypoint, config.cmd
    if ep is not None and ep.argv:
        args = [Arg(word, ep) for word in ep.argv]
        # A shell-form ENTRYPOINT gets CMD as $0, $1...: it never runs.
        if ep.form == "exec" and cmd is not None:
            args += [Arg(word, cmd) for word in cmd.argv]
        return args
    if cmd is not None:
        return [Arg(word, cmd) for word in cmd.argv]
    return []


def build_chain(stage: Stage) -> LaunchChain:
    config = stage.config
    signal = config.stopsignal.value if config.stopsignal else "SIGTERM"
    args = _compose(config)
    links: list[Link] = []
    pid1 = True
    i = 0
    for _ in range(64):  # chains are short; the bound only guards odd input
        if i >= len(args):
            break
        program = args[i].text
        name = posixpath.basename(program)
        origin = args[i].origin
        if name in SHELL_NAMES and not (
            name == "busybox" and (i + 1 >= len(args) or args[i + 1].text != "sh")
        ):
            first_option = i + 2 if name == "busybox" else i + 1
            index = _command_string_index(args, first_option)
            if index is None:
                links.append(Link("app", tuple(a.text for a in args[i:]), pid1, None, origin))
                break
            string_arg = args[index]
            shell = shell_implementation(program, config.family)
            cs = analyse_command_string(string_arg.text)
            verdict = decide_exec(shell, cs)
            argv = tuple(a.text for a in args[i : index + 1])
            links.append(Link("shell", argv, pid1, verdict.execs, string_arg.origin, shell, cs, verdict))
            if cs.argv is None:
                break
            pid1 = pid1 and verdict.execs is True
            args = [Arg(word, string_arg.origin) for word in cs.argv]
            i = 0
            continue
        if name in _EXEC_WRAPPERS:
            start = _wrapper_command_start(name, args, i + 1)
            if start is None:
                links.append(Link("app", tuple(a.text for a in args[i:]), pid1, None, origin))
                break
            links.append(Link("wrapper", tuple(a.text for a in args[i:start]), pid1, True, origin))
            i = start
            continue
        ep = config.entrypoint
        if (
            config.entrypoint_execs_args
            and ep is not None
            and origin is ep
            and not ep.in_this_file
            and i == 0
            and len(args) > len(ep.argv)
        ):
            links.append(Link("entrypoint", ep.argv, pid1, True, ep))
            i = len(ep.argv)
            continue
        links.append(Link("app", tuple(a.text for a in args[i:]), pid1, None, origin))
        break
    return LaunchChain(stage, links, signal)
