"""Walking the members of a tar with tarfile, within bounds and without extracting.

Shared by the archive itself and by each layer. tarfile jumps over member data
(a forward seek), keeps every member it has seen (cleared here: a layer may have
300,000), silently stops at a damaged header after the first (checked here: the
bytes where it stopped must be the end-of-archive zeros or the end of the file),
and reads a pax or GNU long-name header whole whatever size it claims (bounded
here, before it reads).
"""

from __future__ import annotations

import posixpath
import re
import tarfile
from collections.abc import Iterator
from typing import Any

from sigcheck.load.image.streams import Bad, Reader

__all__ = ["clean_member_name", "iter_members"]

_LONG_HEADERS = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE,
                 tarfile.SOLARIS_XHDTYPE)


_LONG_DIGITS = re.compile(rb"[0-9]{64}")


def check_pax_records(buf: bytes) -> None:
    """Refuse a pax header that is not a sequence of `LEN KEY=VALUE\n` records, or that
    holds a long run of digits: CPython before 3.11.10/3.12.6 searches these headers with
    backtracking regexes that take quadratic time on digit runs (CVE-2024-6232; 64 KiB
    of digits takes ~10 s on 3.11.7). Linear: one pass, lengths of at most 20 digits."""
    if _LONG_DIGITS.search(buf):
        raise tarfile.HeaderError("a pax header with a run of 64 or more digits")
    pos = 0
    end = len(buf.rstrip(b"\x00"))
    while pos < end:
        space = buf.find(b" ", pos, pos + 21)
        if space <= pos or not buf[pos:space].isdigit():
            raise tarfile.HeaderError("invalid pax record length")
        length = int(buf[pos:space])
        record = buf[pos : pos + length]
        if length <= space - pos or len(record) != length or not record.endswith(b"\n") or b"=" not in record:
            raise tarfile.HeaderError("invalid pax record")
        pos += length


def _bounded_info(max_header: int) -> type[tarfile.TarInfo]:
    class BoundedInfo(tarfile.TarInfo):
        def _proc_member(self, tar: tarfile.TarFile) -> Any:
            if self.type in _LONG_HEADERS and self.size > max_header:
                raise tarfile.HeaderError(f"a {self.size}-byte extended header (limit {max_header})")
            if self.type in (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE):
                # Read it first (it is small now), check it, and let tarfile read it again:
                # both streams can go back over what they just returned.
                start = tar.fileobj.tell()
                check_pax_records(tar.fileobj.read(self._block(self.size)))  # type: ignore[attr-defined]
                tar.fileobj.seek(start)
            return super()._proc_member(tar)  # type: ignore[misc]

    return BoundedInfo


def iter_members(stream: Reader, what: str, max_members: int, max_header: int) -> Iterator[tarfile.TarInfo]:
    """The members of the tar in `stream`, in order. The stream stays where tarfile
    left it between two members, so the caller may read the current member's data
    (`stream.seek(info.offset_data)`) before asking for the next."""
    try:
        tar = tarfile.TarFile(fileobj=stream, mode="r", tarinfo=_bounded_info(max_header))  # type: ignore[arg-type]
    except tarfile.ReadError as exc:
        raise Bad(f"{what} is not a tar archive ({exc})") from None
    except tarfile.HeaderError as exc:  # raised by BoundedInfo, which tarfile passes on
        raise Bad(f"{what}: refused tar header ({exc})") from None
    count = 0
    while True:
        try:
            info = tar.next()
        except tarfile.ReadError as exc:
            raise Bad(f"{what}: damaged tar header ({exc})") from None
        except tarfile.HeaderError as exc:
            raise Bad(f"{what}: refused tar header ({exc})") from None
        # tarfile keeps every member it returns: hundreds of thousands in a big layer.
        tar.members.clear()  # type: ignore[attr-defined]
        if info is None:
            break
        count += 1
        if count > max_members:
            raise Bad(f"{what} has more than {max_members} members")
        yield info
    _check_end(stream, tar.offset, what)


def _check_end(stream: Reader, offset: int, what: str) -> None:
    stream.seek(offset)
    tail = stream.read(1024)
    # tarfile also stops quietly at a damaged header; a proper end is zeros (or the
    # end of the file: some writers leave out the end-of-archive blocks).
    if tail.strip(b"\x00"):
        raise Bad(f"{what}: damaged tar header at offset {offset}")


def clean_member_name(name: str, what: str) -> str:
    """A member's name as a path relative to the root ("" for the root itself).

    Docker cleans names and refuses those that climb out ("breakout"); sigcheck
    also refuses absolute names and any `..`: no real writer produces them."""
    if name.startswith("/") or "\x00" in name:
        raise Bad(f"{what}: member {name[:100]!r} has an absolute name")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise Bad(f"{what}: member {name[:100]!r} climbs out with '..'")
    return posixpath.join(*parts) if parts else ""
