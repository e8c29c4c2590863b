"""Stages and the effective image config of each, as Docker computes it.

Image config is inherited through FROM (from an earlier stage, or from what the
knowledge base says a known base image sets) and changed instruction by
instruction. The rules that matter for the launch chain:
- shell-form ENTRYPOINT/CMD are stored as SHELL + [string], with the SHELL in
  force at that instruction (BuildKit dispatch.go withShell);
- an ENTRYPOINT resets a CMD inherited from the parent image, but not one set
  earlier in the same stage (BuildKit dispatchEntrypoint, `if !d.cmdSet`).
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import posixpath
from typing import Literal, NamedTuple

from sigcheck.load.dockerfile import DockerfileSyntaxError, Instruction, ParsedDockerfile
from sigcheck.model.baseimages import BaseImage, lookup_image
from sigcheck.model.expand import expand
from sigcheck.model.healthcheck import Healthcheck, from_instruction
from sigcheck.span import Span

__all__ = [
    "Command",
    "ImageConfig",
    "Model",
    "Setting",
    "Stage",
    "UnknownTarget",
    "build_model",
    "command_from_config",
    "image_config",
    "instruction_span",
]

Form = Literal["exec", "shell", "malformed"]
DEFAULT_SHELL = ("/bin/sh", "-c")


class UnknownTarget(Exception):
    def __init__(self, target: str, names: list[str]) -> None:
        known = ", ".join(names) if names else "none"
        super().__init__(f"target stage {target!r} not found (stages: {known})")


def instruction_span(path: str, ins: Instruction) -> Span:
    return Span(path, ins.start_line, ins.column, ins.end_line, ins.end_column)


class Setting(NamedTuple):
    value: str
    instruction: Instruction | None  # None: not written in this Dockerfile
    image: str | None = None
    span: Span | None = None  # where it was written; None: a known base image's default


class Command(NamedTuple):
    """An ENTRYPOINT or CMD value as stored in the image config."""

    keyword: Literal["ENTRYPOINT", "CMD"]
    argv: tuple[str, ...]
    form: Form
    instruction: Instruction | None
    image: str | None = None  # set when inherited from a known base image
    shell_string: str | None = None  # the user's text, for shell and malformed forms
    span: Span | None = None  # where it was written; None: a known base image's default

    @property
    def in_this_file(self) -> bool:
        return self.instruction is not None


def command_from_config(
    keyword: Literal["ENTRYPOINT", "CMD"],
    argv: tuple[str, ...],
    shell: tuple[str, ...],
    span: Span | None,
    image: str | None = None,
) -> Command:
    """A command as an image config stores it. Shell form is stored as SHELL + [string]
    (`["/bin/sh", "-c", "app"]`), so that shape is shell form whatever wrote it: rules
    ask `form`, never where the command came from."""
    if shell and len(argv) == len(shell) + 1 and argv[: len(shell)] == shell:
        return Command(keyword, argv, "shell", None, image, argv[-1], span)
    return Command(keyword, argv, "exec", None, image, None, span)


class ImageConfig:
    """The image configuration as the instructions so far leave it (changed in place)."""

    __slots__ = (
        "base",
        "cmd",
        "entrypoint",
        "entrypoint_execs_args",
        "env",
        "family",
        "healthcheck",
        "shell",
        "shell_instruction",
        "stopsignal",
        "user",
        "workdir",
    )

    def __init__(self, base: BaseImage | None, family: str, env: dict[str, str]) -> None:
        self.base = base
        self.family = family
        self.entrypoint: Command | None = None
        self.entrypoint_execs_args = False  # the base image's entrypoint ends with exec "$@"
        self.cmd: Command | None = None
        self.shell: tuple[str, ...] = DEFAULT_SHELL
        self.shell_instruction: Instruction | None = None
        self.stopsignal: Setting | None = None
        self.user: Setting | None = None
        self.workdir = "/"
        self.env = env
        self.healthcheck: Healthcheck | None = None  # no rule reads it (model/healthcheck.py)

    def copy(self) -> "ImageConfig":
        new = ImageConfig(self.base, self.family, dict(self.env))
        for name in self.__slots__:
            if name != "env":
                setattr(new, name, getattr(self, name))
        return new


class Stage:
    __slots__ = (
        "base_reference",
        "base_resolved",
        "config",
        "from_instruction",
        "index",
        "instructions",
        "name",
        "parent",
        "scopes",
    )

    def __init__(
        self,
        index: int,
        name: str | None,
        base_reference: str,
        base_resolved: bool,
        parent: "Stage | None",
        from_instruction: Instruction,
        config: ImageConfig,
    ) -> None:
        self.index = index
        self.name = name
        self.base_reference = base_reference  # FROM argument after ARG expansion
        self.base_resolved = base_resolved  # every variable in FROM had a value
        self.parent = parent
        self.from_instruction = from_instruction
        self.instructions: list[Instruction] = []
        self.config = config
        # WORKDIR and ENV in force at each COPY/ADD/RUN, keyed by position in `instructions`:
        # file sources are resolved against them, not against the final config.
        self.scopes: dict[int, tuple[str, dict[str, str]]] = {}

    @property
    def label(self) -> str:
        return self.name or str(self.index)


class Model(NamedTuple):
    parsed: ParsedDockerfile
    stages: list[Stage]
    global_args: dict[str, str]

    def target(self, name: str | None) -> Stage | None:
        if not self.stages:
            return None
        if name is None:
            return self.stages[-1]
        for stage in self.stages:
            if stage.name == name.lower():
                return stage
        raise UnknownTarget(name, [s.name for s in self.stages if s.name])


# BuildKit sets this PATH when the base image defines none; every Linux image sets one.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def image_config(reference: str | None) -> ImageConfig:
    """The config of an image named by a deployment (`image:`), from the knowledge base
    of official images; None or an unknown image: what any Linux image has."""
    return _base_config(reference or "", bool(reference))


def _base_config(reference: str, resolved: bool) -> ImageConfig:
    if not resolved:
        return ImageConfig(base=None, family="unknown", env={"PATH": DEFAULT_PATH})
    base = lookup_image(reference)
    config = ImageConfig(base=base, family=base.family, env={"PATH": DEFAULT_PATH})
    if base.entrypoint is not None:
        config.entrypoint = Command("ENTRYPOINT", base.entrypoint, "exec", None, reference)
        config.entrypoint_execs_args = base.entrypoint_execs_args
    if base.cmd is not None:
        config.cmd = Command("CMD", base.cmd, "exec", None, reference)
    if base.stopsignal is not None:
        config.stopsignal = Setting(base.stopsignal, None, reference)
    return config


def _command(
    keyword: Literal["ENTRYPOINT", "CMD"], ins: Instruction, shell: tuple[str, ...], path: str
) -> Command:
    span = instruction_span(path, ins)
    if ins.is_json:
        return Command(keyword, ins.args, "exec", ins, span=span)
    if not ins.rest:
        return Command(keyword, (), "exec", ins, span=span)
    form: Form = "malformed" if ins.json_error else "shell"
    return Command(keyword, (*shell, ins.rest), form, ins, shell_string=ins.rest, span=span)


# BuildKit's instruction set (frontend/dockerfile/command); anything else fails the build.
INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)


def build_model(parsed: ParsedDockerfile, dockerfile: str = "-") -> Model:
    """Stages and their effective config; raises DockerfileSyntaxError where BuildKit
    would refuse the instructions (unknown instruction, malformed FROM). `dockerfile` is the
    Dockerfile as given: every setting's span names it."""
    stages: list[Stage] = []
    by_name: dict[str, Stage] = {}
    global_args: dict[str, str] = {}
    escape = parsed.escape
    current: Stage | None = None
    scope: dict[str, str] = {}
    cmd_set = False
    for ins in parsed.instructions:
        kw = ins.keyword
        if kw not in INSTRUCTIONS:
            raise DockerfileSyntaxError(ins.start_line, f"unknown instruction: {kw}")
        if kw == "FROM":
            words = ins.args
            if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
                raise DockerfileSyntaxError(ins.start_line, "FROM requires either one or three arguments")
            reference, resolved = expand(words[0], global_args, escape) if words else ("", False)
            name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
            parent = by_name.get(reference.lower())
            if parent is not None:
                config = parent.config.copy()
            else:
                config = _base_config(reference, resolved and bool(reference))
            current = Stage(len(stages), name, reference, resolved, parent, ins, config)
            stages.append(current)
            if name:
                by_name[name] = current
            scope = dict(config.env)
            cmd_set = False
            continue
        if current is None:
            if kw == "ARG":
                for word in ins.args:
                    key, _, value = word.partition("=")
                    global_args[key] = expand(value, global_args, escape)[0] if "=" in word else ""
            continue
        current.instructions.append(ins)
        config = current.config
        if kw in ("COPY", "ADD", "RUN"):
            current.scopes[len(current.instructions) - 1] = (config.workdir, dict(scope))
        if kw == "ARG":
            for word in ins.args:
                key, eq, value = word.partition("=")
                if eq:
                    scope[key] = expand(value, scope, escape)[0]
                elif key in global_args:
                    scope[key] = global_args[key]
        elif kw == "ENV":
            pairs = ins.args
            for key, value in zip(pairs[::2], pairs[1::2], strict=False):
                expanded = expand(value, scope, escape)[0]
                config.env[key] = expanded
                scope[key] = expanded
        elif kw == "ENTRYPOINT":
            config.entrypoint = _command("ENTRYPOINT", ins, config.shell, dockerfile)
            base = config.base
            # Restating the official image's own entrypoint keeps what we know about it.
            config.entrypoint_execs_args = bool(
                base is not None
                and base.entrypoint_execs_args
                and config.entrypoint.form == "exec"
                and config.entrypoint.argv == base.entrypoint
            )
            if not cmd_set:
                config.cmd = None
        elif kw == "CMD":
            config.cmd = _command("CMD", ins, config.shell, dockerfile)
            cmd_set = True
        elif kw == "SHELL" and ins.is_json and ins.args:
            config.shell = ins.args
            config.shell_instruction = ins
        elif kw == "STOPSIGNAL":
            value, complete = expand(ins.rest, scope, escape)
            # Unresolved (`STOPSIGNAL $SIG` with a build argument): keep the text, rules skip it.
            value = value if complete else ins.rest
            config.stopsignal = Setting(value, ins, span=instruction_span(dockerfile, ins))
        elif kw == "HEALTHCHECK":
            config.healthcheck = from_instruction(ins, instruction_span(dockerfile, ins))
        elif kw == "USER":
            user = expand(ins.rest, scope, escape)[0]
            config.user = Setting(user, ins, span=instruction_span(dockerfile, ins))
        elif kw == "WORKDIR":
            path = expand(ins.rest, scope, escape)[0]
            config.workdir = posixpath.normpath(posixpath.join(config.workdir, path))
    return Model(parsed, stages, global_args)
