"""Precision on real projects: lint every Dockerfile of the development corpus and
count the findings at warning or error that were judged wrong (issue 13).

The corpus is public code fetched outside this repository (never committed);
`bench/corpus/manifest.json` names each project, the commit it was read at and its
Dockerfiles, and `bench/corpus/judgements.json` holds our own verdict on every
finding at warning or error: `{"PATH|RULE|LINE": {"true": bool, "pattern": "...",
"reason": "one line"}}`. Each Dockerfile is linted in its real build context (its
own directory, or the nearest ancestor up to the project root holding every COPY
source: sigcheck's default), so the official images' per-variant directories
(`16/bookworm/Dockerfile`) are linted as docker-library builds them. Each project
directory carries an empty `.git` so context discovery stops at its root, as in a
real checkout.

Usage: python bench/precision.py [--corpus /work/corpus] [--tree DIR] [--unjudged] [--dump FILE]

`--tree DIR` runs another source tree of sigcheck (e.g. `git archive` of an older
commit) instead of this one, for a before/after comparison.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import sysconfig
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "corpus", "manifest.json")
JUDGEMENTS = os.path.join(HERE, "corpus", "judgements.json")
JUDGED = frozenset({"warning", "error"})
CHUNK = 200  # Dockerfiles per sigcheck call: short command lines, one start per chunk


def key(finding: dict[str, Any]) -> str:
    return f"{finding['path']}|{finding['rule']}|{finding['line']}"


def lint(
    corpus: str, paths: list[str], tree: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    findings: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    python = [sys.executable]
    env = dict(os.environ)
    if tree is not None:
        # -S: no site hooks, so an editable install of this checkout cannot shadow the tree.
        python.append("-S")
        env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(tree), sysconfig.get_paths()["purelib"]])
    for start in range(0, len(paths), CHUNK):
        argv = [*python, "-m", "sigcheck", "-f", "json", "--isolated", "-t", "none", "-j", "1"]
        out = subprocess.run(
            argv + paths[start : start + CHUNK],
            cwd=corpus,
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        report = json.loads(out.stdout)
        findings += report["findings"]
        errors += report["errors"]
    return findings, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="/work/corpus", help="where the manifest's projects are")
    parser.add_argument("--unjudged", action="store_true", help="list findings without a judgement")
    parser.add_argument("--dump", help="write every finding as JSON to this file")
    parser.add_argument("--tree", help="lint with this source tree of sigcheck instead of this checkout")
    options = parser.parse_args()
    with open(MANIFEST, encoding="utf-8") as handle:
        manifest = json.load(handle)["projects"]
    judgements: dict[str, dict[str, Any]] = {}
    if os.path.exists(JUDGEMENTS):
        with open(JUDGEMENTS, encoding="utf-8") as handle:
            judgements = {k: v for k, v in json.load(handle).items() if not k.startswith("_")}
    paths = [f"{p['dir']}/{d}" for p in manifest for d in p["dockerfiles"]]
    for project in manifest:
        os.makedirs(os.path.join(options.corpus, project["dir"], ".git"), exist_ok=True)
    findings, errors = lint(options.corpus, paths, options.tree)
    if options.dump:
        with open(options.dump, "w", encoding="utf-8") as handle:
            json.dump(findings, handle, indent=1)

    by_rule: collections.Counter[tuple[str, str]] = collections.Counter(
        (f["rule"], f["severity"]) for f in findings
    )
    judged = [f for f in findings if f["severity"] in JUDGED]
    wrong = [f for f in judged if key(f) in judgements and not judgements[key(f)]["true"]]
    right = [f for f in judged if key(f) in judgements and judgements[key(f)]["true"]]
    unjudged = [f for f in judged if key(f) not in judgements]
    print(f"projects {len(manifest)}, Dockerfiles {len(paths)}, lint errors {len(errors)}")
    print("findings by rule and severity:")
    for (rule, severity), count in sorted(by_rule.items()):
        print(f"  {rule} {severity:8} {count}")
    print(
        f"at warning or error: {len(judged)}: judged true {len(right)}, wrong {len(wrong)}, "
        f"unjudged {len(unjudged)}"
    )
    patterns = collections.Counter(judgements[key(f)].get("pattern", "?") for f in wrong)
    for pattern, count in patterns.most_common():
        print(f"  wrong, {pattern}: {count}")
    # Judgements no longer matched by a finding: fixed false alarms, or true findings lost.
    present = {key(f) for f in judged}
    gone = [k for k in judgements if k not in present]
    lost = [k for k in gone if judgements[k]["true"]]
    print(f"judged findings no longer reported: {len(gone)} (of them judged true: {len(lost)})")
    for k in lost:
        print(f"  lost true finding: {k}")
    if options.unjudged:
        for f in unjudged:
            print(f"UNJUDGED {key(f)} {f['severity']}: {f['message'][:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
