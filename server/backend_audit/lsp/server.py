"""The transport layer: the pygls server, its protocol hooks, and the raw LSP handlers.

`create_server(...)` builds a server (tests inject a pack directory or extra rule directories);
`run(tcp=None)` starts one on stdio or TCP. Every handler here only translates the protocol
into a call on the `Session` (documents, analyses, publishing) or on a feature module
(`actions`, `hover`, `commands`, `reload`) and is wrapped by `contained`: an exception is
logged through `window/logMessage` and the handler answers with a neutral result, so one broken
feature never takes the others down.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from .. import __version__
from . import actions, commands, hover
from .session import Session

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

FIX_ALL_KIND = "source.fixAll.backend-audit"


class AuditProtocol(LanguageServerProtocol):
    """pygls' protocol with two changes:

    - documents live in the `Session` (with their tree), not in pygls' workspace, so an edit is
      applied once, incrementally, instead of twice;
    - `diagnosticProvider` is advertised only to clients that will pull, so no client gets both
      pushed and pulled diagnostics.
    """

    _server: AuditServer

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        result = yield from super().lsp_initialize(params)
        if not self._server.session.pull_mode:
            result.capabilities.diagnostic_provider = None
        return result

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class AuditServer(LanguageServer):
    def __init__(self, pack_dir: Path | None = None, extra_rule_dirs: list[Path] | None = None) -> None:
        super().__init__(
            "backend-audit",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=AuditProtocol,
        )
        self.session = Session(self, pack_dir=pack_dir, extra_rule_dirs=list(extra_rule_dirs or []))

    def report_server_error(self, error: Exception, source: Any) -> None:
        if source is FeatureRequestError:
            return  # already the request's error response (and logged by `contained`)
        self.session.log_error("internal error", error)


def contained(server: AuditServer, fallback: Any = None) -> Callable[[F], F]:
    """Log an exception from a handler (window/logMessage) and answer with `fallback`."""

    def wrap(fn: F) -> F:
        if asyncio.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any) -> Any:
                try:
                    return await fn(*args)
                except asyncio.CancelledError:
                    raise
                except commands.CommandError as exc:
                    raise JsonRpcInvalidParams(str(exc)) from None
                except Exception as exc:
                    server.session.log_error(f"{fn.__name__} failed", exc)
                    return fallback

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any) -> Any:
            try:
                return fn(*args)
            except commands.CommandError as exc:
                raise JsonRpcInvalidParams(str(exc)) from None
            except Exception as exc:
                server.session.log_error(f"{fn.__name__} failed", exc)
                return fallback

        return run  # type: ignore[return-value]

    return wrap


def create_server(pack_dir: Path | None = None, extra_rule_dirs: list[Path] | None = None) -> AuditServer:
    """A new server. `pack_dir` replaces the bundled pack; `extra_rule_dirs` are loaded on top
    (both also come from the workspace config at `initialize`)."""
    server = AuditServer(pack_dir, extra_rule_dirs)
    session = server.session

    @server.feature(types.INITIALIZE)
    @contained(server)
    def initialize(params: types.InitializeParams) -> None:
        session.initialize(params)

    @server.feature(types.INITIALIZED)
    @contained(server)
    async def initialized(params: types.InitializedParams) -> None:
        await session.initialized()

    @server.feature(types.SHUTDOWN)
    @contained(server)
    def shutdown(params: None) -> None:
        session.shutdown()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @contained(server)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        td = params.text_document
        session.open(td.uri, td.text, td.version, td.language_id)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @contained(server)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        session.change(params.text_document.uri, params.text_document.version, params.content_changes)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @contained(server)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        session.reloader.on_saved(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @contained(server)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        session.close(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @contained(server)
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        await session.reloader.on_configuration_changed(params.settings)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @contained(server)
    async def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        await session.reloader.on_files_changed(params.changes)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="backend-audit", inter_file_dependencies=True, workspace_diagnostics=True),
    )
    @contained(server)
    async def diagnostic(params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        return await session.publisher.document_report(params.text_document.uri, params.previous_result_id)

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    @contained(server, types.WorkspaceDiagnosticReport(items=[]))
    async def workspace_diagnostic(params: types.WorkspaceDiagnosticParams) -> types.WorkspaceDiagnosticReport:
        return await session.publisher.workspace_report(params.previous_result_ids)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    @contained(server, [])
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        return await actions.code_actions(session, params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @contained(server)
    def on_hover(params: types.HoverParams) -> types.Hover | None:
        return hover.hover(session, params)

    @server.command(commands.GENERATE_REPORT)
    @contained(server)
    async def generate_report(*args: Any) -> Any:
        return await commands.generate_report(session, args)

    @server.command(commands.SCAN_WORKSPACE)
    @contained(server)
    async def scan_workspace(*args: Any) -> Any:
        return await commands.scan_workspace(session, args)

    @server.command(commands.SHOW_RULE_DOC)
    @contained(server)
    def show_rule_doc(*args: Any) -> Any:
        return commands.show_rule_doc(session, args)

    return server


def tune_gc() -> None:
    """Collect garbage less often. An analysis allocates a great many short-lived containers
    (query matches) and leaves no reference cycles, so with the default thresholds a full
    collection kept landing in the middle of an analysis and scanning all of them: the p95 of
    edit-to-diagnostics was several times the p50. The loaded pack is also frozen out of the
    collections (see `reload.Reloader.load_pack`)."""
    gc.set_threshold(50_000, 20, 100)


def run(tcp: tuple[str, int] | None = None, pack_dir: Path | None = None, extra_rule_dirs: list[Path] | None = None) -> None:
    """Start a server on stdio, or on a TCP address for debugging (`backend-audit lsp --tcp`)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    tune_gc()
    server = create_server(pack_dir, extra_rule_dirs)
    try:
        if tcp is None:
            server.start_io()
        else:
            server.start_tcp(*tcp)
    except Exception:  # pragma: no cover - last resort, printed to stderr for the client's log
        traceback.print_exc()
        raise
