"""The LSP methods sigcheck answers, registered on a SigcheckServer."""

from __future__ import annotations

import asyncio
import os
from functools import partial

from lsprotocol import types
from pygls.uris import to_fs_path

from sigcheck.server import actions, hover
from sigcheck.server.deploy import is_yaml_name
from sigcheck.server.documents import use_lsp_lines
from sigcheck.server.positions import TextLines
from sigcheck.server.server import DEBOUNCE, WATCHED, SigcheckServer, _read_disk, _real

__all__ = ["register"]


def _real_of(uri: str) -> str | None:
    path = to_fs_path(uri)
    return _real(os.path.abspath(path)) if path is not None else None


def register(server: SigcheckServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: SigcheckServer, params: types.InitializeParams) -> None:
        folders = [to_fs_path(f.uri) for f in params.workspace_folders or ()]
        if not folders and params.root_uri:
            folders = [to_fs_path(params.root_uri)]
        elif not folders and params.root_path:
            folders = [params.root_path]
        ls.folders = [os.path.abspath(f) for f in folders if f]
        use_lsp_lines(ls.workspace)
        ls.set_client_settings(initialization=params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SigcheckServer, params: types.InitializedParams) -> None:
        capabilities = ls.client_capabilities.workspace
        watch = capabilities.did_change_watched_files if capabilities is not None else None
        if watch is not None and watch.dynamic_registration:
            watchers = [types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
            registration = types.Registration(
                id="sigcheck-watched-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
            )
            ls.client_register_capability(types.RegistrationParams([registration]))
        await ls.pull_settings()
        await ls.index()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def folders_changed(ls: SigcheckServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for folder in params.event.removed:
            path = to_fs_path(folder.uri)
            if path is not None and os.path.abspath(path) in ls.folders:
                ls.folders.remove(os.path.abspath(path))
        added = [os.path.abspath(p) for p in (to_fs_path(f.uri) for f in params.event.added) if p]
        ls.folders += added
        ls.resolved.clear()
        await ls.index()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: SigcheckServer, params: types.DidChangeConfigurationParams) -> None:
        # VS Code's clients send `settings: null` and expect the server to ask (pull model).
        if params.settings:
            ls.set_client_settings(pushed=params.settings)
        elif not await ls.pull_settings():
            return
        for dockerfile in ls.active():
            ls.schedule(dockerfile)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: SigcheckServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.watched(params.changes)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SigcheckServer, params: types.DidOpenTextDocumentParams) -> None:
        opened = ls.opened(params.text_document.uri, params.text_document.language_id)
        if opened is not None:
            ls.changed(opened[0], 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SigcheckServer, params: types.DidChangeTextDocumentParams) -> None:
        real = _real_of(params.text_document.uri)
        if real is not None:
            ls.changed(real, DEBOUNCE)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SigcheckServer, params: types.DidSaveTextDocumentParams) -> None:
        real = _real_of(params.text_document.uri)
        if real is not None:
            ls.changed(real, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SigcheckServer, params: types.DidCloseTextDocumentParams) -> None:
        real = _real_of(params.text_document.uri)
        if real is not None:
            ls.closed(real)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: SigcheckServer, params: types.HoverParams) -> types.Hover | None:
        return _hover(ls, params)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL_KIND], resolve_provider=False
        ),
    )
    async def on_code_action(
        ls: SigcheckServer, params: types.CodeActionParams
    ) -> list[types.CodeAction | types.Command] | None:
        return await _code_actions(ls, params)

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls: SigcheckServer, params: None) -> None:
        for timer in ls.timers.values():
            timer.cancel()
        ls.timers.clear()


def _text(ls: SigcheckServer, real: str) -> str | None:
    document = ls.open.get(real)
    if document is not None:
        return ls.workspace.get_text_document(document.uri).source
    return _read_disk(real)


def _hover(ls: SigcheckServer, params: types.HoverParams) -> types.Hover | None:
    real = _real_of(params.text_document.uri)
    text = _text(ls, real) if real is not None else None
    if real is None or text is None:
        return None
    lines = TextLines(text)
    line, _ = lines.from_client(params.position.line, params.position.character, ls.encoding)
    parts: list[str] = []
    for dockerfile, info in ls.launches(real):
        name = ls.paths.get(dockerfile, dockerfile)
        if dockerfile == real:
            for start, end, _keyword, stage, runs in info.instructions:
                if start <= line <= end:
                    parts.append(hover.chain_markdown(info, name, None if runs else stage))
                    break
            else:
                if any(s.file is None and s.dockerfile_line == line for s in info.scripts):
                    parts.append(hover.chain_markdown(info, name))
        elif any(s.file == real and s.launch_line == line for s in info.scripts):
            parts.append(hover.chain_markdown(info, name))
    position = params.position
    rules = [
        finding.rule
        for finding, diagnostic in ls.findings_at(real)
        if actions.contains(diagnostic.range, position)
    ]
    if rules:
        parts.append(hover.rule_markdown(rules))
    if not parts:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts))
    )


def _wants(only: list[str] | None, kind: str) -> bool:
    # `only` lists kinds or their prefixes ("source" covers "source.fixAll.sigcheck").
    return only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)


async def _code_actions(
    ls: SigcheckServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command] | None:
    uri = params.text_document.uri
    real = _real_of(uri)
    text = _text(ls, real) if real is not None else None
    if real is None or text is None:
        return None
    only = [str(getattr(k, "value", k)) for k in params.context.only] if params.context.only else None
    out: list[types.CodeAction | types.Command] = []
    encoding = ls.encoding
    found = actions.matching(ls.findings_at(real), params.range)
    if _wants(only, types.CodeActionKind.QuickFix.value):
        for finding, diagnostic in found:
            fix = actions.quick_fix(finding, diagnostic, partial(_text, ls), ls.uri_of, ls.encoding)
            if fix is not None:
                out.append(fix)
        # The deployment lint reads no `# sigcheck ignore=` comments in YAML: none is offered.
        document = ls.open.get(real)
        in_yaml = document.kind == "yaml" if document is not None else is_yaml_name(real)
        for finding, diagnostic in found if not in_yaml else ():
            insert = actions.ignore_edit(text, finding, encoding)
            if insert is not None:
                out.append(
                    types.CodeAction(
                        title=f"Ignore {finding.rule} on this line",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=types.WorkspaceEdit(changes={uri: [insert]}),
                    )
                )
    if only is not None and _wants(only, actions.FIX_ALL_KIND):
        fix_all = await _fix_all(ls, real)
        if fix_all is not None:
            out.append(fix_all)
    return out


async def _fix_all(ls: SigcheckServer, real: str) -> types.CodeAction | None:
    """Fix-all of a Dockerfile fixes it and the entry scripts it runs; of a script, that script."""
    document = ls.open.get(real)
    if document is not None and document.kind == "yaml":
        return None  # deploy_lint's findings carry no edit (a shared Dockerfile is fixed on its own)
    if document is not None and document.kind == "dockerfile":
        dockerfiles = [real]
    else:  # a script: the Dockerfiles that run it (a YAML file that reaches it has no edits)
        dockerfiles = [d for d in ls.readers(real) if not is_yaml_name(ls.paths.get(d, d))]
    if not dockerfiles:
        return None
    texts = {file: ls.workspace.get_text_document(d.uri).source for file, d in ls.open.items()}
    only = None if real in dockerfiles else real
    loop = asyncio.get_running_loop()
    changes: dict[str, tuple[str, str]] = {}
    for dockerfile in dockerfiles:
        path = ls.paths.get(dockerfile, dockerfile)
        options = ls.settings_for(path).options
        result = await loop.run_in_executor(
            ls.lint_pool,
            actions.fix_all,
            dockerfile,
            path,
            {**texts, **{f: a for f, (_, a) in changes.items()}},
            options,
            _read_disk,
            only,
        )
        for file, (before, after) in result.items():
            changes[file] = (changes[file][0] if file in changes else before, after)
    if not changes:
        return None
    edits = {
        ls.uri_of(file): [actions.replace_all(before, after, ls.encoding)]
        for file, (before, after) in changes.items()
    }
    return types.CodeAction(
        title="sigcheck: fix all safe fixes",
        kind=actions.FIX_ALL_KIND,
        edit=types.WorkspaceEdit(changes=edits),
    )
