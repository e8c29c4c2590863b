"""Build image archives and layouts with the standard library, for the image tests.

`layer(...)` makes a layer tar from member specs; `docker_archive`, `docker25_archive`,
`oci_archive` and `oci_dir` write images in each layout sigcheck reads. Digests are
real unless a test spoils them on purpose.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass, field
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {
    None: "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}

Member = tuple[tarfile.TarInfo, bytes]


def file(path: str, data: bytes | str, mode: int = 0o644) -> Member:
    raw = data.encode() if isinstance(data, str) else data
    info = tarfile.TarInfo(path)
    info.size, info.mode = len(raw), mode
    return info, raw


def directory(path: str, mode: int = 0o755) -> Member:
    info = tarfile.TarInfo(path)
    info.type, info.mode = tarfile.DIRTYPE, mode
    return info, b""


def symlink(path: str, target: str) -> Member:
    info = tarfile.TarInfo(path)
    info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
    return info, b""


def hardlink(path: str, target: str) -> Member:
    info = tarfile.TarInfo(path)
    info.type, info.linkname, info.mode = tarfile.LNKTYPE, target, 0o755
    return info, b""


def device(path: str, kind: bytes = tarfile.CHRTYPE) -> Member:
    info = tarfile.TarInfo(path)
    info.type, info.devmajor, info.devminor = kind, 1, 3
    return info, b""


def whiteout(path: str) -> Member:
    parent, name = os.path.split(path)
    return file(os.path.join(parent, ".wh." + name), b"")


def opaque(path: str) -> Member:
    return file(os.path.join(path, ".wh..wh..opq"), b"")


def tar_bytes(members: list[Member], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


def layer(*members: Member) -> bytes:
    return tar_bytes(list(members))


def compress(data: bytes, kind: str | None) -> bytes:
    if kind == "gzip":
        return gzip.compress(data, mtime=0)
    if kind == "zstd":
        try:
            from compression.zstd import compress as zcompress  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            from backports.zstd import compress as zcompress
        return zcompress(data)  # type: ignore[no-any-return,unused-ignore]
    return data


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Spec:
    """One image: its config (`config` object), its layers (uncompressed tars) and names."""

    config: dict[str, Any]
    layers: list[bytes]
    tags: list[str] = field(default_factory=lambda: ["app:1"])
    compression: str | None = None  # of every layer, in the OCI layouts
    platform: tuple[str, str] = ("linux", "amd64")
    history: list[dict[str, Any]] = field(default_factory=list)

    def config_blob(self) -> bytes:
        doc = {
            "architecture": self.platform[1],
            "os": self.platform[0],
            "config": self.config,
            "rootfs": {"type": "layers", "diff_ids": [sha(layer) for layer in self.layers]},
            "history": self.history or [{"created_by": "test"}],
        }
        return json.dumps(doc).encode()


def archive_bytes(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    entries = [file(name, data) for name, data in members.items()]
    entries += [symlink(name, target) for name, target in (symlinks or {}).items()]
    return tar_bytes(entries)


def docker_members(specs: list[Spec]) -> dict[str, bytes]:
    """docker save before Engine 25: <config hex>.json, <id>/layer.tar, manifest.json."""
    members: dict[str, bytes] = {}
    manifest = []
    for spec in specs:
        config = spec.config_blob()
        config_name = sha(config)[7:] + ".json"
        members[config_name] = config
        names = []
        for number, data in enumerate(spec.layers):
            layer_id = hashlib.sha256(f"{config_name}{number}".encode()).hexdigest()
            members[f"{layer_id}/layer.tar"] = data
            members[f"{layer_id}/VERSION"] = b"1.0"
            names.append(f"{layer_id}/layer.tar")
        manifest.append({"Config": config_name, "RepoTags": spec.tags, "Layers": names})
    members["manifest.json"] = json.dumps(manifest).encode()
    return members


def docker_archive(specs: list[Spec]) -> bytes:
    return archive_bytes(docker_members(specs))


def oci_members(specs: list[Spec], nested: bool = False, annotate: bool = True) -> dict[str, bytes]:
    """An OCI layout; `nested` puts one index per image between index.json and its manifest."""
    blobs: dict[str, bytes] = {}

    def put(data: bytes) -> str:
        digest = sha(data)
        blobs[f"blobs/sha256/{digest[7:]}"] = data
        return digest

    entries = []
    for spec in specs:
        config = spec.config_blob()
        layers = [compress(data, spec.compression) for data in spec.layers]
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": put(config), "size": len(config)},
            "layers": [
                {"mediaType": LAYER_TYPES[spec.compression], "digest": put(data), "size": len(data)}
                for data in layers
            ],
        }
        data = json.dumps(manifest).encode()
        desc: dict[str, Any] = {"mediaType": OCI_MANIFEST, "digest": put(data), "size": len(data),
                                "platform": {"os": spec.platform[0], "architecture": spec.platform[1]}}
        if nested:
            index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [desc]}).encode()
            desc = {"mediaType": OCI_INDEX, "digest": put(index), "size": len(index)}
        if annotate and spec.tags:
            desc["annotations"] = {"org.opencontainers.image.ref.name": spec.tags[0]}
        entries.append(desc)
    blobs["index.json"] = json.dumps({"schemaVersion": 2, "manifests": entries}).encode()
    blobs["oci-layout"] = b'{"imageLayoutVersion": "1.0.0"}'
    return blobs


def multi_platform_members(specs: list[Spec], name: str = "app:multi") -> dict[str, bytes]:
    """One image for several platforms: index.json -> index -> one manifest per platform."""
    members = oci_members(specs, annotate=False)
    top = json.loads(members["index.json"])
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": top["manifests"]}).encode()
    digest = sha(index)
    members[f"blobs/sha256/{digest[7:]}"] = index
    members["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": OCI_INDEX, "digest": digest, "size": len(index),
        "annotations": {"io.containerd.image.name": name}}]}).encode()
    return members


def docker25_members(specs: list[Spec]) -> dict[str, bytes]:
    """docker save from Engine 25: an OCI layout plus manifest.json pointing into blobs/."""
    members = oci_members(specs)
    manifest = []
    for spec in specs:
        config = spec.config_blob()
        manifest.append({
            "Config": f"blobs/sha256/{sha(config)[7:]}",
            "RepoTags": spec.tags,
            "Layers": [f"blobs/sha256/{sha(compress(d, spec.compression))[7:]}" for d in spec.layers],
        })
    members["manifest.json"] = json.dumps(manifest).encode()
    return members


def oci_archive(specs: list[Spec], nested: bool = False) -> bytes:
    return archive_bytes(oci_members(specs, nested))


def write_dir(root: str, members: dict[str, bytes]) -> str:
    for name, data in members.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    return root


# The smallest Debian-like root the lint needs: /bin/sh is dash, os-release says
# debian, node is on PATH (/usr/bin:/bin) and no init is installed.
DEBIAN_NODE_ROOT: tuple[Member, ...] = (
    directory("bin"),
    file("bin/dash", b"\x7fELF\x00dash", 0o755),
    symlink("bin/sh", "dash"),
    file("etc/os-release", "ID=debian\n"),
    directory("usr/bin"),
    file("usr/bin/node", b"\x7fELF\x00node", 0o755),
)
