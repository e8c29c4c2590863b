"""Image archives of 10 MB, 100 MB (and 1 GB): time and peak memory of reading them.

Usage: python bench/image_archive.py [--sizes 10,100] [--with-1g] [--compression none,gzip] [--keep DIR]

Writes one OCI archive per size and compression (four layers of incompressible
random files, the entry script at the end of the top layer, one small file at the
end of the lowest layer), then in a fresh process for each measurement:

- open: `open_images` (manifest, index, config; no layer is read);
- entry script: open, then read /entrypoint.sh (indexes the top layer only);
- lowest layer: open, then read /lib/low.txt (indexes every layer on the way down).

Prints a Markdown table: wall time (median of --runs; after the import of
sigcheck.load.image, which is not part of the figure) and peak RSS of the whole
process, against the bytes of the archive. The archives are written to a temporary
directory (deleted afterwards unless --keep).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

MIB = 1024 * 1024
LAYERS = 4
FILE_BYTES = 8 * MIB
ENTRY = b"#!/bin/sh\nexec /app/server --port 8080\n"

PROBE = r"""
import resource, sys, time
from sigcheck.load.image import open_images
start = time.perf_counter()
with open_images(sys.argv[1]) as archive:
    files = archive.images[0].files
    if sys.argv[2] != "-":
        files.read_text(sys.argv[2])
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


class _Random(io.RawIOBase):
    """`size` bytes of random data, produced as tarfile reads them."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left, MIB)
        buffer[:n] = os.urandom(n)
        self.left -= n
        return n


def _layer(path: str, size: int, extra: list[tuple[str, bytes]], number: int, compression: str) -> None:
    raw = open(path + ".tar", "wb")  # noqa: SIM115 - closed below; gzip wraps it
    out: io.BufferedIOBase = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) \
        if compression == "gzip" else raw
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for index in range(max(1, size // FILE_BYTES)):
            info = tarfile.TarInfo(f"data/layer{number}/blob{index}")
            info.size = min(FILE_BYTES, size)
            tar.addfile(info, io.BufferedReader(_Random(info.size)))
        for name, data in extra:  # last: a reader has to pass everything else first
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    out.close()
    raw.close()
    os.replace(path + ".tar", path)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def generate(directory: str, total_mb: int, compression: str) -> str:
    """An OCI archive of about `total_mb` MB; returns its path."""
    blobs = os.path.join(directory, "blobs")
    os.makedirs(blobs, exist_ok=True)
    per_layer = total_mb * MIB // LAYERS
    layers = []
    for number in range(LAYERS):
        extra = [("lib/low.txt", b"from the lowest layer\n")] if number == 0 else []
        if number == LAYERS - 1:
            extra = [("entrypoint.sh", ENTRY)]
        path = os.path.join(blobs, f"layer{number}")
        _layer(path, per_layer, extra, number, compression)
        layers.append((path, _sha256(path), os.path.getsize(path)))
    media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if compression == "gzip" else "")
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
                         "config": {"Entrypoint": ["/entrypoint.sh"], "StopSignal": "SIGTERM"}}).encode()
    docs = {"config": config}
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + hashlib.sha256(config).hexdigest(), "size": len(config)},
        "layers": [{"mediaType": media, "digest": d, "size": s} for _, d, s in layers],
    }).encode()
    docs["manifest"] = manifest
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": "sha256:" + hashlib.sha256(manifest).hexdigest(), "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "bench:1"}}]}).encode()
    archive = os.path.join(directory, f"image-{total_mb}mb-{compression}.tar")
    with tarfile.open(archive, "w") as tar:
        for data in (config, manifest):
            info = tarfile.TarInfo("blobs/sha256/" + hashlib.sha256(data).hexdigest())
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for path, digest, _size in layers:
            tar.add(path, "blobs/sha256/" + digest[7:])
            os.remove(path)
        for name, data in (("index.json", index), ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def measure(archive: str, path: str, runs: int) -> tuple[float, float]:
    """Median seconds and the largest peak RSS (MB) of `runs` fresh processes."""
    times, peaks = [], []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", PROBE, archive, path], capture_output=True, text=True,
                              check=True)
        seconds, rss_kb = done.stdout.split()
        times.append(float(seconds))
        peaks.append(int(rss_kb) / 1024)
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100", help="archive sizes in MB (default 10,100)")
    parser.add_argument("--with-1g", action="store_true", help="add the 1 GB archive (~1 min to write)")
    parser.add_argument("--compression", default="none,gzip", help="none, gzip or both (default both)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="write the archives here and keep them")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([1024] if args.with_1g else [])
    print("| archive | layers | open | entry script (top layer) | file in the lowest layer |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or scratch
        os.makedirs(directory, exist_ok=True)
        for size in sizes:
            for compression in args.compression.split(","):
                start = time.perf_counter()
                archive = generate(directory, size, compression)
                written = time.perf_counter() - start
                cells = []
                for path in ("-", "/entrypoint.sh", "/lib/low.txt"):
                    seconds, peak = measure(archive, path, args.runs)
                    cells.append(f"{seconds:.3f} s, {peak:.1f} MB")
                mb = os.path.getsize(archive) / 1e6
                print(f"| {mb:,.0f} MB ({compression}) | {LAYERS} | " + " | ".join(cells) + " |", flush=True)
                print(f"<!-- written in {written:.1f} s -->", file=sys.stderr)
                if not args.keep:
                    os.remove(archive)


if __name__ == "__main__":
    main()
