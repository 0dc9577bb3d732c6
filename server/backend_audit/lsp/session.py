"""The server's state and the life of an open document: open, edit, debounce, analyse, close.

Everything here runs on the event loop except the analysis itself: an edit is applied to the
open `Document` (and its tree, incrementally) on the loop, then a *snapshot* of the document is
analysed in a worker thread, so typing never waits for a rule. Per URI:

- edits restart a debounce timer (`debounceMs`; 0 analyses on every change);
- at most one analysis runs; an edit during it asks for one more run afterwards;
- a result whose version is no longer the document's is dropped (superseded), so diagnostics
  are published in version order and never for text the user no longer has.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pathspec
from lsprotocol import types
from pygls import uris
from pygls.capabilities import ServerCapabilitiesBuilder

from ..analysis.document import Document
from ..analysis.finding import Finding
from ..analysis.incremental import RegionMemo
from ..engine.analyzer import Analyzer, FileResult
from ..engine.config import Config
from ..engine.walker import ALWAYS_SKIPPED_DIRS, Skipped, Walker
from ..engine.workspace import WorkspaceState, analyse_bytes, snapshot
from ..project.manifests import is_manifest
from ..rules.compiler import CompiledPack
from .positions import PositionConverter
from .publisher import Publisher
from .reload import Reloader
from .scanning import Scanner
from .settings import Settings

EVIDENCE_IDLE_MS = 60
"""How long typing must pause before a document's evidence probes run again."""


if TYPE_CHECKING:
    from .server import AuditServer


def _get(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


class Session:
    def __init__(self, server: AuditServer, pack_dir: Path | None, extra_rule_dirs: list[Path]) -> None:
        self.server = server
        self.pack_dir = pack_dir
        """Injected pack directory (tests); None means the bundled pack."""
        self.extra_rule_dirs = extra_rule_dirs
        """Injected extra rule directories, on top of the config's `rules`."""
        self.root = Path.cwd()
        self.settings = Settings()
        self.config = Config()
        self.pack: CompiledPack | None = None
        self.analyzer: Analyzer | None = None
        self.state: WorkspaceState | None = None
        self.baseline: Any = None
        self.docs: dict[str, Document] = {}
        """Open documents by URI, as the client sees them."""
        self.uri_of_path: dict[str, str] = {}
        self.capabilities = types.ClientCapabilities()
        self.positions = PositionConverter()
        self.pull_mode = False
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backend-audit-analysis")
        self.scan_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backend-audit-scan")
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._running: dict[str, asyncio.Future] = {}
        self._rerun: set[str] = set()
        self._evidence_timers: dict[str, asyncio.TimerHandle] = {}
        """Per URI: the pending evidence pass (probes), run once typing pauses."""
        self._tasks: set[asyncio.Task] = set()
        self._told_too_large: set[str] = set()
        self._focus: pathspec.PathSpec | None = None
        self._git_base: Any = None
        """The `GitBase` of ``focus: changed-lines`` (opened on first use; False: unavailable)."""
        self.publisher = Publisher(self)
        self.reloader = Reloader(self)
        self.scanner = Scanner(self)

    # -- lifecycle ---------------------------------------------------------------------------
    def initialize(self, params: types.InitializeParams) -> None:
        self.capabilities = params.capabilities
        self.positions = PositionConverter(ServerCapabilitiesBuilder.choose_position_encoding(params.capabilities))
        # Pull only where the client both pulls and can be told to pull again (project findings
        # change files the user is not editing); everyone else gets pushed diagnostics.
        self.pull_mode = bool(
            _get(params.capabilities, "text_document.diagnostic") is not None
            and _get(params.capabilities, "workspace.diagnostics.refresh_support")
        )
        root = None
        if params.workspace_folders:
            root = uris.to_fs_path(params.workspace_folders[0].uri)
        if root is None and params.root_uri:
            root = uris.to_fs_path(params.root_uri)
        if root is None and params.root_path:
            root = params.root_path
        self.root = Path(root).resolve() if root else Path.cwd().resolve()
        self.reloader.apply_settings(params.initialization_options, reload=False)
        self.reloader.load_all()

    async def initialized(self) -> None:
        self.background(self.reloader.register_watchers())
        raw = await self.reloader.fetch_configuration()
        reloaded = raw is not None and self.reloader.apply_settings(raw, reload=True)
        if not reloaded:  # a reload has published and started the scan already
            self.publisher.publish_rule_errors()
            self.scanner.start()

    def shutdown(self) -> None:
        self.scanner.cancel()
        for handle in self._evidence_timers.values():
            handle.cancel()
        self._evidence_timers.clear()
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.scan_executor.shutdown(wait=False, cancel_futures=True)

    def background(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run a coroutine on the loop, keeping a reference and logging its failure."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                self.log_error("background task failed", t.exception())  # type: ignore[arg-type]

        task.add_done_callback(done)
        return task

    # -- messages ----------------------------------------------------------------------------
    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.server.window_log_message(types.LogMessageParams(type=kind, message=f"backend-audit: {message}"))

    def trace(self, message: str) -> None:
        if self.settings.trace != "off":
            self.log(message, types.MessageType.Log)

    def log_error(self, what: str, exc: BaseException) -> None:
        detail = "".join(traceback.format_exception(exc)).rstrip()
        try:
            self.log(f"{what}: {exc}\n{detail}", types.MessageType.Error)
        except Exception:  # pragma: no cover - the transport itself is gone
            traceback.print_exc()

    def show(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        self.server.window_show_message(types.ShowMessageParams(type=kind, message=f"backend-audit: {message}"))
        self.log(message, kind)

    # -- paths -------------------------------------------------------------------------------
    def path_of(self, uri: str) -> str:
        """POSIX path relative to the root for workspace files, else the absolute path."""
        fs = uris.to_fs_path(uri)
        if fs is None:
            return uri
        p = Path(fs)
        try:
            return p.resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return p.as_posix()

    def uri_for(self, path: str) -> str:
        uri = self.uri_of_path.get(path)
        if uri is not None:
            return uri
        full = Path(path) if Path(path).is_absolute() else self.root / path
        return uris.from_fs_path(str(full)) or full.as_uri()

    def document_for(self, path: str) -> Document | None:
        uri = self.uri_of_path.get(path)
        if uri is not None and uri in self.docs:
            return self.docs[uri]
        if self.state is not None and (result := self.state.results.get(path)) is not None:
            return result.document
        return None

    def set_focus(self, globs: list[str]) -> None:
        self._focus = pathspec.GitIgnoreSpec.from_lines(globs) if globs else None
        self._git_base = None

    def _changed_lines_focus(self, path: str, findings: list[Finding]) -> list[Finding]:
        """``focus: changed-lines``: findings on lines unchanged since the ref become Hints."""
        from ..engine.gitdiff import GitBase, GitDiffError, on_changed_lines
        from .diagnostics import DEMOTED_TAG

        if self._git_base is None:
            try:
                self._git_base = GitBase.open(self.root, self.settings.focus_ref)
            except GitDiffError as exc:
                self._git_base = False
                self.show(f"focus changed-lines is off: {exc}", types.MessageType.Warning)
        if not self._git_base:
            return findings
        doc = self.document_for(path)
        text = doc.text if doc is not None else self._git_base.current_text(path)
        if text is None:
            return findings
        try:
            changed = self._git_base.changed_lines(path, text)
        except GitDiffError as exc:
            self.log(f"focus changed-lines: {exc}", types.MessageType.Warning)
            return findings
        return [f if on_changed_lines(f, changed) else attrs.evolve(f, tags=(*f.tags, DEMOTED_TAG)) for f in findings]

    def visible(self, path: str) -> bool:
        """Does this file get diagnostics (scope and focus settings)?"""
        if self._focus is not None and not self._focus.match_file(path):
            return False
        return path in self.uri_of_path or self.settings.scope == "workspace"

    def display_findings(self, path: str) -> list[Finding]:
        """A file's findings as the editor shows them: sections and baseline applied."""
        if self.state is None:
            return []
        findings = self.state.findings_for(path)
        if self.settings.sections:
            findings = [f for f in findings if self.settings.shows_section(f.section)]
        if self.baseline is not None and findings:
            classified = self.baseline.classify(findings)
            findings = classified.findings if self.settings.baselined == "hint" else classified.new
        if self.settings.focus_changed_lines and findings:
            findings = self._changed_lines_focus(path, findings)
        return findings

    # -- documents ---------------------------------------------------------------------------
    def open(self, uri: str, text: str, version: int, language_id: str | None = None) -> None:
        path = self.path_of(uri)
        doc = Document(path, text, version=version)
        doc.regions = RegionMemo()  # typing re-analyses the changed region only
        if not self._too_large(doc):
            _ = doc.tree  # parse once now; every later edit reparses incrementally
        self.docs[uri] = doc
        self.uri_of_path[path] = uri
        self.schedule(uri, immediate=True)

    def change(self, uri: str, version: int, changes: Sequence[Any]) -> None:
        doc = self.docs.get(uri)
        if doc is None:
            self.log(f"change for a document that is not open: {uri}", types.MessageType.Warning)
            return
        for change in changes:
            rng = getattr(change, "range", None)
            if rng is None:
                doc.apply_edit(None, change.text)
            else:
                # Each change's range refers to the text after the previous change.
                doc.apply_edit(self.positions.range_from_client(doc, rng), change.text)
        doc.version = version
        self.schedule(uri)

    def close(self, uri: str) -> None:
        doc = self.docs.pop(uri, None)
        handle = self._timers.pop(uri, None)
        if handle is not None:
            handle.cancel()
        if doc is None:
            return
        if doc.regions is not None:
            doc.regions.clear()  # snapshots kept in the workspace state share it
        self.uri_of_path.pop(doc.path, None)
        self.publisher.forget_version(uri)
        # The text on disk is now the truth again (unsaved edits are gone).
        self.background(self.analyse_disk(doc.path, uri))

    def schedule(self, uri: str, immediate: bool = False) -> None:
        handle = self._timers.pop(uri, None)
        if handle is not None:
            handle.cancel()
        evidence = self._evidence_timers.pop(uri, None)
        if evidence is not None:
            evidence.cancel()
        delay = self.settings.debounce_ms
        if immediate or delay <= 0:
            self._start(uri)
        else:
            self._timers[uri] = asyncio.get_running_loop().call_later(delay / 1000, self._start, uri)

    def is_pending(self, uri: str) -> bool:
        doc = self.docs.get(uri)
        if doc is None:
            return False
        return uri in self._timers or uri in self._running or self.publisher.version_of(uri) != doc.version

    def _start(self, uri: str) -> None:
        self._timers.pop(uri, None)
        if uri in self._running:
            self._rerun.add(uri)
            return
        doc = self.docs.get(uri)
        analyzer = self.analyzer
        if doc is None or analyzer is None:
            return
        if self._too_large(doc):
            if uri not in self._told_too_large:
                self._told_too_large.add(uri)
                self.show(
                    f"{doc.path} is larger than max-file-size ({len(doc.source)} > {analyzer.config.max_file_size} bytes); not analysed",
                    types.MessageType.Info,
                )
            changed = self.state.remove(doc.path) if self.state is not None else set()
            self.publisher.publish(uri, version=doc.version, force=True)
            for path in sorted(changed - {doc.path}):
                self.publisher.publish(self.uri_for(path))
            return
        snap = snapshot(doc)
        loop = asyncio.get_running_loop()
        # Code files: the problems first (what the user waits for after a keystroke), the
        # evidence probes later, once typing pauses (they only feed project checks).
        part = "findings" if self._split(snap) else "all"
        future = loop.run_in_executor(self.executor, analyzer.analyze_file, snap, part)
        self._running[uri] = asyncio.ensure_future(self._finish(uri, snap, analyzer, future))

    def _split(self, doc: Document) -> bool:
        """Analyse in two passes? Code files yes; manifests (a Gemfile is Ruby) get one pass, as
        their dependency evidence comes with their findings."""
        return (
            doc.language is not None and doc.language.has_grammar and self.state is not None and not is_manifest(doc.path)
        )

    def _schedule_evidence(self, uri: str, snap: Document, analyzer: Analyzer) -> None:
        handle = self._evidence_timers.pop(uri, None)
        if handle is not None:
            handle.cancel()
        delay = max(self.settings.debounce_ms, EVIDENCE_IDLE_MS) / 1000
        self._evidence_timers[uri] = asyncio.get_running_loop().call_later(
            delay, lambda: self.background(self._evidence(uri, snap, analyzer))
        )

    async def _evidence(self, uri: str, snap: Document, analyzer: Analyzer) -> None:
        """The evidence pass of a document version whose findings are already published."""
        self._evidence_timers.pop(uri, None)
        doc = self.docs.get(uri)
        if doc is None or doc.version != snap.version or analyzer is not self.analyzer or self.state is None:
            return
        loop = asyncio.get_running_loop()
        try:
            probed = await loop.run_in_executor(self.executor, analyzer.analyze_file, snap, "probes")
        except Exception as exc:
            self.log_error(f"evidence pass of {snap.path} failed", exc)
            return
        doc = self.docs.get(uri)
        current = self.state.results.get(snap.path) if self.state is not None else None
        if doc is None or doc.version != snap.version or analyzer is not self.analyzer or current is None:
            return
        if current.document is not None and current.document is not snap:
            return  # a newer result was stored meanwhile
        current.analysis.evidence = probed.analysis.evidence
        snap.drop_tree()
        changed = self.state.update(current)
        for path in sorted(changed):
            self.publisher.publish(self.uri_for(path))
        if changed:
            self.publisher.refresh()

    async def _finish(self, uri: str, snap: Document, analyzer: Analyzer, future: asyncio.Future) -> None:
        result: FileResult | None = None
        try:
            result = await future
        except asyncio.CancelledError:
            raise
        except RecursionError:
            self.log(f"{snap.path}: nested too deeply to analyse", types.MessageType.Warning)
        except Exception as exc:
            self.log_error(f"analysis of {snap.path} failed", exc)
        finally:
            self._running.pop(uri, None)
        try:
            self._accept(uri, snap, analyzer, result)
        finally:
            if uri in self._rerun:
                self._rerun.discard(uri)
                self._start(uri)

    def _accept(self, uri: str, snap: Document, analyzer: Analyzer, result: FileResult | None) -> None:
        doc = self.docs.get(uri)
        if doc is None or doc.version != snap.version or analyzer is not self.analyzer or self.state is None:
            self.trace(f"dropped a superseded analysis of {snap.path} (version {snap.version})")
            self.publisher.wake()
            return
        changed: set[str] = set()
        split = False
        if result is not None:
            for error in result.analysis.errors:
                self.log(f"{snap.path}: {error}", types.MessageType.Error)
            split = self._split(snap)
            if split:
                # Until the evidence pass runs, the file keeps the evidence it had.
                previous = self.state.results.get(snap.path)
                if previous is not None:
                    result.analysis.evidence = list(previous.analysis.evidence)
            else:
                snap.drop_tree()
            changed = self.state.update(result)
        self.publisher.publish(uri, version=snap.version, force=True)
        others = changed - {snap.path}
        for path in sorted(others):
            self.publisher.publish(self.uri_for(path))
        if others:
            self.publisher.refresh()
        if split:
            self._schedule_evidence(uri, snap, analyzer)

    async def analyse_disk(self, path: str, uri: str | None = None) -> None:
        """Re-read a closed file from disk and update its contribution (or forget it)."""
        if self.state is None or self.analyzer is None:
            return
        if Path(path).is_absolute() or not self._wanted_on_disk(path):
            self.state.remove(path)  # not a workspace file: shown only while open
            if uri is not None or path in self.state.results:
                self.publisher.publish(uri or self.uri_for(path), force=True)
            return
        analyzer = self.analyzer
        full = self.root / path
        loop = asyncio.get_running_loop()

        def read_and_analyse() -> FileResult | None:
            try:
                data = full.read_bytes()
            except OSError:
                return None
            if len(data) > analyzer.config.max_file_size or b"\0" in data[:8192]:
                return None
            skipped: list[Skipped] = []
            errors: list[str] = []
            return next(iter(analyse_bytes(analyzer, path, data, skipped, errors)), None)

        result = await loop.run_in_executor(self.scan_executor, read_and_analyse)
        if analyzer is not self.analyzer or self.state is None or path in self.uri_of_path:
            return
        if result is None:
            changed = self.state.remove(path)
        else:
            changed = self.state.update(result)
        for p in sorted(changed | {path}):
            # After a close, say what the disk holds even if it equals the last report: the
            # client may have the closed text's diagnostics in flight.
            self.publisher.publish(self.uri_for(p), force=uri is not None and p == path)
        if changed - {path}:
            self.publisher.refresh()

    def _too_large(self, doc: Document) -> bool:
        limit = self.analyzer.config.max_file_size if self.analyzer is not None else self.config.max_file_size
        return len(doc.source) > limit

    def _wanted_on_disk(self, path: str) -> bool:
        """Would a workspace scan look at this file (walker rules, config excludes)?"""
        if any(part in ALWAYS_SKIPPED_DIRS for part in path.split("/")[:-1]):
            return False
        if self.analyzer is not None and self.analyzer.config.exclude:
            if pathspec.GitIgnoreSpec.from_lines(self.analyzer.config.exclude).match_file(path):
                return False
        return Walker(self.root).wanted(path)

    def reanalyse_open_documents(self) -> None:
        for uri in list(self.docs):
            self.schedule(uri, immediate=True)
