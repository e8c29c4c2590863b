"""The knowledge base: images.json (base images) and apps.json (apps, inits, supervisors)."""

from __future__ import annotations

import json
import os
from typing import Any

__all__ = ["load"]


def load(name: str) -> dict[str, Any]:
    """One of the JSON files next to this module. A plain path, not importlib.resources
    (~10 ms to import) or pathlib (~5 ms): this runs on every start-up."""
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data
