"""Reading built images: docker/podman save archives and OCI layouts, never extracted.

    with open_images("app.tar") as archive:
        for image in archive.images:
            image.config.cmd, image.files.read_text("/entrypoint.sh")

Every failure of the input is an `ImageError` (one line, naming the archive);
reading a file that is not there or not text is a `LoadError`, as for a build
context.
"""

from sigcheck.load.image.archive import Image, ImageArchive, open_images
from sigcheck.load.image.config import ImageConfig
from sigcheck.load.image.errors import DEFAULT_LIMITS, ImageError, Limits
from sigcheck.load.image.layer import FileEntry
from sigcheck.load.image.merged import LayerFiles, parse_os_release

__all__ = [
    "DEFAULT_LIMITS",
    "FileEntry",
    "Image",
    "ImageArchive",
    "ImageConfig",
    "ImageError",
    "LayerFiles",
    "Limits",
    "open_images",
    "parse_os_release",
]
