"""Cold start: `sigcheck` on one small Dockerfile against `python -c pass`.

Usage: python bench/startup.py [--runs N] [DOCKERFILE]
Prints the median wall time of each and the ratio (target: at most 5x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

SMALL = "FROM node:20\nWORKDIR /app\nCOPY . .\nCMD node server.js\n"


# As installed by pip: byte-compiled. PYTHONDONTWRITEBYTECODE (set on some CI machines) would
# otherwise make every run compile sigcheck's sources again and measure that instead.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _median(argv: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("dockerfile", nargs="?")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", "sigcheck"], check=True, env=ENV)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.dockerfile
        if path is None:
            path = os.path.join(tmp, "Dockerfile")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(SMALL)
        python = _median([sys.executable, "-c", "pass"], args.runs)
        module = _median([sys.executable, "-m", "sigcheck", path], args.runs)
    print(f"python -c pass      median {python * 1000:7.1f} ms ({args.runs} runs)")
    print(f"sigcheck Dockerfile median {module * 1000:7.1f} ms ({args.runs} runs)")
    print(f"ratio {module / python:.2f}x (target <= 5x)")


if __name__ == "__main__":
    main()
