"""A private podman for tests/test_engine_verify.py: its own configuration and storage
under a temporary directory, and images built offline with buildah.

The configuration is the one that works on these machines (issue 17): crun fails on
this kernel's hybrid cgroups, so runc; no systemd, so cgroupfs; limits at or below
the machine's hard limits (higher ones are refused); vfs storage. Nothing under
/etc is read or written: CONTAINERS_CONF and CONTAINERS_STORAGE_CONF point at the
files written here, and every path podman would otherwise share with other users of
the machine (storage, run root, tmp_dir, events log, network configs) is ours.

No registry is reachable, so base images are root file systems made here:
- "alpine:latest": Debian's busybox-static with a link per applet (busybox ash, as
  in Alpine);
- "debian:bookworm": `debootstrap --variant=minbase --include=python3-minimal
  bookworm` (dash as /bin/sh, python3 for the STOPSIGNAL case), made once per
  session (40-70 s on a quiet machine; started in the background while the busybox
  cases run); SIGCHECK_TEST_DEBIAN_ROOTFS names an existing one to
  reuse instead (it is then left in place).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import IO

__all__ = ["FIXTURES", "Lab", "unavailable_reason"]

FIXTURES = Path(__file__).parent / "engine_fixtures"
TOOLS = ("podman", "buildah", "runc", "gcc")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BUSYBOX = "/bin/busybox"
TINI_STATIC = "/usr/bin/tini-static"

CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{root}/events.log"
tmp_dir = "{root}/tmp"

[network]
network_config_dir = "{root}/networks"
"""

STORAGE_CONF = """\
[storage]
driver = "vfs"
graphroot = "{root}/graph"
runroot = "{root}/run"
"""

# Debian's documentation, manuals and apt's caches: not needed to run a shell or python.
_TRIM = (
    "var/cache/apt",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/locale",
    "usr/share/info",
)


def unavailable_reason() -> str | None:
    """Why the engine tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "podman here runs as root only (issue 17)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"not installed: {', '.join(missing)} (.ci/run installs them)"
    if not os.path.exists(BUSYBOX) or not os.path.exists(TINI_STATIC):
        return f"needs {BUSYBOX} (busybox-static) and {TINI_STATIC} (tini)"
    return None


def write_config(root: Path) -> dict[str, str]:
    """Write containers.conf and storage.conf under ROOT; the environment that uses them."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "containers.conf").write_text(CONTAINERS_CONF.format(root=root))
    (root / "storage.conf").write_text(STORAGE_CONF.format(root=root))
    return {
        "CONTAINERS_CONF": str(root / "containers.conf"),
        "CONTAINERS_STORAGE_CONF": str(root / "storage.conf"),
    }


class Lab:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {**os.environ, **write_config(root / "engine")}
        self.work = root / "work"
        self.work.mkdir()
        self._stop: Path | None = None
        self._debootstrap: subprocess.Popen[bytes] | None = None
        self._debootstrap_log: IO[str]

    # --- the tools ---------------------------------------------------------------------

    def run(self, *argv: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            list(argv), env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv[:3])} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}"
            )
        return proc

    def podman(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("podman", *args, check=check)

    def buildah(self, *args: str) -> str:
        return self.run("buildah", *args).stdout.strip()

    def containers(self) -> list[str]:
        return self.podman("ps", "-a", "-q", "--no-trunc").stdout.split()

    def images(self) -> list[str]:
        return sorted(self.podman("images", "-a", "-q", "--no-trunc").stdout.split())

    # --- base images -------------------------------------------------------------------

    def import_rootfs(self, rootfs: Path, tag: str, cmd: str) -> None:
        """`buildah from scratch` + copy + config + commit: ROOTFS as the image TAG."""
        container = self.buildah("from", "scratch")
        self.buildah("copy", "-q", container, str(rootfs), "/")
        self.buildah("config", "--cmd", cmd, container)
        self.buildah("commit", "-q", "--rm", container, tag)

    def busybox_base(self) -> None:
        rootfs = self.root / "busybox-rootfs"
        for directory in ("bin", "sbin", "usr/bin", "usr/sbin", "root", "tmp", "etc"):
            (rootfs / directory).mkdir(parents=True, exist_ok=True)
        shutil.copy2(BUSYBOX, rootfs / "bin/busybox")
        applets = self.run(BUSYBOX, "--list-full").stdout.split()
        for applet in applets:
            link = rootfs / applet
            if not link.exists() and not link.is_symlink():
                link.symlink_to("/bin/busybox")
        (rootfs / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
        self.import_rootfs(rootfs, "docker.io/library/alpine:latest", "/bin/sh")
        shutil.rmtree(rootfs)

    def start_debian(self) -> None:
        """Start debootstrap in the background: it takes the longest (40 s on a quiet
        machine, minutes on a busy one), and the busybox cases can run meanwhile."""
        if os.environ.get("SIGCHECK_TEST_DEBIAN_ROOTFS") or shutil.which("debootstrap") is None:
            return
        if self._debootstrap is None:
            self._debootstrap_log = (self.root / "debootstrap.log").open("w")
            self._debootstrap = subprocess.Popen(
                ["debootstrap", "--variant=minbase", "--include=python3-minimal", "bookworm",
                 str(self.root / "debian-rootfs"), DEBIAN_MIRROR],
                stdin=subprocess.DEVNULL, stdout=self._debootstrap_log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def debian_base(self) -> str | None:
        """Tag a Debian root file system as debian:bookworm; the reason when it cannot."""
        reuse = os.environ.get("SIGCHECK_TEST_DEBIAN_ROOTFS")
        if reuse:
            rootfs = Path(reuse)
            if not (rootfs / "bin/sh").exists():
                return f"SIGCHECK_TEST_DEBIAN_ROOTFS={reuse} holds no root file system"
        else:
            if shutil.which("debootstrap") is None:
                return "debootstrap is not installed"
            self.start_debian()
            assert self._debootstrap is not None
            code = self._debootstrap.wait(timeout=900)
            if code != 0:
                log = (self.root / "debootstrap.log").read_text(errors="replace").strip()
                return f"debootstrap failed (Debian's mirror unreachable?): {log[-300:]}"
            rootfs = self.root / "debian-rootfs"
            for part in _TRIM:
                shutil.rmtree(rootfs / part, ignore_errors=True)
        self.import_rootfs(rootfs, "docker.io/library/debian:bookworm", "/bin/bash")
        if not reuse:
            shutil.rmtree(rootfs)
        return None

    # --- test images -------------------------------------------------------------------

    def stop_binary(self) -> Path:
        """The seed article's program (tests/engine_fixtures/stop.c), built static once."""
        if self._stop is None:
            self._stop = self.root / "stop"
            self.run("gcc", "-static", "-O2", "-o", str(self._stop), str(FIXTURES / "stop.c"))
        return self._stop

    def context(self, case: str) -> Path:
        """The fixture's build context, with the binaries its Dockerfile copies."""
        context = self.work / case
        if not context.exists():
            shutil.copytree(FIXTURES / case, context)
            shutil.copy2(self.stop_binary(), context / "stop")
            shutil.copy2(TINI_STATIC, context / "tini")
        return context

    def build(self, case: str) -> str:
        """Build the fixture's Dockerfile as it is (buildah, no pull, no network)."""
        tag = f"localhost/sigcheck-test-{case}:latest"
        self.run(
            "buildah", "bud", "-q", "--pull=never", "--network", "none", "-t", tag, str(self.context(case))
        )
        return tag

    def close(self) -> None:
        """Remove every container and image and the storage (vfs: plain directories)."""
        if self._debootstrap is not None:
            if self._debootstrap.poll() is None:
                self._debootstrap.terminate()
                self._debootstrap.wait(timeout=60)
            self._debootstrap_log.close()
            # A debootstrap stopped half-way leaves /proc (and maybe /sys) mounted in the chroot.
            rootfs = str(self.root / "debian-rootfs")
            with open("/proc/self/mounts") as mounts:
                points = [line.split()[1] for line in mounts if line.split()[1].startswith(rootfs + "/")]
            for point in sorted(points, reverse=True):
                self.run("umount", "-l", point, check=False)
        self.podman("rm", "-a", "-f", check=False)
        self.run("buildah", "rm", "--all", check=False)
        self.podman("rmi", "-a", "-f", check=False)
        shutil.rmtree(self.root, ignore_errors=True)
