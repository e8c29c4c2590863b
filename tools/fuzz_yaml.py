#!/usr/bin/env python3
"""Fuzz the Compose and Kubernetes loaders: `python tools/fuzz_yaml.py --examples 100000`,
and with `--lint` the whole deployment lint (chain, rules, every reporter, the CLI).

Inputs come from tests/yaml_grammar.py (the grammar the property tests use),
drawn from a seeded random.Random: generated Compose files and manifest streams,
half of them broken by random edits (YAML indicators, tabs, control characters,
duplicated lines, truncation), plus a share of alias-heavy and deeply nested
shapes. Each input is loaded as a Compose file (through `load_compose`, with
the text as an overlay, so nothing is read from disk) or as a manifest stream
(`load_manifests`), and classified with `classify_yaml`.

Properties:
- nothing but YamlError escapes, and its message is one line starting with the path;
- every record converts to a Runtime;
- every span lies inside the text (1 <= line <= end line <= number of lines + 1);
- loading twice gives equal records;
- no input takes longer than --timeout seconds.

With `--lint`, the properties of tests/deploy_fuzz.py instead: each input goes
through `lint_compose` / `lint_manifests` against a small project written to a
temporary directory (its `build:` contexts), every output format is rendered, and
one input in `--cli-every` is written to disk and linted by the CLI entry, the
formats in turn; `--sarif-every N` renders the SARIF report for one input in N only.

Prints the number of inputs, the time taken, how many loaded and how many were
refused, and every distinct failure (one per exception site) with its seed and
the smallest input that showed it; exits 1 when any failed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deploy_fuzz import check_cli, check_lint, write_project
from fuzz_grammar import InputTimeout, time_limit
from yaml_grammar import yaml_input

from sigcheck.load.compose import load_compose, service_runtime
from sigcheck.load.kubernetes import container_runtime, load_manifests
from sigcheck.load.manifests import classify_yaml
from sigcheck.load.yaml_nodes import YamlError
from sigcheck.report import FORMATS
from sigcheck.span import Span

COMPOSE_PATH = "/fuzz-project/compose.yaml"
MANIFEST_PATH = "/fuzz-project/stream.yaml"


def _shape(rng: random.Random) -> tuple[str, str]:
    """Inputs the grammar rarely makes: aliases, merges, nesting, tags, odd characters."""
    choice = rng.randrange(5)
    if choice == 0:
        width = rng.randint(2, 12)
        lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
        for level in range(1, rng.randint(2, 9)):
            lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
        return rng.choice(["compose", "kubernetes"]), "\n".join(lines) + "\nservices: {}\n"
    if choice == 1:
        depth = rng.randint(1, 300)
        return rng.choice(
            ["compose", "kubernetes"]
        ), "services:\n  w:\n    x: " + "[" * depth + "]" * depth + "\n"
    if choice == 2:
        tag = rng.choice(["!reset", "!override", "!!str", "!!int", "!custom", "!!binary", "!"])
        return (
            "compose",
            f"services:\n  w:\n    command: {tag} {rng.choice(['[a]', 'x', '1', 'null', '{}'])}\n",
        )
    if choice == 3:
        chars = "".join(
            rng.choice(["a", ":", " ", "\n", "-", "*", "&", "!", "{", "}", "[", "]", "'", '"', "\t", "#"])
            for _ in range(rng.randint(1, 80))
        )
        return rng.choice(["compose", "kubernetes"]), chars
    base = "d: &d {image: a, command: [x]}\nservices:\n  w:\n    <<: *d\n"
    return "compose", base + rng.choice(
        ["    <<: [*d, *d]\n", "    image: b\n", "    <<: *missing\n", "    <<: 1\n"]
    )


def _spans(records: object) -> list[Span]:
    found: list[Span] = []

    def walk(value: object) -> None:
        if isinstance(value, Span):
            found.append(value)
        elif isinstance(value, tuple):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(records)
    return found


def check(kind: str, text: str) -> tuple[str | None, bool]:
    """(None when every property holds, else what broke; whether the input was refused)."""
    path = COMPOSE_PATH if kind == "compose" else MANIFEST_PATH
    refused = False
    try:
        if kind == "compose":
            project = load_compose([COMPOSE_PATH], {"B": "x"}, texts={COMPOSE_PATH: text})
            again = load_compose([COMPOSE_PATH], {"B": "x"}, texts={COMPOSE_PATH: text})
            records: object = project.services
            for service in project.services:
                service_runtime(service)
            if again != project:
                return "two loads differ", False
        else:
            containers = load_manifests(text, MANIFEST_PATH)
            if load_manifests(text, MANIFEST_PATH) != containers:
                return "two loads differ", False
            records = tuple(containers)
            for container in containers:
                container_runtime(container)
    except YamlError as exc:
        message = str(exc)
        if "\n" in message or not message.startswith(path + ":"):
            return f"bad error message: {message!r}", True
        records = ()
        refused = True
    lines = text.count("\n") + 1
    for span in _spans(records):
        if span.path != path:
            return f"span names another file: {span}", refused
        if not (1 <= span.line <= span.end_line <= lines) or span.column < 1 or span.end_column < 1:
            return f"span outside the text: {span}", refused
        if span.line == span.end_line and span.end_column < span.column:
            return f"span ends before it starts: {span}", refused
    classify_yaml(path, text)
    return None, refused


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--start", type=int, default=0, help="first input number (split a long run over processes)"
    )
    parser.add_argument("--progress", type=int, default=0, metavar="N", help="print a line every N inputs")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--lint", action="store_true", help="fuzz the whole lint, not only the loaders")
    parser.add_argument("--cli-every", type=int, default=20, metavar="N", help="with --lint")
    # SARIF carries every rule's page (~400 KB, ~10 ms to build), whatever the input: the
    # long run renders it for one input in N (and through the CLI in turn) to fit its time.
    parser.add_argument("--sarif-every", type=int, default=1, metavar="N", help="with --lint")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sigcheck-fuzz-") as tmp:
        project = Path(tmp).resolve()
        write_project(project)
        os.chdir(project)  # the CLI reports paths relative to here, as a user's run would
        _run(args, project)


def _run(args: argparse.Namespace, project: Path) -> None:
    formats = itertools.cycle(FORMATS)
    without_sarif = [fmt for fmt in FORMATS if fmt != "sarif"]
    failures: dict[str, tuple[int, str, str]] = {}
    loaded = refused = 0
    start = time.perf_counter()
    for number in range(args.start, args.start + args.examples):
        if args.progress and number > args.start and (number - args.start) % args.progress == 0:
            print(f"{number - args.start} inputs, {len(failures)} failures", flush=True)
        seed = args.seed * 1_000_003 + number
        rng = random.Random(seed)
        kind, text = _shape(rng) if rng.random() < 0.1 else yaml_input(rng)
        was_refused = False
        try:
            with time_limit(args.timeout):
                if not args.lint:
                    problem, was_refused = check(kind, text)
                else:
                    sarif = args.sarif_every > 0 and number % args.sarif_every == 0
                    problem = check_lint(kind, text, project, FORMATS if sarif else without_sarif)
                    if problem is None and args.cli_every > 0 and number % args.cli_every == 0:
                        problem = check_cli(kind, text, project, next(formats))
        except InputTimeout as exc:
            problem = f"timeout: {exc}"
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            problem = f"{type(exc).__name__} raised at {Path(frame.filename).name}:{frame.lineno}: {exc}"
        refused += was_refused
        loaded += not was_refused
        if problem is None:
            continue
        signature = problem.split(": ")[0] if " raised at " in problem else problem[:80]
        known = failures.get(signature)
        if known is None or len(text) < len(known[2]):
            failures[signature] = (seed, problem, text)
    elapsed = time.perf_counter() - start
    print(
        f"{args.examples} inputs in {elapsed:.1f} s ({args.examples / elapsed:.0f}/s): "
        + (f"{loaded} loaded, {refused} refused with a YamlError, " if not args.lint else "")
        + f"{len(failures)} failures"
    )
    for signature, (seed, problem, text) in failures.items():
        print(f"\n--- {signature}\nseed {seed}: {problem}\n{text!r}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
