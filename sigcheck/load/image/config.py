"""The image config (`config` of the config JSON) as typed, checked values.

Docker and podman write `null` for unset lists; a value of the wrong type is an
error of the archive, not something the rules should ever see.
"""

# No `from __future__ import annotations`: this module defines NamedTuples.

from typing import Any, NamedTuple

from sigcheck.load.image.jsonblob import get_dict, get_list, get_str, get_str_list
from sigcheck.load.image.streams import Bad

__all__ = ["ConfigDoc", "ImageConfig", "parse_config"]


class ImageConfig(NamedTuple):
    """What the runtime takes from the image. A field is None when the config does not
    set it (an empty list and an unset one differ for Entrypoint and Cmd)."""

    entrypoint: tuple[str, ...] | None
    cmd: tuple[str, ...] | None
    stop_signal: str | None
    shell: tuple[str, ...] | None
    working_dir: str | None
    env: tuple[str, ...]
    user: str | None
    healthcheck: dict[str, Any] | None  # {"Test": [...], "Interval": ns, ...} as stored
    on_build: tuple[str, ...]
    labels: dict[str, str]


class ConfigDoc(NamedTuple):
    config: ImageConfig
    raw: dict[str, Any]  # the `config` object as stored
    history: tuple[dict[str, Any], ...]
    os: str | None
    architecture: str | None
    variant: str | None
    diff_ids: tuple[str, ...]


def parse_config(doc: dict[str, Any]) -> ConfigDoc:
    what = "image config"
    raw = get_dict(doc, "config", what)
    where = "config"
    healthcheck = raw.get("Healthcheck")
    if healthcheck is not None and not isinstance(healthcheck, dict):
        raise Bad("config: Healthcheck is not an object")
    labels = get_dict(raw, "Labels", where)
    if not all(isinstance(v, str) for v in labels.values()):
        raise Bad("config: Labels holds a non-string value")
    config = ImageConfig(
        entrypoint=get_str_list(raw, "Entrypoint", where),
        cmd=get_str_list(raw, "Cmd", where),
        stop_signal=get_str(raw, "StopSignal", where),
        shell=get_str_list(raw, "Shell", where),
        working_dir=get_str(raw, "WorkingDir", where),
        env=get_str_list(raw, "Env", where) or (),
        user=get_str(raw, "User", where),
        healthcheck=healthcheck,
        on_build=get_str_list(raw, "OnBuild", where) or (),
        labels=labels,
    )
    history = tuple(h for h in get_list(doc, "history", what) if isinstance(h, dict))
    rootfs = get_dict(doc, "rootfs", what)
    diff_ids = get_str_list(rootfs, "diff_ids", "config rootfs") or ()
    return ConfigDoc(
        config,
        raw,
        history,
        get_str(doc, "os", what),
        get_str(doc, "architecture", what),
        get_str(doc, "variant", what),
        diff_ids,
    )
