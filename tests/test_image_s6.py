"""s6-overlay's `/init`, found as a file in an image, counts as an installed init: SIG301
and SIG303 treat it as they treat tini (generated archives, linted end to end)."""

from __future__ import annotations

from pathlib import Path

from image_builder import DEBIAN_NODE_ROOT, Member, Spec, directory, docker_archive, file, layer, symlink

from sigcheck.findings import Finding
from sigcheck.image_lint import lint_image
from sigcheck.lint import LintOptions

VERSION = "3.2.0.2"
# What the v3 noarch tarball lays out: /init execs into /package/admin/s6-overlay-VERSION,
# which /package/admin/s6-overlay links to.
INIT = file(
    "init",
    f'#!/bin/sh -e\nexec s6-overlay-suexec " /package/admin/s6-overlay-{VERSION}/libexec/preinit" "" '
    f'/package/admin/s6-overlay-{VERSION}/libexec/stage0 "$@"\n',
    0o755,
)
S6 = (
    INIT,
    directory("package"),
    directory("package/admin"),
    directory(f"package/admin/s6-overlay-{VERSION}"),
    symlink("package/admin/s6-overlay", f"s6-overlay-{VERSION}"),
)
NODE: dict[str, object] = {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["node", "server.js"]}


def _lint(tmp_path: Path, config: dict[str, object], *members: Member) -> list[Finding]:
    path = tmp_path / "image.tar"
    path.write_bytes(docker_archive([Spec(config=config, layers=[layer(*DEBIAN_NODE_ROOT, *members)])]))
    (report,) = lint_image(str(path), LintOptions())
    assert report.error is None
    return list(report.findings)


def test_s6_overlay_installed_but_unused_is_sig303_at_init(tmp_path: Path) -> None:
    findings = _lint(tmp_path, NODE, *S6)
    unused = [f for f in findings if f.rule == "SIG303"]
    assert len(unused) == 1
    assert unused[0].logical == "app:1 /init"
    assert unused[0].message.startswith("s6-overlay is installed here")
    assert unused[0].fix == 'ENTRYPOINT ["/init"]'
    # node is still PID 1 without an init; the fix starts the init the image already has.
    (no_init,) = [f for f in findings if f.rule == "SIG301"]
    assert no_init.fix == 'ENTRYPOINT ["/init"]'


def test_s6_overlay_as_entrypoint_is_the_init(tmp_path: Path) -> None:
    findings = _lint(tmp_path, {**NODE, "Entrypoint": ["/init"]}, *S6)
    assert [f.rule for f in findings] == []


def test_an_init_without_the_s6_tree_is_not_s6_overlay(tmp_path: Path) -> None:
    # /init alone is some other program (an initramfs-style script): not an installed init.
    assert "SIG303" not in {f.rule for f in _lint(tmp_path, NODE, INIT)}


def test_s6_tree_without_init_is_not_an_installed_init(tmp_path: Path) -> None:
    assert "SIG303" not in {f.rule for f in _lint(tmp_path, NODE, *S6[1:])}
