"""Stand-in base images for tests/test_image_agreement.py: no registry can be reached
here, so every base a fixture names is built locally from busybox-static, with the
facts the knowledge base (sigcheck/data/images.json) records for it.

A stand-in holds what sigcheck reads in an image and nothing the Dockerfile path
could not know: /etc/os-release of its family, /bin/sh linked to the family's shell
(Debian and Ubuntu: dash; RHEL: bash; Alpine: busybox), bash where the family has
it, the official entry script when the base has one, and the base's ENTRYPOINT,
CMD, STOPSIGNAL and PATH. The shells are copies of busybox under their own names:
sigcheck tells a shell by the name of the file /bin/sh ends at and never runs it,
while a RUN step execs /bin/sh with argv[0] "/bin/sh", which busybox runs as its
sh applet, so the fixtures' RUN steps do execute.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
from pathlib import Path

from sigcheck.model.baseimages import BaseImage, lookup_image

__all__ = ["BUSYBOX", "DEFAULT_PATH_ENV", "STANDIN_FAMILIES", "Buildah", "build_standin", "standin_users"]

BUSYBOX = "/bin/busybox"
DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The families a stand-in can be made for; "none" (scratch, distroless) has no shell.
STANDIN_FAMILIES = frozenset({"debian", "ubuntu", "alpine", "rhel", "none"})

_OS_RELEASE = {
    "debian": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n',
    "ubuntu": 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nID=ubuntu\nID_LIKE=debian\n',
    "alpine": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\n',
    "rhel": 'NAME="Oracle Linux Server"\nID="ol"\nID_LIKE="fedora"\n',
}
# /bin/sh's target by family: the file name is what sigcheck reads.
_SH = {"debian": "dash", "ubuntu": "dash", "rhel": "bash", "alpine": "busybox"}
ENTRY_SCRIPT = '#!/bin/sh\nset -e\nexec "$@"\n'
# Users the real images have that fixtures `COPY --chown` to. Debian's base-passwd
# has www-data (33); nodejs/docker-node adds node (uid and gid 1000).
_FAMILY_USERS = {"debian": [("www-data", 33)], "ubuntu": [("www-data", 33)]}
_IMAGE_USERS = {"node": [("node", 1000)]}


def standin_users(reference: str) -> list[tuple[str, int]]:
    base = lookup_image(reference)
    return [("root", 0), *_FAMILY_USERS.get(base.family, []), *_IMAGE_USERS.get(base.name, [])]


class Buildah:
    """buildah as root with its own vfs storage and an empty registries.conf."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = ["buildah", "--storage-driver", "vfs", "--root", str(root / "graph"),
                     "--runroot", str(root / "run")]  # fmt: skip
        (root / "registries.conf").write_text("")
        self.env = {**os.environ, "CONTAINERS_REGISTRIES_CONF": str(root / "registries.conf"),
                    "BUILDAH_ISOLATION": "chroot"}  # fmt: skip

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.base, *args], capture_output=True, text=True, env=self.env,
                              timeout=timeout, check=False)  # fmt: skip

    def __call__(self, *args: str) -> str:
        done = self.run(*args)
        if done.returncode != 0:
            raise RuntimeError(f"buildah {args[0]} failed: {done.stderr.strip()[-600:]}")
        return done.stdout.strip()


def _rootfs(where: Path, base: BaseImage) -> Path:
    rootfs = where / "rootfs"
    if base.family == "none":
        (rootfs / "etc").mkdir(parents=True)
        (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/sbin/nologin\n")
        return rootfs
    for directory in ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "root", "tmp", "etc"):
        (rootfs / directory).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list-full"], capture_output=True, text=True, check=True).stdout
    for applet in applets.split():
        link = rootfs / applet
        if not link.exists() and not link.is_symlink():
            link.symlink_to("/bin/busybox")
    if base.family in ("debian", "ubuntu", "rhel"):
        shutil.copy2(BUSYBOX, rootfs / "bin" / "bash")
    if base.family in ("debian", "ubuntu"):
        shutil.copy2(BUSYBOX, rootfs / "bin" / "dash")
    (rootfs / "bin" / "sh").unlink()
    (rootfs / "bin" / "sh").symlink_to(_SH[base.family])
    (rootfs / "etc" / "os-release").write_text(_OS_RELEASE[base.family])
    users = standin_users(base.reference)
    (rootfs / "etc" / "passwd").write_text("".join(f"{u}:x:{n}:{n}::/:/bin/sh\n" for u, n in users))
    (rootfs / "etc" / "group").write_text("".join(f"{u}:x:{n}:\n" for u, n in users))
    if base.entrypoint and base.entrypoint_execs_args:
        program = base.entrypoint[0]
        script = rootfs / posixpath.join("usr/local/bin", program).lstrip("/")
        if program.startswith("/"):
            script = rootfs / program.lstrip("/")
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(ENTRY_SCRIPT)
        script.chmod(0o755)
    return rootfs


def build_standin(buildah: Buildah, reference: str, where: Path) -> None:
    """Commit a stand-in for `reference` (e.g. "debian:bookworm-slim") into buildah's storage."""
    base = lookup_image(reference)
    where.mkdir(parents=True)
    rootfs = _rootfs(where, base)
    container = buildah("from", "scratch")
    buildah("copy", "-q", container, f"{rootfs}/", "/")
    settings = ["--env", DEFAULT_PATH_ENV]
    if base.entrypoint is not None:
        settings += ["--entrypoint", json.dumps(list(base.entrypoint))]
    settings += ["--cmd", json.dumps(list(base.cmd)) if base.cmd is not None else ""]
    if base.stopsignal:
        settings += ["--stop-signal", base.stopsignal]
    buildah("config", *settings, container)
    buildah("commit", "-q", "--rm", container, _qualified(reference))
    shutil.rmtree(rootfs)


def _qualified(reference: str) -> str:
    """The name `FROM reference` finds in local storage without a registry."""
    first = reference.split("/", 1)[0]
    if "/" in reference and ("." in first or ":" in first or first == "localhost"):
        return reference
    if "/" in reference:
        return f"docker.io/{reference}"
    return f"docker.io/library/{reference}"
