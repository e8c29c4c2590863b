"""Turning every way a hostile archive can fail into one ImageError."""

from __future__ import annotations

import struct
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager

from sigcheck.load.image.errors import ImageError
from sigcheck.load.image.streams import Bad

__all__ = ["converted"]


# Codec errors become Bad inside Inflate, which knows its codec.
_LIBRARY_ERRORS = (tarfile.TarError, EOFError, struct.error, UnicodeError)


@contextmanager
def converted(archive: str) -> Iterator[None]:
    """Run a read; what goes wrong becomes `ImageError(archive, reason)`."""
    try:
        yield
    except ImageError:
        raise
    except Bad as exc:
        raise ImageError(archive, str(exc)) from None
    except OSError as exc:  # a read error of the file itself, or bz2's "invalid data"
        raise ImageError(archive, f"cannot read: {exc.strerror or exc}") from None
    except _LIBRARY_ERRORS as exc:
        raise ImageError(archive, f"corrupt archive ({type(exc).__name__}: {str(exc)[:100]})") from None
