"""Issue #7: deterministic output and no side effects.

- The same tree gives byte-identical reports whatever the hash seed and --jobs,
  files in discovery order (sorted) and each file's findings sorted by
  (path, line, column, rule).
- sigcheck writes nothing: not in the linted tree, not in the working
  directory, not in $HOME, $TMPDIR or $XDG_CACHE_HOME (snapshots before and
  after, excluding __pycache__); an audit hook sees no file opened for
  writing, no process started and no socket used.
- It works with networking disabled: under `unshare -n` (root only; skipped
  elsewhere) the reports are the same.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import FORMATS_UNDER_TEST, REPO, Result, run_sigcheck

from sigcheck.cli import FORMATS

TREE: dict[str, str | bytes] = {
    "svc-a/Dockerfile": "FROM debian:bookworm-slim\nSTOPSIGNAL SIGKILL\nCMD server --port 8080\n",
    "svc-b/Dockerfile.dev": (
        "FROM python:3.12-slim\nCOPY start.sh /start.sh\nCOPY app.py /app.py\n"
        'STOPSIGNAL SIGTERM\nENTRYPOINT ["/start.sh"]\nCMD ["python", "/app.py"]\n'
    ),
    "svc-b/start.sh": '#!/bin/sh\nset -e\necho starting\n"$@"\n',
    "svc-b/app.py": "print('hi')\n",
    "svc-c/app.dockerfile": "FROM alpine:3.20\nENTRYPOINT ['/app', '--serve']\nCMD node server.js\n",
    "svc-d/Containerfile": (
        "FROM node:20\nRUN npm ci\nCMD npm start\nFROM node:20 AS final\n"
        "COPY --chmod=755 <<EOF /run.sh\n#!/bin/sh\nnode server.js &\nwait\nEOF\n"
        'ENTRYPOINT ["/run.sh"]\n'
    ),
    "svc-e/Dockerfile": b"\x7fELF\x02\x01\x01\x00\x00",
    "deep/er/still/Dockerfile.prod": (
        'FROM nginx:1.27\nSTOPSIGNAL SIGTERM\nCMD ["nginx", "-g", "daemon off;"]\n'
    ),
    "ignored/Dockerfile": "FROM debian\nCMD ignored\n",
    ".gitignore": "ignored/\n",
    "README.md": "# services\n",
}
# Which linted file a finding in another file (an entry script) belongs to.
OWNER = {"svc-b/start.sh": "svc-b/Dockerfile.dev"}


def _owner(path: str) -> str:
    """The linted file a finding's path belongs to, without the `./` of `sigcheck .`
    (script paths come normalised, Dockerfile paths as discovered)."""
    path = path.removeprefix("./")
    return OWNER.get(path, path)


def _build(root: Path) -> Path:
    tree = root / "tree"
    for rel, content in TREE.items():
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        if rel.endswith(".sh"):
            path.chmod(0o755)
    (tree / ".git").mkdir()
    return tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return _build(tmp_path)


def _normalise(fmt: str, out: str) -> str:
    """Text output ends with the elapsed time: the only part allowed to differ."""
    if fmt == "text":
        return re.sub(r", \d+\.\d\d s$", ", T s", out.rstrip("\n"), flags=re.M)
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_identical_across_hash_seeds_and_jobs(tree: Path, fmt: str) -> None:
    outputs: dict[str, str] = {}
    for seed, jobs in (("0", "1"), ("1", "1"), ("4242", "2"), ("random", "3")):
        result = run_sigcheck(["-f", fmt, "-j", jobs, "."], tree, env={"PYTHONHASHSEED": seed})
        result.assert_sane()
        assert result.code == 2, result.stderr  # svc-e is binary
        outputs[f"seed={seed} jobs={jobs}"] = _normalise(fmt, result.stdout)
    first = next(iter(outputs.values()))
    for name, out in outputs.items():
        assert out == first, name


def test_findings_are_ordered_by_file_then_path_line_column_rule(tree: Path) -> None:
    result = run_sigcheck(["-f", "json", "."], tree)
    result.assert_sane()
    document = result.json()
    findings = document["findings"]
    assert len(findings) >= 6
    owners = [_owner(f["path"]) for f in findings]
    # files in discovery order: sorted, the ignored one left out
    files = list(dict.fromkeys(owners))
    assert files == sorted(files, key=lambda p: p.split("/")), files
    assert not any(p.startswith("ignored/") for p in owners)
    keys = [
        (owner, f["path"], f["line"], f["column"], f["rule"])
        for owner, f in zip(owners, findings, strict=True)
    ]
    assert keys == sorted(keys, key=lambda k: (files.index(k[0]), k[1:]))
    assert [e["path"] for e in document["errors"]] == ["./svc-e/Dockerfile"]


def test_text_output_lists_files_in_the_same_order(tree: Path) -> None:
    text = run_sigcheck(["-f", "text", "."], tree).stdout
    headings = [line for line in text.splitlines() if line.startswith("./")]
    names = [_owner(h.split(":")[0]) for h in headings if "/" in h]
    as_json = run_sigcheck(["-f", "json", "."], tree).json()
    order = list(dict.fromkeys(_owner(f["path"]) for f in as_json["findings"]))
    assert [n for n in names if n in order] == order


def _snapshot(root: Path) -> dict[str, tuple[int, int, int, int, str]]:
    """path -> (mode, size, mtime, ctime, sha256) of everything below root but __pycache__."""
    state: dict[str, tuple[int, int, int, int, str]] = {}
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in [*dirnames, *filenames]:
            path = Path(directory) / name
            info = path.lstat()
            digest = ""
            if path.is_file() and not path.is_symlink():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            rel = str(path.relative_to(root))
            state[rel] = (info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, digest)
    return state


def test_nothing_is_written(tmp_path: Path) -> None:
    tree = _build(tmp_path)
    home, tmp, cache = tmp_path / "home", tmp_path / "tmpdir", tmp_path / "cache"
    for directory in (home, tmp, cache):
        directory.mkdir()
    env = {"HOME": str(home), "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(cache)}
    before = _snapshot(tmp_path)
    for fmt in FORMATS:
        for args in (["-f", fmt, "."], ["-f", fmt, "-j", "2", "."], ["-f", fmt, "svc-b/Dockerfile.dev"]):
            result = run_sigcheck(args, tree, env=env)
            result.assert_sane()
        # the working directory is not the tree
        run_sigcheck(["-f", fmt, "tree"], tmp_path, env=env).assert_sane()
    run_sigcheck(["explain", "SIG102"], tree, env=env)
    run_sigcheck(["rules"], tree, env=env)
    after = _snapshot(tmp_path)
    assert after == before


AUDIT = r"""
import json, os, sys
events = []
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
def hook(event, args):
    if event == "open":
        path, mode, flags = args
        writes = isinstance(mode, str) and any(c in mode for c in "wax+")
        writes = writes or (isinstance(flags, int) and bool(flags & WRITE))
        if writes and path not in (1, 2) and not str(path).startswith("/dev/"):
            events.append(["open for writing", str(path)])
    elif event.startswith(("socket.", "subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "os.system")):
        events.append([event, repr(args)[:200]])
    elif event in ("os.fork", "os.forkpty"):
        events.append([event, ""])
sys.addaudithook(hook)
from sigcheck.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
sys.stderr.write("\nAUDIT " + json.dumps(events) + "\n")
"""


@pytest.mark.parametrize("fmt", FORMATS_UNDER_TEST)
def test_audit_hook_sees_no_writes_processes_or_sockets(tree: Path, fmt: str) -> None:
    """One process (--jobs 1): every file open, process start and socket call is audited."""
    completed = subprocess.run(
        [sys.executable, "-c", AUDIT, "-f", fmt, "-j", "1", "."],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    line = next(line for line in completed.stderr.splitlines() if line.startswith("AUDIT "))
    assert json.loads(line[len("AUDIT ") :]) == []
    assert completed.stdout  # the report was written, to stdout


def _unshare() -> str | None:
    if os.geteuid() != 0:
        return None
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, timeout=30, check=False)
    return unshare if probe.returncode == 0 else None


@pytest.mark.parametrize("fmt", FORMATS_UNDER_TEST)
def test_works_without_network(tree: Path, fmt: str) -> None:
    unshare = _unshare()
    if unshare is None:
        pytest.skip("needs root and a working `unshare -n`")
    normal = run_sigcheck(["-f", fmt, "."], tree)
    isolated: Result = run_sigcheck(["-f", fmt, "."], tree, prefix=[unshare, "-n", "--"], timeout=60)
    isolated.assert_sane()
    assert isolated.code == normal.code == 2
    assert _normalise(fmt, isolated.stdout) == _normalise(fmt, normal.stdout)
    assert isolated.stderr == normal.stderr
