"""Issue #7, "never leak": nothing outside the build context is read.

Docker refuses COPY sources outside the context, and so does sigcheck: `..`,
absolute paths (Docker reads them relative to the context), `./a/../../x`,
the JSON form, and symlinks to a file or a directory outside. Each case has a
marker file outside the context with a unique string in it, written so that
reading it would change what sigcheck says (the script's command appears in
SIG201's message; an app file's SIGTERM handler silences SIG301). No output of
any format may contain the marker, and sigcheck must tell the user that the
script could not be checked (SIG501 when this was written; the wording is
`_Resolver.read`'s "... is outside the build context; it was not read").

The layout: <tmp>/outside/ (never read), <tmp>/repo/.git, <tmp>/repo/ctx/
(the Dockerfile and the context). Each case runs with `--context ctx` and with
the context discovered from the Dockerfile's location.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_helpers import run_sigcheck

from sigcheck.cli import FORMATS
from sigcheck.lint import LintOptions, lint_file

TOLD = (
    "outside the build context",
    "could not read",
    "could not be read",
    "not checked",
    "could not be checked",
)


@dataclass(frozen=True)
class Layout:
    root: Path
    ctx: Path
    outside: Path
    marker: str


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    marker = f"SIGCHECK_LEAK_{uuid.uuid4().hex}"
    outside = tmp_path / "outside"
    outside.mkdir()
    # A script whose only command carries the marker: SIG201 would quote it if it were read.
    (outside / "secret.sh").write_text(f"#!/bin/sh\n# {marker}\n{marker.lower()}_app --serve\n")
    (outside / "secret.sh").chmod(0o755)
    (outside / "app.py").write_text(
        f"# {marker}\nimport signal\nsignal.signal(signal.SIGTERM, lambda *a: None)\n"
    )
    ctx = tmp_path / "repo" / "ctx"
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (ctx / "a").mkdir(parents=True)
    os.symlink("../../outside/secret.sh", ctx / "link.sh")
    os.symlink("../../outside", ctx / "dirlink")
    os.symlink(str(outside / "secret.sh"), ctx / "abslink.sh")
    os.symlink("../../outside/app.py", ctx / "app.py")
    return Layout(tmp_path, ctx, outside, marker)


# (id, COPY line(s), ENTRYPOINT/CMD line); {outside} is the absolute path of the outside dir.
SCRIPT_CASES = [
    ("dotdot", "COPY ../../outside/secret.sh /run.sh", 'ENTRYPOINT ["/run.sh"]'),
    ("lexical-dotdot", "COPY ./a/../../../outside/secret.sh /run.sh", 'ENTRYPOINT ["/run.sh"]'),
    ("json-form-dotdot", 'COPY ["../../outside/secret.sh", "/run.sh"]', 'ENTRYPOINT ["/run.sh"]'),
    ("chmod-flag-dotdot", "COPY --chmod=755 ../../outside/secret.sh /run.sh", 'ENTRYPOINT ["/run.sh"]'),
    ("file-symlink", "COPY link.sh /run.sh", 'ENTRYPOINT ["/run.sh"]'),
    ("absolute-file-symlink", "COPY abslink.sh /run.sh", 'ENTRYPOINT ["/run.sh"]'),
    ("file-symlink-run-by-sh", "COPY link.sh /run.sh", 'ENTRYPOINT ["sh", "/run.sh"]'),
    ("file-symlink-shell-form", "COPY link.sh /run.sh", "ENTRYPOINT /run.sh"),
    ("file-symlink-on-path", "COPY link.sh /usr/local/bin/start", 'CMD ["start"]'),
    ("directory-symlink", "COPY dirlink/secret.sh /run.sh", 'ENTRYPOINT ["/run.sh"]'),
    ("whole-directory-symlink", "COPY dirlink /opt/d", 'ENTRYPOINT ["/opt/d/secret.sh"]'),
    ("copy-dot-with-symlink", "WORKDIR /app\nCOPY . /app", 'ENTRYPOINT ["./link.sh"]'),
    (
        "absolute-source",
        "COPY {outside}/secret.sh /run.sh",
        'ENTRYPOINT ["/run.sh"]',
    ),
]


def _dockerfile(layout: Layout, copy: str, start: str) -> Path:
    path = layout.ctx / "Dockerfile"
    path.write_text(f"FROM debian:bookworm-slim\n{copy.format(outside=layout.outside)}\n{start}\n")
    return path


def _all_outputs(layout: Layout, context: bool) -> dict[str, str]:
    """Every report format for ctx/Dockerfile, from one run: text on stdout (with stderr),
    the others written to files with FORMAT:FILE."""
    reports = layout.root / "reports"
    reports.mkdir(exist_ok=True)
    args = ["repo/ctx/Dockerfile"] + (["--context", "repo/ctx"] if context else [])
    for fmt in FORMATS:
        args += ["-f", fmt if fmt == "text" else f"{fmt}:reports/{fmt}.out"]
    result = run_sigcheck(args, layout.root)
    result.assert_sane()
    outputs = {"text": result.stdout + result.stderr}
    for fmt in FORMATS:
        if fmt != "text":
            outputs[fmt] = (reports / f"{fmt}.out").read_text(encoding="utf-8")
    return outputs


def _params() -> list[object]:
    params: list[object] = []
    for name, copy, start in SCRIPT_CASES:
        for context in (True, False):
            case_id = f"{name}-{'context' if context else 'discovered'}"
            params.append(pytest.param(copy, start, context, id=case_id))
    return params


@pytest.mark.parametrize(("copy", "start", "context"), _params())
def test_outside_script_is_never_read(layout: Layout, copy: str, start: str, context: bool) -> None:
    _dockerfile(layout, copy, start)
    for fmt, output in _all_outputs(layout, context).items():
        assert layout.marker not in output, fmt
        assert layout.marker.lower() not in output, fmt


def _told_params() -> list[object]:
    params: list[object] = []
    for name, copy, start in SCRIPT_CASES:
        params.append(pytest.param(copy, start, id=name))
    return params


@pytest.mark.parametrize(("copy", "start"), _told_params())
def test_user_is_told_the_script_was_not_checked(layout: Layout, copy: str, start: str) -> None:
    _dockerfile(layout, copy, start)
    for context in (True, False):
        args = ["-f", "json", "repo/ctx/Dockerfile"] + (["--context", "repo/ctx"] if context else [])
        result = run_sigcheck(args, layout.root)
        result.assert_sane()
        messages = [f["message"] for f in result.json()["findings"]]
        assert any(any(words in m for words in TOLD) for m in messages), messages
        # and it does not pretend to know what the script does
        assert not any("without `exec`" in m for m in messages), messages


def test_app_entry_file_behind_a_symlink_is_not_read(layout: Layout) -> None:
    """`python app.py` where app.py links outside: SIG301 says the entry file could not be
    checked. The same file inside the context silences SIG301 (its SIGTERM handler is seen),
    so the content would have mattered."""
    _dockerfile(layout, "WORKDIR /app\nCOPY . /app", 'CMD ["python", "app.py"]')
    outputs = _all_outputs(layout, context=True)
    for fmt, output in outputs.items():
        assert layout.marker not in output, fmt
    report = lint_file(str(layout.ctx / "Dockerfile"), LintOptions(context=str(layout.ctx)))
    sig301 = [f for f in report.findings if f.rule == "SIG301"]
    assert sig301, report
    assert "could not be checked" in sig301[0].message

    os.unlink(layout.ctx / "app.py")
    (layout.ctx / "app.py").write_text((layout.outside / "app.py").read_text())
    report = lint_file(str(layout.ctx / "Dockerfile"), LintOptions(context=str(layout.ctx)))
    assert not [f for f in report.findings if f.rule == "SIG301"], report


def test_symlinked_dockerfile_context_is_its_own_directory(layout: Layout) -> None:
    """A Dockerfile given through a symlink: its context is where the link is (as for
    `docker build -f link .`), and sources next to the link's target are not read."""
    (layout.outside / "Dockerfile").write_text(
        'FROM debian:bookworm-slim\nCOPY secret.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'
    )
    os.symlink("../../outside/Dockerfile", layout.ctx / "Dockerfile")
    for context in (True, False):
        for fmt, output in _all_outputs(layout, context).items():
            assert layout.marker not in output, fmt
            assert layout.marker.lower() not in output, fmt


def test_nothing_outside_is_opened(layout: Layout) -> None:
    """The strongest form: with the outside directory unreadable to everyone (and, as root,
    the DAC-override capabilities dropped), every case still lints without error: sigcheck
    never needed to open anything there. Skipped when that cannot be arranged."""
    import shutil

    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("root without setpriv: cannot make a directory unreadable to root")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]
    layout.outside.chmod(0o000)
    try:
        for name, copy, start in SCRIPT_CASES:
            _dockerfile(layout, copy, start)
            result = run_sigcheck(
                ["-f", "json", "--context", "repo/ctx", "repo/ctx/Dockerfile"], layout.root, prefix=prefix
            )
            result.assert_sane()
            assert result.code in (0, 1), (name, result.stderr)
            document = result.json()
            assert document["errors"] == [], (name, document["errors"])
            assert "permission denied" not in result.stdout.lower(), name
    finally:
        layout.outside.chmod(0o755)
