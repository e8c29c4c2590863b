"""The one error of the image reader, and the bounds that keep hostile archives small.

An archive is untrusted input: every way it can be wrong (not a tar, truncated,
a blob that does not match its digest, a bomb) ends as one `ImageError` whose
message is one line and names the archive as the user gave it.
"""

# No `from __future__ import annotations`: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import (bench/RESULTS.md).

from typing import NamedTuple

__all__ = ["DEFAULT_LIMITS", "ImageError", "Limits"]


class ImageError(Exception):
    """An archive or layout that cannot be read: `str()` is `"<archive>: <reason>"`."""

    def __init__(self, archive: str, reason: str) -> None:
        # One line whatever the archive holds: names inside it are attacker-chosen.
        reason = " ".join(reason.split())
        super().__init__(f"{archive}: {reason}")
        self.archive = archive
        self.reason = reason


class Limits(NamedTuple):
    """Bounds on what one archive may make sigcheck read, hold or decompress."""

    # Members of the archive itself (docker save has a few per layer; OCI one per blob).
    archive_members: int = 100_000
    # Entries indexed over all the layers of one image: 340 bytes each (measured with
    # tracemalloc on node_modules-like paths), so at most ~85 MB of index.
    layer_entries: int = 250_000
    # A manifest, index or config: real ones are kilobytes (a long history ~100 KB).
    json_bytes: int = 8 * 1024 * 1024
    json_depth: int = 64
    # Decompressed bytes of one layer: absolute, and relative to its compressed size
    # (a real layer compresses 2-10x; zeros compress ~1000x: a bomb).
    layer_bytes: int = 16 * 1024 * 1024 * 1024
    layer_ratio: int = 200
    # A pax or GNU long-name header (tarfile reads it whole; CPython's pax parsing is
    # super-linear in some versions, CVE-2024-6232): real ones are a few hundred bytes.
    header_bytes: int = 64 * 1024
    # Index -> index -> manifest nesting.
    index_depth: int = 4
    # Symlinks followed while resolving one path (Linux's MAXSYMLINKS is 40).
    symlink_hops: int = 40
    # Small files kept while a compressed layer is scanned, so reading one later
    # does not decompress the layer again (entry scripts, /etc/os-release).
    cache_file_bytes: int = 64 * 1024
    cache_layer_bytes: int = 4 * 1024 * 1024


DEFAULT_LIMITS = Limits()
