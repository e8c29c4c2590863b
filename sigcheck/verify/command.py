"""`sigcheck verify IMAGE [-- ARGS]`: the click command (sigcheck.cli loads it on demand)."""

import re
import sys

import click

__all__ = ["verify"]


def _signal(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from sigcheck.model.signals import parse_signal

    parsed = parse_signal(value)
    if parsed.error is not None or not parsed.number or not 1 <= parsed.number <= 64:
        raise click.BadParameter(f"{value!r} is not a signal the engine can send")
    return value


def _pattern(ctx: click.Context, param: click.Parameter, value: str | None) -> "re.Pattern[str] | None":
    if value is None:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        raise click.BadParameter(f"not a regular expression: {exc}") from None


@click.command("verify", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("image")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("--engine", type=click.Choice(["docker", "podman"]), help="default: the one on PATH")
@click.option(
    "--timeout", type=click.IntRange(0, 3600), default=10, show_default=True,
    help="grace period between the stop signal and SIGKILL (docker stop -t)",
)  # fmt: skip
@click.option(
    "--signal", "stop_signal", callback=_signal, help="stop signal (default: the image's STOPSIGNAL)"
)
@click.option(
    "--settle", type=click.FloatRange(0, 600), default=3.0, show_default=True,
    help="seconds to let the app start before the stop",
)  # fmt: skip
@click.option(
    "--ready-log", callback=_pattern, metavar="REGEX",
    help="stop once a line of output matches REGEX (at most 60 s) instead of after --settle",
)  # fmt: skip
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--dockerfile", type=click.Path(dir_okay=False), help="lint this Dockerfile for the static side"
)
@click.option("--target", help="the Dockerfile's build stage the image was built from")
def verify(
    image: str,
    args: tuple[str, ...],
    engine: str | None,
    timeout: int,
    stop_signal: str | None,
    settle: float,
    ready_log: "re.Pattern[str] | None",
    output_format: str,
    dockerfile: str | None,
    target: str | None,
) -> None:
    """Run IMAGE in docker or podman, stop it as `docker stop` does, and report what happened.

    It never pulls (IMAGE must be local), runs without network or volumes and with
    memory and PID limits, and removes the container afterwards. ARGS after `--`
    replace the image's CMD. Exit code: 0 stopped gracefully within the timeout,
    1 needed SIGKILL or exited non-zero, 2 could not run; 130 interrupted.
    """
    from sigcheck.verify import interrupt
    from sigcheck.verify.engine import EngineError, find_engine
    from sigcheck.verify.observe import Plan, observe
    from sigcheck.verify.report import error_json, render_json, render_text
    from sigcheck.verify.verdict import compare, static_findings

    plan = Plan(image, tuple(args), timeout, stop_signal, settle, ready_log)

    def fail(message: str) -> None:
        click.echo(f"sigcheck verify: {message}", err=True)
        if output_format == "json":
            click.echo(error_json(message), nl=False)
        sys.exit(2)

    def announce(line: str) -> None:
        click.echo(line, err=True)  # stderr: standard output stays a clean report

    if target is not None and dockerfile is None:
        fail("--target names a stage of the --dockerfile; give the Dockerfile too")
    # Lint first: a Dockerfile that cannot be read is a usage error, before anything runs.
    static = static_findings(image, dockerfile, target)
    if static is not None and static.error is not None:
        fail(f"{static.source}: {static.error}")
    with interrupt.guarded():
        try:
            found = find_engine(engine)
            if static is None and stop_signal is None and not args:
                # No --dockerfile: the static side is the image itself, saved by the engine.
                # (With --signal or ARGS the run is not the image's own: left unverified.)
                static = static_findings(image, None, None, found)
                if static is not None and static.error is not None:
                    announce(f"sigcheck verify: no static verdict: {static.error}")
                    static = None
            observation = observe(found, plan, announce)
        except EngineError as exc:
            if interrupt.interrupted() is None:
                fail(str(exc))
            observation = None
        except interrupt.Interrupted:
            observation = None
    signum = interrupt.interrupted()
    if signum is not None:
        click.echo("sigcheck verify: interrupted; the container was removed", err=True)
        sys.exit(128 + signum)
    assert observation is not None
    verdict = compare(static.findings if static is not None else None, observation)
    render = render_json if output_format == "json" else render_text
    click.echo(render(observation, static, verdict), nl=False)
    if observation.exited_early:
        click.echo("sigcheck verify: the container exited before the stop; nothing was verified", err=True)
    sys.exit(observation.exit_status)
