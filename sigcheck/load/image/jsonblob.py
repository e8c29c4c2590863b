"""JSON documents of an archive (manifests, indexes, configs), parsed within bounds.

`json.loads` recurses once per nesting level (RecursionError on ~1000 brackets)
and holds the whole document: the size is checked before parsing, the depth by a
scan that skips strings, and every value is read through a getter that checks its
type, so a config with `"Cmd": 5` is an error here and never a crash later.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sigcheck.load.image.streams import Bad

__all__ = ["get_dict", "get_list", "get_str", "get_str_list", "parse_json"]

# A JSON string (with escapes), or a bracket outside strings.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def parse_json(data: bytes, what: str, max_bytes: int, max_depth: int) -> dict[str, Any]:
    if len(data) > max_bytes:
        raise Bad(f"{what} is larger than {max_bytes} bytes")
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise Bad(f"{what} nests deeper than {max_depth} levels")
        elif token in (b"]", b"}"):
            depth -= 1
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise Bad(f"{what} is not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(value, dict):
        raise Bad(f"{what} is not a JSON object")
    return value


def get_dict(obj: dict[str, Any], key: str, what: str, required: bool = False) -> dict[str, Any]:
    value = obj.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise Bad(f"{what}: {key} is {'missing' if value is None else 'not an object'}")
    return value


def get_list(obj: dict[str, Any], key: str, what: str, required: bool = False) -> list[Any]:
    value = obj.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise Bad(f"{what}: {key} is {'missing' if value is None else 'not a list'}")
    return value


def get_str(obj: dict[str, Any], key: str, what: str, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise Bad(f"{what}: {key} is {'missing' if value is None else 'not a string'}")
    return value


def get_str_list(obj: dict[str, Any], key: str, what: str) -> tuple[str, ...] | None:
    """A list of strings, or None when absent or null (Docker writes `"Cmd": null`)."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Bad(f"{what}: {key} is not a list of strings")
    return tuple(value)
