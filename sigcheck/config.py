"""Configuration: `[tool.sigcheck]` in `pyproject.toml`, or a `.sigcheck.toml`.

Like ruff, sigcheck walks up from the current directory and uses the first
`.sigcheck.toml` (its keys at the top level) or `pyproject.toml` that has a
`[tool.sigcheck]` table; in one directory `.sigcheck.toml` comes first.
`--config FILE` names the file instead, `--isolated` ignores every file. Flags on
the command line win over the file. A key or rule the file gets wrong is a
one-line error (exit 2): a typo must not silently switch a check off.

The TOML reader (tomllib, or tomli before Python 3.11) is imported only when a
file is read.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

import functools
import os
import re
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from sigcheck.findings import Severity
from sigcheck.rules import rule_by_id

if TYPE_CHECKING:
    from sigcheck.load.image_map import ImageSource

__all__ = [
    "CONFIG_FILES",
    "KEYS",
    "THRESHOLDS",
    "Config",
    "ConfigError",
    "FileIgnore",
    "find_config",
    "load_config",
]

THRESHOLDS = ("error", "warning", "info", "style", "none")
CONFIG_FILES = (".sigcheck.toml", "pyproject.toml")
KEYS = ("ignore", "severity", "failure-threshold", "per-file-ignores", "assume-init", "target", "images")


class FileIgnore:
    """`per-file-ignores`: rules not reported for files matching a glob (a plain class, like Ignore)."""

    __slots__ = ("base", "pattern", "rules")

    def __init__(self, pattern: str, rules: frozenset[str], base: str) -> None:
        self.pattern = pattern  # `*` and `?` stay within a directory, `**/` spans any; no `/`: the file name
        self.rules = rules
        self.base = base  # directory the pattern is relative to (the config file's)

    def _key(self) -> tuple[str, frozenset[str], str]:
        return (self.pattern, self.rules, self.base)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileIgnore) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"FileIgnore({self.pattern!r}, {sorted(self.rules)!r}, {self.base!r})"

    def matches(self, path: str) -> bool:
        if path == "-":
            return False
        if "/" not in self.pattern:
            return bool(_glob(self.pattern).match(os.path.basename(path)))
        relative = os.path.relpath(os.path.abspath(path), self.base).replace(os.sep, "/")
        return not relative.startswith("../") and bool(_glob(self.pattern).match(relative))



@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    if pattern.endswith("/"):
        pattern += "**"
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$", re.S)


class ConfigError(Exception):
    """A configuration file sigcheck cannot use; the message is one line and names the file."""


class Config(NamedTuple):  # a NamedTuple: ~0.1 ms to define against ~0.9 ms for a frozen dataclass
    path: str | None = None  # the file it was read from; None: no file
    ignore: frozenset[str] = frozenset()  # rule IDs
    severity: tuple[tuple[str, Severity], ...] = ()
    failure_threshold: str | None = None
    per_file_ignores: tuple[FileIgnore, ...] = ()
    assume_init: bool | None = None
    target: str | None = None
    # `[tool.sigcheck.images]`, in the file's order; a string, so a start without one never
    # imports load.image_map.
    images: "tuple[ImageSource, ...]" = ()


def find_config(start: str) -> str | None:
    """The configuration file that applies in `start`: walk up to the filesystem root."""
    current = os.path.abspath(start)
    while True:
        candidate = os.path.join(current, ".sigcheck.toml")
        if os.path.isfile(candidate):
            return candidate
        candidate = os.path.join(current, "pyproject.toml")
        if os.path.isfile(candidate) and _has_sigcheck_table(candidate):
            return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _has_sigcheck_table(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    literal = b"sigcheck" in data
    if not literal and not any(escape in data for escape in (b"\\u", b"\\U", b"\\x")):
        # Most pyproject.toml files: no need to parse them (or import the TOML reader).
        # A key can spell "sigcheck" only literally or with the escapes that give a
        # letter: \u, \U, and \x in TOML 1.1 (not \\ or \n, common in regexes and paths).
        return False
    try:
        tool = _parse(path, data).get("tool")
    except ConfigError:
        if literal:
            raise  # it may well be sigcheck's configuration: say what is wrong with it
        return False  # someone else's broken file, with no sigcheck table in sight
    return isinstance(tool, dict) and "sigcheck" in tool


def _parse(path: str, data: bytes) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{_show(path)}: not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{_show(path)}: invalid TOML: {exc}") from None


def _show(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def load_config(path: str) -> Config:
    """Read and check a configuration file; raises ConfigError."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigError(f"{_show(path)}: cannot read: {exc.strerror or exc}") from None
    document = _parse(path, data)
    where = _show(path)
    if os.path.basename(path) == "pyproject.toml":
        tool = document.get("tool", {})
        table = tool.get("sigcheck") if isinstance(tool, dict) else None
        if table is None:
            raise ConfigError(f"{where}: no [tool.sigcheck] table")
        where += ": [tool.sigcheck]"
    else:
        table = document
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    return _check(table, where, os.path.dirname(os.path.abspath(path)), path)


def _check(table: dict[str, Any], where: str, base: str, path: str) -> Config:
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}{_suggest(key)} (known keys: {', '.join(KEYS)})")
    ignore = frozenset(_rules(table.get("ignore", []), f"{where}: ignore"))
    severity: list[tuple[str, Severity]] = []
    levels = table.get("severity", {})
    if not isinstance(levels, dict):
        raise ConfigError(f"{where}: severity: expected a table of rule = level")
    for name, level in levels.items():
        (rule_id,) = _rules([name], f"{where}: severity")
        if not isinstance(level, str) or level not in THRESHOLDS[:-1]:
            raise ConfigError(
                f"{where}: severity: {name} = {level!r} is not one of error, warning, info, style"
            )
        severity.append((rule_id, Severity.parse(level)))
    threshold = table.get("failure-threshold")
    if threshold is not None and threshold not in THRESHOLDS:
        raise ConfigError(f"{where}: failure-threshold = {threshold!r} is not one of {', '.join(THRESHOLDS)}")
    per_file: list[FileIgnore] = []
    globs = table.get("per-file-ignores", {})
    if not isinstance(globs, dict):
        raise ConfigError(f'{where}: per-file-ignores: expected a table of "glob" = [rules]')
    for pattern, names in globs.items():
        rules = _rules(names, f"{where}: per-file-ignores: {pattern!r}")
        per_file.append(FileIgnore(pattern.replace("\\", "/"), frozenset(rules), base))
    assume_init = table.get("assume-init")
    if assume_init is not None and not isinstance(assume_init, bool):
        raise ConfigError(f"{where}: assume-init = {assume_init!r} is not true or false")
    target = table.get("target")
    if target is not None and (not isinstance(target, str) or not target):
        raise ConfigError(f"{where}: target = {target!r} is not a stage name")
    return Config(
        path=path,
        ignore=ignore,
        severity=tuple(severity),
        failure_threshold=threshold,
        per_file_ignores=tuple(per_file),
        assume_init=assume_init,
        target=target,
        images=_images(table.get("images", {}), f"{where}: images", base, path),
    )


_IMAGE_KEYS = ("dockerfile", "target", "context")


def _images(table: object, where: str, base: str, path: str) -> "tuple[ImageSource, ...]":
    """`"myorg/api" = "services/api/Dockerfile"` or `{ dockerfile = ..., target = ..., context = ... }`,
    paths relative to the configuration file and inside its directory (the project)."""
    from sigcheck.load.image_map import ImageSource, split_reference

    if not isinstance(table, dict):
        raise ConfigError(f'{where}: expected a table of "image" = "path/to/Dockerfile"')
    origin = f"[tool.sigcheck.images] in {_show(path)}"
    sources: list[ImageSource] = []
    for image, value in table.items():
        at = f"{where}: {image!r}"
        entry = {"dockerfile": value} if isinstance(value, str) else value
        if not isinstance(entry, dict):
            raise ConfigError(f'{at}: expected a Dockerfile path or {{ dockerfile = "...", target = "..." }}')
        for key in entry:
            if key not in _IMAGE_KEYS:
                raise ConfigError(f"{at}: unknown key {key!r} (known keys: {', '.join(_IMAGE_KEYS)})")
        for key in _IMAGE_KEYS:
            if key in entry and (not isinstance(entry[key], str) or not entry[key]):
                raise ConfigError(f"{at}: {key} = {entry[key]!r} is not a non-empty string")
        if "dockerfile" not in entry:
            raise ConfigError(f"{at}: no dockerfile (the path of the Dockerfile that builds it)")
        name, tag = split_reference(image)
        if not name:
            raise ConfigError(f"{at}: not an image name")
        dockerfile = _inside_project(entry["dockerfile"], base, f"{at}: dockerfile", file=True)
        context = None
        if "context" in entry:
            context = _inside_project(entry["context"], base, f"{at}: context", file=False)
        sources.append(ImageSource(name, tag, dockerfile, entry.get("target"), context, origin))
    return tuple(sources)


def _inside_project(relative: str, base: str, where: str, *, file: bool) -> str:
    """An absolute path below the configuration file's directory: a mapping must never make
    sigcheck read outside the project (a `..`, an absolute path, a symlink out)."""
    path = os.path.normpath(os.path.join(base, relative))
    real, root = os.path.realpath(path), os.path.realpath(base)
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        raise ConfigError(
            f"{where} = {relative!r} is outside the project (the configuration file's directory); not read"
        )
    if not (os.path.isfile(path) if file else os.path.isdir(path)):
        raise ConfigError(f"{where} = {relative!r}: no such {'file' if file else 'directory'}")
    return path


def _rules(names: object, where: str) -> list[str]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f'{where}: expected a list of rule IDs or names, like ["SIG102"]')
    ids: list[str] = []
    for name in names:
        rule = rule_by_id(name)
        if rule is None:
            raise ConfigError(f"{where}: unknown rule {name!r} (`sigcheck rules` lists them)")
        ids.append(rule.id)
    return ids


def _suggest(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
