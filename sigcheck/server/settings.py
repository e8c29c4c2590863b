"""The server's configuration: the workspace folder's file, then the editor's settings.

As on the command line, the configuration file (`.sigcheck.toml`, or
`pyproject.toml` with `[tool.sigcheck]`, found by walking up from the workspace
folder) comes first and the editor's settings win over it, the way flags do:
`initializationOptions` at start, then each `workspace/didChangeConfiguration`.
Settings are read at the top level or under a `sigcheck` key (what most clients
send for `settings.sigcheck`), in camelCase or with the file's kebab-case keys:

    {"failureThreshold": "error", "ignore": ["SIG402"], "assumeInit": true}

In an editor the failure threshold decides how loud a finding is: one below it
would not fail `sigcheck` in CI, so it is shown as a hint; unset (in the file and
the editor), every finding keeps its own severity.
"""

# No `from __future__ import annotations` here: this module defines NamedTuples.

import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from sigcheck.config import THRESHOLDS, Config, ConfigError, find_config, load_config
from sigcheck.lint import LintOptions
from sigcheck.options import Flags, OptionsError, rule_ids
from sigcheck.options import resolve as resolve_options

__all__ = [
    "ClientSettings",
    "Resolved",
    "SettingsError",
    "merge_settings",
    "parse_client_settings",
    "resolve",
]


class SettingsError(ValueError):
    """The editor sent a setting sigcheck cannot use; the message is one line."""


class ClientSettings(NamedTuple):
    failure_threshold: str | None = None
    ignore: frozenset[str] = frozenset()  # rule IDs
    assume_init: bool | None = None


class Resolved(NamedTuple):
    options: LintOptions
    threshold: str | None  # None: neither the file nor the editor set one
    config_path: str | None
    error: str | None  # a configuration file that could not be used (the defaults apply)


_ALIASES = {
    "failureThreshold": "failure-threshold",
    "failure_threshold": "failure-threshold",
    "assumeInit": "assume-init",
    "assume_init": "assume-init",
}


def _table(raw: object) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    nested = raw.get("sigcheck")
    return nested if isinstance(nested, Mapping) else raw


def merge_settings(initialization: object, pushed: object) -> object:
    """`initializationOptions`, then the newest settings the editor sent or was asked for,
    key by key: a client may set the threshold in one and the ignores in the other."""
    if initialization is None and pushed is None:
        return None
    for raw in (initialization, pushed):
        if raw is not None and not isinstance(raw, Mapping):
            return raw  # parse_client_settings says what is wrong with it
    merged = {_ALIASES.get(k, k): v for k, v in _table(initialization).items()}
    merged.update({_ALIASES.get(k, k): v for k, v in _table(pushed).items()})
    return merged


def parse_client_settings(raw: object) -> ClientSettings:
    """The editor's settings -> ClientSettings; raises SettingsError for a bad value."""
    if raw is None:
        return ClientSettings()
    if not isinstance(raw, Mapping):
        raise SettingsError(f"sigcheck settings must be an object, not {type(raw).__name__}")
    nested = raw.get("sigcheck")
    table: Mapping[str, Any] = nested if isinstance(nested, Mapping) else raw
    values = {_ALIASES.get(key, key): value for key, value in table.items()}
    threshold = values.get("failure-threshold")
    if threshold is not None and threshold not in THRESHOLDS:
        raise SettingsError(f"failureThreshold {threshold!r} is not one of {', '.join(THRESHOLDS)}")
    names = values.get("ignore", [])
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SettingsError('ignore must be a list of rule IDs or names, like ["SIG402"]')
    try:
        ids = rule_ids(names, "ignore")
    except OptionsError as exc:
        raise SettingsError(f"ignore: {exc}") from None
    assume_init = values.get("assume-init")
    if assume_init is not None and not isinstance(assume_init, bool):
        raise SettingsError(f"assumeInit {assume_init!r} is not true or false")
    return ClientSettings(threshold, frozenset(ids), assume_init)


def _file_config(folder: str) -> tuple[Config, str | None]:
    try:
        path = find_config(folder)
        return (load_config(path) if path is not None else Config()), None
    except ConfigError as exc:
        return Config(), str(exc)


def resolve(folder: str, client: ClientSettings) -> Resolved:
    """The lint options for documents of `folder`: its configuration file, then the editor's
    settings, merged by `sigcheck.options.resolve` as the CLI merges its flags."""
    config, error = _file_config(os.path.abspath(folder))
    flags = Flags(
        failure_threshold=client.failure_threshold,
        ignore=tuple(sorted(client.ignore)),
        assume_init=client.assume_init,
    )
    options, _default = resolve_options(config, flags)
    # The CLI falls back to "warning"; in the editor, no threshold means every finding
    # keeps its own severity, so only one that was set is passed on.
    threshold = client.failure_threshold or config.failure_threshold
    return Resolved(options, threshold, config.path, error)
