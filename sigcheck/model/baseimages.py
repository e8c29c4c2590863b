"""Lookup of what sigcheck knows about an external base image (data/images.json)."""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import posixpath
import re
from functools import lru_cache
from typing import Any, NamedTuple

from sigcheck.data import load, name_matches

__all__ = ["BaseImage", "family_shell", "lookup_image", "shell_implementation", "shell_label"]


class BaseImage(NamedTuple):
    reference: str  # as written after expansion, e.g. "node:20-alpine"
    name: str  # normalised repository, e.g. "node"
    tag: str
    known: bool  # an entry in the knowledge base matched
    family: str  # debian | ubuntu | alpine | rhel | none | unknown
    entrypoint: tuple[str, ...] | None
    entrypoint_execs_args: bool
    cmd: tuple[str, ...] | None
    stopsignal: str | None
    source: str


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return load("images.json")


def _normalise(reference: str) -> tuple[str, str]:
    ref = reference.split("@", 1)[0]
    tag = ""
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1 :]
    ref = ref.lower()
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "library/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix) :]
            break
    return ref, tag


def _family_from_tag(tag: str) -> str | None:
    for entry in _data()["tag_families"]:
        if any(word in tag for word in entry["words"]):
            return str(entry["family"])
    return None


@lru_cache(maxsize=512)
def lookup_image(reference: str) -> BaseImage:
    name, tag = _normalise(reference)
    entry: dict[str, Any] | None = None
    for candidate in _data()["images"]:
        if name_matches(name, candidate["name"]):
            entry = candidate
            break
    tag_family = _family_from_tag(tag)
    if entry is None:
        return BaseImage(reference, name, tag, False, tag_family or "unknown", None, False, None, None, "")
    family = entry["family"]
    if "debug_family" in entry and ("debug" in tag or tag.endswith("-dev")):
        family = entry["debug_family"]
    elif tag_family is not None and family != "none":
        family = tag_family
    settings = dict(entry)
    for variant in entry.get("variants", ()):
        if re.search(r"(^|[-.])" + re.escape(variant["tag"]) + r"($|[-.])", tag):
            settings.update(variant)
            break
    ep = settings.get("entrypoint")
    cmd = settings.get("cmd")
    return BaseImage(
        reference=reference,
        name=name,
        tag=tag,
        known=True,
        family=family,
        entrypoint=tuple(ep) if ep is not None else None,
        entrypoint_execs_args=bool(settings.get("entrypoint_execs_args", False)),
        cmd=tuple(cmd) if cmd is not None else None,
        stopsignal=settings.get("stopsignal"),
        source=str(entry["source"]),
    )


def family_shell(family: str) -> str | None:
    """The /bin/sh implementation of an image family, or None when unknown."""
    entry = _data()["families"].get(family)
    return None if entry is None else str(entry["sh"])


def shell_label(shell: str | None) -> str:
    if shell is None:
        return "an unknown /bin/sh"
    entry = _data()["shells"].get(shell)
    return str(entry["label"]) if entry else shell


def shell_implementation(program: str, family: str) -> str | None:
    """Which shell code runs for `program` in an image of `family`."""
    name = posixpath.basename(program)
    if name == "sh":
        return family_shell(family)
    if name == "dash":
        return "dash-debian" if family in ("debian", "ubuntu") else "dash"
    if name in ("bash", "zsh", "mksh"):
        return name
    if name in ("ash", "busybox"):
        return "ash"
    return None
