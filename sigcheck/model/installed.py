"""Which inits a Dockerfile installs: `apk add tini`, `apt-get install dumb-init`, a COPY of the binary.

Read from the RUN and COPY/ADD instructions of the stage and the stages it is
built on (an image's layers show the files themselves instead).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from sigcheck.load.dockerfile import Instruction
from sigcheck.model.image import Stage
from sigcheck.model.knowledge import init_packages

__all__ = ["installed_inits"]

# Patterns are strings: re compiles (and caches) one on first use, not at every start-up.
_INSTALLERS = (
    r"\b(apk\s+add|apt-get\s+install|apt\s+install|dnf\s+install|yum\s+install"
    r"|microdnf\s+install|pip3?\s+install|zypper\s+(in|install))\b"
)


def _installs(ins: Instruction, packages: dict[str, tuple[str, ...]]) -> str | None:
    if ins.keyword == "RUN":
        text = " ".join([ins.rest, *(h.content for h in ins.heredocs)])
        installer = re.search(_INSTALLERS, text) is not None
        if not installer and "tini" not in text:
            return None
        for init, names in packages.items():
            for name in names:
                if name not in text:
                    continue  # the regexes below only refine a plain substring match
                mentioned = re.search(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])", text)
                if mentioned and (installer or re.search(r"(curl|wget)\b[^\n]*" + re.escape(name), text)):
                    return init
        return None
    if ins.keyword in ("COPY", "ADD") and len(ins.args) >= 2:
        for source in ins.args:
            base = posixpath.basename(source.rstrip("/")).lower()
            for init, names in packages.items():
                if any(
                    base == name or base.startswith(name + "-") or base.startswith(name + "_")
                    for name in names
                ):
                    return init
    return None


def installed_inits(stage: Stage) -> Iterator[tuple[str, Instruction]]:
    """(init, the instruction that installs it), the stage itself first."""
    packages = init_packages()
    current: Stage | None = stage
    while current is not None:
        for ins in current.instructions:
            init = _installs(ins, packages)
            if init is not None:
                yield init, ins
        current = current.parent
