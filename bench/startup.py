"""Cold start: `sigcheck` on one small Dockerfile against `python -c pass`.

Usage: python bench/startup.py [--runs N] [DOCKERFILE]

Runs the installed `sigcheck` command (the console script next to this Python, else
`python -m sigcheck`), `python -c pass` and, for reference, `python -c "import click"`,
interleaved so that a change in the machine's load touches all three alike. Prints the
median wall time of each and the ratio to `python -c pass` (target: at most 5x).
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


def _sigcheck() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "sigcheck")
    return [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "sigcheck"]


def _time(argv: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV, cwd=cwd)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument(
        "--no-compile", action="store_true", help="do not byte-compile sigcheck first (smoke test)"
    )
    parser.add_argument("dockerfile", nargs="?")
    args = parser.parse_args()
    if not args.no_compile:
        subprocess.run([sys.executable, "-m", "compileall", "-q", "sigcheck"], check=True, env=ENV)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.dockerfile
        if path is None:
            path = os.path.join(tmp, "Dockerfile")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(SMALL)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            'python -c "import click"': [sys.executable, "-c", "import click"],
            "sigcheck Dockerfile": [*_sigcheck(), path],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                samples[name].append(_time(argv, tmp))  # in a directory without a config file
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["python -c pass"]
    for name, value in medians.items():
        print(f"{name:26} median {value * 1000:7.1f} ms  {value / base:5.2f}x  ({args.runs} runs)")
    print(f"ratio {medians['sigcheck Dockerfile'] / base:.2f}x (target <= 5x)")


if __name__ == "__main__":
    main()
