#!/usr/bin/env python3
"""Fuzz sigcheck with many generated inputs: `python tools/fuzz.py --examples 100000`.

The same grammar and properties as tests/test_fuzz.py (tests/fuzz_grammar.py),
drawn from a seeded random.Random instead of hypothesis, calling lint_text
directly: tens of thousands of inputs a minute. Each input is one of

- a generated Dockerfile, linted in place (scripts from heredocs and RUN);
- the same with its build-context scripts written to a temporary directory
  (every --context-every inputs), also through lint_file;
- random bytes near Dockerfile text, decoded as sigcheck decodes a file.

Properties: nothing but LoadError escapes lint_text, lint_file never reaches
its last-resort guard, two runs give byte-identical JSON, every finding lies
inside the file it names, and no input takes longer than --timeout seconds.

Prints the number of inputs, the time taken and every distinct failure (one per
exception site, or per kind of broken position) with the smallest input that
showed it, its seed, and a line- then character-shrunk copy; exits 1 when any
failed. `--avoid-known` leaves out the shapes of bugs already reported (as the
tests do), to look for new ones; `--include-hangs` adds a reported
exponential-time shape (recursive shell functions), each costing --timeout.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fuzz_grammar as grammar

from sigcheck.lint import LintOptions


@dataclass
class Failure:
    problem: str
    seed: int
    kind: str
    text: str
    files: dict[str, str]
    count: int = 1


def _signature(problem: str) -> str:
    """Group failures that differ only in numbers and quoted text."""
    import re

    head, _, _ = problem.partition(": ")
    if " raised " in head:  # an exception: its type and where it was raised
        return head
    problem = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", problem)
    return re.sub(r"\d+", "N", problem)[:160]


def run_one(
    seed: int, kind: str, scratch: str, timeout: float, include_hangs: bool, avoid_known: bool
) -> tuple[list[str], str, dict[str, str]]:
    chooser = grammar.RandomChooser(random.Random(seed))
    if kind == "bytes":
        data = grammar.random_bytes(chooser, 400)
        path = os.path.join(scratch, "bytes", "Dockerfile")
        return grammar.check_bytes(data, path, timeout=timeout), repr(data), {}
    if include_hangs and chooser.chance(0.02):
        # A generated script with recursive functions as the entry point.
        body = grammar.script(chooser, (), recursion=True)
        if chooser.chance(0.5):  # the reported shape: a function that calls itself twice
            body += "g() {\n  g\n  g\n}\ng\n"
        gen = grammar.Generated(f'FROM debian\nCOPY <<EOF /run.sh\n{body}\nEOF\nENTRYPOINT ["/run.sh"]\n')
    else:
        gen = grammar.dockerfile(chooser, avoid_known=avoid_known)
    options = LintOptions(
        target=chooser.choice((None, None, None, "stage0", "nope")),
        assume_init=chooser.chance(0.1),
    )
    if kind == "context":
        root = os.path.join(scratch, f"ctx{seed}")
        os.makedirs(root)
        try:
            path = grammar.write_context(root, gen)
            problems = grammar.check_input(gen.text, path, options, through_file=True, timeout=timeout)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return problems, gen.text, gen.files
    path = os.path.join(scratch, "none", "Dockerfile")  # a directory that does not exist
    return grammar.check_input(gen.text, path, options, timeout=timeout), gen.text, gen.files


def shrink(failure: Failure, scratch: str, timeout: float) -> str:
    """Delete lines, then characters, while the input still shows the same failure."""
    key = _signature(failure.problem)
    path = os.path.join(scratch, "none", "Dockerfile")

    def fails(text: str) -> bool:
        if failure.kind == "bytes":
            problems = grammar.check_bytes(text.encode("utf-8", "surrogateescape"), path, timeout=timeout)
        else:
            problems = grammar.check_input(text, path, timeout=timeout)
        return any(_signature(p) == key for p in problems)

    text = failure.text
    if failure.kind == "bytes" or failure.files or not fails(text):
        return text
    for unit in ("line", "char"):
        changed = True
        while changed:
            changed = False
            pieces = text.splitlines(keepends=True) if unit == "line" else list(text)
            for index in range(len(pieces) - 1, -1, -1):
                candidate = "".join(pieces[:index] + pieces[index + 1 :])
                if fails(candidate):
                    pieces = pieces[:index] + pieces[index + 1 :]
                    text, changed = candidate, True
            if unit == "char" and len(text) > 400:
                break
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=10_000, help="number of inputs [10000]")
    parser.add_argument("--seed", type=int, default=0, help="first seed; input N uses seed+N [0]")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds allowed per input [5]")
    parser.add_argument(
        "--context-every", type=int, default=10, help="every Nth input gets a real context [10]"
    )
    parser.add_argument("--bytes-every", type=int, default=7, help="every Nth input is random bytes [7]")
    parser.add_argument(
        "--include-hangs",
        action="store_true",
        help="also generate the reported exponential-time shape (each costs --timeout)",
    )
    parser.add_argument(
        "--avoid-known", action="store_true", help="leave out shapes of reported bugs, to find new ones"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    args = parser.parse_args(argv)

    failures: dict[str, Failure] = {}
    counts = {"dockerfile": 0, "context": 0, "bytes": 0}
    started = time.perf_counter()
    scratch = tempfile.mkdtemp(prefix="sigcheck-fuzz-")
    try:
        for n in range(args.examples):
            seed = args.seed + n
            if args.bytes_every and n % args.bytes_every == args.bytes_every - 1:
                kind = "bytes"
            elif args.context_every and n % args.context_every == 0:
                kind = "context"
            else:
                kind = "dockerfile"
            counts[kind] += 1
            problems, text, files = run_one(
                seed, kind, scratch, args.timeout, args.include_hangs, args.avoid_known
            )
            for problem in problems:
                key = _signature(problem)
                known = failures.get(key)
                if known is None:
                    failures[key] = Failure(problem, seed, kind, text, files)
                    print(f"FAIL seed={seed} ({kind}): {problem}", file=sys.stderr, flush=True)
                else:
                    known.count += 1
                    if len(text) < len(known.text):
                        known.problem, known.seed, known.kind, known.text, known.files = (
                            problem,
                            seed,
                            kind,
                            text,
                            files,
                        )
            if not args.quiet and n and n % 5000 == 0:
                elapsed = time.perf_counter() - started
                print(f"  {n} inputs, {elapsed:.1f} s, {len(failures)} distinct failures", file=sys.stderr)
        elapsed = time.perf_counter() - started
        shrunk = {
            key: shrink(failure, scratch, args.timeout)
            for key, failure in failures.items()
            if "took more than" not in failure.problem
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    total = sum(counts.values())
    print(
        f"inputs: {total} ({counts['dockerfile']} Dockerfiles, {counts['context']} with a build context, "
        f"{counts['bytes']} random byte strings); time: {elapsed:.1f} s ({total / elapsed:.0f}/s); "
        f"distinct failures: {len(failures)}"
    )
    for failure in failures.values():
        print(f"\n--- {failure.problem}")
        print(f"    seen {failure.count} times; smallest: seed {failure.seed} ({failure.kind})")
        print("    input: " + repr(failure.text))
        key = _signature(failure.problem)
        if key in shrunk and shrunk[key] != failure.text:
            print("    shrunk: " + repr(shrunk[key]))
        for rel, content in failure.files.items():
            print(f"    context file {rel}: {content!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
