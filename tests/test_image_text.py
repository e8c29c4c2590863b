"""`sigcheck image` in the text format: code frames for the scripts inside the image
(from the text the lint read, never from the archive again) and one header per image
when an archive holds several."""

from __future__ import annotations

import io
import os
from pathlib import Path

from image_builder import DEBIAN_NODE_ROOT, Spec, docker_archive, file, layer

from sigcheck.image_lint import lint_image, lint_images
from sigcheck.lint import LintOptions
from sigcheck.report.text_format import render_text

ENV = ["PATH=/usr/bin:/bin"]
ENTRY = "#!/bin/sh\nset -e\necho starting\nnode server.js\n"


def _spec(tag: str, config: dict[str, object], *members: object) -> Spec:
    return Spec(config={"Env": ENV, **config}, layers=[layer(*DEBIAN_NODE_ROOT, *members)], tags=[tag])  # type: ignore[arg-type]


def _write(tmp_path: Path, name: str, *specs: Spec) -> str:
    path = tmp_path / name
    path.write_bytes(docker_archive(list(specs)))
    return str(path)


def _text(paths: list[str]) -> str:
    stream = io.StringIO()
    render_text(lint_images(paths, LintOptions()), stream, colour=False)
    return stream.getvalue()


def _entry(tag: str = "web:1", script: str = ENTRY) -> Spec:
    return _spec(tag, {"Entrypoint": ["/entrypoint.sh"]}, file("entrypoint.sh", script, 0o755))


def test_finding_in_an_image_script_has_a_code_frame(tmp_path: Path) -> None:
    path = _write(tmp_path, "entry.tar", _entry())
    reports = lint_image(path, LintOptions())
    os.remove(path)  # the frame comes from what the lint kept: the archive is not read again
    stream = io.StringIO()
    render_text(reports, stream, colour=False)
    out = stream.getvalue()
    assert "  /entrypoint.sh:4  error  SIG201 script-without-exec\n" in out
    assert "      3 | echo starting\n    > 4 | node server.js\n" in out


def test_config_findings_have_no_frame(tmp_path: Path) -> None:
    out = _text([_write(tmp_path, "cmd.tar", _spec("app:1", {"Cmd": ["/bin/sh", "-c", "node server.js"]}))])
    assert "  config.Cmd  error  SIG102" in out
    assert " | " not in out


def test_frame_escapes_control_characters_of_the_script(tmp_path: Path) -> None:
    hostile = "#!/bin/sh\necho \x1b]0;owned\x07 \u202e\nnode server.js # \x1b[2J\n"
    out = _text([_write(tmp_path, "hostile.tar", _entry(script=hostile))])
    assert "> 3 | node server.js # \\x1b[2J" in out
    assert "  2 | echo \\x1b]0;owned\\x07 \\u202e" in out
    for raw in ("\x1b", "\u202e", "\x07"):
        assert raw not in out


def test_one_header_per_image_of_an_archive(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "several.tar",
        _entry("web:1"),
        _spec("worker:2", {"Cmd": ["/bin/sh", "-c", "node server.js"]}),
        _spec(
            "clean:3",
            {"Entrypoint": ["/usr/bin/tini", "--"], "Cmd": ["node", "server.js"]},
            file("usr/bin/tini", b"\x7fELF\x00tini", 0o755),
        ),
    )
    lines = _text([path]).splitlines()
    headers = [line for line in lines if line.startswith(path)]
    assert headers == [f"{path} (web:1)", f"{path} (worker:2)"]  # a clean image adds nothing
    # The header names the image: the finding lines do not repeat it.
    assert "  /entrypoint.sh:4  error  SIG201 script-without-exec" in lines
    assert "  config.Cmd  error  SIG102 shell-form-cmd" in lines
    assert not any(line.startswith(("  web:1", "  worker:2")) for line in lines)
    assert lines[-1].startswith("1 file, 3 images, 2 errors, 0 warnings")


def test_summary_counts_archives_as_files(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.tar", _entry("web:1"), _entry("web:2"))
    second = _write(tmp_path, "b.tar", _entry("api:1"))
    summary = _text([first, second]).splitlines()[-1]
    assert summary.startswith("2 files, 3 images, 3 errors")
