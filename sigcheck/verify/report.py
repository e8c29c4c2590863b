"""`sigcheck verify` reports: text for people, JSON (`--format json`) for CI."""

import json
from typing import Any

from sigcheck.verify.observe import Observation
from sigcheck.verify.verdict import StaticSide, Verdict

__all__ = ["error_json", "render_json", "render_text"]

_OUTCOMES = {
    "clean": "stopped gracefully",
    "nonzero": "stopped in time, but with a non-zero exit code",
    "sigkill": "SIGKILLed by the engine after the grace period",
    "exited-early": "exited by itself before the stop: nothing to verify",
}


def render_text(observation: Observation, static: StaticSide | None, verdict: Verdict) -> str:
    o = observation
    lines = [f"image    {o.image} ({_short(o.image_id)}) with {o.engine}"]
    if o.args:
        lines.append(f"args     {' '.join(o.args)}")
    ready = "" if o.ready is None else (", ready line seen" if o.ready else ", ready line NOT seen")
    lines.append(f"before the stop ({o.waited:.1f} s after the start{ready}):")
    if o.processes:
        lines.append(f"  {'PID':>5} {'PPID':>5}  {'USER':<8} COMMAND")
        lines += [f"  {p.pid:>5} {p.ppid:>5}  {p.user:<8} {p.args}" for p in o.processes]
    else:
        lines.append("  (no process list: the container was not running)")
    pid1 = o.pid1
    lines.append(f"PID 1    {pid1.args if pid1 else '?'}")
    lines.append(f"signal   {o.signal} ({o.signal_source}) via `{o.engine} stop -t {o.timeout}`")
    if o.exited_early:
        lines.append(f"result   {_OUTCOMES[o.outcome]} (exit code {o.exit_code})")
    else:
        lines.append(f"result   {_OUTCOMES[o.outcome]}: exit code {o.exit_code} after {o.seconds:.2f} s")
    if o.oom_killed:
        lines.append("         the kernel's OOM killer ended it (memory limit)")
    lines += [f"engine   {note}" for note in o.engine_notes]
    if o.output:
        lines.append("output (last lines):")
        lines += [f"  | {line}" for line in o.output]
    if static is None:
        lines.append("static   none (--dockerfile FILE lints the Dockerfile the image was built from)")
    elif static.error is not None:
        lines.append(f"static   {static.source}: could not lint: {static.error}")
    else:
        counted = {id(f) for f in verdict.because}
        lines.append(f"static   {static.source}: {len(static.findings)} finding(s)")
        for f in static.findings:
            mark = "*" if id(f) in counted else " "
            lines.append(f"  {mark} {f.severity.label:<7} {f.rule} {f.name}  {f.path}:{f.line}")
        if verdict.because:
            lines.append("  (* predicts a SIGKILL)")
    lines.append(f"verdict  {verdict.result}: {verdict.detail}")
    return "\n".join(lines) + "\n"


def render_json(observation: Observation, static: StaticSide | None, verdict: Verdict) -> str:
    from sigcheck.report.json_format import finding_dict

    o = observation
    data: dict[str, Any] = {
        "version": 1,
        "image": o.image,
        "image_id": o.image_id,
        "engine": o.engine,
        "args": list(o.args),
        "observation": {
            "pid1": o.pid1.args if o.pid1 else None,
            "processes": [p._asdict() for p in o.processes],
            "waited": o.waited,
            "ready": o.ready,
            "signal": o.signal,
            "signal_source": o.signal_source,
            "timeout": o.timeout,
            "seconds": o.seconds,
            "exit_code": o.exit_code,
            "sigkill": o.killed,
            "oom_killed": o.oom_killed,
            "outcome": o.outcome,
            "engine_notes": list(o.engine_notes),
            "output": list(o.output),
        },
        "static": None
        if static is None
        else {
            "source": static.source,
            "error": static.error,
            "findings": [finding_dict(f) for f in static.findings],
            "predicts_sigkill": [f.rule for f in verdict.because],
        },
        "verdict": {
            "result": verdict.result,
            "predicted": verdict.predicted,
            "observed": verdict.observed,
            "detail": verdict.detail,
        },
        "exit_code": o.exit_status,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _short(image_id: str) -> str:
    bare = image_id.split(":", 1)[-1]
    return bare[:12] if bare else "no id"


def error_json(message: str) -> str:
    """The JSON report of a run that could not happen (exit code 2)."""
    return json.dumps({"version": 1, "error": message, "exit_code": 2}, indent=2) + "\n"
