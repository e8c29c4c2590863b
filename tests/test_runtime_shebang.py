"""Inits on a script's interpreter line, as the kernel really starts them (issue 13 pattern 5).

Linux passes everything after the interpreter as one argument (fs/binfmt_script.c), so
`#!/usr/bin/dumb-init /bin/sh` and `#!/usr/bin/env -S tini -- /bin/sh` start the init,
while `#!/usr/bin/tini -- /bin/sh` hands tini the single word "-- /bin/sh" and fails.
The chain follows the kernel: measured here with the real tini and dumb-init, then
asked of the chain for the same lines.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sigcheck.lint import LintOptions, lint_source

TINI = shutil.which("tini")
DUMB_INIT = shutil.which("dumb-init")
pytestmark = pytest.mark.skipif(not (TINI and DUMB_INIT), reason="needs Debian's tini and dumb-init")


def _shebangs() -> list[tuple[str, bool]]:
    """(interpreter line, does the script run)."""
    return [
        (f"#!{DUMB_INIT} /bin/sh", True),
        (f"#!/usr/bin/env -S {TINI} -- /bin/sh", True),
        (f"#!{TINI} -- /bin/sh", False),
    ]


@pytest.mark.parametrize(("shebang", "runs"), _shebangs())
def test_the_kernel_starts_the_init_only_with_one_argument(tmp_path: Path, shebang: str, runs: bool) -> None:
    script = tmp_path / "entry.sh"
    script.write_text(f"{shebang}\necho started\n")
    script.chmod(0o755)
    done = subprocess.run([str(script)], capture_output=True, text=True, timeout=10, check=False)
    assert (done.returncode == 0 and done.stdout == "started\n") is runs, done.stderr


@pytest.mark.parametrize(("shebang", "runs"), _shebangs())
def test_the_chain_puts_the_init_first_exactly_when_the_kernel_does(
    tmp_path: Path, shebang: str, runs: bool
) -> None:
    (tmp_path / "entry.sh").write_text(f"{shebang}\nset -e\nexec /usr/local/bin/agent \"$@\"\n")
    dockerfile = 'FROM debian:bookworm\nCOPY entry.sh /entry.sh\nENTRYPOINT ["/entry.sh"]\nCMD ["-dev"]\n'
    result = lint_source(dockerfile, str(tmp_path / "Dockerfile"), LintOptions())
    links = result.context.chain.links
    if runs:
        assert [link.role for link in links] == ["init", "script", "app"]
        assert links[0].pid1
        assert not links[1].pid1
    else:
        # The kernel never starts this init (the container fails to start): no init is claimed.
        assert all(link.role != "init" for link in links)
