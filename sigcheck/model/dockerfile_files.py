"""`ImageFiles` for an image built from a Dockerfile: COPY/ADD/RUN replayed over the build context.

The build context is a workspace: the directory on disk, with the text of
unsaved editor buffers (or of scripts `--fix` rewrote) in front of it
(`BuildContext(root, overlay)`). Nothing outside the context is ever read.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator

from sigcheck.load.context import BuildContext, OutsideContext
from sigcheck.load.files import LoadError
from sigcheck.load.source import Source
from sigcheck.model.baseimages import shell_implementation
from sigcheck.model.files import FileOrigin, built_with, context_directories, locate_file
from sigcheck.model.image import Model, Stage, instruction_span
from sigcheck.model.installed import installed_inits
from sigcheck.span import Span

__all__ = ["DockerfileFiles"]


class DockerfileFiles:
    __slots__ = ("_inits", "context", "model", "path", "source", "stage")

    def __init__(self, model: Model, stage: Stage, context: BuildContext | None, source: Source) -> None:
        self.model = model
        self.stage = stage
        self.context = context
        self.source = source  # the Dockerfile
        self.path = source.path
        self._inits: list[tuple[str, Span]] | None = None  # SIG301 and SIG303 both ask

    def _exists(self, rel: str) -> bool:
        return self.context is not None and self.context.exists(rel) and not self.context.is_dir(rel)

    def locate(self, path: str) -> FileOrigin | None:
        origin = locate_file(self.model, self.stage, path, self._exists)
        if origin is None or origin.instruction is None:
            return None  # locate_file always names the instruction that wrote the file
        span = instruction_span(self.path, origin.instruction)
        return origin._replace(span=span, display=self._display(origin))

    def _display(self, origin: FileOrigin) -> str | None:
        """A build-context file's path as the user opens it: relative to the Dockerfile's
        path as given, keeping its spelling (`./svc/Dockerfile` -> `./svc/start.sh`)."""
        if origin.kind != "context" or origin.context_path is None or self.context is None:
            return None
        # Docker reads an absolute COPY source from the context root, as _resolve does.
        full = os.path.join(self.context.root, posixpath.normpath(origin.context_path).lstrip("/"))
        rel = os.path.relpath(full, self.source.directory)
        joined = os.path.join(os.path.dirname(self.path), rel)  # standard input: rel itself
        return os.path.normpath(joined) if ".." in rel.split(os.sep) else joined

    def list_dir(self, directory: str) -> list[str]:
        """The files a COPY of a build-context directory put in `directory` (a file written
        there by a later instruction is still found by `locate`)."""
        context = self.context
        if context is None:
            return []
        for source in context_directories(self.model, self.stage, posixpath.normpath(directory)):
            if context.is_dir(source):
                names = [posixpath.basename(p) for p in context.glob(posixpath.join(source, "*"))]
                return [
                    posixpath.join(directory, name)
                    for name in names
                    if not context.is_dir(posixpath.join(source, name))
                ]
        return []

    def rewrite_path(self, origin: FileOrigin) -> str | None:
        if origin.kind != "context" or origin.context_path is None or self.context is None:
            return None
        root = self.context.root
        relative = posixpath.normpath(origin.context_path).lstrip("/")
        if "\x00" in relative:
            return None  # no file has such a name (os calls raise ValueError)
        file = os.path.realpath(os.path.join(root, relative))
        return file if file.startswith(root + os.sep) else None  # never outside the build context

    def read(self, origin: FileOrigin) -> tuple[str | None, str | None]:
        if origin.kind in ("heredoc", "run"):
            return origin.content, None
        if origin.kind == "image":
            return None, f"copied from image {origin.image!r}, outside the build context"
        if self.context is None or origin.context_path is None:
            return None, "no build context"
        try:
            return self.context.read(origin.context_path), None
        except OutsideContext:
            return None, f"{origin.context_path} is outside the build context; it was not read"
        except LoadError as exc:
            if str(exc) == "no such file":
                return None, (
                    f"{origin.context_path} is not in the build context {self.context.root} "
                    "(pass --context if the image is built from another directory)"
                )
            return None, f"{origin.context_path}: {exc}"

    def missing(self, origin: FileOrigin) -> bool:
        return (
            origin.kind == "context"
            and origin.context_path is not None
            and self.context is not None
            and not self.context.exists(origin.context_path)
            and not posixpath.normpath(origin.context_path).startswith("../")
        )

    def built_with(self, path: str) -> str | None:
        return built_with(self.model, self.stage, path)

    def project_has(self, name: str) -> bool:
        return self.context is not None and self.context.exists(name)

    def shell_of(self, program: str, family: str) -> str | None:
        return shell_implementation(program, family)

    def installed_inits(self) -> Iterator[tuple[str, Span]]:
        if self._inits is None:
            found = installed_inits(self.stage)
            self._inits = [(init, instruction_span(self.path, ins)) for init, ins in found]
        return iter(self._inits)
