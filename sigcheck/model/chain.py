"""The launch chain: who is PID 1, who execs, and where the app ends up.

Docker starts the container with ENTRYPOINT + CMD (shell forms already wrapped
in SHELL). The chain unwraps that argv link by link: a shell either execs its
final command (the next link inherits PID 1) or stays and runs it as a child;
exec-style wrappers (env, gosu, setpriv...) replace themselves; an official
base image's entrypoint that ends in `exec "$@"` hands over to CMD. Every rule
is a question asked of this chain; none re-parses text.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import posixpath
from typing import TYPE_CHECKING, Literal, NamedTuple

from sigcheck.model.baseimages import shell_implementation, shell_label
from sigcheck.model.files import DEFAULT_PATH, FileOrigin, ImageFiles
from sigcheck.model.image import Command, ImageConfig
from sigcheck.model.knowledge import (
    GO_APP,
    App,
    Init,
    Supervisor,
    identify_app,
    identify_init,
    identify_supervisor,
)
from sigcheck.model.launchers import Launcher, identify_launcher
from sigcheck.model.runtime import DEFAULT_RUNTIME, Runtime, apply_runtime
from sigcheck.model.signals import parse_signal
from sigcheck.model.sourced import SourcedFiles
from sigcheck.shell.command_string import (
    CommandString,
    ExecVerdict,
    analyse_command_string,
    decide_exec,
)
from sigcheck.shell.words import ALL_ARGS, args_index

if TYPE_CHECKING:
    # Entry-script analysis loads only when the chain reaches a script.
    from sigcheck.shell.script import Outcome, ScriptAnalysis

__all__ = ["SHELL_NAMES", "Arg", "LaunchChain", "Link", "build_chain"]

Role = Literal["shell", "wrapper", "entrypoint", "script", "launcher", "init", "supervisor", "app"]

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


def _quote(text: str) -> str:
    """Shell single quotes: exact text in JSON/SARIF (escaping is the reporters' job)."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


class Arg(NamedTuple):
    text: str
    origin: Command | None


class ScriptInfo(NamedTuple):
    """An entry script the chain runs, and where its text came from."""

    image_path: str
    origin: FileOrigin | None  # None when it could not be located
    analysis: "ScriptAnalysis | None"  # None when it could not be read
    outcome: "Outcome | None"  # the path the chain follows (the worst one)
    problem: str | None = None  # why it could not be read
    missing: bool = False  # the COPY source does not exist in the build context
    interpreter: str | None = (
        None  # `sh /run.sh`: the shell named in the chain; None: the kernel reads the shebang
    )
    sourced: tuple[tuple[str, FileOrigin], ...] = ()  # the files it sources, by the path it names

    @property
    def origins(self) -> list[FileOrigin]:
        """The script's own file, then every file it sourced."""
        return ([self.origin] if self.origin is not None else []) + [o for _, o in self.sourced]

    def origin_of(self, outcome: "Outcome") -> FileOrigin | None:
        """Where the outcome's command is written: the script, or the file it sourced."""
        if outcome.file is None:
            return self.origin
        return dict(self.sourced).get(outcome.file)


class Link(NamedTuple):
    role: Role
    argv: tuple[str, ...]
    pid1: bool
    execs: bool | None  # does this link replace itself with the next one?
    origin: Command | None  # the ENTRYPOINT/CMD the link's words come from
    shell: str | None = None  # shell implementation, for shell links
    command_string: CommandString | None = None
    verdict: ExecVerdict | None = None
    script: ScriptInfo | None = None
    launcher: Launcher | None = None
    init: Init | None = None
    supervisor: Supervisor | None = None
    app: App | None = None
    app_text: str | None = None  # the app's entry file, when it is in the build context
    app_entry: str | None = None  # the entry file the command names (`node dist/index.js`), read or not
    app_config: str | None = None  # the app's own config file the command names, when it was read
    config_options: frozenset[str] = frozenset()  # the options that file turns on (`--die-on-term`)

    @property
    def program(self) -> str:
        return self.argv[0] if self.argv else ""

    def describe(self) -> str:
        text = (
            " ".join(self.argv)
            if self.role != "shell"
            else f"{' '.join(self.argv[:-1])} {_quote(self.argv[-1])}"
        )
        if self.role == "shell":
            state = {True: "execs", False: "stays", None: "may stay"}[self.execs]
            text += f" ({shell_label(self.shell)}, {state})"
        elif self.role == "entrypoint":
            text += ' (exec "$@")'
        elif self.role == "script" and self.script is not None:
            outcome = self.script.outcome
            if outcome is not None:
                how = {"exec": "execs", "foreground": "no exec", "background": "backgrounds"}[outcome.kind]
                at = f"{outcome.file} line {outcome.line}" if outcome.file else f"line {outcome.line}"
                text += f" ({shell_label(self.shell) if self.shell else 'script'}, {how} at {at})"
            elif self.script.problem:
                text += f" (not checked: {self.script.problem})"
        elif self.role == "launcher" and self.launcher is not None:
            text += f" ({self.launcher.label})"
        elif self.role == "init" and self.init is not None:
            text += " (init, signals the process group)" if self.init.group else " (init)"
        elif self.role == "app" and self.app is not None:
            text += (
                f" ({self.app.label}, reads {self.app_config})" if self.app_config else f" ({self.app.label})"
            )
        if self.pid1:
            text += " [PID 1]"
        return text


class LaunchChain(NamedTuple):
    config: ImageConfig
    links: list[Link]
    stopsignal: str
    truncated: bool = False  # longer than MAX_LINKS: the rest was not followed
    runtime: Runtime = DEFAULT_RUNTIME

    def describe(self) -> list[str]:
        return [link.describe() for link in self.links]

    def init_before(self, link: Link) -> Link | None:
        """The init shim that runs `link` as its direct child, if any. A link between them
        that execs (an entrypoint's `exec "$@"`, `gosu`) replaced itself with the next one
        in the same process, so the init's child is the link it became (node's
        docker-entrypoint.sh in front of a shell-form CMD under `init: true`)."""
        for before in reversed(self.links[: self.links.index(link)]):
            if before.role == "init":
                return before
            if before.execs is not True:
                return None
        return None

    def delivered(self, target: Link) -> str | None:
        """The signal `target` receives at `docker stop`, after every link before it has
        passed, rewritten or dropped it; None when it receives nothing."""
        signal = self.stopsignal
        for link in self.links:
            if link is target:
                return signal
            if link.role in ("shell", "script") and link.execs is not True:
                return None  # a shell that stays never forwards (signal-semantics.md §2)
            if link.role == "supervisor":
                return None  # the supervisor decides what each program gets
            if link.role == "launcher" and link.launcher is not None:
                if not link.launcher.forwards and not link.launcher.signal_map:
                    return None
                passed = link.launcher.passes(signal)
                if passed is None:
                    return None
                signal = passed
            if link.role == "init" and link.init is not None:
                signal = dict(link.init.rewrites).get(signal, signal)
                if signal == "none":
                    return None
        return signal

    @property
    def app(self) -> Link | None:
        last = self.links[-1] if self.links else None
        return last if last is not None and last.role == "app" else None

    @property
    def pid1(self) -> Link | None:
        pid1 = [link for link in self.links if link.pid1]
        return pid1[-1] if pid1 else None


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


def _compose(config: ImageConfig, runtime: Runtime) -> list[Arg]:
    """ENTRYPOINT + CMD after the runtime's overrides, with the runtime's init in front."""
    ep, cmd, init = apply_runtime(config, runtime)
    return [Arg(word, init) for word in init.argv] + _join(ep, cmd) if init is not None else _join(ep, cmd)


def _join(ep: Command | None, cmd: Command | None) -> list[Arg]:
    if ep is not None and ep.argv:
        args = [Arg(word, ep) for word in ep.argv]
        # A shell-form ENTRYPOINT gets CMD as $0, $1...: it never runs.
        if ep.form == "exec" and cmd is not None:
            args += [Arg(word, cmd) for word in cmd.argv]
        return args
    if cmd is not None:
        return [Arg(word, cmd) for word in cmd.argv]
    return []


MAX_LINKS = 64

_SCRIPT_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "mksh", "ksh"})


def program_paths(program: str, config: ImageConfig) -> list[str]:
    """Where the image looks for `program`: relative to WORKDIR, or along PATH."""
    if "/" in program:
        return [posixpath.normpath(posixpath.join(config.workdir, program))]
    return [posixpath.join(d or "/", program) for d in config.env.get("PATH", DEFAULT_PATH).split(":")]


class _Resolver:
    """Finds and reads the scripts the chain runs, through the image's files."""

    __slots__ = ("config", "files")

    def __init__(self, config: ImageConfig, files: ImageFiles) -> None:
        self.config = config
        self.files = files

    def locate(self, program: str) -> tuple[str, FileOrigin] | None:
        for path in program_paths(program, self.config):
            origin = self.files.locate(path)
            if origin is not None:
                return path, origin
        return None

    def locate_script(self, operand: str) -> tuple[str, FileOrigin] | None:
        """The file `sh FILE` / `bash FILE` reads: FILE relative to WORKDIR (dash and ash
        open it as given; bash looks along PATH only when that fails)."""
        path = posixpath.normpath(posixpath.join(self.config.workdir, operand))
        origin = self.files.locate(path)
        if origin is not None:
            return path, origin
        return None if "/" in operand else self.locate(operand)

    def read(self, origin: FileOrigin) -> tuple[str | None, str | None]:
        """(text, problem); the problem is None when the text could be read."""
        return self.files.read(origin)


def looks_like_script(path: str) -> bool:
    """A file named like a script (`*.sh`, `*entrypoint*`), when its text cannot be read."""
    name = posixpath.basename(path).lower()
    return name.endswith(".sh") or "entrypoint" in name


def _shell_of_script(resolver: _Resolver, analysis: "ScriptAnalysis", interpreter: str | None) -> str | None:
    """The shell implementation that runs a script, from how it is invoked or its shebang."""
    family = resolver.config.family
    if interpreter is not None:
        return resolver.files.shell_of(interpreter, family)
    shebang = analysis.shebang
    if not shebang:
        return None
    program = shebang[0]
    if posixpath.basename(program) == "env" and len(shebang) > 1:
        program = shebang[1]
    if posixpath.basename(program) in _SCRIPT_SHELLS:
        return resolver.files.shell_of(program, family)
    return None


_SELF = ('"$0"', "$0", '"$BASH_SOURCE"', "$BASH_SOURCE", '"${BASH_SOURCE[0]}"', '"${BASH_SOURCE}"')


def _primary(analysis: "ScriptAnalysis", path: str, no_args: bool) -> "Outcome | None":
    """The path the chain follows: the first one that does not exec, else the first exec
    that does not re-run the script itself (`exec gosu user "$0" "$@"`, or its own path,
    comes back to it). With no arguments, `exec "$@"` is exec without a command, which
    bash and dash skip: the script goes on."""
    taken = [o for o in analysis.outcomes if o.default_path] or list(analysis.outcomes)
    if no_args:
        taken = [o for o in taken if not (o.kind == "exec" and all(w in ALL_ARGS for w in o.words))] or taken
    for outcome in taken:
        if outcome.kind != "exec":
            return outcome
    for outcome in taken:
        if not any(word in _SELF or word == path for word in outcome.words):
            return outcome
    return taken[0] if taken else None


def _substitute(words: tuple[str, ...], script_args: list[Arg], origin: Command | None) -> list[Arg]:
    out: list[Arg] = []
    for word in words:
        shifted = args_index(word)
        if word in ALL_ARGS or word in ("$*", '"$*"'):
            out.extend(script_args)
        elif shifted is not None:
            out.extend(script_args[shifted:])  # after `shift`
        else:
            out.append(Arg(word, origin))
    return out


def build_chain(
    config: ImageConfig, files: ImageFiles | None = None, runtime: Runtime = DEFAULT_RUNTIME
) -> LaunchChain:
    """The chain of the container `runtime` starts from an image with `config`, whose
    files are `files` (None: no script can be read)."""
    setting = runtime.stop_signal or config.stopsignal
    raw_signal = setting.value if setting else "SIGTERM"
    parsed_signal = parse_signal(raw_signal)
    signal = parsed_signal.name if parsed_signal.error is None else raw_signal
    if parsed_signal.error is not None and "$" not in raw_signal:
        # A signal the engine rejects starts nothing (SIG401 says so, with SIGTERM as its
        # fix); every other finding describes the container once that is fixed. One still
        # holding `$ARG` is unknown, not invalid: nothing is said of it.
        signal = "SIGTERM"
    args = _compose(config, runtime)
    resolver = _Resolver(config, files) if files is not None else None
    links: list[Link] = []
    seen_scripts: set[str] = set()
    pid1 = True
    i = 0
    for _ in range(MAX_LINKS):  # chains are short; the bound only guards odd input
        if i >= len(args):
            break
        program = args[i].text
        name = posixpath.basename(program)
        origin = args[i].origin
        rest = tuple(a.text for a in args[i:])
        is_busybox_sh = name == "busybox" and i + 1 < len(args) and args[i + 1].text == "sh"
        if name in SHELL_NAMES and (name != "busybox" or is_busybox_sh):
            first_option = i + 2 if is_busybox_sh else i + 1
            index = _command_string_index(args, first_option)
            if index is None:
                # `sh /run.sh args`: the shell reads a script file.
                script_at = first_option
                while script_at < len(args) and args[script_at].text.startswith("-"):
                    script_at += 1
                if resolver is not None and script_at < len(args):
                    found, next_args, pid1_next = _script_link(
                        resolver, args, script_at, pid1, origin, program, seen_scripts
                    )
                    if found:
                        links.extend(found)
                        if next_args is None:
                            break
                        args, i, pid1 = next_args, 0, pid1_next
                        continue
                links.append(Link("app", rest, pid1, None, origin))
                break
            string_arg = args[index]
            shell = _shell_of(resolver, program, config.family)
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
                links.append(Link("app", rest, pid1, None, origin))
                break
            links.append(Link("wrapper", tuple(a.text for a in args[i:start]), pid1, True, origin))
            i = start
            continue
        init = identify_init(rest)
        if init is not None:
            end = i + init.command_start if init.command_start is not None else len(args)
            links.append(Link("init", tuple(a.text for a in args[i:end]), pid1, False, origin, init=init))
            if init.command_start is None:
                break
            pid1 = False
            i = end
            continue
        supervisor = identify_supervisor(rest)
        if supervisor is not None:
            links.append(Link("supervisor", rest, pid1, False, origin, supervisor=supervisor))
            break
        # yarn >= 2 (berry) forwards signals; asked of the files only where yarn runs.
        berry = name == "yarn" and files is not None and _yarn_berry(files)
        launcher = identify_launcher(rest, berry)
        if launcher is not None:
            execs = launcher.label.endswith("execs")
            end = i + launcher.command_start if launcher.command_start is not None else len(args)
            links.append(
                Link("launcher", tuple(a.text for a in args[i:end]), pid1, execs, origin, launcher=launcher)
            )
            if launcher.command_start is None:
                break
            pid1 = pid1 and execs
            i = end
            continue
        ep = config.entrypoint
        if (
            config.entrypoint_execs_args
            and ep is not None
            and origin is ep
            and (i == 0 or args[i - 1].origin is not ep)  # its first word (an init may be in front)
            and len(args) - i > len(ep.argv)
        ):
            links.append(Link("entrypoint", ep.argv, pid1, True, ep))
            i += len(ep.argv)  # past the entrypoint's words, not to them: an init may be in front
            continue
        if resolver is not None and name not in SHELL_NAMES:
            found, next_args, pid1_next = _script_link(resolver, args, i, pid1, origin, None, seen_scripts)
            if found:
                links.extend(found)
                if next_args is None:
                    break
                args, i, pid1 = next_args, 0, pid1_next
                continue
        links.append(_app_link(resolver, rest, pid1, origin))
        break
    else:
        truncated = i < len(args)
        return LaunchChain(config, _namespace(links, runtime), signal, truncated, runtime)
    return LaunchChain(config, _namespace(links, runtime), signal, False, runtime)


def _namespace(links: list[Link], runtime: Runtime) -> list[Link]:
    """Kubernetes shareProcessNamespace: the pause container is PID 1 of the pod's one
    namespace, so no link of the app's chain is (kubernetes.io, "Share Process
    Namespace between Containers in a Pod")."""
    if not runtime.shared_pid_namespace:
        return links
    return [link._replace(pid1=False) for link in links]


def _yarn_berry(files: ImageFiles) -> bool:
    return files.project_has(".yarnrc.yml") or files.project_has(".yarn/releases")


def _shell_of(resolver: _Resolver | None, program: str, family: str) -> str | None:
    if resolver is None:
        return shell_implementation(program, family)
    return resolver.files.shell_of(program, family)


def _is_apache(argv: tuple[str, ...], config: ImageConfig) -> bool:
    base = config.base
    if base is not None and base.name in ("httpd", "php", "wordpress"):
        return True
    return any(a.startswith("-D") for a in argv[1:]) or posixpath.basename(argv[0]) != "httpd"


def _app_link(resolver: _Resolver | None, argv: tuple[str, ...], pid1: bool, origin: Command | None) -> Link:
    """The app at the end of the chain, identified by name, by how it was built, or not at all."""
    app = identify_app(argv)
    text: str | None = None
    entry: str | None = None
    if (
        app is not None
        and app.id == "httpd"
        and resolver is not None
        and not _is_apache(argv, resolver.config)
    ):
        app = None  # busybox's own httpd applet shares the name, not Apache's signals
    if resolver is not None:
        if app is None:
            paths = program_paths(argv[0], resolver.config)
            if any(resolver.files.built_with(path) == "go" for path in paths):
                app = GO_APP
        elif app.handler_patterns and len(argv) > 1:
            named = next((a for a in argv[1:] if not a.startswith("-")), None)
            if named is not None and "-m" not in argv[1:] and "-e" not in argv[1:] and "-c" not in argv[1:]:
                entry = named
                located = resolver.locate(entry if entry.startswith("/") else "./" + entry)
                if located is not None:
                    text = resolver.read(located[1])[0]
        config = _config_file(app.id, argv) if app is not None else None
        found = resolver.locate(config if config.startswith("/") else "./" + config) if config else None
        content = resolver.read(found[1])[0] if found is not None else None
        if found is not None and content is not None:
            from sigcheck.load.app_config import enabled_options

            options = enabled_options(content)
            return Link(
                "app",
                argv,
                pid1,
                None,
                origin,
                app=app,
                app_text=text,
                app_entry=entry,
                app_config=found[0],
                config_options=options,
            )
    return Link("app", argv, pid1, None, origin, app=app, app_text=text, app_entry=entry)


# The flags that name an app's own config file (sigcheck.load.app_config reads it).
_CONFIG_FLAGS: dict[str, tuple[str, ...]] = {"uwsgi": ("--ini", "--yaml", "--yml", "--json", "--xml")}


def _config_file(app_id: str, argv: tuple[str, ...]) -> str | None:
    """The config file the command names: `uwsgi --ini FILE`, or `uwsgi FILE.ini`."""
    flags = _CONFIG_FLAGS.get(app_id)
    if flags is None:
        return None
    for index, word in enumerate(argv[1:], start=1):
        name, eq, value = word.partition("=")
        if name in flags:
            return value if eq else (argv[index + 1] if index + 1 < len(argv) else None)
        if not word.startswith("-") and word.endswith((".ini", ".yaml", ".yml", ".json", ".xml")):
            return word
    return None


def _shebang_init(shebang: tuple[str, ...] | None) -> tuple[tuple[str, ...], Init, str] | None:
    """(the init's words, the init, the shell it runs) when the interpreter line starts an
    init: `#!/usr/bin/dumb-init /bin/sh`, `#!/usr/bin/env -S tini -- sh`.

    Linux passes everything after the interpreter as one argument (binfmt_script), so
    `#!/sbin/tini -- /bin/sh` hands tini the single word "-- /bin/sh" and the container
    fails to start; only a lone argument, or `env -S` (which splits it), starts the init."""
    if not shebang:
        return None
    words = shebang
    if posixpath.basename(words[0]) == "env" and len(words) > 2 and words[1] in ("-S", "--split-string"):
        words = words[2:]
    elif len(words) != 2:
        return None
    init = identify_init(words)
    if init is None or init.command_start is None or init.command_start >= len(words):
        return None
    return words[: init.command_start], init, words[init.command_start]


def _script_link(
    resolver: _Resolver,
    args: list[Arg],
    at: int,
    pid1: bool,
    origin: Command | None,
    interpreter: str | None,
    seen: set[str],
) -> tuple[list[Link], list[Arg] | None, bool]:
    """The links for the script at args[at] (an init from its interpreter line first),
    the args the chain continues with, and their PID-1 status."""
    program = args[at].text
    located = resolver.locate_script(program) if interpreter else resolver.locate(program)
    if located is None:
        return [], None, pid1
    path, file_origin = located
    argv = tuple(a.text for a in args[: at + 1]) if interpreter else (program,)
    text, problem = resolver.read(file_origin)
    missing = text is None and resolver.files.missing(file_origin)
    if text is None:
        if (missing or file_origin.kind in ("image", "layer")) and not looks_like_script(path):
            # A binary from an image (or an image's own layers), or built before `docker build`: the app.
            return [], None, pid1
        info = ScriptInfo(path, file_origin, None, None, problem, missing, interpreter)
        return [Link("script", argv, pid1, None, origin, script=info)], None, pid1
    from sigcheck.shell.script import analyse_script, analyse_with_files

    env = tuple(sorted(resolver.config.env.items()))
    script_args = tuple(a.text for a in args[at + 1 :])
    analysis = analyse_script(text, script_args, env)
    sourced: tuple[tuple[str, FileOrigin], ...] = ()
    if analysis.wants_files:
        # Only a script that reads a file (a source, a server's config) is analysed again
        # with the image's files.
        reader = SourcedFiles(resolver.files, resolver.config.workdir)
        analysis = analyse_with_files(text, script_args, env, reader)
        sourced = tuple(reader.origins.items())
    started = _shebang_init(analysis.shebang) if interpreter is None else None
    before: list[Link] = []
    if started is not None:
        init_words, init, shell_program = started
        before.append(Link("init", init_words, pid1, False, origin, init=init))
        pid1 = False  # the kernel runs the init as the process; the script is its child
        shell = resolver.files.shell_of(shell_program, resolver.config.family)
    else:
        shell = _shell_of_script(resolver, analysis, interpreter)
    if shell is None and interpreter is None:
        return [], None, pid1  # not a shell script (a binary, python...): the app
    outcome = _primary(analysis, path, at + 1 == len(args))
    info = ScriptInfo(path, file_origin, analysis, outcome, None, False, interpreter, sourced)
    execs = None if outcome is None else outcome.kind == "exec"
    link = Link("script", argv, pid1, execs, origin, shell=shell, script=info)
    if outcome is None or path in seen:
        return [*before, link], None, pid1
    seen.add(path)
    next_args = _substitute(outcome.words, args[at + 1 :], origin)
    return [*before, link], next_args, pid1 and outcome.kind == "exec"
