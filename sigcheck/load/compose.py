"""Compose files as the services Compose will run, each field with its Span.

`load_compose(paths)` reads `-f a.yml -f b.yml` (or one file and its default
override file), interpolates each file, merges them in order
(`compose_merge.py`), resolves `extends`, and returns one `ComposeService`
per service, whatever its `profiles` (sigcheck lints every service).
`service_runtime(service)` turns one into the `Runtime` the launch chain applies.

Sources, compose-spec (github.com/compose-spec/compose-spec):
- 05-services.md: `command`/`entrypoint` (a string is split into words; a list is
  the argv; `null` keeps the image's; `[]` or `''` clears it), `init` (docker-init
  as PID 1), `stop_signal`, `stop_grace_period` (default 10 s), `user`,
  `working_dir`, `environment` (a mapping or a `KEY=VALUE` list; a name without a
  value takes it from the shell), `build` (a context string, or `context`,
  `dockerfile`, `dockerfile_inline`, `target`, `args`), `extends`, `profiles`;
- 12-interpolation.md (`interpolate.py`), 13-merge.md (`compose_merge.py`);
- the Compose CLI reference (docs.docker.com, "Specify a project directory" and
  "Multiple Compose files"): the project directory is the first file's directory,
  every relative path of every `-f` file is relative to it, and `.env` is read
  from it; the shell environment wins over `.env`; with no `-f`, Compose reads
  `compose.yaml` and the `compose.override.yaml` beside it. A file reached by
  `extends: {file: ...}` keeps paths relative to its own directory.

How a string command is split: `shellwords.py` (compose-go uses mattn/go-shellwords).
Durations: compose-go parses `stop_grace_period` with xhit/go-str2duration
(`types/duration.go`): Go durations (`1m30s`, `500ms`, `1.5h`) plus `d` and `w`.

Nothing outside `root` (by default the repository holding the first file, or its
directory) is read: an `extends` file there is an error, a `build.context`
there is reported (`ComposeBuild.outside_root`) and never opened.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import os
import re
from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

from sigcheck.load.compose_merge import merge_nodes, strip_merge_tags
from sigcheck.load.context import repository_root
from sigcheck.load.files import LoadError, read_text
from sigcheck.load.interpolate import InterpolationError, interpolate, parse_dotenv
from sigcheck.load.manifests import COMPOSE_FILE_NAMES, OVERRIDE_FILE_NAMES, is_compose_file_name
from sigcheck.load.shellwords import ShellWordsError, split_command
from sigcheck.load.yaml_nodes import (
    COMPOSE_TAGS,
    DEFAULT_LIMITS,
    Limits,
    Node,
    YamlError,
    load_documents,
    with_logical,
)
from sigcheck.runtime import (
    DOCKER_GRACE_SECONDS,
    DOCKER_INIT,
    Override,
    Runtime,
    RuntimeInit,
    Setting,
)
from sigcheck.span import Span

__all__ = [
    "COMPOSE_FILE_NAMES",
    "OVERRIDE_FILE_NAMES",
    "ComposeBuild",
    "ComposeCommand",
    "ComposeEnv",
    "ComposeGrace",
    "ComposeProject",
    "ComposeService",
    "is_compose_file_name",
    "load_compose",
    "looks_like_compose",
    "parse_duration",
    "service_runtime",
]

MAX_EXTENDS_DEPTH = 32
# Keys that only a Compose service has: what `looks_like_compose` looks for.
_SERVICE_KEYS = frozenset(
    {"image", "build", "command", "entrypoint", "extends", "init", "stop_signal", "stop_grace_period"}
)


class ComposeCommand(NamedTuple):
    """`command:` or `entrypoint:` as Compose will exec it (never through a shell)."""

    argv: tuple[str, ...]  # empty: `[]` or `''`, which clears the image's value
    span: Span
    form: Literal["string", "list"]
    text: str | None  # the string after interpolation (form "string")
    # What Compose silently drops: go-shellwords stops at an unquoted ; & | < >
    # (`sh -c` is not run: `echo a && echo b` runs `echo a`).
    dropped: str | None = None
    # Form "list": each word's own span, for a finding about one word (a `sh -c` script).
    item_spans: tuple[Span, ...] = ()


class ComposeBuild(NamedTuple):
    context: str  # absolute, normalised; a URL for a remote context
    dockerfile: str | None  # absolute path; None with dockerfile_inline
    dockerfile_inline: str | None
    target: str | None
    args: dict[str, str | None]
    span: Span
    remote: bool  # a Git or HTTP(S) context: nothing to read
    outside_root: bool  # context or Dockerfile outside the project/repository: not read


class ComposeGrace(NamedTuple):
    seconds: float
    text: str
    span: Span


class ComposeEnv(NamedTuple):
    value: str | None  # None: named without a value and unset in the environment
    span: Span


class ComposeService(NamedTuple):
    name: str
    span: Span  # the service's key in the file that defined it first
    image: Setting | None
    build: ComposeBuild | None
    command: ComposeCommand | None
    entrypoint: ComposeCommand | None
    init: Setting | None  # value "true" or "false"
    stop_signal: Setting | None
    stop_grace_period: ComposeGrace | None
    user: Setting | None
    working_dir: Setting | None
    environment: dict[str, ComposeEnv]
    profiles: tuple[str, ...]


class ComposeProject(NamedTuple):
    directory: str
    files: tuple[str, ...]  # every file read, in merge order (then extends files)
    services: tuple[ComposeService, ...]
    unset_variables: tuple[str, ...]  # interpolated as empty strings (Compose warns)


def looks_like_compose(document: Node) -> bool:
    """A top-level `services:` mapping whose values are service mappings."""
    services = document.get("services")
    if services is None or not isinstance(services.value, dict) or not services.value:
        return False
    return all(
        isinstance(service.value, dict) and (not service.value or bool(_SERVICE_KEYS & service.value.keys()))
        for service in services.value.values()
    )


def service_runtime(service: ComposeService) -> Runtime:
    def override(command: ComposeCommand | None) -> Override | None:
        return Override(command.argv, command.span) if command is not None else None

    init = None
    if service.init is not None and service.init.value == "true":
        init = RuntimeInit(DOCKER_INIT, service.init.span)
    grace = service.stop_grace_period
    return Runtime(
        platform="compose",
        entrypoint=override(service.entrypoint),
        command=override(service.command),
        init=init,
        stop_signal=service.stop_signal,
        grace_seconds=grace.seconds if grace is not None else DOCKER_GRACE_SECONDS,
        grace_span=grace.span if grace is not None else None,
        label=f"service {service.name}",
        origin=service.span,
        environment=tuple(
            (name, Setting(env.value, env.span))
            for name, env in service.environment.items()
            if env.value is not None
        ),
    )


# ---------------------------------------------------------------------- loading


class _Loader:
    __slots__ = ("cache", "directory", "environ", "files", "limits", "root", "texts", "unset")

    def __init__(
        self,
        directory: str,
        root: str,
        environ: dict[str, str],
        texts: Mapping[str, str],
        limits: Limits,
    ) -> None:
        self.directory = directory
        self.root = root
        self.environ = environ
        self.texts = texts
        self.limits = limits
        self.unset: dict[str, None] = {}
        self.files: list[str] = []
        self.cache: dict[tuple[str, str], Node] = {}

    def lookup(self, name: str) -> str | None:
        return self.environ.get(name)

    def note_unset(self, name: str) -> None:
        self.unset[name] = None

    def read(self, path: str) -> str:
        if path in self.texts:
            return self.texts[path]
        try:
            return read_text(path, self.limits.max_bytes)
        except LoadError as exc:
            raise YamlError(path, 1, str(exc)) from None

    def load_file(self, path: str, base_dir: str) -> Node:
        """One file, interpolated, with relative paths resolved against `base_dir`."""
        key = (path, base_dir)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        self.files.append(path)
        documents = [
            doc
            for doc in load_documents(self.read(path), path, allowed_tags=COMPOSE_TAGS, limits=self.limits)
            if doc.value is not None
        ]
        if not documents:
            raise YamlError(path, 1, "empty Compose file")
        merged: Node | None = None
        for document in documents:
            if not isinstance(document.value, dict):
                reason = "not a Compose file: the top level is not a mapping"
                raise YamlError(path, document.span.line, reason)
            document = self.interpolate(document)
            document = _canonical(document, base_dir)
            merged = document if merged is None else (merge_nodes(merged, document) or merged)
        assert merged is not None
        self.cache[key] = merged
        return merged

    def interpolate(self, node: Node) -> Node:
        value = node.value
        if isinstance(value, dict):
            return node._replace(value={key: self.interpolate(child) for key, child in value.items()})
        if isinstance(value, list):
            return node._replace(value=[self.interpolate(child) for child in value])
        if not isinstance(value, str) or "$" not in value:
            return node
        try:
            text = interpolate(value, self.lookup, self.note_unset)
        except InterpolationError as exc:
            raise YamlError(node.span.path, node.span.line, str(exc)) from None
        return node._replace(value=text, text=text)


def load_compose(
    paths: Sequence[str],
    environ: Mapping[str, str] | None = None,
    *,
    texts: Mapping[str, str] | None = None,
    default_override: bool = True,
    root: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ComposeProject:
    """The services of `paths` merged in order (`-f a.yml -f b.yml`).

    `environ` is the shell environment for interpolation (none by default: the
    caller decides whether sigcheck sees the user's); the project's `.env` fills
    in what it lacks. `texts` gives the content of paths already read (standard
    input, editor buffers). With one path named like a default Compose file and
    `default_override`, the first existing override file beside it is merged too.
    Raises `YamlError` (one line, file and line) for a file Compose would refuse.
    """
    if not paths:
        raise ValueError("load_compose needs at least one path")
    texts = texts or {}
    directory = os.path.dirname(os.path.abspath(paths[0]))
    root = os.path.realpath(root) if root is not None else (_project_root(directory) or directory)
    variables = dict(_dotenv(directory, root, environ or {}, limits))
    variables.update(environ or {})
    loader = _Loader(directory, root, variables, texts, limits)
    files = list(paths)
    if default_override and len(files) == 1 and os.path.basename(files[0]) in COMPOSE_FILE_NAMES:
        base_dir = os.path.dirname(files[0])
        for name in OVERRIDE_FILE_NAMES:
            candidate = os.path.join(base_dir, name)
            if candidate in texts or os.path.isfile(candidate):
                if candidate not in texts and not _inside(candidate, root):
                    raise YamlError(candidate, 1, "a symlink to outside the project; not read")
                files.append(candidate)
                break
    merged: Node | None = None
    for path in files:
        document = loader.load_file(path, directory)
        merged = document if merged is None else (merge_nodes(merged, document) or merged)
    assert merged is not None
    services_node = merged.get("services")
    services: list[ComposeService] = []
    if services_node is not None and services_node.value is not None:
        if not isinstance(services_node.value, dict):
            raise YamlError(services_node.span.path, services_node.span.line, "`services` must be a mapping")
        for name, service in services_node.value.items():
            resolved = _resolve_extends(loader, name, service, (), merged)
            resolved = strip_merge_tags(resolved)
            key_span = (services_node.keys or {}).get(name, service.span)
            services.append(_service(name, key_span, resolved, loader))
    files_read = tuple(dict.fromkeys(loader.files))
    return ComposeProject(directory, files_read, tuple(services), tuple(loader.unset))


def _dotenv(directory: str, root: str, environ: Mapping[str, str], limits: Limits) -> dict[str, str]:
    path = os.path.join(directory, ".env")
    if not os.path.isfile(path):
        return {}
    if not _inside(path, root):
        raise YamlError(path, 1, "a symlink to outside the project; not read")
    try:
        return parse_dotenv(read_text(path, limits.max_bytes), environ)
    except LoadError as exc:
        raise YamlError(path, 1, str(exc)) from None


def _project_root(start: str) -> str | None:
    return repository_root(os.path.realpath(start))


def _inside(path: str, root: str) -> bool:
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _error(node: Node, message: str) -> YamlError:
    return YamlError(node.span.path, node.span.line, message)


_REMOTE = re.compile(r"(?i)(https?://|git://|ssh://|git@|github\.com/)")


def _canonical(document: Node, base_dir: str) -> Node:
    """Each service in one spelling before merging: build as a mapping with an absolute
    context, environment/labels/build.args as mappings, extends as a mapping."""
    services = document.get("services")
    if services is None or not isinstance(services.value, dict):
        return document
    changed: dict[str, Node] = {}
    for name, service in services.value.items():
        if not isinstance(service.value, dict):
            if service.value is None:
                service = Node({}, service.span, None, service.tag, {})
            else:
                raise _error(service, f"service {name!r} must be a mapping")
        values = dict(service.value)
        keys = dict(service.keys or {})
        build = values.get("build")
        if build is not None:
            values["build"] = _canonical_build(build, base_dir)
        for field in ("environment", "labels"):
            if field in values:
                values[field] = _as_mapping(values[field], field)
        extends = values.get("extends")
        if extends is not None and isinstance(extends.value, str):
            span = extends.span
            values["extends"] = Node({"service": extends}, span, None, None, {"service": span})
        changed[name] = service._replace(value=values, keys=keys)
    return document._replace(value={**document.value, "services": services._replace(value=changed)})


def _canonical_build(build: Node, base_dir: str) -> Node:
    if build.tag is not None and build.value is None:
        return build
    if isinstance(build.value, str):
        build = Node({"context": build}, build.span, None, build.tag, {"context": build.span})
    if not isinstance(build.value, dict):
        raise _error(build, "`build` must be a string or a mapping")
    values = dict(build.value)
    context = values.get("context")
    if context is None:
        context = Node(".", build.span, ".")
    if not isinstance(context.value, str):
        raise _error(context, "`build.context` must be a string")
    if not _REMOTE.match(context.value):
        absolute = os.path.normpath(os.path.join(os.path.abspath(base_dir), context.value))
        context = context._replace(value=absolute, text=absolute)
    values["context"] = context
    if "args" in values:
        values["args"] = _as_mapping(values["args"], "build.args")
    return build._replace(value=values, keys={**(build.keys or {}), "context": context.span})


def _as_mapping(node: Node, field: str) -> Node:
    """`[KEY=VALUE, KEY]` as `{KEY: VALUE, KEY: null}`; a mapping as it is."""
    if isinstance(node.value, dict) or node.value is None:
        return node
    if not isinstance(node.value, list):
        raise _error(node, f"`{field}` must be a mapping or a list")
    values: dict[str, Node] = {}
    keys: dict[str, Span] = {}
    for item in node.value:
        if not isinstance(item.value, str):
            raise _error(item, f"`{field}` items must be strings (KEY=VALUE)")
        name, sep, rest = item.value.partition("=")
        values[name] = Node(rest if sep else None, item.span, rest if sep else None)
        keys[name] = item.span
    return Node(values, node.span, None, node.tag, keys)


def _resolve_extends(
    loader: _Loader, name: str, service: Node, stack: tuple[tuple[str, str], ...], document: Node
) -> Node:
    extends = service.get("extends")
    if extends is None or not isinstance(service.value, dict):
        return service
    if len(stack) >= MAX_EXTENDS_DEPTH:
        raise _error(extends, f"`extends` chains more than {MAX_EXTENDS_DEPTH} services")
    target = extends.get("service")
    if target is None or not isinstance(target.value, str):
        raise _error(extends, "`extends` needs a `service` name")
    file_node = extends.get("file")
    if file_node is not None:
        if not isinstance(file_node.value, str):
            raise _error(file_node, "`extends.file` must be a string")
        # Relative to the file that names it (its span says which file that is).
        path = os.path.normpath(os.path.join(os.path.dirname(file_node.span.path), file_node.value))
        if not _inside(path, loader.root):
            raise _error(file_node, f"`extends` file {file_node.value!r} is outside the project; not read")
        source = loader.load_file(path, os.path.dirname(path) or ".")
    else:
        path = service.span.path
        source = document
    identity = (os.path.realpath(path), target.value)
    here = (os.path.realpath(service.span.path), name)
    if identity in stack or identity == here:
        chain = " -> ".join(service for _, service in (*stack, here, identity))
        raise _error(extends, f"`extends` cycle: {chain}")
    services = source.get("services")
    base = services.get(target.value) if services is not None else None
    if base is None:
        raise _error(target, f"`extends`: no service {target.value!r} in {path}")
    base = _resolve_extends(loader, target.value, base, (*stack, here), source)
    own = service._replace(value={key: child for key, child in service.value.items() if key != "extends"})
    merged = merge_nodes(base, own, ("services", name))
    return merged if merged is not None else own


# ------------------------------------------------------------------ the records


def _logical(span: Span, *parts: str) -> Span:
    return with_logical(span, ".".join(parts))


def _string(node: Node | None, service: str, field: str) -> Setting | None:
    if node is None or node.value is None:
        return None
    if isinstance(node.value, (dict, list)):
        raise _error(node, f"services.{service}.{field} must be a string")
    text = node.value if isinstance(node.value, str) else (node.text or str(node.value))
    return Setting(text, _logical(node.span, "services", service, field))


def _command(node: Node | None, service: str, field: str) -> ComposeCommand | None:
    if node is None or node.value is None:
        return None  # null: the image's value stays
    span = _logical(node.span, "services", service, field)
    if isinstance(node.value, str):
        try:
            words, dropped = split_command(node.value)
        except ShellWordsError as exc:
            raise _error(node, f"services.{service}.{field}: {exc}") from None
        return ComposeCommand(words, span, "string", node.value, dropped)
    if isinstance(node.value, list):
        argv: list[str] = []
        spans = tuple(item.span for item in node.value)
        for item in node.value:
            if not isinstance(item.value, str):
                # compose-spec schema: "items": {"type": "string"}; Compose refuses the file.
                raise _error(item, f"services.{service}.{field} items must be strings (quote {item.text!r})")
            argv.append(item.value)
        return ComposeCommand(tuple(argv), span, "list", None, None, spans)
    raise _error(node, f"services.{service}.{field} must be a string or a list of strings")


def _bool(node: Node | None, service: str, field: str) -> Setting | None:
    if node is None or node.value is None:
        return None
    value = node.value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "on", "off", "y", "n"):
        value = value.lower() in ("true", "yes", "on", "y")
    if not isinstance(value, bool):
        raise _error(node, f"services.{service}.{field} must be true or false")
    return Setting("true" if value else "false", _logical(node.span, "services", service, field))


_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h|d|w)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,
    "\u03bcs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}


def parse_duration(text: str) -> float | None:
    """Seconds of a Compose duration (`1m30s`, `10s`, `500ms`, `-1.5h`); None if invalid."""
    body = text.strip()
    sign = 1.0
    if body[:1] in ("+", "-"):
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:]
    if body == "0":
        return 0.0
    if not body:
        return None
    total = 0.0
    position = 0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        if match is None or match.group(1) in ("", "."):
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    return sign * total


def _grace(node: Node | None, service: str) -> ComposeGrace | None:
    if node is None or node.value is None:
        return None
    text = node.value if isinstance(node.value, str) else (node.text or "")
    seconds = parse_duration(text) if text else None
    if seconds is None:
        hint = f" (a number needs a unit: {text}s)" if text.isdigit() else ""
        raise _error(node, f"services.{service}.stop_grace_period: invalid duration {text!r}{hint}")
    return ComposeGrace(seconds, text, _logical(node.span, "services", service, "stop_grace_period"))


def _environment(node: Node | None, loader: _Loader) -> dict[str, ComposeEnv]:
    if node is None or not isinstance(node.value, dict):
        return {}
    result: dict[str, ComposeEnv] = {}
    for name, child in node.value.items():
        if isinstance(child.value, (dict, list)):
            raise _error(child, f"environment variable {name} must be a string, number, boolean or null")
        if child.value is None:
            value = loader.lookup(name)  # `- KEY` or `KEY:`: from the shell, else unset
        elif isinstance(child.value, str):
            value = child.value
        else:
            value = child.text if child.text is not None else str(child.value)
        result[name] = ComposeEnv(value, child.span)
    return result


def _build(node: Node | None, service: str, loader: _Loader) -> ComposeBuild | None:
    if node is None or not isinstance(node.value, dict):
        return None
    context_node = node.value["context"]
    context = str(context_node.value)
    remote = bool(_REMOTE.match(context))

    def text(key: str) -> str | None:
        child = node.get(key)
        if child is None or child.value is None:
            return None
        if isinstance(child.value, (dict, list)):
            raise _error(child, f"services.{service}.build.{key} must be a string")
        return child.value if isinstance(child.value, str) else (child.text or str(child.value))

    inline = text("dockerfile_inline")
    dockerfile_name = text("dockerfile")
    dockerfile: str | None = None
    if not remote and inline is None:
        dockerfile = os.path.normpath(os.path.join(context, dockerfile_name or "Dockerfile"))
    args: dict[str, str | None] = {}
    args_node = node.get("args")
    if args_node is not None and isinstance(args_node.value, dict):
        for name, child in args_node.value.items():
            args[name] = None if child.value is None else (child.text or str(child.value))
    outside = not remote and (
        not _inside(context, loader.root) or (dockerfile is not None and not _inside(dockerfile, loader.root))
    )
    return ComposeBuild(
        context,
        dockerfile,
        inline,
        text("target"),
        args,
        _logical(node.span, "services", service, "build"),
        remote,
        outside,
    )


def _service(name: str, key_span: Span, node: Node, loader: _Loader) -> ComposeService:
    get = node.get
    profiles_node = get("profiles")
    profiles: tuple[str, ...] = ()
    if profiles_node is not None and isinstance(profiles_node.value, list):
        profiles = tuple(str(item.value) for item in profiles_node.value if item.value is not None)
    return ComposeService(
        name=name,
        span=_logical(key_span, "services", name),
        image=_string(get("image"), name, "image"),
        build=_build(get("build"), name, loader),
        command=_command(get("command"), name, "command"),
        entrypoint=_command(get("entrypoint"), name, "entrypoint"),
        init=_bool(get("init"), name, "init"),
        stop_signal=_string(get("stop_signal"), name, "stop_signal"),
        stop_grace_period=_grace(get("stop_grace_period"), name),
        user=_string(get("user"), name, "user"),
        working_dir=_string(get("working_dir"), name, "working_dir"),
        environment=_environment(get("environment"), loader),
        profiles=profiles,
    )
