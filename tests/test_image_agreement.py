"""For every fixture whose Dockerfile buildah can build here, offline, `sigcheck image`
on the built image's docker-archive finds what `sigcheck Dockerfile` finds: the same
rules, severities and chains (the chain carries the verdict: which process is PID 1,
which shell runs, what it execs).

Offline means: every base the fixture names (FROM, COPY --from) is one the knowledge
base describes, so tests/image_standins.py can build a stand-in for it, and every
RUN step uses only what busybox-static offers (no package manager, no network, no
compiler). The others are listed with the reason by `plan()`; bench/RESULTS.md has
the counts (`python tests/test_image_agreement.py` prints them).

What only one side can know is written down below: `IMAGE_ONLY` (a fixture, the rule
the Dockerfile path reports, the rule the image path reports instead, and why), and
the wording of an official entry script's step, which `_normalised` maps.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from image_standins import BUSYBOX, STANDIN_FAMILIES, Buildah, build_standin, standin_users

from sigcheck.findings import Finding
from sigcheck.image_lint import lint_image
from sigcheck.lint import LintOptions, lint_text
from sigcheck.load.files import read_text
from sigcheck.model.baseimages import lookup_image

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# Commands a RUN step may use: busybox's applets and the shell's own builtins, minus
# those that need a network or a package database this machine cannot offer.
_BUILTINS = frozenset({"set", "cd", "export", "true", "false", ":", "echo", "printf", "test", "[", "umask"})
_NETWORK = frozenset({"wget", "nc", "ftpget", "ftpput", "telnet", "ssl_client", "tftp", "udhcpc",
                      "nslookup", "ping", "ping6", "dpkg", "dpkg-deb", "rpm", "rpm2cpio"})  # fmt: skip

# (rule, severity, chain): what the comparison looks at.
Key = tuple[str, str, tuple[str, ...]]

# What only the image can know, as the rule the Dockerfile path reports -> the rule
# the image path reports instead (same severity, same chain), per fixture, with why.
_STORED_SHELL_FORM = (
    'the stored config keeps shell form as ["/bin/sh", "-c", "..."] (Shell unset), so an exec-form '
    '["/bin/sh", "-c", ...] or a malformed JSON array (run by Docker as shell form) is, in the image, '
    "the same bytes as a shell-form instruction and is reported as one (SIG102)"
)
IMAGE_ONLY: dict[str, tuple[str, str, str]] = {
    "sig103-nginx-alpine-envsubst": ("SIG103", "SIG102", _STORED_SHELL_FORM),
    "sig104-unescaped-backslash": ("SIG104", "SIG102", _STORED_SHELL_FORM),
}
# The base's official entry script: the Dockerfile path knows it from the knowledge
# base and shows it as `X (exec "$@")`, the next step with X's arguments; the image
# holds the script itself, and the chain names the shell and the line that execs.
# Only the wording differs (both say "execs the arguments"): `_normalised` maps it.
# Buildable by the rules above, but the build itself fails, for the reason given.
BUILD_FAILS = {
    "official-nginx-parent-stage": "RUN rm a file of the real nginx image the stand-in lacks",
    "sig403-runuser-sigwinch-dropped": "RUN chown of a directory only the real httpd image has",
    "sig201-copy-dotdot-outside-context": "COPY from outside the context: buildah refuses, as docker does",
    "sig201-symlink-outside-context": "COPY of a symlink out of the context: buildah refuses, as docker does",
}


class Plan(NamedTuple):
    dockerfile: Path
    target: str | None
    bases: tuple[str, ...]  # external images, as written after ARG expansion


def _applets() -> frozenset[str]:
    if not os.path.exists(BUSYBOX):
        return frozenset()
    import subprocess

    listed = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=False).stdout
    return frozenset(listed.split()) - _NETWORK | _BUILTINS


def _logical_lines(text: str) -> list[str]:
    """Instructions with their continuation lines joined and heredoc bodies appended."""
    lines, out, pending = text.splitlines(), [], ""
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue  # comments inside a continuation are dropped, as the parser does
        if line.rstrip().endswith(("\\", "`")) and index < len(lines):
            pending += line.rstrip()[:-1] + " "
            continue
        instruction = pending + line
        pending = ""
        for marker in re.findall(r"<<-?[\"']?(\w+)[\"']?", instruction):
            while index < len(lines) and lines[index].strip() != marker:
                instruction += "\n" + lines[index]
                index += 1
            index += 1
        out.append(instruction)
    return out


def _expand(word: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), word)


def _commands(script: str) -> list[str]:
    """The first word of every simple command of a RUN step, roughly: enough to tell
    busybox-only steps from the rest, never to lint."""
    words = []
    for part in re.split(r"&&|\|\||[;|\n()]|\bthen\b|\bdo\b|\belse\b", script):
        tokens = [t for t in part.split() if not re.match(r"^\w+=", t)]
        if tokens and tokens[0] not in ("if", "fi", "done", "for", "while", "{", "}", "!", "EOF"):
            words.append(tokens[0].strip("'\""))
    return words


def plan(name: str, applets: frozenset[str]) -> Plan | str:
    """How to build the fixture offline, or why it cannot be."""
    if name in BUILD_FAILS:
        return BUILD_FAILS[name]
    expected: dict[str, Any] = json.loads((FIXTURES / name / "expected.json").read_text())
    if "deployment" in expected:
        return "a deployment fixture: its findings are the Compose/Kubernetes overrides' too"
    dockerfile = FIXTURES / name / expected.get("dockerfile", "Dockerfile")
    text = dockerfile.read_text(encoding="utf-8", errors="replace")
    if re.search(r"^\s*#\s*escape\s*=", text, re.I | re.M):
        return "escape directive (the RUN reader here assumes backslash)"
    args: dict[str, str] = {}
    stages: set[str] = set()
    bases: list[str] = []
    seen_from = False
    for line in _logical_lines(text):
        keyword, _, rest = line.strip().partition(" ")
        keyword = keyword.upper()
        flags = re.findall(r"--(\w[\w-]*)(?:=(\S+))?", rest)
        if keyword == "ARG" and not seen_from:
            key, _, value = rest.strip().partition("=")
            args[key.strip()] = value.strip().strip("'\"")
        elif keyword == "FROM":
            seen_from = True
            words = [w for w in rest.split() if not w.startswith("--")]
            if not words:
                return "FROM without an image"
            ref = _expand(words[0], args)
            if len(words) >= 3 and words[1].lower() == "as":
                stages.add(words[2].lower())
            if ref.lower() in stages or ref == "scratch":
                continue
            if "$" in ref:
                return f"unresolved base {ref}"
            base = lookup_image(ref)
            if not base.known or base.family not in STANDIN_FAMILIES:
                return f"base {ref} unknown to the knowledge base"
            bases.append(ref)
        elif keyword in ("RUN", "COPY", "ADD") and "<<" in rest:
            return "heredoc (Debian's buildah 1.28 predates heredoc support)"
        elif keyword in ("COPY", "ADD"):
            for flag, value in flags:
                if flag == "from" and value.lower() not in stages:
                    return f"COPY --from={value}: an image, not a stage"
                if flag == "chown" and not _known_owner(value, bases):
                    return f"{keyword} --chown={value}: a user the stand-ins do not have"
                if flag in ("link", "parents", "exclude"):
                    return f"{keyword} --{flag}"
            if keyword == "ADD" and re.search(r"https?://|git@", rest):
                return "ADD from the network"
            if not any(flag == "from" for flag, _ in flags) and not _sources_exist(dockerfile.parent, rest):
                return f"{keyword} of a file the fixture does not hold (built elsewhere)"
        elif keyword == "RUN":
            if any(flag == "mount" or flag == "network" for flag, _ in flags):
                return "RUN --mount/--network"
            script = re.sub(r"^(--\S+\s+)*", "", rest.strip())
            if script.startswith("["):
                return "RUN in exec form"
            unknown = sorted({w for w in _commands(script) if w not in applets and not w.startswith("<<")})
            if unknown:
                return f"RUN needs {', '.join(unknown[:3])}"
        elif keyword in ("SHELL", "ONBUILD"):
            return f"{keyword}: RUN steps would run a shell the stand-ins do not execute"
    return Plan(dockerfile, expected.get("target"), tuple(dict.fromkeys(bases)))


def _sources_exist(context: Path, rest: str) -> bool:
    words = [w for w in rest.split() if not w.startswith("--")]
    if rest.lstrip().startswith("["):
        try:
            words = json.loads(rest[rest.index("[") :])
        except ValueError:
            return False
    return all(
        source.strip("./") == "" or "$" in source or any(context.glob(source.lstrip("/")))
        for source in words[:-1]
    )


def _known_owner(owner: str | None, bases: list[str]) -> bool:
    names = {name for base in bases for name, _ in standin_users(base)}
    return all(part.isdigit() or part in names for part in (owner or "").split(":"))


def _fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file())


def plans() -> dict[str, Plan | str]:
    applets = _applets()
    return {name: plan(name, applets) for name in _fixture_names()}


def _keys(findings: list[Finding], rename: dict[str, str] | None = None) -> Counter[Key]:
    rename = rename or {}
    return Counter((rename.get(f.rule, f.rule), f.severity.label, tuple(f.chain or ())) for f in findings)


def _entry_scripts(bases: tuple[str, ...]) -> set[str]:
    return {b.entrypoint[0] for b in map(lookup_image, bases) if b.entrypoint and b.entrypoint_execs_args}


def _from_dockerfile_wording(chain: tuple[str, ...], scripts: set[str]) -> tuple[str, ...]:
    """The image path's chain in the Dockerfile path's words for the base's entry script."""
    out = list(chain)
    for index, step in enumerate(chain):
        match = re.fullmatch(r"(\S+) \(.*, execs at line \d+\)( \[PID 1\])?", step)
        if match and match.group(1) in scripts:
            out[index] = f'{match.group(1)} (exec "$@"){match.group(2) or ""}'
    return tuple(out)


def _without_entry_prefix(chain: tuple[str, ...], scripts: set[str]) -> tuple[str, ...]:
    out = list(chain)
    for index in range(1, len(chain)):
        for script in scripts:
            if chain[index - 1].startswith(f"{script} (exec") and chain[index].startswith(script + " "):
                out[index] = chain[index][len(script) + 1 :]
    return tuple(out)


def _normalised(keys: Counter[Key], scripts: set[str], image: bool) -> Counter[Key]:
    words = _from_dockerfile_wording if image else _without_entry_prefix
    return Counter({(rule, sev, words(chain, scripts)): n for (rule, sev, chain), n in keys.items()})


class Builder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.buildah = Buildah(root)
        self.standins: set[str] = set()

    def image(self, name: str, spec: Plan) -> Path:
        for base in spec.bases:
            if base not in self.standins:
                build_standin(self.buildah, base, self.root / f"standin-{len(self.standins)}")
                self.standins.add(base)
        tag = f"localhost/fixture-{name}:latest"
        target = ["--target", spec.target] if spec.target else []
        self.buildah("bud", "-q", "--pull=never", "--network", "none", *target, "-f", str(spec.dockerfile),
                     "-t", tag, str(spec.dockerfile.parent))  # fmt: skip
        archive = self.root / f"{name}.tar"
        self.buildah("push", "-q", tag, f"docker-archive:{archive}:{tag}")
        self.buildah("rmi", tag)
        return archive


@pytest.fixture(scope="module")
def builder(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    if shutil.which("buildah") is None or not os.path.exists(BUSYBOX):
        pytest.skip("needs Debian's buildah and busybox-static (.ci/run installs them)")
    if os.geteuid() != 0:
        pytest.skip("buildah with vfs storage runs as root here")
    return Builder(tmp_path_factory.mktemp("agreement"))


_PLANS = plans()
_BUILDABLE = sorted(name for name, spec in _PLANS.items() if isinstance(spec, Plan))


def test_the_classification_recognises_busybox_only_dockerfiles() -> None:
    # The classification is the test's own: if it stopped recognising busybox-only
    # Dockerfiles, the agreement below would quietly shrink to nothing.
    if not _applets():
        pytest.skip("busybox-static tells which RUN steps the stand-ins can run (.ci/run installs it)")
    assert "p14-setup-then-background-app-no-trap" in _BUILDABLE
    assert "official-nginx-from-copy-conf" in _BUILDABLE
    assert not isinstance(_PLANS["seed-tini-alpine"], Plan)  # apk add, go build
    assert set(IMAGE_ONLY) <= set(_BUILDABLE)


@pytest.mark.buildah
@pytest.mark.parametrize("name", _BUILDABLE)
def test_image_agrees_with_dockerfile(name: str, builder: Builder, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _PLANS[name]
    assert isinstance(spec, Plan)
    archive = builder.image(name, spec)
    monkeypatch.chdir(ROOT)
    relative = str(spec.dockerfile.relative_to(ROOT))
    findings = lint_text(read_text(relative), relative, LintOptions(target=spec.target))
    reports = lint_image(str(archive), LintOptions())
    assert len(reports) == 1
    assert reports[0].error is None, reports[0].error
    scripts = _entry_scripts(spec.bases)
    rename = {}
    if name in IMAGE_ONLY:
        was, becomes, _why = IMAGE_ONLY[name]
        # A listed difference that no longer occurs is stale: the list must stay true.
        assert was in {f.rule for f in findings}
        assert becomes in {f.rule for f in reports[0].findings}
        rename = {was: becomes}
    from_dockerfile = _normalised(_keys(findings, rename), scripts, image=False)
    from_image = _normalised(_keys(list(reports[0].findings)), scripts, image=True)
    assert from_dockerfile == from_image


def _group(reason: str) -> str:
    if reason.startswith("RUN needs"):
        return "RUN needs a program busybox lacks (package manager, compiler, useradd...)"
    if reason.startswith("base "):
        return "a base the knowledge base does not describe"
    return reason.split(":")[0]


if __name__ == "__main__":
    reasons = Counter(_group(spec) for spec in _PLANS.values() if isinstance(spec, str))
    print(f"{len(_PLANS)} fixtures, {len(_BUILDABLE)} buildable offline and compared, "
          f"{len(IMAGE_ONLY)} with an image-only difference")  # fmt: skip
    for reason, count in reasons.most_common():
        print(f"{count:4d}  {reason}")
    sys.exit(0)
