"""Generate a realistic benchmark corpus: Dockerfiles with their entry scripts.

Every project gets its own directory (Dockerfile + build context) built from
templates that cover all rule families: shell and exec forms on Debian,
Alpine and UBI bases, official images, multi-stage builds, heredocs, long RUN
chains, entry scripts with and without exec, launchers, inits and STOPSIGNALs.
The output is deterministic for a given count and seed.

Usage: python bench/corpus.py OUT_DIR COUNT [--seed N]
"""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Callable

Project = dict[str, str]  # relative path -> content

BASES = [
    "debian:bookworm-slim",
    "ubuntu:24.04",
    "alpine:3.20",
    "redhat/ubi9",
    "node:20",
    "python:3.12-slim",
    "python:3.12-alpine",
    "golang:1.22",
    "mycorp/base:2.1",
]
APPS = [
    ["node", "server.js"],
    ["python", "app.py"],
    ["gunicorn", "-b", "0.0.0.0:8000", "app:app"],
    ["java", "-jar", "/app/app.jar"],
    ["/usr/local/bin/worker", "--queue", "default"],
    ["nginx", "-g", "daemon off;"],
]


def _run_chain(rng: random.Random) -> str:
    steps = [
        "apt-get update",
        "apt-get install -y --no-install-recommends ca-certificates curl",
        "rm -rf /var/lib/apt/lists/*",
        "useradd -r app",
        "mkdir -p /app/data",
        "chown -R app /app",
        "curl -fsSL https://example.invalid/x.tgz | tar -xz -C /opt",
        "ln -s /opt/x/bin/x /usr/local/bin/x",
    ]
    picked = [rng.choice(steps) for _ in range(rng.randint(3, 12))]
    return "RUN set -eux; \\\n    " + "; \\\n    ".join(picked)


def _entry_script(rng: random.Random, app: list[str]) -> str:
    command = " ".join(app)
    body = rng.choice(
        [
            f'exec {command} "$@"',
            command,
            f"{command} &\nwait",
            f"trap 'kill -TERM $pid' TERM INT\n{command} &\npid=$!\nwait $pid",
            f"trap 'kill -TERM $pid' TERM INT\n{command} &\npid=$!\nwait $pid\ntrap - TERM INT\nwait $pid",
            'if [ "$(id -u)" = 0 ]; then\n  exec gosu app "$0" "$@"\nfi\nexec "$@"',
            f'case "$1" in\n  web) exec {command} ;;\n'
            '  worker) exec celery -A app worker ;;\n  *) exec "$@" ;;\nesac',
        ]
    )
    setup = "\n".join(
        rng.sample(
            [
                "set -e",
                'echo "starting"',
                "umask 002",
                'cd "${APP_HOME:-/app}"',
                'export PATH="/app/bin:$PATH"',
                "declare -a extra=(--verbose)",
                'if [[ -n "${DEBUG:-}" ]]; then set -x; fi',
                "workers=$(( $(nproc) * 2 ))",
            ],
            3,
        )
    )
    shell = rng.choice(["#!/bin/sh", "#!/bin/bash", "#!/usr/bin/env bash"])
    return f"{shell}\n{setup}\n{body}\n"


def _single_stage(rng: random.Random) -> Project:
    base = rng.choice(BASES)
    app = rng.choice(APPS)
    files: Project = {
        "app.py": "import time\ntime.sleep(3600)\n",
        "server.js": "setInterval(() => {}, 1000)\n",
    }
    lines = [f"FROM {base}", "WORKDIR /app", _run_chain(rng), "COPY . ."]
    style = rng.randrange(6)
    if style == 0:
        lines.append("CMD " + " ".join(app))
    elif style == 1:
        lines.append("CMD " + ", ".join(f'"{a}"' for a in app).join("[]"))
    elif style == 2:
        files["docker-entrypoint.sh"] = _entry_script(rng, app)
        lines += [
            "COPY docker-entrypoint.sh /usr/local/bin/",
            'ENTRYPOINT ["docker-entrypoint.sh"]',
            "CMD " + ", ".join(f'"{a}"' for a in app).join("[]"),
        ]
    elif style == 3:
        lines += [
            "RUN apt-get update && apt-get install -y tini",
            'ENTRYPOINT ["tini", "--"]',
            "CMD " + " ".join(app),
        ]
    elif style == 4:
        lines += ['CMD ["sh", "-c", "' + " ".join(app) + ' 2>&1 | tee /var/log/app.log"]']
    else:
        lines += [
            "STOPSIGNAL " + rng.choice(["SIGTERM", "SIGQUIT", "SIGINT", "SIGWINCH", "SIGFOO", "9"]),
            "CMD " + ", ".join(f'"{a}"' for a in app).join("[]"),
        ]
    return {"Dockerfile": "\n".join(lines) + "\n", **files}


def _multi_stage(rng: random.Random) -> Project:
    lines = [
        "# syntax=docker/dockerfile:1",
        "ARG GO_VERSION=1.22",
        "FROM golang:${GO_VERSION} AS build",
        "WORKDIR /src",
        "COPY go.mod go.sum ./",
        "RUN go mod download",
        "COPY . .",
        "RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app",
        "",
        "FROM alpine:3.20 AS runtime",
        "RUN apk add --no-cache ca-certificates tini",
        "COPY --from=build /out/app /usr/local/bin/app",
        "COPY <<EOF /entrypoint.sh",
        "#!/bin/sh",
        "set -e",
        "FROM this-line-is-in-a-heredoc",
        rng.choice(['exec app "$@"', 'app "$@"']),
        "EOF",
        "RUN chmod +x /entrypoint.sh",
        rng.choice(
            [
                'ENTRYPOINT ["/sbin/tini", "--", "/entrypoint.sh"]',
                'ENTRYPOINT ["/entrypoint.sh"]',
                "ENTRYPOINT /entrypoint.sh",
            ]
        ),
        'CMD ["serve"]',
    ]
    return {"Dockerfile": "\n".join(lines) + "\n", "go.mod": "module x\n", "go.sum": ""}


def _official(rng: random.Random) -> Project:
    return {
        "Dockerfile": rng.choice(
            [
                "FROM nginx:1.27\nCOPY nginx.conf /etc/nginx/nginx.conf\nCOPY html/ /usr/share/nginx/html/\n",
                "FROM postgres:17\nCOPY init.sql /docker-entrypoint-initdb.d/\n",
                "FROM php:8.3-fpm\nRUN docker-php-ext-install pdo_mysql\nCOPY . /var/www/html\n",
                'FROM redis:7\nCMD ["redis-server", "/usr/local/etc/redis/redis.conf"]\n',
                "FROM nginx\nSTOPSIGNAL SIGTERM\n",
                'FROM node:20\nCOPY . .\nCMD ["npm", "start"]\n',
            ]
        ),
        "nginx.conf": "events {}\n",
        "init.sql": "select 1;\n",
    }


TEMPLATES: list[Callable[[random.Random], Project]] = [_single_stage, _single_stage, _multi_stage, _official]


def generate(out: str, count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    dockerfiles = []
    for index in range(count):
        project = rng.choice(TEMPLATES)(rng)
        directory = os.path.join(out, f"p{index:05d}")
        for rel, content in project.items():
            path = os.path.join(directory, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(content)
            if rel.endswith(".sh"):
                os.chmod(path, 0o755)
        dockerfiles.append(os.path.join(directory, "Dockerfile"))
    return dockerfiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    files = generate(args.out, args.count, args.seed)
    print(f"{len(files)} Dockerfiles in {args.out}")


if __name__ == "__main__":
    main()
