"""The files the container will see: one seam (`ImageFiles`), and where a file comes from.

ShellCheck reaches the outside world through one record of functions
(`SystemInterface`); sigcheck's launch chain does the same through
`ImageFiles`: locate a path in the image, read it, tell whether its source is
missing, which toolchain built it, which shell a program is. Today's
implementation replays a Dockerfile's COPY/ADD/RUN over a build context
(`sigcheck.model.dockerfile_files.DockerfileFiles`); an image's merged layers
and an editor's unsaved buffers are others.

`locate_file` answers the question of the Dockerfile implementation: "which
instruction last wrote /path/in/image, and what does it contain?". COPY/ADD are
replayed backwards (the last write wins) through the stage and the stages it is
built on; `COPY --from=stage` follows the file into that stage.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import fnmatch
import posixpath
from collections.abc import Callable, Iterator
from typing import Literal, NamedTuple, Protocol, runtime_checkable

from sigcheck.load.dockerfile import Heredoc, Instruction
from sigcheck.model.expand import expand
from sigcheck.model.image import DEFAULT_PATH, Model, Stage
from sigcheck.span import Span

__all__ = [
    "DEFAULT_PATH",
    "FileOrigin",
    "ImageFiles",
    "ListsDirectories",
    "context_directories",
    "locate_file",
]


Kind = Literal["context", "heredoc", "run", "image", "layer"]  # layer: a file of a built image


class FileOrigin(NamedTuple):
    kind: Kind
    image_path: str
    instruction: Instruction | None  # None: no Dockerfile wrote it (a file of an image's layers)
    context_path: str | None = None  # for kind "context"
    content: str | None = None  # for "heredoc" and "run"
    content_line: int | None = 1  # Dockerfile line of the content's first line; None: generated text
    image: str | None = None  # for "image": COPY --from=<external image>
    chmod: str | None = None
    span: Span | None = None  # the instruction (or layer entry) that put the file there
    display: str | None = None  # the file's own path as the user opens it, when it has one


class ImageFiles(Protocol):
    """The files the container will see, whatever the input (see the module docstring)."""

    def locate(self, path: str) -> FileOrigin | None:
        """Where the file at `path` (absolute, in the image) comes from, if it is known."""

    def read(self, origin: FileOrigin) -> tuple[str | None, str | None]:
        """(text, problem): the file's text, or None and why it could not be read."""

    def missing(self, origin: FileOrigin) -> bool:
        """The file was meant to be there (a COPY names it) but its source does not exist."""

    def built_with(self, path: str) -> str | None:
        """The toolchain that built the program at `path`: "go", "rust", "c" or None."""

    def project_has(self, name: str) -> bool:
        """The project the image was built from holds `name` (`.yarnrc.yml`: yarn >= 2)."""

    def shell_of(self, program: str, family: str) -> str | None:
        """Which shell implementation runs for `program` (dash, ash, bash...), or None."""

    def rewrite_path(self, origin: FileOrigin) -> str | None:
        """The real path `--fix` may rewrite for a file with its own text; None: not writable."""

    def installed_inits(self) -> Iterator[tuple[str, Span]]:
        """(init, where it is put in the image) for every init the image has, nearest first."""


@runtime_checkable
class ListsDirectories(Protocol):
    """`ImageFiles` that can list a directory (what `for f in /startup.d/*` expands to)."""

    def list_dir(self, directory: str) -> list[str]:
        """The absolute paths of the files directly in `directory`, sorted; [] if unknown."""


def _flag(ins: Instruction, name: str) -> str | None:
    prefix = f"--{name}="
    for flag in ins.flags:
        if flag.startswith(prefix):
            return flag[len(prefix) :]
    return None


def _chomped(doc: Heredoc) -> str:
    """The text BuildKit writes: `<<-` removes leading tabs (ChompHeredocContent)."""
    if not doc.chomp:
        return doc.content
    return "\n".join(line.lstrip("\t") for line in doc.content.split("\n"))


def _candidates(dest: str, source: str, many: bool, path: str) -> list[str]:
    """Source paths (relative to the COPY's source root) that would land at `path`."""
    directory = dest.rstrip("/") or "/"
    into_dir = dest.endswith("/") or many
    base = posixpath.basename(source.rstrip("/"))
    if any(c in source for c in "*?["):
        if posixpath.dirname(path) == directory and fnmatch.fnmatchcase(posixpath.basename(path), base):
            return [posixpath.join(posixpath.dirname(source), posixpath.basename(path))]
        return []
    found: list[str] = []
    if not into_dir and path == directory:
        found.append(source)  # `COPY run.sh /entrypoint.sh`
    if path == posixpath.join(directory, base):
        found.append(source)  # `COPY run.sh /usr/local/bin/` (or an existing directory)
    prefix = "/" if directory == "/" else directory + "/"
    if path.startswith(prefix):
        found.append(posixpath.normpath(posixpath.join(source, path[len(prefix) :])))  # a directory source
    return list(dict.fromkeys(found))


def _from_copy(
    model: Model,
    stage: Stage,
    index: int,
    ins: Instruction,
    path: str,
    exists: Callable[[str], bool] | None,
    depth: int,
) -> FileOrigin | None:
    workdir, scope = stage.scopes.get(index, ("/", {}))
    if len(ins.args) < 2:
        return None
    dest = expand(ins.args[-1], scope, model.parsed.escape)[0]
    absolute = posixpath.normpath(dest if dest.startswith("/") else posixpath.join(workdir, dest))
    if path != absolute and not path.startswith(absolute.rstrip("/") + "/"):
        return None  # this COPY writes elsewhere; skip the rest of the work
    sources = [expand(w, scope, model.parsed.escape)[0] for w in ins.args[:-1]]
    trailing = dest.endswith("/") or dest.endswith("/.") or dest == "."
    if not dest.startswith("/"):
        dest = posixpath.join(workdir, dest)
    dest = posixpath.normpath(dest) + ("/" if trailing else "")
    many = len(sources) > 1
    chmod = _flag(ins, "chmod")
    heredocs = {h.name: h for h in ins.heredocs}
    source_stage = _flag(ins, "from")
    for source in reversed(sources):
        if source.startswith("<<"):
            doc = heredocs.get(source.lstrip("<-").strip("'\""))
            if doc is None:
                continue
            target = posixpath.join(dest, doc.name) if dest.endswith("/") else dest
            if target == path:
                return FileOrigin(
                    "heredoc", path, ins, content=_chomped(doc), content_line=doc.start_line, chmod=chmod
                )
            continue
        for candidate in _candidates(dest, source, many, path):
            if source_stage is not None:
                other = _stage_named(model, source_stage)
                if other is not None and other.index >= stage.index:
                    continue  # a stage copying from itself or a later one: BuildKit rejects the cycle
                if other is None:
                    if candidate != source:
                        continue  # inside a copied directory of an image: cannot tell it is there
                    return FileOrigin("image", path, ins, image=source_stage, chmod=chmod)
                inner = posixpath.normpath(posixpath.join("/", candidate))
                found = locate_file(model, other, inner, exists, depth + 1)
                if found is not None:
                    return found
                continue
            escapes = posixpath.normpath(candidate).startswith("../")
            # A named file missing from the context fails the build: report it, do not guess.
            missing_file = candidate == source and exists is not None and not any(c in source for c in "*?[")
            if exists is None or escapes or exists(candidate) or missing_file:
                # A source outside the context is kept: reading it is refused, and the user told.
                return FileOrigin("context", path, ins, context_path=candidate, chmod=chmod)
    return None


def _stage_named(model: Model, name: str) -> Stage | None:
    lowered = name.lower()
    for stage in model.stages:
        if stage.name == lowered or str(stage.index) == lowered:
            return stage
    return None


def locate_file(
    model: Model,
    stage: Stage,
    path: str,
    exists: Callable[[str], bool] | None,
    depth: int = 0,
) -> FileOrigin | None:
    """The instruction that last wrote `path` (absolute) in `stage`, if sigcheck can tell.

    `exists` tells whether a context-relative path is a file in the build
    context; a COPY whose candidate source does not exist did not write `path`."""
    if depth > 8:
        return None
    current: Stage | None = stage
    while current is not None and depth <= 8:
        for index in range(len(current.instructions) - 1, -1, -1):
            ins = current.instructions[index]
            if ins.keyword in ("COPY", "ADD"):
                found = _from_copy(model, current, index, ins, path, exists, depth)
                if found is not None:
                    return found
            elif ins.keyword == "RUN":
                from sigcheck.model.generated import written_by_run

                workdir = current.scopes.get(index, ("/", {}))[0]
                content = written_by_run(ins, path, workdir)
                if content is not None:
                    return FileOrigin("run", path, ins, content=content[0], content_line=content[1])
        current = current.parent
        depth += 1
    return None


def built_with(model: Model, stage: Stage, path: str) -> str | None:
    """The toolchain that built `path` when it was copied from another stage: "go", "rust", "c" or None.

    A binary the linter cannot read can still be recognised by how its stage
    built it (`RUN go build` in a `FROM golang` stage, then `COPY --from`)."""
    for index in range(len(stage.instructions) - 1, -1, -1):
        ins = stage.instructions[index]
        source_stage = _flag(ins, "from") if ins.keyword == "COPY" else None
        if source_stage is None or len(ins.args) < 2:
            continue
        workdir = stage.scopes.get(index, ("/", {}))[0]
        *sources, dest = ins.args
        trailing = dest.endswith("/")
        dest = posixpath.normpath(dest if dest.startswith("/") else posixpath.join(workdir, dest))
        dest += "/" if trailing else ""
        for source in sources:
            base = posixpath.basename(source.rstrip("/"))
            exact = (not trailing and len(sources) == 1 and path == dest) or path == posixpath.join(
                dest.rstrip("/"), base
            )
            if not exact:
                continue
            other = _stage_named(model, source_stage)
            if other is None or other.index >= stage.index:
                return None
            return _toolchain(other)
    return None


def _toolchain(stage: Stage) -> str | None:
    current: Stage | None = stage
    while current is not None:
        text = " ".join(i.rest for i in current.instructions if i.keyword == "RUN")
        base = current.base_reference.lower()
        if "go build" in text or "go install" in text or base.startswith("golang"):
            return "go"
        if "cargo build" in text or "cargo install" in text or base.startswith("rust"):
            return "rust"
        if any(tool in text for tool in ("gcc ", "g++ ", "clang ", "make", "cmake")):
            return "c"
        current = current.parent
    return None


def context_directories(model: Model, stage: Stage, directory: str) -> Iterator[str]:
    """Build-context directories (context-relative) that a COPY/ADD of this stage, or of the
    stages it is built on, put at `directory` in the image, latest first."""
    current: Stage | None = stage
    while current is not None:
        for index in range(len(current.instructions) - 1, -1, -1):
            ins = current.instructions[index]
            if ins.keyword not in ("COPY", "ADD") or len(ins.args) < 2 or _flag(ins, "from") is not None:
                continue
            workdir, scope = current.scopes.get(index, ("/", {}))
            dest = expand(ins.args[-1], scope, model.parsed.escape)[0]
            trailing = dest.endswith("/") or dest == "."
            dest = posixpath.normpath(dest if dest.startswith("/") else posixpath.join(workdir, dest))
            sources = [expand(w, scope, model.parsed.escape)[0] for w in ins.args[:-1]]
            for source in sources:
                if source.startswith("<<") or any(c in source for c in "*?["):
                    continue
                if dest == directory:
                    yield source  # a directory's contents are copied into the destination
                else:
                    yield from _candidates(
                        dest + ("/" if trailing else ""), source, len(sources) > 1, directory
                    )
        current = current.parent
