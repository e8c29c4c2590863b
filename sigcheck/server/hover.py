"""Hover text: the launch chain and the stop signal; a diagnostic's rule and page."""

from __future__ import annotations

import os
from collections.abc import Iterable

from sigcheck.findings import DOCS_URL
from sigcheck.rules import rule_by_id
from sigcheck.server.launch import LaunchInfo

__all__ = ["chain_markdown", "rule_markdown"]


def _code(text: str) -> str:
    # Backticks in a chain link (a shell string) would end the code span early.
    fence = "``" if "`" in text else "`"
    return f"{fence}{text.replace(chr(10), ' ')}{fence}"


def chain_markdown(info: LaunchInfo, dockerfile: str, stage: str | None = None) -> str:
    """The chain, PID 1 first, and what the stop signal does; `stage` is the hovered
    instruction's stage when it is not one the running image is built from."""
    out = [
        f"**sigcheck: launch chain** of `{os.path.basename(dockerfile)}` (stage `{info.stage}`), PID 1 first:"
    ]
    if stage is not None:
        out.append(f"\n_Stage `{stage}` does not run: the image runs stage `{info.stage}`._")
    out.append("")
    if not info.chain:
        out.append("_No ENTRYPOINT or CMD: the container has nothing to run._")
    for number, link in enumerate(info.chain, 1):
        out.append(f"{number}. {_code(link)}")
    if info.truncated:
        out.append("\n_The chain is longer than sigcheck follows; the rest is not shown._")
    out.append("")
    out.append(f"**Stop signal:** `{info.stopsignal}` ({info.stopsignal_source}).")
    if info.has_app:
        if info.app_receives is None:
            out.append(
                "At `docker stop` the app receives **nothing** and is SIGKILLed after the grace period."
            )
        else:
            out.append(f"At `docker stop` the app receives `{info.app_receives}`.")
    return "\n".join(out)


def rule_markdown(rules: Iterable[str]) -> str:
    parts = []
    for rule_id in dict.fromkeys(rules):
        rule = rule_by_id(rule_id)
        url = DOCS_URL.format(rule=rule_id)
        if rule is None:
            parts.append(f"**{rule_id}** — [rule page]({url})")
        else:
            parts.append(
                f"**{rule.id}** `{rule.name}` ({rule.severity.label}): {rule.summary}. [Rule page]({url})"
            )
    return "\n\n".join(parts)
