"""SIG501: an entry script in the chain could not be checked (doc: rules/SIG501.md)."""

from __future__ import annotations

from collections.abc import Iterator

from sigcheck.findings import Finding, Severity
from sigcheck.model.chain import MAX_LINKS
from sigcheck.rules.base import Context, Rule


def check(ctx: Context) -> Iterator[Finding]:
    yield from _bounds(ctx)
    yield from _unknown_image(ctx)
    for link in ctx.chain.links:
        info = link.script
        if link.role != "script" or info is None or info.problem is None or info.origin is None:
            continue
        message = (
            f"The container runs {info.image_path}, but sigcheck could not read it: {info.problem}. "
            "Whether it execs the app (and so whether the app gets the stop signal) is unknown; "
            "nothing outside the build context is ever read."
        )
        yield ctx.finding(RULE, info.origin.span or ctx.anchor(), message)


def _unknown_image(ctx: Context) -> Iterator[Finding]:
    """A deployment's `image:` that is neither built here nor in the knowledge base: what
    the image itself runs is not checked (deploy_lint says it once per image and file)."""
    base = ctx.config.base
    deployment_image = ctx.dockerfile is None and ctx.files is None and ctx.image_span is not None
    if not deployment_image or ctx.image_span is None or (base is not None and base.known):
        return
    what = (
        f"sigcheck does not know the image `{base.reference}`: no Dockerfile of this run builds "
        "it and it is not an official image sigcheck knows"
        if base is not None
        else "The container names no image"
    )
    how = (
        " To check it, lint it with the Compose service that builds it (both `image:` and "
        "`build:`, in the same project or the same sigcheck run), or map it to its Dockerfile "
        f'in `[tool.sigcheck.images]` (`"{_untagged(base.reference)}" = "path/to/Dockerfile"` '
        "in pyproject.toml or .sigcheck.toml)."
        if base is not None
        else ""
    )
    yield ctx.finding(
        RULE,
        ctx.image_span,
        f"{what}, so the image's own ENTRYPOINT, CMD and STOPSIGNAL are not checked. "
        "What the deployment overrides is still checked on its own (a `sh -c` command is a "
        f"shell whatever the image).{how}",
    )


def _untagged(reference: str) -> str:
    name = reference.split("@", 1)[0]
    colon = name.rfind(":")
    return name[:colon] if colon > name.rfind("/") else name


def _bounds(ctx: Context) -> Iterator[Finding]:
    """A limit that stopped the analysis is said, never turned into a clean result."""
    first = ctx.chain.links[0] if ctx.chain.links else None
    if ctx.chain.truncated and first is not None:
        message = (
            f"The launch chain goes on past the {MAX_LINKS} links sigcheck follows (scripts starting "
            "scripts); what runs after that, and whether it gets the stop signal, was not checked."
        )
        yield ctx.finding(RULE, (first.origin.span if first.origin else None) or ctx.anchor(), message)
    for link in ctx.chain.links:
        info = link.script
        if (
            info is not None
            and info.analysis is not None
            and info.analysis.truncated
            and info.origin is not None
        ):
            message = (
                f"{info.image_path} nests subshells, branches or function calls deeper than sigcheck "
                "follows; the commands past that depth were not checked."
            )
            yield ctx.script_finding(RULE, info.origin, 1, message)


RULE = Rule(
    id="SIG501",
    name="script-not-checked",
    severity=Severity.INFO,
    summary="An entry script in the launch chain could not be read (outside the context, from an image)",
    check=check,
)
