"""`ImageFiles` and the image config of a built image: its merged layers and its config JSON.

A Dockerfile lint guesses what the base image holds (which `/bin/sh`, which inits);
an image shows it. The knowledge base is consulted only for what the layers do not
answer (a shell the image has no file for).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from sigcheck.load.files import LoadError
from sigcheck.load.image import Image, ImageError
from sigcheck.model.baseimages import shell_implementation
from sigcheck.model.files import FileOrigin
from sigcheck.model.healthcheck import from_config
from sigcheck.model.image import DEFAULT_PATH, DEFAULT_SHELL, ImageConfig, Setting, command_from_config
from sigcheck.model.knowledge import init_files, init_packages
from sigcheck.span import Span

__all__ = ["LayerImageFiles", "image_config", "image_family"]

# os-release ID / ID_LIKE words -> the families the knowledge base knows.
_FAMILIES = {
    "debian": "debian",
    "ubuntu": "ubuntu",
    "alpine": "alpine",
    "rhel": "rhel",
    "fedora": "rhel",
    "centos": "rhel",
    "rocky": "rhel",
    "almalinux": "rhel",
}


def _env(image: Image) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in image.config.env:
        key, eq, value = pair.partition("=")
        if eq and key:
            env[key] = value
    env.setdefault("PATH", DEFAULT_PATH)  # the runtime's default when the image sets none
    return env


def image_family(image: Image) -> str:
    """The distribution family from /etc/os-release: its ID first, then ID_LIKE."""
    try:
        release = image.files.os_release()
    except ImageError:
        return "unknown"
    words = [release.get("ID", ""), *release.get("ID_LIKE", "").split()]
    for word in words:
        family = _FAMILIES.get(word.strip().lower())
        if family is not None:
            return family
    return "unknown"


def image_config(image: Image) -> ImageConfig:
    """The model's image config from the stored one, so every rule runs unchanged."""
    stored = image.config
    config = ImageConfig(base=None, family=image_family(image), env=_env(image))
    shell = stored.shell or DEFAULT_SHELL
    config.shell = shell
    if stored.entrypoint is not None:
        config.entrypoint = command_from_config(
            "ENTRYPOINT", stored.entrypoint, shell, image.span("Entrypoint")
        )
    if stored.cmd is not None:
        config.cmd = command_from_config("CMD", stored.cmd, shell, image.span("Cmd"))
    if stored.stop_signal:
        config.stopsignal = Setting(stored.stop_signal, None, None, span=image.span("StopSignal"))
    config.healthcheck = from_config(stored.healthcheck, image.span("Healthcheck"))
    if stored.user:
        config.user = Setting(stored.user, None, None, span=image.span("User"))
    config.workdir = posixpath.normpath(posixpath.join("/", stored.working_dir or "/"))
    return config


class LayerImageFiles:
    """The files of an image: what its layers, merged, hold. Nothing is writable."""

    __slots__ = ("archive", "family", "files", "image", "texts", "workdir")

    def __init__(self, image: Image) -> None:
        self.image = image
        self.files = image.files
        self.archive = image.archive
        self.workdir = posixpath.normpath(posixpath.join("/", image.config.working_dir or "/"))
        self.family = image_family(image)
        # What the chain read, by in-image path: the text report's code frames show it
        # without reading the archive again.
        self.texts: dict[str, str] = {}

    def _span(self, path: str) -> Span:
        # The archive has no lines of its own to point at: the in-image path says where.
        return Span(self.archive, 1, 1, 1, 1, logical=path)

    def _is_file(self, path: str) -> bool:
        try:
            entry = self.files.lookup(path)
        except ImageError:
            return False
        return entry is not None and entry.kind == "file"

    def locate(self, path: str) -> FileOrigin | None:
        if not self._is_file(path):
            return None
        return FileOrigin("layer", path, None, span=self._span(path))

    def read(self, origin: FileOrigin) -> tuple[str | None, str | None]:
        try:
            text = self.texts[origin.image_path] = self.files.read_text(origin.image_path)
            return text, None
        except LoadError as exc:
            return None, f"{origin.image_path} in the image: {exc}"
        except ImageError as exc:
            return None, str(exc)

    def missing(self, origin: FileOrigin) -> bool:
        return False  # what the layers hold is there; nothing was meant to be copied

    def built_with(self, path: str) -> str | None:
        return None

    def project_has(self, name: str) -> bool:
        return self._exists(posixpath.join(self.workdir, name))

    def shell_of(self, program: str, family: str) -> str | None:
        if program in ("sh", "/bin/sh"):
            try:
                name = self.files.shell_name("/bin/sh")
            except ImageError:
                name = None
            if name == "dash":
                return "dash-debian" if self.family in ("debian", "ubuntu") else "dash"
            if name in ("busybox", "ash"):
                return "ash"
            if name in ("bash", "zsh", "mksh"):
                return name
            if name is None and not self._has_sh(program):
                # The layers are the whole file system: no sh in them is no shell, whatever
                # os-release says (distroless images carry Debian's os-release).
                return "none"
        return shell_implementation(program, family)

    def _has_sh(self, program: str) -> bool:
        if program.startswith("/"):
            return self._exists(program)
        path = _env(self.image).get("PATH", DEFAULT_PATH)
        return any(self._exists(posixpath.join(d or "/", program)) for d in path.split(":"))

    def rewrite_path(self, origin: FileOrigin) -> str | None:
        return None  # an image is never rewritten: --fix does not apply

    def installed_inits(self) -> Iterator[tuple[str, Span]]:
        path = _env(self.image).get("PATH", DEFAULT_PATH)
        seen: set[str] = set()
        for init, names in init_packages().items():
            for directory in path.split(":"):
                for name in names:
                    candidate = posixpath.join(directory or "/", name)
                    if init not in seen and self._is_file(candidate):
                        seen.add(init)
                        yield init, self._span(candidate)
        for init, where, beside in init_files():
            if self._is_file(where) and self._exists(beside):
                yield init, self._span(where)

    def _exists(self, path: str) -> bool:
        try:
            return self.files.exists(path)
        except ImageError:
            return False
