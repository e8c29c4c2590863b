"""Running sigcheck as users do: a separate process, `python -m sigcheck`, with a timeout.

Shared by the issue #7 tests (test_bad_input, test_sandbox, test_output_safety,
test_bounds, test_side_effects). A hang fails the test (subprocess.run kills
the child at the timeout) instead of blocking the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sigcheck.cli import FORMATS
from sigcheck.lint import INTERNAL_ERROR

__all__ = [
    "FORMATS_UNDER_TEST",
    "INTERNAL_ERROR",
    "REPO",
    "Result",
    "run_sigcheck",
    "sarif_errors",
    "sarif_findings",
    "validate_sarif",
]

REPO = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"

# text and json always; sarif once the CLI offers it.
FORMATS_UNDER_TEST: tuple[str, ...] = tuple(f for f in ("text", "json", "sarif") if f in FORMATS)

# Variables that change sigcheck's output; each test sets what it needs.
_CLEARED = ("NO_COLOR", "FORCE_COLOR", "GITHUB_WORKSPACE", "CI_PROJECT_DIR", "COLUMNS", "TERM")


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.stdout)
        return document

    def assert_sane(self) -> None:
        """What every run must give, whatever the input: no traceback, no internal error."""
        assert "Traceback (most recent call last)" not in self.stderr, self.stderr[-3000:]
        assert "Traceback (most recent call last)" not in self.stdout, self.stdout[-3000:]
        assert INTERNAL_ERROR not in self.stderr, self.stderr[-3000:]
        assert INTERNAL_ERROR not in self.stdout, self.stdout[-3000:]
        assert self.code in (0, 1, 2), (self.code, self.stderr[-3000:])


def run_sigcheck(
    args: list[str],
    cwd: Path,
    *,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
) -> Result:
    """`[prefix...] python -m sigcheck ARGS` in `cwd`; the package is imported from this checkout."""
    environment = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    environment["PYTHONPATH"] = str(REPO) + os.pathsep + environment.get("PYTHONPATH", "")
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    environment["PYTHONIOENCODING"] = "utf-8"
    environment.update(env or {})
    command = [*(prefix or []), sys.executable, "-m", "sigcheck", *args]
    completed = subprocess.run(
        command,
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return Result(
        tuple(args),
        completed.returncode,
        completed.stdout.decode("utf-8", "surrogateescape"),
        completed.stderr.decode("utf-8", "surrogateescape"),
    )


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def validate_sarif(document: dict[str, Any]) -> None:
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def _uri_path(location: dict[str, Any]) -> str:
    from urllib.parse import unquote, urlparse

    uri: str = location["physicalLocation"]["artifactLocation"]["uri"]
    if uri.startswith("file:"):
        return unquote(urlparse(uri).path)
    return unquote(uri)


def sarif_findings(document: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(rule, path as a relative or absolute file path, start line) of every result."""
    out: list[tuple[str, str, int]] = []
    for result in document["runs"][0]["results"]:
        location = result["locations"][0]
        out.append(
            (result["ruleId"], _uri_path(location), location["physicalLocation"]["region"]["startLine"])
        )
    return out


def sarif_errors(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, message) of every file sigcheck could not lint."""
    invocation = document["runs"][0]["invocations"][0]
    return [
        (_uri_path(n["locations"][0]), n["message"]["text"])
        for n in invocation.get("toolExecutionNotifications", [])
    ]
