"""Reading input files without hanging, crashing or guessing an encoding."""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

__all__ = ["DEFAULT_MAX_BYTES", "LoadError", "decode", "read_stdin", "read_text", "source_lines"]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class LoadError(Exception):
    """A file that cannot be linted; the message is one line and names no path."""


def decode(data: bytes) -> str:
    if b"\x00" in data:
        raise LoadError("binary file (contains NUL bytes), not a Dockerfile")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "BuildKit reads Dockerfiles as UTF-8"
        ) from None


def read_text(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise LoadError(_os_reason(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise LoadError("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or device would block or never end.
        raise LoadError("not a regular file")
    if info.st_size > max_bytes:
        raise LoadError(f"file is {info.st_size} bytes, above the {max_bytes}-byte limit")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError(_os_reason(exc)) from None
    if len(data) > max_bytes:
        raise LoadError(f"file is larger than the {max_bytes}-byte limit")
    return decode(data)


def read_stdin(stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise LoadError(f"input is larger than the {max_bytes}-byte limit")
    return decode(data)


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return exc.strerror or str(exc)


def source_lines(text: str) -> list[str]:
    """Lines as the shell and BuildKit count them: split at \n only (str.splitlines() also
    splits at a lone CR, form feed or U+2028, which are characters inside a line there)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]
