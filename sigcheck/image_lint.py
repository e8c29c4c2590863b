"""One image archive in, findings out: config + layers -> model -> chain -> rules.

The image twin of `sigcheck.lint`: the same chain and rules, with the image's
stored config for the Dockerfile's instructions and its merged layers for the
build context. There is no Dockerfile, so there are no ignore comments: only the
configuration's per-file ignores and severity overrides apply.
"""

from __future__ import annotations

from sigcheck.findings import FileReport, Finding
from sigcheck.lint import INTERNAL_ERROR, LintOptions, options_runtime, run_rules
from sigcheck.load.files import LoadError
from sigcheck.load.image import Image, ImageError, open_images
from sigcheck.model.chain import build_chain
from sigcheck.model.image_files import LayerImageFiles, image_config
from sigcheck.rules import Context

__all__ = ["lint_image", "lint_images"]


def _lint_one(path: str, image: Image, options: LintOptions) -> FileReport:
    config = image_config(image)
    files = LayerImageFiles(image)
    runtime = options_runtime(options)
    chain = build_chain(config, files, runtime)
    findings = run_rules(Context(path, config, chain, files, runtime, None), options)
    # Every finding names the image: an archive may hold several, and its path has no lines.
    named = [f._replace(logical=f"{image.name} {f.logical or 'config'}") for f in findings]
    named.sort(key=lambda f: (f.logical or "", *f.sort_key()))
    return FileReport(path, named, sources=_sources(image.name, named, files), image=image.name)


def _sources(name: str, findings: list[Finding], files: LayerImageFiles) -> dict[str, str]:
    """The in-image scripts findings point at, as the chain read them, by logical file."""
    sources: dict[str, str] = {}
    for finding in findings:
        key = finding.logical_file
        if key is not None and key not in sources:
            text = files.texts.get(key.removeprefix(f"{name} "))
            if text is not None:
                sources[key] = text
    return sources


def lint_image(path: str, options: LintOptions, platform: str | None = None) -> list[FileReport]:
    """One report per image of the archive at `path` (`-`: standard input); a single
    report with the error when the archive cannot be read."""
    try:
        with open_images(path, platform=platform) as archive:
            reports = [_lint_one(path, image, options) for image in archive.images]
            if not reports:
                return [FileReport(path, error="the archive holds no image")]
            return reports
    except ImageError as exc:
        return [FileReport(path, error=str(exc).removeprefix(f"{path}: "))]
    except LoadError as exc:
        return [FileReport(path, error=str(exc))]
    except (RecursionError, MemoryError) as exc:
        return [
            FileReport(path, error=f"input too deeply nested or too large to analyse ({type(exc).__name__})")
        ]
    except Exception as exc:  # the last guard: one bad archive must not stop the others
        if options.debug:
            raise
        message = f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc} (run with --debug for the traceback)"
        return [FileReport(path, error=message)]


def lint_images(paths: list[str], options: LintOptions, platform: str | None = None) -> list[FileReport]:
    return [report for path in paths for report in lint_image(path, options, platform)]
