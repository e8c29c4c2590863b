"""The language server: first diagnostics, re-lint after a change, memory over 1,000 files.

Usage: python bench/server.py [--runs N] [--files N]

Speaks LSP over stdio to `python -m sigcheck server` with a minimal client of its
own (JSON-RPC framing, one reader thread), so the figures are the server's and
not a client library's:

- first diagnostics: from starting the server process to the publishDiagnostics
  of a Dockerfile opened right after `initialize` (target < 300 ms); the time from
  didOpen alone is shown too. Median of --runs fresh processes.
- re-lint: a typical Dockerfile (shell-form CMD running an entry script without
  exec) is changed and saved (save lints at once; a change alone waits for the
  150 ms debounce): from didChange to its publishDiagnostics (target < 30 ms).
- memory: --files projects (from bench/corpus.py, outside the workspace folder)
  opened, linted and closed one after the other; the server's RSS is read from
  /proc after each quarter. Flat means the last quarters add nothing per file.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
TYPICAL = (
    "FROM node:20-bookworm-slim\n"
    "WORKDIR /app\n"
    "COPY package.json package-lock.json ./\n"
    "RUN npm ci --omit=dev\n"
    "COPY . .\n"
    "COPY docker-entrypoint.sh /usr/local/bin/\n"
    "ENV NODE_ENV=production\n"
    "EXPOSE 3000\n"
    'ENTRYPOINT ["docker-entrypoint.sh"]\n'
    "CMD node server.js\n"
)
SCRIPT = '#!/bin/sh\nset -e\nif [ "$1" = migrate ]; then\n  node migrate.js\nfi\n"$@"\n'
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


class Client:
    """Just enough of an LSP client: requests, notifications, and waiting for diagnostics."""

    def __init__(self, root: str, command: list[str] | None = None) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command or [sys.executable, "-m", "sigcheck", "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=ENV,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.initialize_result = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": Path(root).as_uri(),
                "workspaceFolders": [{"uri": Path(root).as_uri(), "name": "bench"}],
                "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
            },
        )
        self.initialized = time.perf_counter()  # the initialize response: imports done
        self.notify("initialized", {})

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self._send({"id": wanted, "method": method, "params": params})
        while True:
            message = self.messages.get(timeout=60)
            if message.get("id") == wanted and "method" not in message:
                return message.get("result")
            if "method" in message and "id" in message:  # a request of the server's: decline it
                self._send({"id": message["id"], "result": None})

    def diagnostics(self, uri: str) -> list[Any]:
        while True:
            message = self.messages.get(timeout=60)
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                return list(message["params"]["diagnostics"])
            if "method" in message and "id" in message:
                self._send({"id": message["id"], "result": None})

    def open(self, path: str, text: str) -> str:
        uri = Path(path).as_uri()
        item = {"uri": uri, "languageId": "dockerfile", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": item})
        return uri

    def rss_kib(self) -> int:
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def close(self) -> float:
        """Shut down; the process's CPU time (user + system), in seconds."""
        self.request("shutdown", None)
        self.notify("exit", None)
        _, status, usage = os.wait4(self.process.pid, 0)
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return usage.ru_utime + usage.ru_stime


def _project(root: str) -> str:
    os.makedirs(root, exist_ok=True)
    dockerfile = os.path.join(root, "Dockerfile")
    with open(dockerfile, "w", encoding="utf-8") as handle:
        handle.write(TYPICAL)
    script = os.path.join(root, "docker-entrypoint.sh")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(SCRIPT)
    os.chmod(script, 0o755)
    return dockerfile


def first_diagnostics(tmp: str, runs: int) -> tuple[float, float, float, float]:
    dockerfile = _project(os.path.join(tmp, "first"))
    totals, after_open, initialize, after_initialize = [], [], [], []
    for _ in range(runs):
        client = Client(os.path.dirname(dockerfile))
        opened = time.perf_counter()
        uri = client.open(dockerfile, TYPICAL)
        client.diagnostics(uri)
        done = time.perf_counter()
        totals.append(done - client.started)
        after_open.append(done - opened)
        initialize.append(client.initialized - client.started)
        after_initialize.append(done - client.initialized)
        client.close()
    medians = (statistics.median(v) for v in (totals, after_open, initialize, after_initialize))
    return tuple(medians)  # type: ignore[return-value]


CPU_PROBE = """
import time
marks = [time.process_time()]
import sigcheck.__main__, sigcheck.server  # what `sigcheck server` imports before pygls
marks.append(time.process_time())
import lsprotocol.types
marks.append(time.process_time())
import pygls.lsp.server
marks.append(time.process_time())
import sigcheck.server.features, sigcheck.server.server
server = sigcheck.server.server.create_server()
marks.append(time.process_time())
print(" ".join(f"{(b - a) * 1000:.0f}" for a, b in zip(marks, marks[1:])))
"""


def start_up_cpu(runs: int) -> list[float]:
    """CPU time (less sensitive than wall time to a busy machine) of each start-up step."""
    rows = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CPU_PROBE], capture_output=True, text=True, check=True, env=ENV
        )
        rows.append([float(x) for x in out.stdout.split()])
    return [statistics.median(column) for column in zip(*rows, strict=True)]


# The server's entry before and after sigcheck.__main__ sent `sigcheck server` past the CLI
# (and its click import): the same process otherwise, so a paired run shows what it saved.
ENTRY = "import sys; sys.argv[1:] = ['server']; from {} import {}; {}()"
ENTRIES = {
    "through sigcheck.cli": ENTRY.format("sigcheck.cli", "run", "run"),
    "through sigcheck.__main__": ENTRY.format("sigcheck.__main__", "main", "main"),
}


def entry_pairs(tmp: str, runs: int) -> dict[str, tuple[float, float]]:
    """Start -> initialize answered, and the process's CPU time, per entry: medians of
    `runs` alternating pairs (the order flips each pair, so neither always goes first)."""
    root = os.path.dirname(_project(os.path.join(tmp, "entry")))
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in ENTRIES}
    for n in range(runs):
        for name in list(ENTRIES) if n % 2 == 0 else list(reversed(ENTRIES)):
            client = Client(root, [sys.executable, "-c", ENTRIES[name]])
            wall = client.initialized - client.started
            samples[name].append((wall, client.close()))
    return {
        name: (statistics.median(s[0] for s in rows), statistics.median(s[1] for s in rows))
        for name, rows in samples.items()
    }


def relint(tmp: str, runs: int) -> float:
    dockerfile = _project(os.path.join(tmp, "relint"))
    client = Client(os.path.dirname(dockerfile))
    uri = client.open(dockerfile, TYPICAL)
    client.diagnostics(uri)
    times = []
    for version in range(2, runs + 2):
        text = TYPICAL + f"LABEL revision={version}\n"
        start = time.perf_counter()
        changes = [{"text": text}]
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes},
        )
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        client.diagnostics(uri)
        times.append(time.perf_counter() - start)
    client.close()
    return statistics.median(times)


def memory(tmp: str, files: int) -> list[tuple[int, int]]:
    spec = importlib.util.spec_from_file_location("bench_corpus", BENCH / "corpus.py")
    assert spec is not None
    assert spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    paths: list[str] = corpus.generate(os.path.join(tmp, "corpus"), files)
    workspace = os.path.join(tmp, "empty-workspace")
    os.makedirs(workspace)
    client = Client(workspace)
    marks = {max(1, files * q // 4) for q in (1, 2, 3, 4)}
    samples = [(0, client.rss_kib())]
    for done, path in enumerate(paths, 1):
        with open(path, encoding="utf-8") as handle:
            uri = client.open(path, handle.read())
        client.diagnostics(uri)
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        client.diagnostics(uri)  # the close clears them
        if done in marks:
            client.request(
                "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}
            )
            samples.append((done, client.rss_kib()))
    client.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument(
        "--no-compile", action="store_true", help="do not byte-compile sigcheck first (smoke test)"
    )
    args = parser.parse_args()
    if not args.no_compile:
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(BENCH.parent / "sigcheck")], check=True, env=ENV
        )
    with tempfile.TemporaryDirectory() as tmp:
        total, after_open, initialize, after_initialize = first_diagnostics(tmp, args.runs)
        print(f"first diagnostics: {total * 1000:.0f} ms from server start (median of {args.runs})")
        print(f"  of which start to the initialize response: {initialize * 1000:.0f} ms")
        print(f"  initialize response to the diagnostics: {after_initialize * 1000:.0f} ms")
        print(f"  and didOpen to the diagnostics: {after_open * 1000:.0f} ms")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import lsprotocol.types"], check=True, env=ENV)
        imports = time.perf_counter() - started
        print(f"  for reference, python -c 'import lsprotocol.types': {imports * 1000:.0f} ms")
        entry, lsprotocol, pygls, ours = start_up_cpu(args.runs)
        print(
            f"  start-up CPU time: sigcheck's entry {entry:.0f} ms, lsprotocol.types {lsprotocol:.0f} ms, "
            f"pygls {pygls:.0f} ms, sigcheck's server and linter {ours:.0f} ms"
        )
        for name, (wall, cpu) in entry_pairs(tmp, args.runs).items():
            print(f"  entry {name}: initialize answered {wall * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms")
        print(
            f"re-lint after a change: {relint(tmp, args.runs * 3) * 1000:.1f} ms (median of {args.runs * 3})"
        )
        samples = memory(tmp, args.files)
        print("memory (files linted and closed -> server RSS):")
        for done, rss in samples:
            print(f"  {done:>6} files: {rss / 1024:.1f} MiB")
        if len(samples) >= 3:
            (first_n, first_rss), (last_n, last_rss) = samples[2], samples[-1]
            per_file = (last_rss - first_rss) / max(last_n - first_n, 1)
            print(f"growth after the first half: {per_file:.2f} KiB per file")


if __name__ == "__main__":
    main()
