"""What a Node.js project's package.json says `npm start` runs, read through the image's files."""

from __future__ import annotations

import json
import posixpath

from sigcheck.model.files import ImageFiles

__all__ = ["npm_start_script"]


def npm_start_script(files: ImageFiles, workdir: str) -> str | None:
    """`scripts.start` of the package.json in WORKDIR, when `npm start` runs nothing else
    (no prestart/poststart); None when it cannot be read or says something else."""
    origin = files.locate(posixpath.join(workdir, "package.json"))
    if origin is None or origin.kind != "context":
        return None
    text = files.read(origin)[0]
    try:
        package = json.loads(text) if text is not None else None
    except (ValueError, RecursionError):
        return None
    scripts = package.get("scripts") if isinstance(package, dict) else None
    if not isinstance(scripts, dict) or "prestart" in scripts or "poststart" in scripts:
        return None
    start = scripts.get("start")
    return start if isinstance(start, str) else None
