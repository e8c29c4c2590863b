"""Where the blobs and documents of an image live: a tar archive, or a directory.

Both answer `open(name)` with a seekable `Section` (or None when there is no such
member), confined to the archive: a name is relative, never climbs out with `..`,
and symlinks inside a tar (Docker >= 25 links `<id>/layer.tar` to a blob) resolve
within the archive root; in a directory the resolved path must stay below it.
"""

from __future__ import annotations

import os
import posixpath
import stat
from typing import BinaryIO

from sigcheck.load.image.errors import Limits
from sigcheck.load.image.paths import Unresolvable, resolve
from sigcheck.load.image.streams import Bad, Section
from sigcheck.load.image.tarscan import clean_member_name, iter_members

__all__ = ["DirStore", "Store", "TarStore", "open_tar"]


class Store:
    def open(self, name: str) -> Section | None:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _clean_reference(name: str) -> str:
    # A name written in a manifest is as untrusted as a member's.
    return clean_member_name(name, f"reference {name[:100]!r}")


class TarStore(Store):
    def __init__(self, handle: BinaryIO, size: int, limits: Limits) -> None:
        self._handle = handle
        self._files: dict[str, tuple[int, int]] = {}  # name -> (data offset, size)
        self._links: dict[str, str] = {}  # symlink name -> target as written
        self._hops = limits.symlink_hops
        section = Section(handle, 0, size)
        for info in iter_members(section, "the archive", limits.archive_members, limits.header_bytes):
            name = clean_member_name(info.name, "the archive")
            if not name:
                continue
            if info.isreg() and not info.issparse():
                if info.offset_data + info.size > size:
                    raise Bad(f"the archive is truncated (member {name[:100]!r} ends past its end)")
                self._files[name] = (info.offset_data, info.size)
            elif info.islnk():
                target = self._files.get(clean_member_name(info.linkname, "the archive"))
                if target is not None:
                    self._files[name] = target
            elif info.issym():
                self._links["/" + name] = info.linkname

    def _resolve(self, name: str) -> str:
        try:
            return resolve(name, self._links.get, self._hops).lstrip("/")
        except Unresolvable as exc:
            raise Bad(f"{exc} at {name[:100]!r} in the archive") from None

    def open(self, name: str) -> Section | None:
        found = self._files.get(self._resolve(_clean_reference(name)))
        if found is None:
            return None
        return Section(self._handle, found[0], found[1])


class DirStore(Store):
    def __init__(self, root: str) -> None:
        self._root = os.path.realpath(root)
        self._handles: dict[str, BinaryIO] = {}  # one per file: layers are opened again to read

    def open(self, name: str) -> Section | None:
        path = os.path.realpath(os.path.join(self._root, *_clean_reference(name).split("/")))
        if not path.startswith(self._root + os.sep):
            raise Bad(f"{name[:100]!r} resolves outside the layout")
        try:
            info = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or device would block or never end.
            raise Bad(f"{posixpath.normpath(name)[:100]!r} is not a regular file")
        handle = self._handles.get(path)
        if handle is None:
            handle = open(path, "rb")  # noqa: SIM115 - kept open while the image is read; closed in close()
            self._handles[path] = handle
        return Section(handle, 0, info.st_size)

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


def open_tar(handle: BinaryIO, limits: Limits) -> TarStore:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    return TarStore(handle, size, limits)
