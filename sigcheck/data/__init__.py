"""The knowledge base: images.json (base images) and apps.json (apps, inits, supervisors)."""

from __future__ import annotations

import fnmatch
import json
import os
from typing import Any

__all__ = ["load", "name_matches"]


def load(name: str) -> dict[str, Any]:
    """One of the JSON files next to this module. A plain path, not importlib.resources
    (~10 ms to import) or pathlib (~5 ms): this runs on every start-up."""
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def name_matches(name: str, pattern: str) -> bool:
    """`name` matches a name pattern of the data files, where `*` is the only wildcard
    (tests/test_knowledge.py checks that). Most are prefixes (`gcr.io/distroless/*`),
    checked without compiling a regular expression."""
    star = pattern.find("*")
    if star < 0:
        return name == pattern
    if star == len(pattern) - 1:
        return name.startswith(pattern[:-1])
    return fnmatch.fnmatchcase(name, pattern)
