"""Configuration + flags -> LintOptions: the one place the two are merged.

A flag wins over the configuration file; `--ignore` adds to `ignore`. The CLI and
the editor server (whose flags are its initialization options and settings)
both go through `resolve`, so a setting means the same everywhere.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

from collections.abc import Iterable
from typing import NamedTuple

from sigcheck.config import Config
from sigcheck.lint import LintOptions
from sigcheck.load.files import DEFAULT_MAX_BYTES
from sigcheck.rules import ALL_RULES, rule_by_id

__all__ = ["DEFAULT_THRESHOLD", "Flags", "OptionsError", "resolve", "rule_ids"]

DEFAULT_THRESHOLD = "warning"


class OptionsError(ValueError):
    """A flag with a value sigcheck cannot use; `flag` names it, the message says why."""

    def __init__(self, flag: str, message: str) -> None:
        super().__init__(message)
        self.flag = flag


class Flags(NamedTuple):
    target: str | None = None
    context: str | None = None
    failure_threshold: str | None = None
    ignore: tuple[str, ...] = ()  # rule IDs or names, each may be a comma-separated list
    assume_init: bool | None = None
    max_file_size: int | None = None
    debug: bool = False


def rule_ids(values: Iterable[str], flag: str = "--ignore") -> set[str]:
    """Rule IDs of `A,B` lists of IDs or names; OptionsError for an unknown one."""
    ids: set[str] = set()
    for value in values:
        for name in filter(None, (v.strip() for v in value.split(","))):
            rule = rule_by_id(name)
            if rule is None:
                raise OptionsError(flag, f"unknown rule {name!r} (`sigcheck rules` lists them)")
            ids.add(rule.id)
    return ids


def resolve(config: Config, flags: Flags) -> tuple[LintOptions, str]:
    """The lint options and the failure threshold."""
    skip = set(config.ignore) | rule_ids(flags.ignore)
    options = LintOptions(
        target=flags.target if flags.target is not None else config.target,
        context=flags.context,
        max_bytes=flags.max_file_size or DEFAULT_MAX_BYTES,
        rules=tuple(rule for rule in ALL_RULES if rule.id not in skip),
        assume_init=flags.assume_init if flags.assume_init is not None else bool(config.assume_init),
        severity=config.severity,
        per_file_ignores=config.per_file_ignores,
        images=config.images,
        debug=flags.debug,
    )
    return options, flags.failure_threshold or config.failure_threshold or DEFAULT_THRESHOLD
