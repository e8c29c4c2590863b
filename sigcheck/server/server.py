"""The protocol wiring: documents, the workspace's Dockerfiles, scheduling, publishing.

Threads: pygls runs the protocol on an asyncio loop; every lint runs on one
worker thread (`engine.run_lint` on a snapshot), and the workspace index (which
Dockerfile reads which script) on another, so the protocol never waits for a
lint. All state below is touched only on the loop's thread.

Scheduling: a change is linted after a quiet spell (`DEBOUNCE`); an open or a
save at once. Each scheduled lint of a Dockerfile gets a generation number; a
result whose generation is no longer the newest is dropped (a newer text is on
its way), so the editor never sees diagnostics of an older version.

Which Dockerfiles are linted: the open ones, and those that read an open entry
script (from what their last lint read). An open YAML file is linted the same way
(`deploy`: a Compose file or manifest, else silence); its "reads" are the
Dockerfiles its services build and the files Compose merges. Their diagnostics are published for
the Dockerfile and for every entry script they run, each on its own URI; a
script run by two Dockerfiles gets both sets.

The server never executes anything, and never writes a file: fixes are edits
the client applies.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path, to_fs_path

from sigcheck import __version__
from sigcheck.discover import discover, is_dockerfile_name
from sigcheck.findings import Finding
from sigcheck.lint import LintOptions, lint_source
from sigcheck.load.files import LoadError, read_text
from sigcheck.server.deploy import YAML_LANGUAGES, is_yaml_name
from sigcheck.server.engine import Entry, LintJob, LintOutcome, run_lint
from sigcheck.server.launch import LaunchInfo
from sigcheck.server.positions import Encoding
from sigcheck.server.settings import (
    ClientSettings,
    Resolved,
    SettingsError,
    merge_settings,
    parse_client_settings,
    resolve,
)

__all__ = ["DEBOUNCE", "SigcheckServer", "run"]

DEBOUNCE = 0.15  # seconds without a change before a lint: typing does not queue a lint per key
PULL_TIMEOUT = 2.0  # seconds to wait for the client's workspace/configuration answer
MAX_RESOLVED = 64  # configurations kept (one per workspace folder, or directory outside them)
MAX_INDEXED = 5000  # Dockerfiles indexed per workspace folder; a monorepo rarely has more
CONFIG_NAMES = frozenset({"pyproject.toml", ".sigcheck.toml"})
WATCHED = (
    "**/Dockerfile",
    "**/Dockerfile.*",
    "**/*.dockerfile",
    "**/Containerfile",
    "**/Containerfile.*",
    "**/*.containerfile",
    "**/*.sh",
    "**/*.yml",  # a Compose file's override and extends files, read from disk
    "**/*.yaml",
    "**/pyproject.toml",
    "**/.sigcheck.toml",
)


class OpenDocument:
    __slots__ = ("kind", "path", "uri")

    def __init__(self, uri: str, path: str, kind: str) -> None:
        self.uri = uri
        self.path = path  # absolute, as the editor names it (symlinks kept)
        self.kind = kind  # "dockerfile", "yaml" (Compose or Kubernetes, if its content says so), "script"

    @property
    def is_root(self) -> bool:
        """Linted on its own (a Dockerfile or a YAML file), not only through the files that run it."""
        return self.kind != "script"


def _kind(path: str, language_id: str | None) -> str:
    if language_id == "dockerfile":
        return "dockerfile"
    if language_id in YAML_LANGUAGES:
        return "yaml"
    if language_id != "shellscript":
        if is_dockerfile_name(os.path.basename(path)):
            return "dockerfile"
        if is_yaml_name(path):
            return "yaml"
    return "script"


def _real(path: str) -> str:
    return os.path.realpath(path)


def _read_disk(file: str) -> str | None:
    try:
        return read_text(file)
    except LoadError:
        return None


class _Futures(dict[Any, Any]):
    """`items()` as a snapshot: pygls's shutdown iterates the futures while a worker
    thread's callback (`_forget`) may remove one, which raised "dictionary changed size
    during iteration" at shutdown (seen in CI)."""

    def items(self) -> Any:
        return list(super().items())


class _Protocol(LanguageServerProtocol):
    """pygls 2.1 keeps the future of every notification whose handler is a generator
    (its own didOpen, didChange, didClose) in `_request_futures`, under a made-up id
    that no response ever removes: ~1 KiB per keystroke for the life of the server.
    Drop each one once its handler is done."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_futures = _Futures(self._request_futures)

    def _handle_notification(self, method_name: str, params: Any) -> None:
        before = set(self._request_futures)
        super()._handle_notification(method_name, params)
        for key in set(self._request_futures) - before:
            future = self._request_futures[key]
            if future.done():
                del self._request_futures[key]
            else:
                future.add_done_callback(self._forget(key))

    def _forget(self, key: str | int) -> Callable[[object], None]:
        def forget(_done: object) -> None:
            self._request_futures.pop(key, None)

        return forget


class SigcheckServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "sigcheck",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=_Protocol,
        )
        self.lint_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sigcheck-lint")
        self.index_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sigcheck-index")
        self.client_settings = ClientSettings()
        self.initialization_options: object = None
        self.pushed_settings: object = None  # the newest didChangeConfiguration or workspace/configuration
        self.folders: list[str] = []
        self.resolved: OrderedDict[str, Resolved] = OrderedDict()  # by folder, newest last
        self.shown: set[str] = set()  # configuration errors already shown (each once)
        self.open: dict[str, OpenDocument] = {}  # real path -> the open buffer
        self.paths: dict[str, str] = {}  # Dockerfile real path -> the path it is linted under
        self.reads: dict[str, frozenset[str]] = {}  # Dockerfile real path -> files its last lint read
        self.outcomes: dict[str, LintOutcome] = {}  # Dockerfile real path -> its newest lint
        self.published: dict[str, set[str]] = {}  # target real path -> Dockerfiles contributing
        self.published_uri: dict[str, str] = {}  # target real path -> the URI its diagnostics went to
        self.indexed: set[str] = set()  # Dockerfiles found in the workspace folders
        self.generation: dict[str, int] = {}  # Dockerfile -> the number of its newest scheduled lint
        self.counter = 0
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.linting = 0  # lints of open documents under way: the index waits for them

    # --- logging and messages ------------------------------------------------------------

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=f"sigcheck: {message}"))

    def show_once(self, message: str) -> None:
        if message in self.shown:
            return
        self.shown.add(message)
        self.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=f"sigcheck: {message}")
        )
        self.log(message, types.MessageType.Error)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # A handler that failed: a log line, not a pop-up per keystroke (pygls' default).
        self.log(f"internal error: {type(error).__name__}: {error}", types.MessageType.Error)

    # --- configuration -------------------------------------------------------------------

    @property
    def encoding(self) -> Encoding:
        value = self.workspace.position_encoding
        return str(getattr(value, "value", value) or "utf-16")

    def folder_of(self, path: str) -> str:
        best = ""
        for folder in self.folders:
            if (path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)) and len(folder) > len(
                best
            ):
                best = folder
        return best or os.path.dirname(path)

    def settings_for(self, path: str) -> Resolved:
        folder = self.folder_of(path)
        resolved = self.resolved.get(folder)
        if resolved is None:
            resolved = self.resolved[folder] = resolve(folder, self.client_settings)
            if resolved.error is not None:
                self.show_once(f"{resolved.error} (linting with the defaults)")
            # A file outside the workspace folders is configured from its own directory:
            # bounded, or every directory a session opened a file in would stay here.
            while len(self.resolved) > MAX_RESOLVED:
                self.resolved.popitem(last=False)
        else:
            self.resolved.move_to_end(folder)
        return resolved

    def set_client_settings(self, *, initialization: object = None, pushed: object = None) -> None:
        if initialization is not None:
            self.initialization_options = initialization
        if pushed is not None:
            self.pushed_settings = pushed
        try:
            self.client_settings = parse_client_settings(
                merge_settings(self.initialization_options, self.pushed_settings)
            )
        except SettingsError as exc:
            self.show_once(f"settings: {exc} (these settings are not used)")
            return
        self.resolved.clear()

    async def pull_settings(self) -> bool:
        """Ask the client for `sigcheck` settings (workspace/configuration), for clients that
        answer that rather than push them; False when it does not or would not say."""
        workspace = self.client_capabilities.workspace
        if workspace is None or not workspace.configuration:
            return False
        request = types.ConfigurationParams(items=[types.ConfigurationItem(section="sigcheck")])
        try:
            answer = await asyncio.wait_for(self.workspace_configuration_async(request), PULL_TIMEOUT)
        except Exception as exc:  # a client that fails or never answers must not stop the server
            self.log(f"workspace/configuration: no answer ({type(exc).__name__})")
            return False
        value = answer[0] if answer else None
        if value is None:
            return False
        self.set_client_settings(pushed=value)
        return True

    # --- which Dockerfiles to lint -------------------------------------------------------

    def is_active(self, dockerfile: str) -> bool:
        document = self.open.get(dockerfile)
        if document is not None and document.is_root:
            return True
        return any(
            file in self.open and not self.open[file].is_root for file in self.reads.get(dockerfile, ())
        )

    def readers(self, script: str) -> list[str]:
        return [dockerfile for dockerfile, read in self.reads.items() if script in read]

    def active(self) -> list[str]:
        known = set(self.reads) | {f for f, d in self.open.items() if d.is_root}
        return sorted(f for f in known if self.is_active(f))

    # --- linting -------------------------------------------------------------------------

    def schedule(self, dockerfile: str, delay: float = 0.0) -> None:
        self.counter += 1  # one counter for all: a number is never reused, even after forget()
        self.generation[dockerfile] = generation = self.counter
        timer = self.timers.pop(dockerfile, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()

        def start() -> None:
            self.timers.pop(dockerfile, None)
            task = loop.create_task(self.lint(dockerfile, generation))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

        if delay <= 0:
            start()
        else:
            self.timers[dockerfile] = loop.call_later(delay, start)

    def job(self, dockerfile: str) -> LintJob | None:
        document = self.open.get(dockerfile)
        path = document.path if document is not None else self.paths.get(dockerfile, dockerfile)
        if document is not None:
            text: str | None = self.workspace.get_text_document(document.uri).source
        else:
            text = _read_disk(dockerfile)
        if text is None:
            return None
        overlay = {file: self.workspace.get_text_document(d.uri).source for file, d in self.open.items()}
        overlay.pop(dockerfile, None)
        resolved = self.settings_for(path)
        uris = {file: d.uri for file, d in self.open.items()}
        kind = document.kind if document is not None else "yaml" if is_yaml_name(path) else "dockerfile"
        return LintJob(
            dockerfile, path, text, overlay, resolved.options, resolved.threshold, self.encoding, uris, kind
        )

    async def lint(self, dockerfile: str, generation: int) -> None:
        self.linting += 1
        try:
            await self._lint(dockerfile, generation)
        finally:
            self.linting -= 1

    async def _lint(self, dockerfile: str, generation: int) -> None:
        if self.generation.get(dockerfile) != generation:
            return
        job = self.job(dockerfile)
        if job is None:
            self.forget(dockerfile)
            return

        def current() -> LintOutcome | None:
            # On the worker: a job that waited behind a long lint may be stale before it starts.
            # (Reading the dict from another thread is safe; only the loop's thread writes it.)
            return run_lint(job) if self.generation.get(dockerfile) == generation else None

        outcome = await asyncio.get_running_loop().run_in_executor(self.lint_pool, current)
        if outcome is None or self.generation.get(dockerfile) != generation:
            return  # a newer version of a file it reads arrived while it ran: its lint follows
        if outcome.internal_error is not None:
            self.log(f"internal error linting {job.path}: {outcome.internal_error}", types.MessageType.Error)
            return  # the previous diagnostics stay
        before = set(self.reads.get(dockerfile, ()))
        self.reads[dockerfile] = outcome.reads
        self.outcomes[dockerfile] = outcome
        self.publish_outcome(dockerfile, outcome)
        # A script it now reads may be open with no Dockerfile linting it yet: nothing to do,
        # this lint already covered it. One it no longer reads may lose its only reader.
        for file in before - outcome.reads:
            self.publish(file)

    def publish_outcome(self, dockerfile: str, outcome: LintOutcome | None) -> None:
        targets = set(outcome.entries) if outcome is not None else set()
        for target, contributors in list(self.published.items()):
            if dockerfile in contributors and target not in targets:
                contributors.discard(dockerfile)
                self.publish(target)
        for target in targets:
            self.published.setdefault(target, set()).add(dockerfile)
            self.publish(target)

    def entries_for(self, target: str) -> list[Entry]:
        """What to show in `target`: every contributing Dockerfile's entries, a finding that
        several report once, with a link to each Dockerfile that runs the script."""
        by_key: dict[tuple[str, str, int, int, int, int], int] = {}
        out: list[Entry] = []
        for dockerfile in sorted(self.published.get(target, ())):
            outcome = self.outcomes.get(dockerfile)
            if outcome is None:
                continue
            for entry in outcome.entries.get(target, ()):
                d = entry.diagnostic
                key = (
                    str(d.code),
                    d.message,
                    d.range.start.line,
                    d.range.start.character,
                    d.range.end.line,
                    d.range.end.character,
                )
                if key not in by_key:
                    by_key[key] = len(out)
                    out.append(entry)
                elif d.related_information:
                    first = out[by_key[key]]
                    related = [*(first.diagnostic.related_information or ()), *d.related_information]
                    merged = attrs.evolve(first.diagnostic, related_information=related)
                    out[by_key[key]] = Entry(first.finding, merged)
        return out

    def uri_of(self, file: str) -> str:
        document = self.open.get(file)
        if document is not None:
            return document.uri
        return self.published_uri.get(file) or from_fs_path(file) or file

    def publish(self, target: str) -> None:
        diagnostics = [entry.diagnostic for entry in self.entries_for(target)]
        uri = self.uri_of(target)  # a closed buffer's diagnostics are cleared where they were shown
        if self.published.get(target):
            self.published_uri[target] = uri
        else:
            self.published.pop(target, None)
            self.published_uri.pop(target, None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    def forget(self, dockerfile: str) -> None:
        """Stop showing a Dockerfile's lint (closed and not needed by an open script, or deleted)."""
        self.counter += 1
        self.generation[dockerfile] = self.counter  # a lint under way is stale now
        timer = self.timers.pop(dockerfile, None)
        if timer is not None:
            timer.cancel()
        self.outcomes.pop(dockerfile, None)
        self.publish_outcome(dockerfile, None)
        if dockerfile not in self.indexed:
            # Not part of the workspace: nothing about it is kept, so a server that has
            # seen a thousand files opened and closed holds what it held before them.
            self.reads.pop(dockerfile, None)
            self.paths.pop(dockerfile, None)
            self.generation.pop(dockerfile, None)

    # --- the workspace index -------------------------------------------------------------

    async def index(self) -> None:
        """Find the workspace's Dockerfiles and what each reads, so that opening or editing
        an entry script re-lints the Dockerfiles that run it."""
        loop = asyncio.get_running_loop()
        for folder in list(self.folders):
            found = await loop.run_in_executor(self.index_pool, _discover, folder)
            for path in found:
                while self.linting or self.timers:  # what the user looks at comes first
                    await asyncio.sleep(0.02)
                await self.index_one(path)
            self.log(f"indexed {len(found)} Dockerfile{'' if len(found) == 1 else 's'} in {folder}")
        for dockerfile in self.active():
            if dockerfile not in self.outcomes:
                self.schedule(dockerfile)

    async def index_one(self, path: str, relint: bool = False) -> None:
        dockerfile = _real(path)
        self.paths.setdefault(dockerfile, path)
        self.indexed.add(dockerfile)
        if dockerfile in self.open and self.open[dockerfile].is_root:
            return  # its own lints keep its reads current
        options = self.settings_for(path).options
        reads = await asyncio.get_running_loop().run_in_executor(self.index_pool, _reads_of, path, options)
        if dockerfile not in self.outcomes or not self.is_active(dockerfile):
            self.reads[dockerfile] = reads
        if relint and self.is_active(dockerfile):
            self.schedule(dockerfile)  # changed on disk, and an open script needs it

    # --- document events -----------------------------------------------------------------

    def opened(self, uri: str, language_id: str | None) -> tuple[str, OpenDocument] | None:
        path = to_fs_path(uri)
        if path is None:
            return None  # not a file (an untitled buffer): sigcheck needs a place for the context
        path = os.path.abspath(path)
        document = OpenDocument(uri, path, _kind(path, language_id))
        real = _real(path)
        self.open[real] = document
        if document.is_root:
            self.paths[real] = path
        return real, document

    def changed(self, real: str, delay: float) -> None:
        document = self.open.get(real)
        if document is None:
            return
        if document.is_root:
            self.schedule(real, delay)
        for dockerfile in self.readers(real):
            if dockerfile != real and self.is_active(dockerfile):
                self.schedule(dockerfile, delay)

    def closed(self, real: str) -> None:
        document = self.open.pop(real, None)
        if document is None:
            return
        affected = set(self.readers(real))
        if document.is_root:
            affected.add(real)
        for dockerfile in affected:
            if self.is_active(dockerfile):
                self.schedule(dockerfile)  # read from disk now
            else:
                self.forget(dockerfile)

    def watched(self, changes: Sequence[types.FileEvent]) -> None:
        config_changed = False
        relint: set[str] = set()
        for change in changes:
            path = to_fs_path(change.uri)
            if path is None:
                continue
            path = os.path.abspath(path)
            real = _real(path)
            name = os.path.basename(path)
            if name in CONFIG_NAMES:
                config_changed = True
            if is_dockerfile_name(name):
                if change.type == types.FileChangeType.Deleted and real not in self.open:
                    self.indexed.discard(real)
                    self.forget(real)
                    continue
                if real not in self.open:
                    task = asyncio.get_running_loop().create_task(self.index_one(path, relint=True))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
            if real not in self.open:  # an open buffer wins over the disk
                relint.update(self.readers(real))
                if is_yaml_name(name):  # maybe a new override file that Compose merges
                    relint.update(self.yaml_beside(real))
        if config_changed:
            self.resolved.clear()
            relint.update(self.active())
        for dockerfile in relint:
            if self.is_active(dockerfile):
                self.schedule(dockerfile)

    def yaml_beside(self, file: str) -> list[str]:
        """The open YAML files in `file`'s directory: Compose merges the override files there."""
        directory = os.path.dirname(file)
        return [f for f, d in self.open.items() if d.kind == "yaml" and os.path.dirname(f) == directory]

    # --- requests ------------------------------------------------------------------------

    def findings_at(self, real: str) -> list[tuple[Finding, types.Diagnostic]]:
        return [(e.finding, e.diagnostic) for e in self.entries_for(real) if e.finding is not None]

    def launches(self, real: str) -> Iterable[tuple[str, LaunchInfo]]:
        for dockerfile in sorted(self.published.get(real, set()) | {real}):
            outcome = self.outcomes.get(dockerfile)
            if outcome is not None and outcome.launch is not None:
                yield dockerfile, outcome.launch


def _discover(folder: str) -> list[str]:
    found: list[str] = []
    try:
        for path in discover(folder):
            found.append(path)
            if len(found) >= MAX_INDEXED:
                break
    except (OSError, RecursionError):
        pass
    return found


def _reads_of(path: str, options: LintOptions) -> frozenset[str]:
    text = _read_disk(path)
    if text is None:
        return frozenset()
    try:
        return lint_source(text, path, options).reads
    except Exception:  # the index is best effort: a file that cannot be linted reads nothing
        return frozenset()


def create_server() -> SigcheckServer:
    from sigcheck.server import features

    server = SigcheckServer()
    features.register(server)
    return server


def run() -> int:
    server = create_server()
    server.start_io()
    server.lint_pool.shutdown(wait=False, cancel_futures=True)
    server.index_pool.shutdown(wait=False, cancel_futures=True)
    return 0 if server.protocol._shutdown else 1
