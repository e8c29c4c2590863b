"""The static side: where its findings come from, what they predict, and the verdict.

A static verdict predicts one of two things about `docker stop`: the container
is SIGKILLed after the grace period (an error finding of the shell-wrapper,
script/launcher, init or STOPSIGNAL families: SIG1xx-SIG4xx, e.g. SIG102,
SIG201, SIG301 for an app that ignores TERM as PID 1, SIG402), or it stops on
the signal (no such error). A few of those errors predict a third thing (see
`effect`): PID 1 exits at once and the kernel SIGKILLs the app with it.
Warnings say "it depends" and predict neither, so they are shown but do not
count. SIG5xx (the analysis could not see the entry point) and SIG6xx
(orchestration files) say nothing about this image's stop.
"""

# No `from __future__ import annotations` here: this module defines NamedTuples.

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from sigcheck.findings import Finding, Severity
from sigcheck.model.signals import parse_signal
from sigcheck.verify.observe import Observation

if TYPE_CHECKING:
    from sigcheck.verify.engine import Engine

__all__ = [
    "KILL_FAMILIES",
    "StaticSide",
    "Verdict",
    "compare",
    "effect",
    "kill_predictors",
    "static_findings",
]

KILL_FAMILIES = ("SIG1", "SIG2", "SIG3", "SIG4")


class StaticSide(NamedTuple):
    source: str  # what was linted, for the report: "Dockerfile PATH (target STAGE)"
    findings: tuple[Finding, ...]
    error: str | None = None  # the lint failed: no prediction


class Verdict(NamedTuple):
    result: str  # "confirmed", "disagreement" or "unverified"
    predicted: str | None  # "sigkill", "abrupt", "clean" or None (no static side)
    observed: str  # Observation.outcome
    because: tuple[Finding, ...]  # the findings that predict a SIGKILL
    detail: str


def static_findings(
    image: str, dockerfile: str | None, target: str | None = None, engine: "Engine | None" = None
) -> StaticSide | None:
    """The static verdict for IMAGE, or None when there is nothing to lint.

    The one place that decides where static findings come from: the Dockerfile the
    image was built from (`--dockerfile`, `--target`) when given; else the very image
    that runs, saved by the engine (`save -o TMP/image.tar`) and linted as
    `sigcheck image` does, the temporary archive removed afterwards.
    """
    if dockerfile is None:
        return _image_findings(image, engine) if engine is not None else None
    # Imported here: `sigcheck verify --help` should not load the linter.
    from sigcheck.lint import LintOptions, lint_file

    # The rules' own severities and no configuration file: a project that lowers
    # SIG201 to a warning still wants to know whether the kernel agrees with the rule.
    report = lint_file(dockerfile, LintOptions(target=target))
    source = f"Dockerfile {dockerfile}" + (f" (target {target})" if target else "")
    if report.error is not None:
        return StaticSide(source, (), report.error)
    return StaticSide(source, tuple(sorted(report.findings, key=Finding.sort_key)))


def _image_findings(image: str, engine: "Engine") -> StaticSide:
    import shutil
    import tempfile

    from sigcheck.image_lint import lint_image
    from sigcheck.lint import LintOptions
    from sigcheck.verify.engine import EngineError

    source = f"image {image} (saved by {engine.name})"
    work = tempfile.mkdtemp(prefix="sigcheck-verify-")
    try:
        archive = f"{work}/image.tar"
        try:
            engine.call("save", "-o", archive, image, timeout=600)
        except EngineError as exc:
            return StaticSide(source, (), str(exc))
        reports = lint_image(archive, LintOptions())
        errors = [r.error for r in reports if r.error is not None]
        if errors:
            return StaticSide(source, (), errors[0])
        findings = [f for r in reports for f in r.findings]
        return StaticSide(source, tuple(sorted(findings, key=Finding.sort_key)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def kill_predictors(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """The findings that predict a SIGKILL: by the engine after the grace period, or by
    the kernel at once (see `effect`)."""
    return tuple(f for f in findings if f.severity >= Severity.ERROR and f.rule.startswith(KILL_FAMILIES))


def effect(finding: Finding) -> str:
    """ "abrupt" or "sigkill". Most errors mean "nothing stops the app, so the engine SIGKILLs
    it after the grace period"; a few (`Finding.at_once`: a trap that exits without killing
    the app, an init whose shell child dies without passing the signal on, a launcher that
    exits first, Python killed at once when it is not PID 1) mean PID 1 exits at once and
    the kernel SIGKILLs the app with it. The container then stops fast, and only the app's
    own output can show that it skipped its cleanup."""
    return "abrupt" if finding.at_once else "sigkill"


def compare(findings: Sequence[Finding] | None, observation: Observation) -> Verdict:
    """Confirmed when the static findings predicted what the engine did, else a disagreement."""
    observed = observation.outcome
    because = kill_predictors(findings) if findings is not None else ()
    if findings is None:
        detail = "no static verdict to compare (--dockerfile FILE lints the Dockerfile of the image)"
        return Verdict("unverified", None, observed, (), detail)
    effects = {effect(f) for f in because}
    predicted = "sigkill" if "sigkill" in effects else "abrupt" if effects else "clean"
    rules = ", ".join(dict.fromkeys(f.rule for f in because))
    if observed == "exited-early":
        return Verdict(
            "unverified", predicted, observed, because,
            f"the container exited by itself (code {observation.exit_code}) before the stop",
        )  # fmt: skip
    stopped = f"it stopped in {observation.seconds:.2f} s (exit code {observation.exit_code})"
    if predicted == "sigkill" and observed == "sigkill":
        detail = f"{rules} predicted the SIGKILL after the {observation.timeout} s grace period"
        return Verdict("confirmed", predicted, observed, because, detail)
    if predicted == "abrupt" and observed != "sigkill":
        detail = (
            f"{rules} predicted that PID 1 exits at once and the kernel SIGKILLs the app, skipping its "
            f"cleanup; {stopped}. The engine cannot see the app's own end: its output can"
        )
        return Verdict("confirmed", predicted, observed, because, detail)
    if predicted == "clean" and observed != "sigkill":
        detail = f"no error finding predicted a SIGKILL, and {stopped}"
        number = parse_signal(observation.signal).number
        if number is not None and observation.exit_code == 128 + number:
            detail += f": 128 + {observation.signal}, a process died of the signal's default action"
        return Verdict("confirmed", predicted, observed, because, detail)
    if predicted in ("sigkill", "abrupt"):
        detail = f"{rules} predicted a SIGKILL, but {stopped} after {observation.signal}"
        if predicted == "abrupt":
            detail = (
                f"{rules} predicted that PID 1 exits at once on {observation.signal}, but the container "
                f"ignored it and was SIGKILLed by the engine after {observation.timeout} s"
            )
    else:
        detail = (
            f"no error finding predicted it, but the container ignored {observation.signal} and was "
            f"SIGKILLed after {observation.timeout} s"
        )
        if observation.timeout < 10:
            detail += " (or it needs longer than that to stop: try a larger --timeout)"
    return Verdict("disagreement", predicted, observed, because, detail)
