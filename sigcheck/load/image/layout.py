"""Which images an archive holds, and where their config and layers are.

Two layouts: Docker's `manifest.json` (docker save before Engine 25, podman save,
buildah's docker-archive; Engine >= 25 writes it beside an OCI layout and it
points into `blobs/`), and the OCI image layout (`index.json` -> manifest, or
-> index -> manifest, one level per multi-platform image). `manifest.json` wins
when both exist: it names the tags and is what `docker load` reads.
"""

# No `from __future__ import annotations`: this module defines NamedTuples.

import hashlib
import re
from typing import Any, NamedTuple

from sigcheck.load.image.errors import Limits
from sigcheck.load.image.jsonblob import get_dict, get_list, get_str, parse_json
from sigcheck.load.image.store import Store
from sigcheck.load.image.streams import Bad

__all__ = ["BlobRef", "ImageRef", "find_images", "parse_platform", "read_blob"]

INDEX_TYPES = frozenset({
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
})
MANIFEST_TYPES = frozenset({
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
})
_DIGEST = re.compile(r"(sha256):([0-9a-f]{64})|(sha512):([0-9a-f]{128})")
_HEX_NAME = re.compile(r"(?:.*/)?([0-9a-f]{64})(?:\.json|\.tar|/layer\.tar)?")
_BLOB_NAME = re.compile(r"blobs/(sha256|sha512)/([0-9a-f]{64}|[0-9a-f]{128})")
NAME_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


class BlobRef(NamedTuple):
    """A member of the archive with what it must hash to (None: nothing to check)."""

    name: str
    digest: str | None
    size: int | None = None
    media_type: str | None = None
    diff_id: str | None = None  # sha256 of the uncompressed layer (config rootfs.diff_ids)


class ImageRef(NamedTuple):
    name: str
    tags: tuple[str, ...]
    digest: str  # the manifest's digest (OCI), else the config's (the image ID)
    config: BlobRef
    layers: tuple[BlobRef, ...]
    platform: str | None


class Platform(NamedTuple):
    os: str
    architecture: str
    variant: str | None

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64"}


def parse_platform(text: str) -> Platform:
    """`os/arch[/variant]`, as `docker --platform` takes it; ValueError otherwise."""
    parts = text.strip().lower().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"platform {text!r} is not os/arch[/variant]")
    arch = _ARCH_ALIASES.get(parts[1], parts[1])
    return Platform(parts[0], arch, _normal_variant(arch, parts[2] if len(parts) == 3 else None))


def _normal_variant(arch: str, variant: str | None) -> str | None:
    # containerd's normalisation: arm64 means v8 unless it says otherwise; arm, v7.
    if arch == "arm64" and variant in (None, "8", "v8"):
        return "v8"
    if arch == "arm" and variant in (None, "7"):
        return "v7"
    return variant


def _blob_name(digest: str) -> str:
    match = _DIGEST.fullmatch(digest)
    if match is None:
        raise Bad(f"digest {digest[:80]!r} is not sha256:<64 hex> (or sha512)")
    alg, hexd = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return f"blobs/{alg}/{hexd}"


def short(digest: str) -> str:
    return digest[:19] + "…" if len(digest) > 19 else digest


def read_blob(store: Store, ref: BlobRef, what: str, limits: Limits) -> bytes:
    """A JSON blob (manifest, index, config), whole, checked against its digest and size."""
    section = store.open(ref.name)
    if section is None:
        raise Bad(f"{what} {short(ref.digest or ref.name)} is missing from the archive")
    if ref.size is not None and section.size != ref.size:
        raise Bad(
            f"{what} {short(ref.digest or ref.name)} is {section.size} bytes, its descriptor says {ref.size}"
        )
    if section.size > limits.json_bytes:
        raise Bad(f"{what} is larger than {limits.json_bytes} bytes")
    data = section.read()
    if len(data) != section.size:
        raise Bad(f"{what} is truncated")
    if ref.digest is not None:
        alg, _, expected = ref.digest.partition(":")
        if hashlib.new(alg, data).hexdigest() != expected:
            raise Bad(f"blob {short(ref.digest)} does not match its digest")
    return data


def _read_json(store: Store, ref: BlobRef, what: str, limits: Limits) -> dict[str, Any]:
    return parse_json(read_blob(store, ref, what, limits), what, limits.json_bytes, limits.json_depth)


def find_images(store: Store, platform: Platform | None, limits: Limits) -> list[ImageRef]:
    legacy = store.open("manifest.json")
    if legacy is not None:
        return _docker_images(store, legacy.read(limits.json_bytes + 1), limits)
    if store.open("index.json") is not None:
        return _oci_images(store, platform, limits)
    raise Bad("not an image archive (no manifest.json or index.json)")


# -- docker save -------------------------------------------------------------


def _digest_of_name(name: str) -> str | None:
    match = _BLOB_NAME.fullmatch(name)
    if match:
        return f"{match.group(1)}:{match.group(2)}"
    return None


def _docker_images(store: Store, data: bytes, limits: Limits) -> list[ImageRef]:
    what = "manifest.json"
    # The document is a list: wrap it to reuse the object parser's bounds.
    doc = parse_json(b'{"m":' + data + b"}", what, limits.json_bytes + 6, limits.json_depth + 1)
    entries = get_list(doc, "m", what, required=True)
    if not entries:
        raise Bad("manifest.json lists no image")
    images = []
    for number, entry in enumerate(entries, 1):
        where = f"manifest.json entry {number}"
        if not isinstance(entry, dict):
            raise Bad(f"{where} is not an object")
        config_name = get_str(entry, "Config", where, required=True) or ""
        # The config's name is its digest: <hex>.json (docker < 25, podman) or a blob.
        config_digest = _digest_of_name(config_name)
        match = _HEX_NAME.fullmatch(config_name)
        if config_digest is None and match is not None:
            config_digest = "sha256:" + match.group(1)
        tags = tuple(t for t in get_list(entry, "RepoTags", where) if isinstance(t, str))
        layers = []
        for layer in get_list(entry, "Layers", where, required=True):
            if not isinstance(layer, str):
                raise Bad(f"{where}: Layers holds a non-string")
            layers.append(BlobRef(layer, _digest_of_name(layer)))
        config = BlobRef(config_name, config_digest)
        images.append(ImageRef(tags[0] if tags else (config_digest or config_name), tags,
                               config_digest or config_name, config, tuple(layers), None))
    return images


# -- OCI image layout --------------------------------------------------------


def _descriptor(desc: Any, where: str) -> BlobRef:
    if not isinstance(desc, dict):
        raise Bad(f"{where}: a descriptor is not an object")
    digest = get_str(desc, "digest", where, required=True) or ""
    size = desc.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise Bad(f"{where}: descriptor size is not a non-negative integer")
    return BlobRef(_blob_name(digest), digest, size, get_str(desc, "mediaType", where))


def _name_of(desc: dict[str, Any]) -> str | None:
    annotations = desc.get("annotations")
    if isinstance(annotations, dict):
        for key in NAME_ANNOTATIONS:
            value = annotations.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def _platform_of(desc: dict[str, Any]) -> Platform | None:
    value = desc.get("platform")
    if not isinstance(value, dict):
        return None
    os_name, arch, variant = value.get("os"), value.get("architecture"), value.get("variant")
    if not isinstance(os_name, str) or not isinstance(arch, str):
        return None
    arch = _ARCH_ALIASES.get(arch.lower(), arch.lower())
    variant = variant if isinstance(variant, str) else None
    return Platform(os_name.lower(), arch, _normal_variant(arch, variant))


def _is_attestation(desc: dict[str, Any]) -> bool:
    # BuildKit stores provenance/SBOM as manifests of platform unknown/unknown.
    annotations = desc.get("annotations")
    if isinstance(annotations, dict) and "vnd.docker.reference.type" in annotations:
        return True
    platform = _platform_of(desc)
    return platform is not None and platform.os == "unknown"


def _oci_images(store: Store, platform: Platform | None, limits: Limits) -> list[ImageRef]:
    index = _read_json(store, BlobRef("index.json", None), "index.json", limits)
    listed = get_list(index, "manifests", "index.json")
    entries = [d for d in listed if not (isinstance(d, dict) and _is_attestation(d))]
    if not entries:
        raise Bad("index.json lists no image")
    # Entries with the same name (or none) and a platform each are one multi-platform
    # image written flat; every other entry is an image of its own.
    groups: dict[str, list[dict[str, Any]]] = {}
    for number, desc in enumerate(entries):
        if not isinstance(desc, dict):
            raise Bad("index.json: a descriptor is not an object")
        name = _name_of(desc)
        key = f"name:{name}" if name else ("platforms" if _platform_of(desc) else f"entry:{number}")
        groups.setdefault(key, []).append(desc)
    flat = groups.pop("platforms", [])
    if flat and len({str(_platform_of(d)) for d in flat}) == len(flat):
        groups["platforms"] = flat
    elif flat:  # two of one platform: not one image for several platforms, but images
        groups.update((f"flat:{number}", [desc]) for number, desc in enumerate(flat))
    images = []
    for group in groups.values():
        desc = group[0] if len(group) == 1 else _choose(group, platform, "index.json")
        images.append(_resolve(store, desc, _name_of(desc), platform, limits, 0))
    return images


def _choose(descs: list[dict[str, Any]], wanted: Platform | None, where: str) -> dict[str, Any]:
    candidates = [d for d in descs if not _is_attestation(d)]
    if not candidates:
        raise Bad(f"{where} lists no image")
    if wanted is None:
        if len(candidates) == 1:
            return candidates[0]  # the only image, whatever its platform
        wanted = Platform("linux", "amd64", None)
    found = [d for d in candidates if _matches(_platform_of(d), wanted)]
    if not found:
        have = ", ".join(sorted({str(p) for p in map(_platform_of, candidates) if p})) or "no platforms"
        raise Bad(f"no {wanted} image in {where} (it has {have}); choose one with --platform")
    # Without a variant asked for, prefer the entry without one (amd64 over amd64/v3).
    found.sort(key=lambda d: (_platform_of(d) or wanted).variant is not None)
    return found[0]


def _matches(have: Platform | None, wanted: Platform) -> bool:
    if have is None:
        return False
    if (have.os, have.architecture) != (wanted.os, wanted.architecture):
        return False
    return wanted.variant is None or have.variant == wanted.variant


def _resolve(
    store: Store, desc: dict[str, Any], name: str | None, platform: Platform | None, limits: Limits,
    depth: int,
) -> ImageRef:
    ref = _descriptor(desc, "index.json")
    what = f"manifest {short(ref.digest or '')}"
    doc = _read_json(store, ref, "manifest", limits)
    media = ref.media_type or get_str(doc, "mediaType", what)
    if media in INDEX_TYPES or (media is None and "manifests" in doc):
        if depth >= limits.index_depth:
            raise Bad(f"indexes nest deeper than {limits.index_depth} levels")
        where = f"index {short(ref.digest or '')}"
        listed = [d for d in get_list(doc, "manifests", where) if isinstance(d, dict)]
        inner = _choose(listed, platform, where)
        image = _resolve(store, inner, name, platform, limits, depth + 1)
        return image._replace(digest=ref.digest or image.digest)
    if media not in MANIFEST_TYPES and not (media is None and "layers" in doc):
        raise Bad(f"{what} has media type {str(media)[:80]!r}, not an image manifest")
    config = _descriptor(get_dict(doc, "config", what, required=True), what)
    layers = tuple(_descriptor(d, what) for d in get_list(doc, "layers", what, required=True))
    chosen = _platform_of(desc)
    tag = name or (ref.digest or "")
    return ImageRef(tag, (name,) if name else (), ref.digest or "", config, layers,
                    str(chosen) if chosen else None)
