"""Which Dockerfile builds an image a deployment names (`image: myorg/api:1`).

Two sources, one record: a Compose service that has both `image:` and
`build:` (Compose tags what it builds with that name), and the configuration's
`[tool.sigcheck.images]` mapping (`"myorg/api" = "services/api/Dockerfile"`).
A name without a tag matches the image with any tag; a name with a tag (or a
digest) only that one. `docker.io/`, `index.docker.io/` and `library/` are
spelled out or left out alike, as Docker reads them (distribution/reference
`ParseNormalizedNamed`).
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

from collections.abc import Iterable
from typing import NamedTuple

__all__ = ["ImageSource", "find_image", "split_reference"]


class ImageSource(NamedTuple):
    name: str  # normalised repository: "myorg/api", "nginx"
    tag: str | None  # None: any tag; "1", or "sha256:..." for a digest
    dockerfile: str  # absolute path
    target: str | None
    context: str | None  # absolute; None: discovered from the Dockerfile's location
    origin: str  # for messages: "service api (compose.yaml)", "[tool.sigcheck.images] in pyproject.toml"


def split_reference(reference: str) -> tuple[str, str | None]:
    """(normalised name, tag or digest); a registry's port is not a tag."""
    name, tag = reference.strip(), None
    if "@" in name:
        name, tag = name.split("@", 1)
    else:
        slash = name.rfind("/")
        colon = name.rfind(":")
        if colon > slash:
            name, tag = name[:colon], name[colon + 1 :]
    for prefix in ("docker.io/", "index.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if name.startswith("library/") and name.count("/") == 1:
        name = name[len("library/") :]
    return name.lower(), tag or None


def find_image(images: Iterable[ImageSource], reference: str | None) -> ImageSource | None:
    """The first source that builds `reference` (an exact tag before a tagless one)."""
    if not reference:
        return None
    name, tag = split_reference(reference)
    loose: ImageSource | None = None
    for source in images:
        if source.name != name:
            continue
        if source.tag is not None and source.tag == tag:
            return source
        if source.tag is None and loose is None:
            loose = source
    return loose
