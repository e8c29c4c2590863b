"""This checkout's sigcheck against another source tree of it (e.g. main) on the same
generated corpus: does a change keep the lint as fast (issue 13: not slower by more
than 10 % on 10,000 files)?

Both trees run from source with `python -S`, so an editable install of either one
cannot shadow the other; the installed dependencies are put on PYTHONPATH. Runs
alternate between the trees; the median wall time of each is printed.

Usage: python bench/against_base.py --base /path/to/main [--size 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import generate

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(tree: str, files: list[str], cwd: str) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([tree, sysconfig.get_paths()["purelib"]]))
    argv = [sys.executable, "-S", "-m", "sigcheck", "-f", "json", "-t", "none", "--isolated", *files]
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the other source tree (a checkout of main)")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = [os.path.relpath(f, tmp) for f in generate(tmp, args.size)]
        times: dict[str, list[float]] = {"base": [], "this": []}
        _run(HERE, files, tmp)  # warm the page cache and both trees' bytecode
        _run(args.base, files, tmp)
        for _ in range(args.runs):
            times["base"].append(_run(args.base, files, tmp))
            times["this"].append(_run(HERE, files, tmp))
    base, this = statistics.median(times["base"]), statistics.median(times["this"])
    print(f"{args.size} files, {args.runs} runs: base {base:.2f} s, this {this:.2f} s")
    print(f"ratio this/base {this / base:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
