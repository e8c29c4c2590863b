"""The static side: where its findings come from, what they predict, and the verdict.

A static verdict predicts one of two things about `docker stop`: the container
is SIGKILLed after the grace period (an error finding of the shell-wrapper,
script/launcher, init or STOPSIGNAL families: SIG1xx-SIG4xx, e.g. SIG102,
SIG201, SIG301 for an app that ignores TERM as PID 1, SIG402), or it stops on
the signal (no such error). Warnings say "it depends" and predict neither, so
they are shown but do not count. SIG5xx (the analysis could not see the entry
point) and SIG6xx (orchestration files) say nothing about this image's stop.
"""

# No `from __future__ import annotations` here: this module defines NamedTuples.

from collections.abc import Sequence
from typing import NamedTuple

from sigcheck.findings import Finding, Severity
from sigcheck.verify.observe import Observation

__all__ = ["KILL_FAMILIES", "StaticSide", "Verdict", "compare", "kill_predictors", "static_findings"]

KILL_FAMILIES = ("SIG1", "SIG2", "SIG3", "SIG4")


class StaticSide(NamedTuple):
    source: str  # what was linted, for the report: "Dockerfile PATH (target STAGE)"
    findings: tuple[Finding, ...]
    error: str | None = None  # the lint failed: no prediction


class Verdict(NamedTuple):
    result: str  # "confirmed", "disagreement" or "unverified"
    predicted: str | None  # "sigkill", "clean" or None (no static side)
    observed: str  # Observation.outcome
    because: tuple[Finding, ...]  # the findings that predict a SIGKILL
    detail: str


def static_findings(image: str, dockerfile: str | None, target: str | None = None) -> StaticSide | None:
    """The static verdict for IMAGE, or None when there is nothing to lint.

    The one place that decides where static findings come from. Today: the
    Dockerfile the image was built from (`--dockerfile`, `--target`). When
    `sigcheck image` (issue 15) lands, the default (no `--dockerfile`) should save
    IMAGE with the engine (`save -o TMP/image.tar`) and lint that archive here,
    so the comparison is with the very image that ran.
    """
    if dockerfile is None:
        return None
    # Imported here: `sigcheck verify --help` should not load the linter.
    from sigcheck.lint import LintOptions, lint_file

    # The rules' own severities and no configuration file: a project that lowers
    # SIG201 to a warning still wants to know whether the kernel agrees with the rule.
    report = lint_file(dockerfile, LintOptions(target=target))
    source = f"Dockerfile {dockerfile}" + (f" (target {target})" if target else "")
    if report.error is not None:
        return StaticSide(source, (), report.error)
    return StaticSide(source, tuple(sorted(report.findings, key=Finding.sort_key)))


def kill_predictors(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """The findings that predict a SIGKILL at the end of the grace period."""
    return tuple(f for f in findings if f.severity >= Severity.ERROR and f.rule.startswith(KILL_FAMILIES))


def compare(findings: Sequence[Finding] | None, observation: Observation) -> Verdict:
    """Confirmed when the static findings predicted what the engine did, else a disagreement."""
    observed = observation.outcome
    because = kill_predictors(findings) if findings is not None else ()
    if findings is None:
        detail = "no static verdict to compare (--dockerfile FILE lints the Dockerfile of the image)"
        return Verdict("unverified", None, observed, (), detail)
    predicted = "sigkill" if because else "clean"
    rules = ", ".join(dict.fromkeys(f.rule for f in because))
    if observed == "exited-early":
        return Verdict(
            "unverified", predicted, observed, because,
            f"the container exited by itself (code {observation.exit_code}) before the stop",
        )  # fmt: skip
    if predicted == "sigkill" and observed == "sigkill":
        detail = f"{rules} predicted the SIGKILL after the {observation.timeout} s grace period"
        return Verdict("confirmed", predicted, observed, because, detail)
    if predicted == "clean" and observed != "sigkill":
        detail = f"no error finding predicted a SIGKILL, and it stopped in {observation.seconds:.2f} s"
        if observed == "nonzero":
            detail += f" (with exit code {observation.exit_code})"
        return Verdict("confirmed", predicted, observed, because, detail)
    if predicted == "sigkill":
        detail = (
            f"{rules} predicted a SIGKILL, but the container stopped on {observation.signal} "
            f"in {observation.seconds:.2f} s (exit code {observation.exit_code})"
        )
    else:
        detail = (
            f"no error finding predicted it, but the container ignored {observation.signal} and was "
            f"SIGKILLed after {observation.timeout} s"
        )
        if observation.timeout < 10:
            detail += " (or it needs longer than that to stop: try a larger --timeout)"
    return Verdict("disagreement", predicted, observed, because, detail)
