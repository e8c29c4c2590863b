"""The options an app's own configuration file sets: uWSGI's `.ini` (and YAML-style `key: value`).

uWSGI reads every command-line option from its config file too (`--ini FILE`, or a
lone `app.ini` operand), so `die-on-term = true` in the file is `--die-on-term`
(uwsgi-docs Configuration.html: "any option on the command line can be placed in a
config file"). Only what a static reading can tell: `key = value` lines of the
`[uwsgi]` section, or `key: value` lines, with a true value or none.
"""

from __future__ import annotations

__all__ = ["enabled_options"]
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
