"""SIG303: an init is installed in the image but never used (doc: rules/SIG303.md)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.load.dockerfile import Instruction
from sigcheck.model.image import Stage
from sigcheck.model.knowledge import init_packages
from sigcheck.rules.base import Context, Rule

# Patterns are strings: re compiles (and caches) one on first use, not at every start-up.
_INSTALLERS = (
    r"\b(apk\s+add|apt-get\s+install|apt\s+install|dnf\s+install|yum\s+install"
    r"|microdnf\s+install|pip3?\s+install|zypper\s+(in|install))\b"
)


def _installs(ins: Instruction, packages: dict[str, tuple[str, ...]]) -> str | None:
    if ins.keyword == "RUN":
        text = " ".join([ins.rest, *(h.content for h in ins.heredocs)])
        if not re.search(_INSTALLERS, text) and "tini" not in text:
            return None
        for init, names in packages.items():
            for name in names:
                mentioned = re.search(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])", text)
                fetched = re.search(r"(curl|wget)\b[^\n]*" + re.escape(name), text)
                if mentioned and (re.search(_INSTALLERS, text) or fetched):
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


def _ancestry(stage: Stage) -> Iterator[Stage]:
    current: Stage | None = stage
    while current is not None:
        yield current
        current = current.parent


def check(ctx: Context) -> Iterator[Finding]:
    if any(link.role == "init" for link in ctx.chain.links):
        return
    packages = init_packages()
    for stage in _ancestry(ctx.stage):
        for ins in stage.instructions:
            init = _installs(ins, packages)
            if init is None:
                continue
            message = (
                f"{init} is installed here but the container never runs it: the launch chain starts with "
                f"`{ctx.chain.links[0].program if ctx.chain.links else 'nothing'}`. An init only helps as "
                f"PID 1; make it the first element of an exec-form ENTRYPOINT, or drop it from the image."
            )
            fix = f'ENTRYPOINT ["{init}", "--"]' if init != "dumb-init" else 'ENTRYPOINT ["dumb-init", "--"]'
            yield ctx.finding(RULE, ctx.at(ins), message, fix=fix)
            return


RULE = Rule(
    id="SIG303",
    name="init-installed-unused",
    severity=Severity.WARNING,
    summary="An init (tini, dumb-init, catatonit) is installed in the image but never started",
    check=check,
)
