"""The options an app's own configuration file sets: uWSGI's `.ini` (and YAML-style `key: value`),
and the drain timeouts of gunicorn, puma, Sidekiq, nginx and Spring Boot config files.

uWSGI reads every command-line option from its config file too (`--ini FILE`, or a
lone `app.ini` operand), so `die-on-term = true` in the file is `--die-on-term`
(uwsgi-docs Configuration.html: "any option on the command line can be placed in a
config file"). Only what a static reading can tell: `key = value` lines of the
`[uwsgi]` section, or `key: value` lines, with a true value or none.

The drain timeouts (`sigcheck.model.drain` says what each means) are read the same
way: literals only, nothing run, nothing computed guessed at. A gunicorn config is
Python, so it is parsed (`ast`, never executed) and only a top-level
`graceful_timeout = 60` counts; one assigned anything else anywhere makes the
value unknown. A puma config is Ruby: only an unindented `worker_shutdown_timeout
30` line (one inside a block may not run). Each function returns (the setting as
written, its value) or None.
"""

from __future__ import annotations

import ast
import re

__all__ = [
    "enabled_options",
    "gunicorn_graceful_timeout",
    "nginx_worker_shutdown_timeout",
    "puma_worker_shutdown_timeout",
    "sidekiq_timeout",
    "spring_shutdown_phase_timeout",
]

Setting = tuple[str, str]
_TRUE = frozenset({"", "1", "true", "yes", "on", "y", "t"})


def enabled_options(text: str) -> frozenset[str]:
    """`--name` for every option the file turns on."""
    found: set[str] = set()
    section: str | None = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section not in (None, "uwsgi"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep and " " not in line:
            key, value = line, ""  # a bare `die-on-term`
        elif not sep:
            continue
        if value.strip().strip("\"'").lower() in _TRUE:
            found.add("--" + key.strip().lstrip("-").replace("_", "-"))
    return frozenset(found)


def gunicorn_graceful_timeout(text: str) -> Setting | None:
    """A top-level `graceful_timeout = <number>` of a gunicorn config (Python, not run)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found: Setting | None = None
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, (ast.AugAssign, ast.AnnAssign))
            else []
        )
        if not any(isinstance(t, ast.Name) and t.id == "graceful_timeout" for t in targets):
            continue
        value = getattr(node, "value", None)
        literal = (
            isinstance(node, (ast.Assign, ast.AnnAssign))
            and node in tree.body
            and isinstance(value, ast.Constant)
            and type(value.value) in (int, float)
        )
        if not literal:
            return None  # computed, conditional or changed later: not a number the file states
        assert isinstance(value, ast.Constant)
        number = value.value
        assert isinstance(number, (int, float))
        found = (f"graceful_timeout = {number}", str(number))
    return found


_PUMA = re.compile(
    r"^worker_shutdown_timeout[ \t]*(?:\([ \t]*(\d+)[ \t]*\)|[ \t](\d+))[ \t]*(?:#.*)?$", re.MULTILINE
)


def puma_worker_shutdown_timeout(text: str) -> Setting | None:
    """The last unindented `worker_shutdown_timeout 30` (or `(30)`) of a puma config."""
    matches = list(_PUMA.finditer(text))
    if not matches:
        return None
    value = matches[-1].group(1) or matches[-1].group(2)
    return (f"worker_shutdown_timeout {value}", value)


def sidekiq_timeout(text: str) -> Setting | None:
    """A top-level `:timeout: 25` or `timeout: 25` of a Sidekiq YAML config."""
    for key, value in _yaml_pairs(text):
        if key in (":timeout", "timeout") and value.isdigit():
            return (f"{key}: {value}", value)
    return None


def spring_shutdown_phase_timeout(text: str, properties: bool) -> Setting | None:
    """`spring.lifecycle.timeout-per-shutdown-phase` of an application.properties or the
    first document of an application.yml (the others are profile-specific)."""
    pairs = _properties_pairs(text) if properties else _yaml_pairs(text)
    for key, value in pairs:
        if key == "spring.lifecycle.timeout-per-shutdown-phase" and value:
            return (f"{key}{'=' if properties else ': '}{value}", value)
    return None


def nginx_worker_shutdown_timeout(text: str) -> Setting | None:
    """`worker_shutdown_timeout 10s;` in the main context of an nginx.conf (no `include`
    followed: only the file itself)."""
    depth, statement = 0, list[str]()
    for line in text.split("\n"):
        for char in line.split("#", 1)[0]:
            if char == "{":
                depth, statement = depth + 1, []
            elif char == "}":
                depth, statement = max(depth - 1, 0), []
            elif char == ";":
                words = "".join(statement).split()
                statement = []
                if depth == 0 and len(words) >= 2 and words[0] == "worker_shutdown_timeout":
                    written = " ".join(words[1:])
                    return (f"worker_shutdown_timeout {written};", written.strip("'\""))
            else:
                statement.append(char)
        statement.append(" ")
    return None


def _yaml_pair(raw: str) -> tuple[int, str, str] | None:
    """(indent, key, scalar as written) of a `key: value` line; one pass over the line (a
    regex for this backtracked quadratically on a long line without a colon)."""
    stripped = raw.lstrip(" ")
    indent = len(raw) - len(stripped)
    if stripped[:1] in ("'", '"'):
        end = stripped.find(stripped[0], 1)
        if end < 0:
            return None
        key, rest = stripped[1:end], stripped[end + 1 :].lstrip(" \t")
        if not rest.startswith(":"):
            return None
        after = rest[1:]
    else:
        lead = ":" if stripped.startswith(":") else ""  # Ruby symbol keys: `:timeout: 25`
        body = stripped[len(lead) :]
        if not body or body[0] in " \t#:'\"":
            return None
        name, colon, after = body.partition(":")
        if not colon or "#" in name:
            return None
        key = lead + name.rstrip(" \t")
    if after and after[0] not in " \t":
        return None  # `a:b` is a scalar, not a pair
    return indent, key, after.strip(" \t")


def _yaml_pairs(text: str) -> list[tuple[str, str]]:
    """(dotted key, scalar) of the block mappings of a YAML file's first document: enough
    for configuration keys; flow collections, anchors and multi-line scalars are skipped."""
    pairs: list[tuple[str, str]] = []
    path: list[tuple[int, str]] = []
    for index, raw in enumerate(text.split("\n")):
        if raw.strip() == "---" and index > 0 and pairs:
            break
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        pair = _yaml_pair(raw)
        if pair is None:
            continue
        indent, key, written = pair
        while path and path[-1][0] >= indent:
            path.pop()
        value = written.split(" #", 1)[0].strip()
        if not value:
            path.append((indent, key))
            continue
        pairs.append((".".join([*(k for _, k in path), key]), value.strip("'\"")))
    return pairs


def _properties_pairs(text: str) -> list[tuple[str, str]]:
    """`key=value`, `key: value` and `key value` lines of a .properties file (no continuations)."""
    pairs: list[tuple[str, str]] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        match = re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
        if match is not None:
            pairs.append((match.group(1), match.group(2).strip()))
    return pairs
