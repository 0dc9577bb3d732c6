"""Getting diagnostics to the client: pushed, or pulled, never both.

Each URI has one current report (result id, diagnostics, document version). In push mode a
changed report is sent with `textDocument/publishDiagnostics` (with the document's version); in
pull mode it is kept for `textDocument/diagnostic` and `workspace/diagnostic`, which answer
"unchanged" when the client already has the result id, and the client is asked to pull again
(`workspace/diagnostic/refresh`) when project findings move to files it is not editing.
A document request waits until the analysis of the document's current version is done, so a
pull never returns diagnostics for text the user no longer has.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from lsprotocol import types

from .diagnostics import load_error_diagnostic, to_diagnostic

if TYPE_CHECKING:
    from .session import Session

PULL_WAIT_LIMIT_S = 30.0
"""A pull request never waits longer than this for an analysis (a guard, not a timing)."""


@attrs.define
class Report:
    result_id: str
    items: list[types.Diagnostic]
    version: int | None


class Publisher:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.reports: dict[str, Report] = {}
        self.rule_errors: dict[str, list[types.Diagnostic]] = {}
        """Load errors of rule files, by the rule file's URI."""
        self._ids = itertools.count(1)
        self._changed: asyncio.Event | None = None

    # -- state -------------------------------------------------------------------------------
    def version_of(self, uri: str) -> int | None:
        report = self.reports.get(uri)
        return report.version if report is not None else None

    def forget_version(self, uri: str) -> None:
        report = self.reports.get(uri)
        if report is not None:
            report.version = None

    def wake(self) -> None:
        """Wake pull requests waiting for an analysis or a change."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def _wait_for_change(self, limit: float | None = None) -> None:
        if self._changed is None:
            self._changed = asyncio.Event()
        event = self._changed
        if limit is None:
            await event.wait()
        else:
            try:
                await asyncio.wait_for(event.wait(), limit)
            except TimeoutError:
                pass

    def diagnostics_for(self, uri: str) -> list[types.Diagnostic]:
        s = self.session
        items = list(self.rule_errors.get(uri, ()))
        if s.pack is None:
            return items
        path = s.path_of(uri)
        if not s.visible(path):
            return items
        doc = s.document_for(path)
        severity_map = s.settings.severity_map
        items.extend(to_diagnostic(f, s.pack, s.positions, doc, severity_map) for f in s.display_findings(path))
        return items

    # -- publishing --------------------------------------------------------------------------
    def publish(self, uri: str, version: int | None = None, force: bool = False) -> None:
        """Recompute a URI's report; push it when it changed (or `force`, for a new version)."""
        s = self.session
        if version is None and uri in s.docs:
            version = s.docs[uri].version
        previous = self.reports.get(uri)
        if previous is not None and version is not None and previous.version is not None and version < previous.version:
            return  # never out of order
        items = self.diagnostics_for(uri)
        changed = previous is None or previous.items != items
        if previous is None and not items and not force:
            return  # nothing to say about a file nobody has heard of
        result_id = str(next(self._ids)) if changed else previous.result_id  # type: ignore[union-attr]
        self.reports[uri] = Report(result_id, items, version)
        if not s.pull_mode and (changed or force):
            s.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version if uri in s.docs else None)
            )
        self.wake()

    def publish_all(self, paths: Sequence[str]) -> None:
        for path in paths:
            self.publish(self.session.uri_for(path))

    def refresh(self) -> None:
        """Ask a pulling client to pull again (project findings moved)."""
        s = self.session
        if not s.pull_mode:
            return
        self.wake()
        future = s.server.protocol.send_request(types.WORKSPACE_DIAGNOSTIC_REFRESH, None)
        future.add_done_callback(lambda f: f.exception() if not f.cancelled() else None)

    def publish_rule_errors(self) -> None:
        """Show rule-file load errors on the rule files; clear the ones that are fixed."""
        s = self.session
        pack = s.pack
        by_uri: dict[str, list[types.Diagnostic]] = {}
        if pack is not None:
            for error in pack.errors:
                path = Path(error.path)
                if not path.is_absolute() and pack.root is not None:
                    path = pack.root / path
                if path.suffix not in (".yaml", ".yml"):
                    continue
                by_uri.setdefault(path.resolve().as_uri(), []).append(load_error_diagnostic(error))
        old = set(self.rule_errors)
        self.rule_errors = by_uri
        for uri in sorted(old | set(by_uri)):
            self.publish(uri, force=uri in by_uri or uri in old)

    # -- pull --------------------------------------------------------------------------------
    async def wait_fresh(self, uri: str) -> None:
        """Wait until the open document's current version has been analysed."""
        s = self.session
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PULL_WAIT_LIMIT_S
        while s.is_pending(uri) and loop.time() < deadline:
            await self._wait_for_change(deadline - loop.time())

    async def document_report(self, uri: str, previous_result_id: str | None) -> types.DocumentDiagnosticReport:
        s = self.session
        await self.wait_fresh(uri)
        report = self.reports.get(uri)
        if report is None or (uri not in s.docs and report.items != self.diagnostics_for(uri)):
            self.publish(uri, force=True)
            report = self.reports[uri]
        if previous_result_id is not None and previous_result_id == report.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=report.result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=report.items, result_id=report.result_id)

    async def workspace_report(self, previous: Sequence[types.PreviousResultId]) -> types.WorkspaceDiagnosticReport:
        """Closed files' reports. When nothing changed since the client's ids, hold the request
        until something does (clients re-request at once; answering at once would spin)."""
        s = self.session
        known = {p.uri: p.value for p in previous or ()}
        while True:
            items: list[types.WorkspaceDocumentDiagnosticReport] = []
            all_unchanged = True  # nothing new to say (also when there is nothing at all)
            uris_now = set(self.rule_errors)
            if s.state is not None and s.settings.scope == "workspace":
                uris_now.update(s.uri_for(p) for p in s.state.results if p not in s.uri_of_path)
            for uri in sorted(uris_now - set(s.docs)):
                report = self.reports.get(uri)
                if report is None:
                    self.publish(uri, force=True)
                    report = self.reports[uri]
                if known.get(uri) == report.result_id:
                    items.append(types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=None, result_id=report.result_id))
                else:
                    all_unchanged = False
                    items.append(types.WorkspaceFullDocumentDiagnosticReport(uri=uri, version=None, items=report.items, result_id=report.result_id))
            for uri in sorted(set(known) - uris_now - set(s.docs)):
                all_unchanged = False
                items.append(types.WorkspaceFullDocumentDiagnosticReport(uri=uri, version=None, items=[], result_id=str(next(self._ids))))
            if not all_unchanged:
                return types.WorkspaceDiagnosticReport(items=items)
            await self._wait_for_change()
