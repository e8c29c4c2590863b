"""Byte streams over an archive: windows onto members, and layers decompressed as read.

Nothing is extracted and nothing is decompressed ahead of need: a `Section` is a
seekable window onto a member of the archive file (an uncompressed layer is read
in place, jumping over file data), an `Inflate` decompresses a gzip, zstd, bzip2
or xz layer forward only, counting what it produces against a bound (a bomb stops
at the bound, not at the end of the disk) and hashing the compressed bytes it
consumed so the blob's digest can be checked once it has been read whole.
"""

from __future__ import annotations

import hashlib
from typing import Any, BinaryIO, Protocol

__all__ = ["CHUNK", "Bad", "Inflate", "Reader", "Section", "compression_of"]

CHUNK = 256 * 1024
RATIO_FLOOR = 64 * 1024 * 1024

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"


class Bad(Exception):
    """Something wrong with the archive; the caller adds the archive's name (ImageError)."""


class Reader(Protocol):
    def read(self, n: int = -1) -> bytes: ...
    def tell(self) -> int: ...
    def seek(self, pos: int, whence: int = 0) -> int: ...


def compression_of(head: bytes) -> str:
    """The compression of a layer from its first bytes: media types lie (Docker labels
    uncompressed layers `.tar.gzip` in some paths), magic numbers do not."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    # A zstd frame, or a skippable frame (0x184D2A50-5F, little-endian) before one.
    if head.startswith(ZSTD_MAGIC) or (len(head) >= 4 and head[1:4] == b"\x2a\x4d\x18" and head[0] >= 0x50):
        return "zstd"
    if head.startswith(BZIP2_MAGIC):
        return "bzip2"
    if head.startswith(XZ_MAGIC):
        return "xz"
    return "tar"


class Section:
    """A seekable window [start, start + size) of a shared file handle."""

    __slots__ = ("_base", "_pos", "size", "start")

    def __init__(self, base: BinaryIO, start: int, size: int) -> None:
        self._base = base
        self.start = start
        self.size = size
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self._pos
        if n < 0 or n > left:
            n = left
        if n <= 0:
            return b""
        # The handle is shared by every section: always position it first.
        self._base.seek(self.start + self._pos)
        data = self._base.read(n)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 1:
            pos += self._pos
        elif whence == 2:
            pos += self.size
        self._pos = max(0, pos)
        return self._pos


def _decoder(kind: str) -> tuple[Any, type[Exception]]:
    # Imported here: most images have only gzip layers, and the zstd module costs ~7 ms.
    if kind == "zstd":
        try:
            from compression.zstd import (  # type: ignore[import-not-found,unused-ignore]
                ZstdDecompressor,
                ZstdError,
            )
        except ImportError:
            from backports.zstd import ZstdDecompressor, ZstdError
        return ZstdDecompressor(), ZstdError
    if kind == "bzip2":
        import bz2

        return bz2.BZ2Decompressor(), OSError
    if kind == "xz":
        import lzma

        return lzma.LZMADecompressor(), lzma.LZMAError
    raise ValueError(kind)


class Inflate:
    """A compressed stream read forward only, at most `limit` bytes of output.

    `tell` and a forward `seek` are enough for tarfile to walk the members; a
    backward seek goes only into what is still buffered (reading a file again
    starts a new Inflate).
    """

    def __init__(self, raw: Reader, kind: str, limit: int, what: str, ratio: int = 0) -> None:
        self._raw = raw
        self._kind = kind
        self._limit = limit
        # Past RATIO_FLOOR bytes, output above `ratio` times the input read so far is a
        # bomb: checked as it grows, so a bomb on a pipe stops early too.
        self._ratio = ratio
        self._what = what
        self.hash = hashlib.sha256()
        self.raw_bytes = 0
        self._pos = 0
        self._buf = b""
        self._off = 0  # read position in _buf: slicing the front off each read is quadratic
        self._pending = b""  # compressed input not yet given to the decoder (gzip only)
        self._done = False
        self._dec: Any = None
        self._error: type[Exception] = Exception
        self._new_decoder()

    def _new_decoder(self) -> None:
        if self._kind == "gzip":
            import zlib

            self._dec, self._error = zlib.decompressobj(31), zlib.error
        else:
            self._dec, self._error = _decoder(self._kind)

    def _decode(self, data: bytes, room: int) -> bytes:
        try:
            out: bytes = self._dec.decompress(data, room)
        except (self._error, EOFError, ValueError) as exc:
            raise Bad(f"{self._what}: corrupt {self._kind} data ({str(exc)[:80]})") from None
        return out

    def _raw_read(self) -> bytes:
        chunk = self._raw.read(CHUNK)
        self.hash.update(chunk)
        self.raw_bytes += len(chunk)
        return chunk

    def _fill(self, want: int) -> None:
        """Decode until `want` bytes are buffered or the stream ends."""
        if len(self._buf) - self._off >= want:
            return
        self._buf = self._buf[self._off :]
        self._off = 0
        while len(self._buf) < want and not self._done:
            room = max(want - len(self._buf), CHUNK)
            if self._kind == "gzip":
                if not self._pending:
                    self._pending = self._raw_read()
                    if not self._pending and not self._dec.eof:
                        raise Bad(f"{self._what}: compressed data ends early (truncated)")
                out = self._decode(self._pending, room)
                self._pending = self._dec.unconsumed_tail
            else:
                if self._dec.needs_input:
                    chunk = self._raw_read()
                    if not chunk and not self._dec.eof:
                        raise Bad(f"{self._what}: compressed data ends early (truncated)")
                else:
                    chunk = b""
                out = self._decode(chunk, room)
            self._produced(out)
            if self._dec.eof:
                self._next_member()

    def _produced(self, out: bytes) -> None:
        total = self._pos + len(self._buf) - self._off + len(out)
        if total > self._limit:
            raise Bad(
                f"{self._what} decompresses to more than {self._limit} bytes (a compression bomb?)"
            )
        if self._ratio and total > RATIO_FLOOR and total > self._ratio * self.raw_bytes:
            raise Bad(
                f"{self._what} decompresses to more than {self._ratio} times its size (a compression bomb?)"
            )
        self._buf += out

    def _next_member(self) -> None:
        # gzip and zstd streams may be several members (frames) back to back; zeros
        # after the last one are padding that Go's and Python's readers accept. A loop,
        # not recursion: a blob of a million empty frames must not overflow the stack.
        while True:
            rest = (self._dec.unused_data + (self._pending if self._kind == "gzip" else b"")).lstrip(b"\x00")
            self._pending = b""
            while not rest:
                rest = self._raw_read()
                if not rest:
                    self._done = True
                    return
                rest = rest.lstrip(b"\x00")
            self._new_decoder()
            if self._kind == "gzip":
                self._pending = rest
                return
            self._produced(self._decode(rest, CHUNK))
            if not self._dec.eof:
                return

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            raise Bad(f"{self._what}: internal: unbounded read")
        self._fill(n)
        data = self._buf[self._off : self._off + n]
        self._off += len(data)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 1:
            pos += self._pos
        if whence != 2 and self._pos - self._off <= pos < self._pos:
            # Back into what is still buffered: the block tarfile just read (the end of
            # the archive, checked again by tarscan).
            self._off -= self._pos - pos
            self._pos = pos
            return pos
        if whence == 2 or pos < self._pos:
            raise Bad(f"{self._what}: internal: backward seek in a compressed layer")
        while self._pos < pos:
            if not self.read(min(pos - self._pos, CHUNK)):
                break
        return self._pos

    def drain(self) -> None:
        """Read to the end, so that `hash` covers the whole blob."""
        while self.read(CHUNK):
            pass
        while self._raw_read():
            pass
