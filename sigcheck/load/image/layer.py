"""One layer of an image: an index of its members, built on first use, and reads.

A layer is indexed whole the first time a lookup reaches it (top layer first,
so lower layers are never opened when the path is found above). The index holds
no file data, except small files of a compressed layer (kept within a budget
while the stream passes by, so reading an entry script later does not decompress
the layer a second time). A compressed layer read whole is checked against its
digest; an uncompressed one is walked in place, jumping over file data.
"""

# No `from __future__ import annotations`: this module defines NamedTuples.

import posixpath
import stat
import tarfile
from collections.abc import Callable
from typing import NamedTuple

from sigcheck.load.image.errors import Limits
from sigcheck.load.image.layout import BlobRef, short
from sigcheck.load.image.streams import Bad, Inflate, Reader, Section, compression_of
from sigcheck.load.image.tarscan import clean_member_name, iter_members

__all__ = ["Budget", "FileEntry", "Layer"]

OPAQUE = ".wh..wh..opq"
# What a cached file costs beyond its bytes (the bytes object and its dict slot): a
# layer of 200,000 ten-byte files must not keep them all.
CACHE_OVERHEAD = 150
WHITEOUT = ".wh."


class FileEntry(NamedTuple):
    """A file of the merged image, as its layer stores it."""

    path: str  # absolute and normalised: "/bin/sh"
    kind: str  # "file", "dir", "symlink", "char", "block" or "fifo" (a hard link is a "file")
    mode: int  # like st_mode: type bits | permission bits
    size: int
    uid: int
    gid: int
    link: str | None  # a symlink's target as written; a hard link's target path
    layer: int  # 0 is the lowest layer
    hardlink: bool = False
    sparse: bool = False
    implicit: bool = False  # a parent directory the layer has no member for
    data_offset: int = -1  # where the data starts in the layer's tar stream


_TYPE_BITS = {"file": stat.S_IFREG, "dir": stat.S_IFDIR, "symlink": stat.S_IFLNK, "char": stat.S_IFCHR,
              "block": stat.S_IFBLK, "fifo": stat.S_IFIFO}


def _kind(info: tarfile.TarInfo) -> str | None:
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.ischr():
        return "char"
    if info.isblk():
        return "block"
    if info.isfifo():
        return "fifo"
    return None


class Budget:
    """Entries indexed over all the layers of one image (a shared bound)."""

    __slots__ = ("left",)

    def __init__(self, entries: int) -> None:
        self.left = entries


class Layer:
    def __init__(self, number: int, ref: BlobRef, opener: Callable[[], Section | None],
                 limits: Limits, budget: Budget) -> None:
        self.number = number
        self.ref = ref
        self._open = opener
        self._limits = limits
        self._budget = budget
        self.what = f"layer {number + 1} ({short(ref.digest or ref.name)})"
        self.entries: dict[str, FileEntry] = {}
        self.whiteouts: set[str] = set()
        self.opaque: set[str] = set()
        self._cache: dict[str, bytes] = {}
        self._indexed = False
        self._children: dict[str, list[str]] | None = None
        self._hides: dict[str, bool] = {}

    # -- reading the layer ----------------------------------------------------

    def _section(self) -> Section:
        section = self._open()
        if section is None:
            raise Bad(f"{self.what} is missing from the archive")
        if self.ref.size is not None and section.size != self.ref.size:
            raise Bad(f"{self.what} is {section.size} bytes, its descriptor says {self.ref.size}")
        return section

    def _stream(self, section: Section) -> tuple[Reader, Inflate | None]:
        head = section.read(6)
        section.seek(0)
        kind = compression_of(head)
        if kind == "tar":
            return section, None
        inflate = Inflate(section, kind, self._limits.layer_bytes, self.what, self._limits.layer_ratio)
        return inflate, inflate

    def index(self) -> "Layer":
        if self._indexed:
            return self
        section = self._section()
        if section.size == 0:  # an empty layer (some writers store none at all)
            self._indexed = True
            return self
        stream, inflate = self._stream(section)
        cache_left = self._limits.cache_layer_bytes if inflate is not None else 0
        for info in iter_members(stream, self.what, self._limits.layer_entries, self._limits.header_bytes):
            entry = self._add(info)
            if entry is None:
                continue
            if inflate is None:
                if entry.data_offset + entry.size > section.size:
                    raise Bad(f"{self.what} is truncated ({entry.path[:100]!r} ends past its end)")
            elif entry.kind == "file" and not entry.hardlink and entry.size <= min(
                cache_left, self._limits.cache_file_bytes
            ):
                stream.seek(entry.data_offset)
                data = stream.read(entry.size)
                if len(data) != entry.size:
                    raise Bad(f"{self.what} is truncated")
                self._cache[entry.path] = data
                cache_left -= entry.size + CACHE_OVERHEAD
        if inflate is not None:
            inflate.drain()
            digest = self.ref.digest
            if digest and digest.startswith("sha256:") and "sha256:" + inflate.hash.hexdigest() != digest:
                raise Bad(f"blob {short(digest)} does not match its digest")
        self._indexed = True
        return self

    def _add(self, info: tarfile.TarInfo) -> FileEntry | None:
        rel = clean_member_name(info.name, self.what)
        if not rel:
            return None  # the root directory itself
        path = "/" + rel
        parent, base = posixpath.split(path)
        if base.startswith(WHITEOUT):
            self._implicit_parents(path)
            if base == OPAQUE:
                self.opaque.add(parent)
            elif not base.startswith(WHITEOUT + WHITEOUT):  # .wh..wh.plnk etc.: aufs bookkeeping
                self.whiteouts.add(posixpath.join(parent, base[len(WHITEOUT):]))
            return None
        kind = _kind(info)
        if kind is None:
            return None
        self._spend()
        link: str | None = None
        size, offset, hardlink = info.size, info.offset_data, False
        if kind == "symlink":
            link = info.linkname
            size = 0
        elif kind == "hardlink":
            link = "/" + clean_member_name(info.linkname, self.what)
            kind, hardlink = "file", True
            target = self.entries.get(link)
            size, offset = (target.size, target.data_offset) if target and not target.hardlink else (0, -1)
            if target is not None and target.hardlink:  # a link to a link: the same inode
                link, size, offset = target.link, target.size, target.data_offset
        elif kind != "file":
            size = 0
        entry = FileEntry(path, kind, _TYPE_BITS[kind] | (info.mode & 0o7777), size, info.uid, info.gid,
                          link, self.number, hardlink, info.issparse(), False, offset)
        self._implicit_parents(path)
        self.entries[path] = entry
        self._cache.pop(path, None)  # a later member of the same name replaces the earlier
        return entry

    def _spend(self) -> None:
        self._budget.left -= 1
        if self._budget.left < 0:
            raise Bad(f"the image has more than {self._limits.layer_entries} files")

    def _implicit_parents(self, path: str) -> None:
        parent = posixpath.dirname(path)
        while parent != "/" and parent not in self.entries:
            # Counted too: one member 2,000 directories deep makes 2,000 of them.
            self._spend()
            self.entries[parent] = FileEntry(parent, "dir", stat.S_IFDIR | 0o755, 0, 0, 0, None,
                                             self.number, implicit=True)
            parent = posixpath.dirname(parent)

    def children(self, directory: str) -> list[str]:
        """Names of the entries directly below `directory` in this layer (built once)."""
        if self._children is None:
            children: dict[str, list[str]] = {}
            for path in self.entries:
                parent, base = posixpath.split(path)
                children.setdefault(parent, []).append(base)
            self._children = children
        return self._children.get(directory, [])

    def hides_under(self, directory: str) -> bool:
        """Whether this layer hides what lower layers have below `directory`: it or a
        parent is whited out, opaque, or not a directory here. Memoised per directory,
        so resolving a path 2,000 directories deep costs 2,000 steps, not 2,000²."""
        chain = []
        while directory not in self._hides:
            chain.append(directory)
            if directory == "/":
                break
            directory = posixpath.dirname(directory)
        hidden = self._hides.get(directory, False)
        for path in reversed(chain):
            entry = self.entries.get(path)
            hidden = hidden or path in self.whiteouts or path in self.opaque or (
                entry is not None and entry.kind != "dir")
            self._hides[path] = hidden
        return hidden

    def whiteouts_in(self, directory: str) -> list[str]:
        return [posixpath.basename(w) for w in self.whiteouts if posixpath.dirname(w) == directory]

    def read(self, entry: FileEntry) -> bytes:
        """The data of a regular file of this layer (whole: the caller checked its size)."""
        cached = self._cache.get(entry.path if not entry.hardlink else (entry.link or ""))
        if cached is not None:
            return cached
        section = self._section()
        stream, _inflate = self._stream(section)
        stream.seek(entry.data_offset)
        data = stream.read(entry.size)
        if len(data) != entry.size:
            raise Bad(f"{self.what} is truncated")
        return data
