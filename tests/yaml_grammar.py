"""Generated Compose files and Kubernetes manifests, valid and broken, for the property
tests (tests/test_yaml_safety.py) and the long fuzz run (tools/fuzz_yaml.py).

Everything is drawn from a `random.Random`, so a failure is reproduced by its seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

WORDS = [
    "node",
    "server.js",
    "sh",
    "-c",
    "exec",
    "npm",
    "start",
    "python",
    "app.py",
    "tini",
    "--",
    "nginx",
    "-g",
    "daemon off;",
    "gunicorn",
    "--graceful-timeout",
    "30",
    "&&",
    "|",
    ";",
    ">",
    "2>&1",
    "$HOME",
    "$$HOME",
    "${PORT:-8080}",
    "${X-}",
    "$(VAR)",
    "$$(VAR)",
    "'a b'",
    '"c d"',
    "\\",
    "`x`",
    "$(",
    ")",
    "(",
    "é",
    "😀",
    "",
]
SIGNALS = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGKILL", "TERM", "9", "SIGFOO", "${SIG:-SIGTERM}"]
DURATIONS = ["10s", "1m30s", "500ms", "1.5h", "2d", "0", "1w2d", "${GRACE:-5s}"]
BREAKERS = [
    ":",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "!tag ",
    "!reset ",
    "\t",
    '"',
    "'",
    "- ",
    "? ",
    "|",
    ">",
    "%",
    "@",
    "`",
    "\x00",
    "\x1b",
    "\ufeff",
    "<<: ",
    "---\n",
    "...\n",
    "#",
    "\r",
    "\x85",
    "\u2028",
]


_PLAIN_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/= $+")


def scalar(rng: random.Random, words: list[str] = WORDS) -> str:
    """A YAML scalar, quoted or plain, that parses; its words may be Compose errors."""
    text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 5)))
    style = rng.randrange(4)
    plain_ok = text and set(text) <= _PLAIN_SAFE and text[0] not in "-$ " and text[-1] != " "
    if style == 0 or (style == 3 and not plain_ok):
        return json.dumps(text, ensure_ascii=False)
    if style == 1:
        return "'" + text.replace("'", "''") + "'"
    if style == 2:
        return rng.choice(["true", "false", "yes", "null", "~", "1", "0x1F", "1.10", ".inf", "x"])
    return text


# Words Compose accepts inside a value (no bare `$(`, `$1`...): its interpolation would refuse them.
COMPOSE_WORDS = [word for word in WORDS if "$(" not in word and word not in ("$(", ")", "(", "`x`")]


def command_value(rng: random.Random, indent: str, words: list[str] = WORDS, string: bool = True) -> str:
    if string and rng.random() < 0.5:
        return " " + scalar(rng, words)
    quoted = [
        json.dumps(" ".join(rng.choice(words) for _ in range(rng.randint(0, 3))), ensure_ascii=False)
        for _ in range(rng.randint(0, 4))
    ]
    if rng.random() < 0.5:
        return " [" + ", ".join(quoted) + "]"
    return "".join(f"\n{indent}  - {item}" for item in quoted or ['"x"'])


def compose_text(rng: random.Random) -> str:
    lines = []
    if rng.random() < 0.3:
        lines += ["x-defaults: &defaults", "  init: true", f"  stop_grace_period: {rng.choice(DURATIONS)}"]
    lines.append("services:")
    for index in range(rng.randint(1, 4)):
        lines.append(f"  svc{index}:")
        if rng.random() < 0.3:
            lines.append("    <<: *defaults" if "x-defaults: &defaults" in lines else "    profiles: [debug]")
        fields: dict[str, Callable[[], str]] = {
            "image": lambda: f" {rng.choice(['node:20', 'python:3.12', 'nginx', '${IMAGE:-busybox}'])}",
            "build": lambda: rng.choice(
                [" .", " ./app", " ../outside", "\n      context: .\n      target: prod"]
            ),
            "command": lambda: command_value(rng, "    ", COMPOSE_WORDS),
            "entrypoint": lambda: command_value(rng, "    ", COMPOSE_WORDS),
            "init": lambda: f" {rng.choice(['true', 'false', 'yes', 'off'])}",
            "stop_signal": lambda: f" {rng.choice(SIGNALS)}",
            "stop_grace_period": lambda: f" {rng.choice(DURATIONS)}",
            "user": lambda: f" {rng.choice(['1000', 'app', '1000:1000'])}",
            "working_dir": lambda: " /srv",
            "environment": lambda: rng.choice(
                ["\n      - A=1\n      - B", "\n      A: 1\n      B: ${B:?required}", " {}", " [C=$$x]"]
            ),
        }
        if index:
            fields["extends"] = lambda: rng.choice([" svc0", "\n      service: svc0"])
        for field in rng.sample(list(fields), rng.randint(1, len(fields))):
            lines.append(f"    {field}:{fields[field]()}")
    return "\n".join(lines) + "\n"


KINDS = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "Service",
    "ConfigMap",
]


def _container(rng: random.Random, indent: str, init: bool) -> list[str]:
    out = [
        f"{indent}- name: c{rng.randrange(100)}",
        f"{indent}  image: {rng.choice(['app:1', 'busybox', 'nginx'])}",
    ]
    more = indent + "  "
    if init and rng.random() < 0.5:
        out.append(f"{more}restartPolicy: Always")
    if rng.random() < 0.7:
        out.append(f"{more}command:{command_value(rng, more, string=False)}")
    if rng.random() < 0.7:
        out.append(f"{more}args:{command_value(rng, more, string=False)}")
    if rng.random() < 0.5:
        out += [
            f"{more}env:",
            f"{more}- name: VAR",
            f"{more}  value: {scalar(rng)}",
            f"{more}- name: P",
            f"{more}  valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}",
        ]
    if rng.random() < 0.5:
        action = rng.choice(
            [
                f"sleep: {{seconds: {rng.choice(['5', '30', '1.5'])}}}",
                "exec: {command: [sh, -c, 'sleep 10']}",
                "httpGet: {path: /drain, port: 8080}",
                "tcpSocket: {port: 80}",
            ]
        )
        out += [f"{more}lifecycle:", f"{more}  preStop: {{{action}}}"]
        if rng.random() < 0.5:
            out.append(f"{more}  stopSignal: {rng.choice(SIGNALS)}")
    if rng.random() < 0.3:
        out.append(f"{more}securityContext: {{runAsUser: {rng.choice(['0', '1000', 'x'])}}}")
    if rng.random() < 0.3:
        out.append(f"{more}workingDir: /srv")
    return out


def kubernetes_text(rng: random.Random) -> str:
    documents = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(KINDS)
        lines = [
            f"apiVersion: {rng.choice(['v1', 'apps/v1', 'batch/v1'])}",
            f"kind: {kind}",
            f"metadata: {{name: w{rng.randrange(100)}, namespace: ns}}",
        ]
        if kind == "Pod":
            spec_indent = "  "
            lines.append("spec:")
        elif kind == "CronJob":
            lines += ["spec:", "  jobTemplate:", "    spec:", "      template:", "        spec:"]
            spec_indent = "          "
        else:
            lines += ["spec:", "  template:", "    spec:"]
            spec_indent = "      "
        if rng.random() < 0.5:
            lines.append(
                f"{spec_indent}terminationGracePeriodSeconds: {rng.choice(['0', '10', '45', '600', 'null'])}"
            )
        if rng.random() < 0.3:
            lines.append(f"{spec_indent}shareProcessNamespace: {rng.choice(['true', 'false'])}")
        if rng.random() < 0.4:
            lines.append(f"{spec_indent}initContainers:")
            for _ in range(rng.randint(1, 2)):
                lines += _container(rng, spec_indent, True)
        lines.append(f"{spec_indent}containers:")
        for _ in range(rng.randint(1, 3)):
            lines += _container(rng, spec_indent, False)
        documents.append("\n".join(lines) + "\n")
    if rng.random() < 0.2:
        body = "".join("- " + doc.replace("\n", "\n  ").rstrip() + "\n" for doc in documents)
        return "apiVersion: v1\nkind: List\nitems:\n" + body
    return "---\n".join(documents)


def break_text(rng: random.Random, text: str) -> str:
    """The text with a few random edits: most no longer parse, some still do."""
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        if not chars:
            break
        where = rng.randrange(len(chars) + 1)
        edit = rng.randrange(5)
        if edit == 0:
            chars[where:where] = list(rng.choice(BREAKERS))
        elif edit == 1 and where < len(chars):
            del chars[where : where + rng.randint(1, 5)]
        elif edit == 2:
            lines = "".join(chars).split("\n")
            line = rng.randrange(len(lines))
            lines.insert(line, lines[line])  # duplicate a line: often a duplicate key
            chars = list("\n".join(lines))
        elif edit == 3:
            chars = chars[:where]
        else:
            chars[where:where] = list(" " * rng.randint(1, 3))
    return "".join(chars)


def yaml_input(rng: random.Random) -> tuple[str, str]:
    """(kind, text): "compose" or "kubernetes", valid or broken."""
    kind = rng.choice(["compose", "kubernetes"])
    text = compose_text(rng) if kind == "compose" else kubernetes_text(rng)
    if rng.random() < 0.5:
        text = break_text(rng, text)
    return kind, text
