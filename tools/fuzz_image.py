#!/usr/bin/env python3
"""Fuzz the image reader with mutated archives: `python tools/fuzz_image.py --examples 100000`.

Each input starts from an archive built by tests/image_builder.py (docker save
legacy and Engine 25, OCI tar, nested and multi-platform indexes, an OCI
directory; uncompressed, gzip and zstd layers; whiteouts, opaque directories,
symlinks and hard links) and is then mutated at one level:

- bytes: flipped, inserted, deleted or duplicated bytes anywhere, or a truncation;
- documents: a value of index.json, a manifest, manifest.json or the config
  replaced by another type, a huge or deep value, a hostile path or digest, with
  the digests recomputed so the reader gets past them (or not, at random);
- layers: members with hostile names, types, link targets and sizes, corrupted
  compressed streams with their digests fixed up.

Each is opened (as a file, a directory or standard input, sometimes with tight
Limits) and explored: the entry script, /bin/sh, os-release, every directory
listed recursively, lookups and realpaths of random names. Property: nothing
but ImageError (the archive is bad) and LoadError (a file cannot be read as
asked) escapes, and no input takes longer than --timeout seconds. Prints the
count, the time and each distinct failure with its seed; exits 1 when any failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import signal
import sys
import tarfile
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import image_builder as b

from sigcheck.load.files import LoadError
from sigcheck.load.image import ImageError, Limits, open_images

NAMES = ["entrypoint.sh", "bin/sh", "etc/os-release", "app", "app/x", "../x", "/abs", "a/../../b", ".wh.app",
         "app/.wh..wh..opq", ".wh..wh.plnk", "x" * 300, "é/ü", "bin", "./bin/./sh", "", ".", "lib/low.txt"]
TARGETS = ["/bin/busybox", "busybox", "../../../../etc", "/", ".", "..", "loop", "/loop", "bin/sh", "x" * 200,
           "", "/".join(["app"] * 1300), "a/" * 2100, "../" * 50 + "bin/sh"]
HOSTILE: list[Any] = [
    None, 0, -1, 2**70, 1.5, True, "", "x" * 5000, [], {}, [[[[[]]]]], "../../../etc/passwd",
    "sha256:" + "0" * 64, "sha256:zz", "blobs/sha256/../../x", {"a": None}, ["/bin/sh", "-c", "x"],
    "/dev/zero", "manifest.json",
]


def _base_spec(rng: random.Random) -> b.Spec:
    low = [b.directory("bin"), b.file("bin/busybox", b"\x7fELF", 0o755), b.hardlink("bin/sh", "bin/busybox"),
           b.file("etc/os-release", 'ID=alpine\nNAME="A"\n'), b.file("lib/low.txt", "low"),
           b.file("app/a", "a"), b.symlink("app/up", "../../../.."), b.symlink("loop", "/loop")]
    top = [b.file("entrypoint.sh", "#!/bin/sh\nexec app\n", 0o755), b.whiteout("app/a"), b.opaque("app"),
           b.file("app/b", "b")]
    config = {"Entrypoint": ["/entrypoint.sh"], "Cmd": ["x"], "StopSignal": "SIGTERM", "Env": ["A=1"]}
    compression = rng.choice([None, "gzip", "zstd"])
    return b.Spec(config, [b.tar_bytes(low), b.tar_bytes(top)], compression=compression,
                  platform=rng.choice([("linux", "amd64"), ("linux", "arm64")]))


def _hostile_member(rng: random.Random) -> b.Member:
    name = rng.choice(NAMES)
    kind = rng.randrange(6)
    if kind == 0:
        return b.symlink(name, rng.choice(TARGETS))
    if kind == 1:
        return b.hardlink(name, rng.choice(NAMES))
    if kind == 2:
        return b.device(name, rng.choice([tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE]))
    if kind == 3:
        return b.directory(name)
    return b.file(name, os.urandom(rng.randrange(0, 64)), rng.randrange(0o10000))


def _mutate_value(rng: random.Random, doc: Any, depth: int = 0) -> Any:
    """Replace one value somewhere in a JSON document."""
    if isinstance(doc, dict) and doc and (depth < 4 and rng.random() < 0.7):
        key = rng.choice(list(doc))
        doc[key] = _mutate_value(rng, doc[key], depth + 1)
        return doc
    if isinstance(doc, list) and doc and (depth < 4 and rng.random() < 0.7):
        index = rng.randrange(len(doc))
        doc[index] = _mutate_value(rng, doc[index], depth + 1)
        return doc
    choice = rng.randrange(4)
    if choice == 0:
        return json.loads(json.dumps(rng.choice(HOSTILE)))
    if choice == 1:
        depth = rng.randrange(1, 120)
        return json.loads("[" * depth + "]" * depth)
    if choice == 2 and isinstance(doc, dict):
        doc.pop(rng.choice(list(doc)) if doc else "", None)
        return doc
    return rng.choice(HOSTILE)


def _rehash(members: dict[str, bytes], old: bytes, new: bytes) -> None:
    """Put `new` where `old` was and fix every reference to it, up to index.json."""
    old_digest, new_digest = b.sha(old)[7:], b.sha(new)[7:]
    for name in list(members):
        if name.endswith(old_digest):
            del members[name]
            members[name.replace(old_digest, new_digest)] = new
    for name, data in list(members.items()):
        if old_digest.encode() in data and data is not new:
            updated = data.replace(old_digest.encode(), new_digest.encode())
            updated = updated.replace(f'"size": {len(old)}'.encode(), f'"size": {len(new)}'.encode())
            if name.startswith("blobs/"):
                _rehash(members, data, updated)
            else:
                members[name] = updated


def make_input(seed: int) -> tuple[str, dict[str, bytes] | bytes, Limits | None, str | None]:
    """(how to open it, the members or the bytes, limits, platform)."""
    rng = random.Random(seed)
    specs = [_base_spec(rng) for _ in range(rng.choice([1, 1, 1, 2]))]
    level = rng.choice(["bytes", "document", "layer", "layer", "document"])
    if level == "layer":
        spec = rng.choice(specs)
        number = rng.randrange(len(spec.layers))
        hostile = [_hostile_member(rng) for _ in range(rng.randrange(1, 8))]
        spec.layers[number] = b.tar_bytes(hostile + ([] if rng.random() < 0.5 else [b.file("x", "y")]),
                                          fmt=rng.choice([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT]))
    layout = rng.choice(["docker", "docker25", "oci", "nested", "multi", "dir"])
    if layout == "docker":
        members = b.docker_members(specs)
    elif layout == "docker25":
        members = b.docker25_members(specs)
    elif layout == "multi":
        for number, spec in enumerate(specs):
            spec.platform = ("linux", ["amd64", "arm64", "s390x"][number % 3])
        members = b.multi_platform_members(specs)
    else:
        members = b.oci_members(specs, nested=layout == "nested")
    if level == "document":
        names = [n for n in members
                 if n.endswith(".json") or (n.startswith("blobs/") and members[n][:1] == b"{")]
        name = rng.choice(names)
        try:
            doc = json.loads(members[name])
            new = json.dumps(_mutate_value(rng, doc)).encode()
        except ValueError:
            new = members[name]
        if rng.random() < 0.8 and name.startswith("blobs/"):
            _rehash(members, members[name], new)
        else:
            members[name] = new
    if level == "layer" and rng.random() < 0.3:
        # A corrupted compressed stream with a correct digest: the decoder must fail cleanly.
        layer_names = [n for n in members
                       if n.startswith("blobs/") and members[n][:2] in (b"\x1f\x8b", b"\x28\xb5")]
        if layer_names:
            name = rng.choice(layer_names)
            spoiled = bytearray(members[name])
            for _ in range(rng.randrange(1, 4)):
                spoiled[rng.randrange(len(spoiled))] = rng.randrange(256)
            _rehash(members, members[name], bytes(spoiled))
    limits = None
    if rng.random() < 0.1:
        limits = Limits(archive_members=rng.randrange(1, 30), layer_entries=rng.randrange(1, 30),
                        json_bytes=rng.randrange(10, 3000), json_depth=rng.randrange(1, 10),
                        layer_bytes=rng.randrange(100, 50000), layer_ratio=rng.randrange(1, 5),
                        header_bytes=rng.randrange(1, 600), index_depth=rng.randrange(0, 3),
                        symlink_hops=rng.randrange(0, 5), cache_file_bytes=rng.randrange(0, 10),
                        cache_layer_bytes=rng.randrange(0, 20))
    platform = rng.choice([None] * 12 + ["linux/arm64", "linux/s390x", "windows/amd64", "bad"])
    if layout == "dir" and level != "bytes":
        return "dir", members, limits, platform
    data = b.archive_bytes(members)
    if level == "bytes" or rng.random() < 0.05:
        data = _mutate_bytes(rng, bytearray(data))
    how = rng.choice(["file", "file", "file", "stdin", "gzip"])
    if how == "gzip":
        data = b.compress(data, "gzip")
    return how, data, limits, platform


def _mutate_bytes(rng: random.Random, data: bytearray) -> bytes:
    for _ in range(rng.randrange(1, 6)):
        op = rng.randrange(5)
        at = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif op == 1:
            data[at:at] = os.urandom(rng.randrange(1, 600))
        elif op == 2:
            del data[at : at + rng.randrange(1, 2000)]
        elif op == 3:
            del data[at:]
        else:
            chunk = data[at : at + rng.randrange(1, 1500)]
            where = rng.randrange(len(data) + 1)
            data[where:where] = chunk
    return bytes(data)


def run(seed: int, scratch: str) -> str:
    """One input: made from `seed`, opened and explored."""
    return explore(*make_input(seed), scratch, seed)


def explore(how: str, payload: dict[str, bytes] | bytes, limits: Limits | None, platform: str | None,
            scratch: str, seed: int) -> str:
    """Open and read everything reachable; returns the outcome ("read N files" or the error's gist)."""
    rng = random.Random(seed ^ 0x5EED)
    kwargs: dict[str, Any] = {"platform": platform}
    if limits is not None:
        kwargs["limits"] = limits
    if how == "dir":
        path = os.path.join(scratch, "layout")
        shutil.rmtree(path, ignore_errors=True)
        assert isinstance(payload, dict)
        b.write_dir(path, payload)
    elif how == "stdin":
        path = "-"
        kwargs["stdin"] = io.BytesIO(payload if isinstance(payload, bytes) else b"")
    else:
        path = os.path.join(scratch, "input.tar")
        with open(path, "wb") as handle:
            handle.write(payload if isinstance(payload, bytes) else b"")
    seen = 0
    try:
        with open_images(path, **kwargs) as archive:
            for image in archive.images:
                files = image.files
                for name in ("/entrypoint.sh", "/bin/sh", "/lib/low.txt", "/app/up/etc/os-release",
                             rng.choice(NAMES), "/" + rng.choice(TARGETS)):
                    for call in (files.lookup, files.exists, files.realpath, files.read_text):
                        with contextlib.suppress(LoadError):
                            call(name)
                files.os_release()
                files.shell_binary()
                files.shell_name()
                files.glob(rng.choice(["/*", "/bin/s*", "/app/*", "/" + rng.choice(NAMES) + "*"]))
                image.span("Cmd")
                todo = ["/"]
                while todo and seen < 200:
                    directory = todo.pop()
                    for entry in files.listdir(directory):
                        seen += 1
                        child = directory.rstrip("/") + "/" + entry
                        if files.is_dir(child):
                            todo.append(child)
                        else:
                            with contextlib.suppress(LoadError):
                                files.read_bytes(child, 4096)
    except ImageError as exc:
        message = str(exc)
        if "\n" in message or not message.startswith(f"{path}: "):
            raise AssertionError(f"badly formed ImageError: {message!r}") from None
        return "ImageError: " + " ".join(w for w in exc.reason.split()[:4] if not any(c.isdigit() for c in w))
    return "read files" if seen else "opened, nothing listed"


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    failures: dict[str, tuple[int, str]] = {}
    counts: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    start = time.perf_counter()
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None  # in memory: 100,000 archives written
    scratch = tempfile.mkdtemp(prefix="sigcheck-fuzz-image-", dir=shm)
    slowest = (0.0, -1)
    try:
        for seed in range(args.seed, args.seed + args.examples):
            began = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            try:
                outcome = run(seed, scratch)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            except Hang:
                key = "hang"
                failures.setdefault(key, (seed, f"took more than {args.timeout} s"))
                counts[key] = counts.get(key, 0) + 1
            except Exception as exc:  # the property: nothing else escapes
                frame = traceback.extract_tb(exc.__traceback__)[-1]
                key = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
                failures.setdefault(key, (seed, f"{type(exc).__name__}: {str(exc)[:200]}"))
                counts[key] = counts.get(key, 0) + 1
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            took = time.perf_counter() - began
            slowest = max(slowest, (took, seed))
            done = seed - args.seed + 1
            if done % 10_000 == 0:  # a long run says how far it is
                print(f"{done} inputs, {time.perf_counter() - start:.0f} s, {sum(counts.values())} failed",
                      file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    elapsed = time.perf_counter() - start
    print(f"{args.examples} inputs in {elapsed:.1f} s ({args.examples / elapsed:.0f}/s); "
          f"slowest {slowest[0]:.3f} s (seed {slowest[1]}); {sum(counts.values())} failed")
    print("outcomes (the 12 most frequent):")
    for outcome, count in sorted(outcomes.items(), key=lambda item: -item[1])[:12]:
        print(f"  {count:7d}  {outcome}")
    for key, (seed, message) in failures.items():
        print(f"- {key}: {counts[key]} inputs, first seed {seed}: {message}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
