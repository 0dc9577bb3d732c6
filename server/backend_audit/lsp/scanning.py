"""The background workspace scan, with cancellable work-done progress (begin, report, end).

It runs in its own worker thread through `engine.workspace.analyse_workspace`, leaves out the
files open in the editor (their text there wins), then installs every result in the workspace
state at once, which recomputes the project findings, and publishes what changed. A new scan
(a reload, the scanWorkspace command) cancels the running one; so does the client's cancel.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..engine.workspace import WalkOutcome, analyse_workspace

if TYPE_CHECKING:
    from .session import Session


class Progress:
    """Work-done progress if the client supports it; silent otherwise."""

    _tokens = itertools.count(1)

    def __init__(self, session: Session, title: str) -> None:
        self.session = session
        self.title = title
        self.token: str | None = None
        self.cancel_future: Any = None

    async def begin(self, message: str = "", cancellable: bool = True) -> None:
        s = self.session
        if not getattr(getattr(s.capabilities, "window", None), "work_done_progress", False):
            return
        token = f"backend-audit-{next(self._tokens)}"
        progress = s.server.work_done_progress
        try:
            await progress.create_async(token)
        except Exception as exc:
            s.log_error("window/workDoneProgress/create failed", exc)
            return
        self.token = token
        progress.begin(token, types.WorkDoneProgressBegin(title=self.title, message=message, cancellable=cancellable, percentage=0))
        self.cancel_future = progress.tokens.get(token)

    def report(self, percentage: int, message: str) -> None:
        if self.token is not None:
            self.session.server.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def end(self, message: str) -> None:
        if self.token is not None:
            self.session.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.session.server.work_done_progress.tokens.pop(self.token, None)
            self.token = None

    @property
    def cancelled(self) -> bool:
        return self.cancel_future is not None and self.cancel_future.cancelled()


class Scanner:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._task: asyncio.Task | None = None
        self._stop: threading.Event | None = None

    def cancel(self) -> None:
        if self._stop is not None:
            self._stop.set()

    def start(self) -> asyncio.Task:
        """(Re)start the scan; the running one, if any, is cancelled."""
        self.cancel()
        stop = self._stop = threading.Event()
        self._task = asyncio.ensure_future(self._run(stop))
        return self._task

    async def run(self) -> dict[str, Any]:
        """Scan, and answer with the scan that completes (a newer one replaces a cancelled one)."""
        task = self.start()
        while True:
            result = await task
            if not result.get("cancelled") or self._task is task or self._task is None:
                return result
            task = self._task

    async def _run(self, stop: threading.Event) -> dict[str, Any]:
        s = self.session
        if s.analyzer is None or s.state is None:
            return {"files": 0, "findings": 0}
        analyzer = s.analyzer
        progress = Progress(s, "Backend audit")
        await progress.begin("scanning the workspace")
        loop = asyncio.get_running_loop()
        last = [-1]

        def report(index: int, total: int, path: str) -> None:
            pct = int(index * 100 / total) if total else 100
            if pct != last[0]:
                last[0] = pct
                loop.call_soon_threadsafe(progress.report, pct, f"{index}/{total} {path}")

        open_paths = frozenset(s.uri_of_path)
        outcome = WalkOutcome(cancelled=True)
        try:
            outcome = await loop.run_in_executor(
                s.scan_executor,
                functools.partial(
                    analyse_workspace,
                    s.root,
                    analyzer,
                    skip=open_paths.__contains__,
                    cancelled=lambda: stop.is_set() or progress.cancelled,
                    progress=report,
                ),
            )
        except Exception as exc:
            s.log_error("workspace scan failed", exc)
        if outcome.cancelled or analyzer is not s.analyzer or s.state is None:
            progress.end("cancelled")
            return {"cancelled": True}
        for error in outcome.errors:
            s.log(error, types.MessageType.Error)
        state = s.state
        keep = [state.results[p] for p in s.uri_of_path if p in state.results]
        state.replace_all(outcome.results + keep, outcome.other_files)
        for path in sorted(state.results):
            s.publisher.publish(s.uri_for(path))  # skips files that never had anything to show
        s.publisher.refresh()
        findings = sum(len(r.items) for r in s.publisher.reports.values())
        summary = {"files": len(state.results), "findings": findings, "skipped": len(outcome.skipped)}
        progress.end(f"{summary['files']} files, {findings} diagnostics")
        return summary
