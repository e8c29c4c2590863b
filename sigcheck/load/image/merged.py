"""The file system a container of the image sees: its layers merged, read lazily.

Layers apply in order (OCI image spec, "Applying changesets"): a later entry
replaces an earlier one, `.wh.NAME` deletes NAME of the layers below, `.wh..wh..opq`
hides everything below in its directory, and a non-directory hides whatever lower
layers had under its name. A lookup asks the layers from the top down and stops
at the first that decides, so lower layers are not even opened when the answer
is higher up. Symlinks resolve inside the image root: an absolute target starts
at the image's `/`, `..` at `/` stays at `/`, and at most `Limits.symlink_hops`
links are followed (a loop is "no such file").
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, TypeVar

from sigcheck.load.files import DEFAULT_MAX_BYTES, LoadError
from sigcheck.load.image.errors import Limits
from sigcheck.load.image.guard import converted
from sigcheck.load.image.layer import FileEntry, Layer
from sigcheck.load.image.paths import Unresolvable, resolve

__all__ = ["LayerFiles", "decode_text"]

F = TypeVar("F", bound=Callable[..., Any])


def _guarded(method: F) -> F:
    @wraps(method)
    def wrapper(self: LayerFiles, *args: Any, **kwargs: Any) -> Any:
        with converted(self.archive):
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def decode_text(data: bytes) -> str:
    """Text as sigcheck reads any file (sigcheck/load/files.py): UTF-8, no NUL."""
    if b"\x00" in data:
        raise LoadError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


class LayerFiles:
    """The merged view. Paths are absolute inside the image (a relative one is taken
    from `/`). Methods raise `ImageError` when a layer they need is corrupt and
    `LoadError` (no path in the message) when a file cannot be read as asked."""

    def __init__(self, layers: list[Layer], limits: Limits, archive: str) -> None:
        self.layers = layers  # lowest first, as in the manifest
        self.archive = archive
        self._hops = limits.symlink_hops
        self.reads: set[str] = set()  # paths the lint read (or tried to)

    # -- the merge ------------------------------------------------------------

    def _raw(self, path: str, top: int | None = None) -> FileEntry | None:
        """The entry at `path` (no symlink in it is followed), from layer `top` down."""
        if path == "/":
            return FileEntry("/", "dir", 0o40755, 0, 0, 0, None, 0)
        implicit: FileEntry | None = None
        parent = posixpath.dirname(path)
        start = len(self.layers) - 1 if top is None else top
        for number in range(start, -1, -1):
            layer = self.layers[number].index()
            entry = layer.entries.get(path)
            if entry is not None:
                if not entry.implicit:
                    return self._hardlinked(entry)
                implicit = implicit or entry
            if path in layer.whiteouts or layer.hides_under(parent):
                break
        return implicit

    def _hardlinked(self, entry: FileEntry) -> FileEntry:
        if not entry.hardlink or entry.data_offset >= 0 or entry.link is None:
            return entry
        # A hard link to a file of a lower layer: the same inode, so its size and data.
        target = self._raw(entry.link, entry.layer - 1) if entry.layer > 0 else None
        if target is None or target.kind != "file":
            return entry._replace(kind="file", size=0)
        return entry._replace(size=target.size, data_offset=target.data_offset, layer=target.layer,
                              link=target.path)

    def _link_at(self, path: str) -> str | None:
        entry = self._raw(path)
        return entry.link if entry is not None and entry.kind == "symlink" else None

    def _resolve(self, path: str, follow_last: bool) -> str:
        return resolve(path, self._link_at, self._hops, follow_last)

    # -- the public questions ----------------------------------------------------

    @_guarded
    def lookup(self, path: str, follow_symlinks: bool = True) -> FileEntry | None:
        """The entry at `path`, following symlinks (the last one too unless
        `follow_symlinks` is false, like lstat); None when there is none."""
        if "\x00" in path:
            return None
        try:
            return self._raw(self._resolve(path, follow_symlinks))
        except Unresolvable:
            return None

    def exists(self, path: str) -> bool:
        return self.lookup(path) is not None

    def is_dir(self, path: str) -> bool:
        entry = self.lookup(path)
        return entry is not None and entry.kind == "dir"

    def mode(self, path: str) -> int | None:
        """st_mode (type and permission bits) of what `path` points to, or None."""
        entry = self.lookup(path)
        return None if entry is None else entry.mode

    @_guarded
    def realpath(self, path: str) -> str:
        """`path` with every symlink resolved inside the image (LoadError on a loop)."""
        try:
            return self._resolve(path, True)
        except Unresolvable as exc:
            raise LoadError(f"{exc}") from None

    @_guarded
    def listdir(self, path: str) -> list[str]:
        """The names in a directory, sorted; [] when it is not one."""
        entry = self.lookup(path)
        if entry is None or entry.kind != "dir":
            return []
        directory = self._resolve(path, True)
        seen: set[str] = set()
        hidden: set[str] = set()
        for number in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[number].index()
            own = layer.entries.get(directory)
            if own is not None and own.kind != "dir":
                break
            for name in layer.children(directory):
                if name not in hidden:
                    seen.add(name)
            hidden.update(layer.whiteouts_in(directory))
            if layer.hides_under(directory):
                break
        return sorted(seen)

    @_guarded
    def read_bytes(self, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
        """A regular file's content; LoadError when there is none, it is not a regular
        file (a directory, a device, a FIFO) or it is larger than `max_bytes`."""
        self.reads.add(path)
        try:
            entry = self._raw(self._resolve(path, True))
        except Unresolvable as exc:
            raise LoadError(f"{exc}") from None
        if entry is None:
            raise LoadError("no such file")
        if entry.kind == "dir":
            raise LoadError("is a directory, not a file")
        if entry.kind != "file":
            raise LoadError("not a regular file")
        if entry.sparse:
            raise LoadError("sparse file, not read")
        if entry.size > max_bytes:
            raise LoadError(f"file is {entry.size} bytes, above the {max_bytes}-byte limit")
        if entry.data_offset < 0:
            return b""  # a hard link to nothing: Docker would refuse the layer; nothing to read
        return self.layers[entry.layer].read(entry)

    def read_text(self, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
        return decode_text(self.read_bytes(path, max_bytes))

    # -- facts that decide the shell ---------------------------------------------

    def shell_binary(self, path: str = "/bin/sh") -> str | None:
        """What `/bin/sh` is: the file its symlinks end at, or the first name of the
        file a hard link shares (busybox's `/bin/sh` -> `/bin/busybox`); None if absent."""
        entry = self.lookup(path)
        if entry is None or entry.kind != "file":
            return None
        if entry.hardlink and entry.link:
            return entry.link
        return self.realpath(path)

    def shell_name(self, path: str = "/bin/sh") -> str | None:
        """Which shell `path` is: "dash", "bash", "busybox", "mksh", "zsh", "ksh" or "ash"
        by the name of the file it ends at, else by a version string in the binary (a
        copied, not linked, /bin/sh); None when there is no such file or it is unknown."""
        binary = self.shell_binary(path)
        if binary is None:
            return None
        name = posixpath.basename(binary)
        for known in _SHELL_NAMES:
            if name == known or name.startswith(known + "."):
                return known
        try:
            data = self.read_bytes(binary, SHELL_SNIFF_BYTES)
        except LoadError:
            return None
        for marker, shell in _SHELL_MARKERS:
            if marker in data:
                return shell
        return None

    def glob(self, pattern: str) -> list[str]:
        """Paths in one directory whose names match `pattern`'s last part (fnmatch), as
        the build context's glob does for COPY sources."""
        import fnmatch  # here: only COPY-source globbing needs it

        directory, name = posixpath.split(posixpath.join("/", pattern))
        return [posixpath.join(directory, n) for n in self.listdir(directory) if fnmatch.fnmatchcase(n, name)]

    def os_release(self) -> dict[str, str]:
        """/etc/os-release (or /usr/lib/os-release) as a dict; {} when there is none."""
        for path in ("/etc/os-release", "/usr/lib/os-release"):
            try:
                text = self.read_text(path, 64 * 1024)
            except LoadError:
                continue
            return parse_os_release(text)
        return {}


# Names first (a symlink or hard link says it); version strings for a copied binary.
_SHELL_NAMES = ("dash", "bash", "busybox", "mksh", "zsh", "ksh", "ash")
_SHELL_MARKERS = ((b"BusyBox v", "busybox"), (b"GNU bash", "bash"), (b"@(#)MIRBSD KSH", "mksh"),
                  (b"zsh/", "zsh"))
SHELL_SNIFF_BYTES = 8 * 1024 * 1024  # bash is ~1.3 MB, a static busybox ~2 MB


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines, values optionally quoted (os-release(5): shell-like, no expansion)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
            if line.partition("=")[2][0] == '"':
                value = "".join(c[1:] if c.startswith("\\") else c for c in _escaped(value))
        values[key.strip()] = value
    return values


def _escaped(value: str) -> Iterator[str]:
    i = 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            yield value[i : i + 2]
            i += 2
        else:
            yield value[i]
            i += 1

