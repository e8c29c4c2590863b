"""`sigcheck image`: archives built here with the standard library, linted end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import validate_sarif
from click.testing import CliRunner
from image_builder import DEBIAN_NODE_ROOT, Spec, directory, docker_archive, file, layer, oci_archive, symlink

from sigcheck.cli import main
from sigcheck.image_lint import lint_image
from sigcheck.lint import LintOptions
from sigcheck.load.image import open_images
from sigcheck.model.image_files import LayerImageFiles, image_config

# A Debian-like root: /bin/sh is dash, os-release says debian.
DEBIAN = (
    *DEBIAN_NODE_ROOT,
    file("usr/bin/tini", b"\x7fELF\x00tini", 0o755),
    directory("app"),
    file("app/server", b"\x7fELF\x00server", 0o755),
)
ENV = ["PATH=/usr/local/bin:/usr/bin:/bin"]
ENTRY = "#!/bin/sh\nset -e\nnode server.js\n"


def _archive(tmp_path: Path, name: str, config: dict[str, object], *extra: object, oci: bool = False) -> str:
    spec = Spec(config={"Env": ENV, **config}, layers=[layer(*DEBIAN, *extra)])  # type: ignore[arg-type]
    path = tmp_path / name
    path.write_bytes(oci_archive([spec]) if oci else docker_archive([spec]))
    return str(path)


def _shell_form(tmp_path: Path) -> str:
    return _archive(tmp_path, "shell.tar", {"Cmd": ["/bin/sh", "-c", "node server.js"]})


def _entry_script(tmp_path: Path) -> str:
    return _archive(
        tmp_path, "entry.tar", {"Entrypoint": ["/entrypoint.sh"]}, file("entrypoint.sh", ENTRY, 0o755)
    )


def _clean(tmp_path: Path) -> str:
    return _archive(tmp_path, "clean.tar", {"Entrypoint": ["/usr/bin/tini", "--"], "Cmd": ["/app/server"]})


def _invoke(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["image", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_stored_config_becomes_the_model_config(tmp_path: Path) -> None:
    with open_images(_shell_form(tmp_path)) as archive:
        image = archive.images[0]
        config = image_config(image)
        files = LayerImageFiles(image)
        assert config.cmd is not None
        assert config.cmd.form == "shell"
        assert config.cmd.shell_string == "node server.js"
        assert config.cmd.span is not None
        assert config.cmd.span.logical == "config.Cmd"
        assert config.family == "debian"
        assert config.workdir == "/"
        assert files.shell_of("/bin/sh", config.family) == "dash-debian"
        assert files.locate("/usr/bin/node") is not None
        assert files.locate("/usr/bin") is None
        assert [init for init, _ in files.installed_inits()] == ["tini"]


def test_stored_shell_form_on_debian_is_sig102_at_config_cmd(tmp_path: Path) -> None:
    [report] = lint_image(_shell_form(tmp_path), LintOptions())
    assert report.error is None
    sig102 = [f for f in report.findings if f.rule == "SIG102"]
    assert len(sig102) == 1
    finding = sig102[0]
    assert finding.severity.label == "error"
    assert finding.logical == "app:1 config.Cmd"
    assert "Shell-form CMD" in finding.message
    assert "dash" in finding.message


def test_an_entry_script_without_exec_is_sig201_at_its_line_in_the_image(tmp_path: Path) -> None:
    path = _entry_script(tmp_path)
    [report] = lint_image(path, LintOptions())
    [finding] = [f for f in report.findings if f.rule == "SIG201"]
    assert finding.path == path
    assert finding.line == 3
    assert finding.logical == "app:1 /entrypoint.sh:3"


def test_exec_form_with_an_init_is_clean(tmp_path: Path) -> None:
    [report] = lint_image(_clean(tmp_path), LintOptions())
    assert report.error is None
    assert report.findings == []


def test_an_installed_init_that_is_not_used_is_found_as_a_file(tmp_path: Path) -> None:
    path = _archive(tmp_path, "unused.tar", {"Entrypoint": ["/app/server"]})
    [report] = lint_image(path, LintOptions())
    [finding] = [f for f in report.findings if f.rule == "SIG303"]
    assert finding.logical == "app:1 /usr/bin/tini"


def test_oci_archives_lint_the_same(tmp_path: Path) -> None:
    path = _archive(tmp_path, "oci.tar", {"Cmd": ["/bin/sh", "-c", "node server.js"]}, oci=True)
    [report] = lint_image(path, LintOptions())
    assert [f.logical for f in report.findings if f.rule == "SIG102"] == ["app:1 config.Cmd"]


def test_a_corrupt_archive_is_one_line_and_exit_2_while_the_others_are_linted(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"not a tar archive\n" * 64)
    code, stdout, stderr = _invoke(
        str(bad), _entry_script(tmp_path), "--isolated", "--ignore", "SIG303", "-f", "json"
    )
    assert code == 2
    errors = [line for line in stderr.splitlines() if line]
    assert errors == [f"sigcheck: {bad}: the archive is not a tar archive (invalid header)"]
    document = json.loads(stdout)
    assert [f["rule"] for f in document["findings"]] == ["SIG201"]
    assert document["errors"] == [
        {"path": str(bad), "message": "the archive is not a tar archive (invalid header)"}
    ]


def test_standard_input(tmp_path: Path) -> None:
    data = Path(_shell_form(tmp_path)).read_bytes()
    code, stdout, _ = _invoke("-", "-f", "json", stdin=data)
    assert code == 1
    [finding] = [f for f in json.loads(stdout)["findings"] if f["rule"] == "SIG102"]
    assert finding["path"] == "-"
    assert finding["logical"] == "app:1 config.Cmd"


def test_ignores_and_thresholds_apply(tmp_path: Path) -> None:
    path = _entry_script(tmp_path)
    assert _invoke(path, "--isolated", "--ignore", "SIG201,SIG303", "-f", "json")[0] == 0
    assert _invoke(path, "--isolated", "-t", "none")[0] == 0


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab"])
def test_every_output_format(tmp_path: Path, fmt: str) -> None:
    path = _entry_script(tmp_path)
    code, stdout, _ = _invoke(path, "--isolated", "--ignore", "SIG303", "-f", fmt)
    assert code == 1
    if fmt == "text":
        assert stdout.startswith(f"{path} (app:1)\n  /entrypoint.sh:3  error  SIG201")
    elif fmt == "json":
        [finding] = json.loads(stdout)["findings"]
        assert finding["logical"] == "app:1 /entrypoint.sh:3"
        assert finding["line"] == 3
    elif fmt == "sarif":
        document = json.loads(stdout)
        validate_sarif(document)
        [result] = document["runs"][0]["results"]
        [location] = result["locations"]
        assert location["logicalLocations"] == [{"fullyQualifiedName": "app:1 /entrypoint.sh:3"}]
        assert "region" not in location["physicalLocation"]
        assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("entry.tar")
    elif fmt == "github":
        [line] = stdout.splitlines()
        assert line.startswith("::error file=")
        assert "line=" not in line
        assert "app:1 /entrypoint.sh:3: " in line
    else:
        [issue] = json.loads(stdout)
        assert issue["location"]["lines"] == {"begin": 1, "end": 1}
        assert "app:1 /entrypoint.sh:3" in issue["description"]


def test_the_help_says_fix_does_not_apply() -> None:
    code, stdout, _ = _invoke("--help")
    assert code == 0
    assert "--fix does not apply to images" in stdout
    assert "--fix" not in stdout.split("Options:")[1]


def test_a_later_layer_that_replaces_the_entry_script_decides(tmp_path: Path) -> None:
    fixed = layer(file("entrypoint.sh", "#!/bin/sh\nset -e\nexec /app/server\n", 0o755))
    spec = Spec(
        config={"Env": ENV, "Entrypoint": ["/usr/bin/tini", "--", "/entrypoint.sh"]},
        layers=[layer(*DEBIAN, file("entrypoint.sh", ENTRY, 0o755)), fixed],
    )
    path = tmp_path / "fixed.tar"
    path.write_bytes(docker_archive([spec]))
    [report] = lint_image(str(path), LintOptions())
    assert report.findings == []


def test_busybox_sh_is_ash_and_the_configuration_applies(tmp_path: Path) -> None:
    alpine = layer(
        directory("bin"),
        file("bin/busybox", b"\x7fELF\x00BusyBox v1.36", 0o755),
        symlink("bin/sh", "busybox"),
        file("etc/os-release", "ID=alpine\n"),
        file("entrypoint.sh", ENTRY, 0o755),
    )
    spec = Spec(config={"Env": ENV, "Entrypoint": ["/entrypoint.sh"]}, layers=[alpine], tags=["alp:3"])
    path = tmp_path / "alpine.tar"
    path.write_bytes(docker_archive([spec]))
    with open_images(str(path)) as archive:
        assert LayerImageFiles(archive.images[0]).shell_of("/bin/sh", "alpine") == "ash"
    config = tmp_path / ".sigcheck.toml"
    config.write_text('[severity]\nSIG201 = "warning"\n')
    code, stdout, _ = _invoke(str(path), "--config", str(config), "-f", "json", "-t", "error")
    assert code == 0
    [finding] = json.loads(stdout)["findings"]
    assert finding["severity"] == "warning"
    assert finding["logical"] == "alp:3 /entrypoint.sh:3"


def test_each_image_of_an_archive_is_linted_and_named(tmp_path: Path) -> None:
    shell = Spec(config={"Env": ENV, "Cmd": ["/bin/sh", "-c", "node server.js"]}, layers=[layer(*DEBIAN)])
    clean = Spec(
        config={"Env": ENV, "Entrypoint": ["/usr/bin/tini", "--"], "Cmd": ["/app/server"]},
        layers=[layer(*DEBIAN)],
        tags=["web:2"],
    )
    path = tmp_path / "two.tar"
    path.write_bytes(docker_archive([shell, clean]))
    reports = lint_image(str(path), LintOptions())
    assert len(reports) == 2
    assert [f.logical for f in reports[0].findings if f.rule == "SIG102"] == ["app:1 config.Cmd"]
    assert reports[1].findings == []


def test_a_platform_that_is_not_os_arch_is_a_usage_error(tmp_path: Path) -> None:
    code, _, stderr = _invoke(_clean(tmp_path), "--platform", "amd64")
    assert code == 2
    assert "--platform" in stderr


def test_an_image_without_sh_has_no_shell_whatever_os_release_says(tmp_path: Path) -> None:
    # Distroless images carry Debian's os-release and no /bin/sh: shell form cannot start.
    spec = Spec(
        config={"Env": ENV, "Cmd": ["/bin/sh", "-c", "/app/server --port 8080"]},
        layers=[layer(directory("etc"), file("etc/os-release", "ID=debian\n"), directory("app"),
                      file("app/server", b"\x7fELF\x00server", 0o755))],
    )  # fmt: skip
    path = tmp_path / "distroless.tar"
    path.write_bytes(docker_archive([spec]))
    (report,) = lint_image(str(path), LintOptions())
    (finding,) = [f for f in report.findings if f.rule == "SIG102"]
    assert "has no /bin/sh, so the container cannot start" in finding.message
    assert finding.chain is not None
    assert "(no shell" in finding.chain[0]


def test_sh_found_on_path_only_is_still_a_shell(tmp_path: Path) -> None:
    spec = Spec(
        config={"Env": ENV, "Cmd": ["sh", "-c", "node server.js"]},
        layers=[layer(directory("etc"), file("etc/os-release", "ID=debian\n"), directory("usr"),
                      directory("usr/bin"), file("usr/bin/sh", b"\x7fELF\x00unknown", 0o755),
                      file("usr/bin/node", b"\x7fELF\x00node", 0o755))],
    )  # fmt: skip
    path = tmp_path / "usr-sh.tar"
    path.write_bytes(docker_archive([spec]))
    (report,) = lint_image(str(path), LintOptions())
    assert all("has no shell" not in f.message for f in report.findings)
