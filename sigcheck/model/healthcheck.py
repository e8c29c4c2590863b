"""HEALTHCHECK, as the image config stores it: from a Dockerfile instruction or from a
built image's `config.Healthcheck`, the same value either way.

No rule reads it yet: a health check runs beside PID 1 (`docker exec`-like), it does
not change who receives the stop signal. It is mapped so both inputs give one model,
in the engine's stored shape (moby api/types/container.HealthConfig): `Test` is
["CMD", argv...], ["CMD-SHELL", "string"] (run by the image's Shell) or ["NONE"];
durations are nanoseconds, 0 meaning the engine's default.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NamedTuple

from sigcheck.load.dockerfile import Instruction
from sigcheck.span import Span

__all__ = ["Healthcheck", "from_config", "from_instruction", "parse_duration"]

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
          "h": 3600 * 10**9}  # fmt: skip
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_FLAGS = {"interval": "interval", "timeout": "timeout", "start-period": "start_period",
          "start-interval": "start_interval"}  # fmt: skip


class Healthcheck(NamedTuple):
    test: tuple[str, ...]
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0
    span: Span | None = None


def parse_duration(text: str) -> int | None:
    """Go's time.ParseDuration for the non-negative values the builder accepts, in ns."""
    if text == "0":
        return 0
    total, pos = 0.0, 0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not pos or pos != len(text) or not math.isfinite(total):
        return None  # a run of digits past float's range is no duration the builder takes
    return round(total)


def from_instruction(ins: Instruction, span: Span | None) -> Healthcheck | None:
    """The stored value of `HEALTHCHECK [flags] CMD ...` or `HEALTHCHECK NONE`; None
    when the instruction is not one the builder accepts."""
    kind, _, command = ins.rest.strip().partition(" ")
    if kind.upper() == "NONE":
        return Healthcheck(("NONE",), span=span) if not command.strip() else None
    if kind.upper() != "CMD" or not command.strip():
        return None
    values: dict[str, int] = {}
    for flag in ins.flags:
        name, _, value = flag.removeprefix("--").partition("=")
        if name == "retries" and value.isdigit():
            values["retries"] = int(value)
        elif name in _FLAGS and (ns := parse_duration(value)) is not None:
            values[_FLAGS[name]] = ns
        else:
            return None
    return Healthcheck(_test(command.strip()), **values, span=span)


def _test(command: str) -> tuple[str, ...]:
    try:
        parsed = json.loads(command)
    except ValueError:
        parsed = None
    if isinstance(parsed, list) and all(isinstance(word, str) for word in parsed):
        return ("CMD", *parsed)
    return ("CMD-SHELL", command)


def from_config(stored: dict[str, Any] | None, span: Span | None) -> Healthcheck | None:
    """The image config's `Healthcheck` object; None when absent or without a test."""
    if not stored:
        return None
    test = stored.get("Test")
    if not isinstance(test, list) or not test or not all(isinstance(word, str) for word in test):
        return None

    def number(key: str) -> int:
        value = stored.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0

    return Healthcheck(tuple(test), number("Interval"), number("Timeout"), number("StartPeriod"),
                       number("StartInterval"), number("Retries"), span)  # fmt: skip
