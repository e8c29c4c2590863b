"""Instructions per linted file, counted by callgrind: a figure that does not move with the load.

Seconds on a shared two-core machine vary by ±20 % between runs; the number of
instructions the interpreter executes is the same run after run. This lints the
first N files of a generated corpus in one process, and the same with no file,
under `valgrind --tool=callgrind`, and prints the difference per file. Give
`--baseline DIR` (a checkout of another commit) to compare two trees.

Usage: python bench/instructions.py [--files 300] [--baseline /tmp/base]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
import sys
from sigcheck.discover import discover
from sigcheck.lint import LintOptions, lint_file
files = sorted(discover(sys.argv[1]))[: int(sys.argv[2])]
for path in files:
    lint_file(path, LintOptions())
"""


def _count(tree: Path, corpus: str, files: int, work: str) -> int:
    out = os.path.join(work, "callgrind.out")
    env = dict(os.environ, PYTHONPATH=str(tree))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "sigcheck")], check=True)
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable]
    # cwd: `-c` puts the working directory first on sys.path, before PYTHONPATH.
    argv = [*command, "-c", SCRIPT, corpus, str(files)]
    run = subprocess.run(argv, env=env, cwd=work, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if found is None:
        raise SystemExit(run.stderr[-2000:])
    return int(found.group(1))


def _per_file(tree: Path, corpus: str, files: int, work: str) -> tuple[float, int]:
    empty = _count(tree, corpus, 0, work)
    full = _count(tree, corpus, files, work)
    return (full - empty) / files, empty


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as work:
        corpus = os.path.join(work, "corpus")
        subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), corpus, "2000", "--seed", "3"],
                       check=True, capture_output=True)  # fmt: skip
        trees = [("this tree", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
        results = {name: _per_file(tree.resolve(), corpus, args.files, work) for name, tree in trees}
    for name, (per_file, start) in results.items():
        print(f"{name:10}  {per_file / 1e6:7.3f} M instructions per file   start-up {start / 1e6:7.1f} M")
    if args.baseline:
        (mine, start), (theirs, base_start) = results["this tree"], results["baseline"]
        change, start_change = 100 * (mine / theirs - 1), 100 * (start / base_start - 1)
        print(f"per file {change:+.1f} %   start-up {start_change:+.1f} %")


if __name__ == "__main__":
    main()
