"""Opening what `sigcheck image PATH` names: an archive, a layout directory, or `-`.

Only the documents are read here (manifest or index, then each image's config);
layers are opened when a lookup first needs them. The file stays open while the
images are used: `with open_images(path) as archive: ...`.
"""

# No `from __future__ import annotations`: this module defines NamedTuples.

import os
import stat
import sys
from types import TracebackType
from typing import Any, BinaryIO, NamedTuple

from sigcheck.load.image.config import ImageConfig, parse_config
from sigcheck.load.image.errors import DEFAULT_LIMITS, ImageError, Limits
from sigcheck.load.image.guard import converted
from sigcheck.load.image.jsonblob import parse_json
from sigcheck.load.image.layer import Budget, Layer
from sigcheck.load.image.layout import BlobRef, ImageRef, find_images, parse_platform, read_blob, short
from sigcheck.load.image.merged import LayerFiles
from sigcheck.load.image.store import DirStore, Store, open_tar
from sigcheck.load.image.streams import CHUNK, Bad, Inflate, Section, compression_of
from sigcheck.span import Span

__all__ = ["Image", "ImageArchive", "open_images"]


class Image(NamedTuple):
    name: str  # the first tag (RepoTags or the ref annotation), else the digest
    tags: tuple[str, ...]
    digest: str  # the manifest's (or index's) digest; the config's for docker save
    config_digest: str | None
    platform: str | None  # os/arch[/variant] from the config
    config: ImageConfig
    raw_config: dict[str, Any]  # `config` of the config JSON, as stored
    history: tuple[dict[str, Any], ...]
    files: LayerFiles
    archive: str  # the path as the user gave it

    def span(self, field: str) -> Span:
        """Where a config value is: the archive, at `config.<field>` (`Cmd`, `StopSignal`)."""
        return Span.point(self.archive, logical=f"config.{field}")


class ImageArchive:
    """The images of one archive; close it (or use `with`) to release the file."""

    def __init__(self, archive: str, images: list[Image], store: Store, handle: BinaryIO | None) -> None:
        self.archive = archive
        self.images = images
        self._store = store
        self._handle = handle

    def close(self) -> None:
        self._store.close()
        if self._handle is not None:
            self._handle.close()  # a spooled temporary file is deleted here

    def __enter__(self) -> "ImageArchive":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_images(
    path: str, *, platform: str | None = None, limits: Limits = DEFAULT_LIMITS, stdin: BinaryIO | None = None
) -> ImageArchive:
    """Open a docker/podman save archive, an OCI layout (directory or tar) or `-`.

    `platform` (`os/arch[/variant]`) picks from a multi-platform index (default
    linux/amd64, or the only image there is). Raises ImageError, whose message names
    `path`, for anything wrong with the input."""
    wanted = None
    if platform is not None:
        try:
            wanted = parse_platform(platform)
        except ValueError as exc:
            raise ImageError(path, str(exc)) from None
    handle: BinaryIO | None = None
    store: Store | None = None
    with converted(path):
        try:
            handle, store = _open_store(path, stdin, limits)
            images = [_image(store, ref, path, limits) for ref in find_images(store, wanted, limits)]
        except BaseException:
            if store is not None:
                store.close()
            if handle is not None:
                handle.close()
            raise
    return ImageArchive(path, images, store, handle)


def _open_store(path: str, stdin: BinaryIO | None, limits: Limits) -> tuple[BinaryIO | None, Store]:
    if path == "-":
        # tarfile needs random access and a pipe has none: spool standard input to an
        # anonymous temporary file (deleted when closed, or when the process dies).
        return _spooled_tar(stdin or sys.stdin.buffer, limits)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise Bad(f"cannot open: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        return None, DirStore(path)
    if stat.S_ISFIFO(info.st_mode):  # `sigcheck image <(docker save app)`
        with open(path, "rb") as pipe:
            return _spooled_tar(pipe, limits)
    if not stat.S_ISREG(info.st_mode):
        raise Bad("not a regular file, directory or pipe")
    handle = open(path, "rb")  # noqa: SIM115 - returned, closed by ImageArchive.close
    try:
        if compression_of(handle.read(6)) != "tar":
            # `docker save app | gzip > app.tar.gz`: docker load takes it, so do we, by
            # decompressing to a temporary file (tar needs random access).
            handle.seek(0)
            return _spooled_tar(handle, limits)
        return handle, open_tar(handle, limits)
    except BaseException:
        handle.close()
        raise


def _spooled_tar(source: BinaryIO, limits: Limits) -> tuple[BinaryIO, Store]:
    import tempfile  # here: only pipes and compressed archives need it (~2 ms, with random)

    spool = tempfile.TemporaryFile()  # noqa: SIM115 - returned, closed by ImageArchive.close
    try:
        head = source.read(6)
        kind = compression_of(head)
        if kind == "tar":
            spool.write(head)
            copied = len(head)
            while chunk := source.read(CHUNK):
                copied += len(chunk)
                if copied > limits.layer_bytes:
                    raise Bad(f"input is larger than {limits.layer_bytes} bytes")
                spool.write(chunk)
        else:
            raw = _Prefixed(head, source)
            inflate = Inflate(raw, kind, limits.layer_bytes, f"the {kind} archive", limits.layer_ratio)
            while chunk := inflate.read(CHUNK):
                spool.write(chunk)
        spool.flush()
        return spool, open_tar(spool, limits)
    except BaseException:
        spool.close()
        raise


class _Prefixed:
    """A forward stream: bytes already read, then the rest of `source`."""

    def __init__(self, head: bytes, source: BinaryIO) -> None:
        self._head = head
        self._source = source
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
        else:
            data = self._source.read(n)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        raise Bad("internal: seek on a pipe")


def _image(store: Store, ref: ImageRef, archive: str, limits: Limits) -> Image:
    what = f"config {short(ref.config.digest or ref.config.name)}"
    data = read_blob(store, ref.config, "config", limits)
    doc = parse_config(parse_json(data, what, limits.json_bytes, limits.json_depth))
    if doc.diff_ids and len(doc.diff_ids) != len(ref.layers):
        raise Bad(
            f"{ref.name[:100]}: the config lists {len(doc.diff_ids)} layers, the manifest {len(ref.layers)}"
        )
    budget = Budget(limits.layer_entries)
    layers = []
    for number, blob in enumerate(ref.layers):
        if doc.diff_ids:
            blob = blob._replace(diff_id=doc.diff_ids[number])
        layers.append(Layer(number, blob, _opener(store, blob), limits, budget))
    platform = "/".join(p for p in (doc.os, doc.architecture, doc.variant) if p) or ref.platform
    return Image(ref.name, ref.tags, ref.digest, ref.config.digest, platform, doc.config, doc.raw,
                 doc.history, LayerFiles(layers, limits, archive), archive)


def _opener(store: Store, blob: BlobRef) -> Any:
    def opener() -> Section | None:
        return store.open(blob.name)

    return opener


