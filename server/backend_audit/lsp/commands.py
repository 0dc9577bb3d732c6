"""`workspace/executeCommand`: generateReport, scanWorkspace, showRuleDoc.

Every command accepts its arguments as one object, as `arguments: []`, or with no arguments at
all (VS Code sends them all three ways):

    backendAudit.generateReport  [{"format": "markdown"|"json"|"html", "output": "docs/audit.md"}]
                                 -> {"path": "/abs/docs/audit.md" | null, "overall": {"score", "level"} | null}
    backendAudit.scanWorkspace   [] -> {"files", "findings", "skipped"}
    backendAudit.showRuleDoc     ["RES001"] -> {"rule": "RES001", "markdown": "# RES001 ..."}
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..engine.analyzer import Analyzer
from ..engine.config import ConfigError, resolve_inside
from ..engine.ruledocs import rule_page
from ..engine.scan import scan
from .scanning import Progress

if TYPE_CHECKING:
    from .session import Session

GENERATE_REPORT = "backendAudit.generateReport"
SCAN_WORKSPACE = "backendAudit.scanWorkspace"
SHOW_RULE_DOC = "backendAudit.showRuleDoc"

FORMATS = ("markdown", "json", "html")


class CommandError(ValueError):
    """A bad argument; the client gets it as the request's error."""


def _options(args: Sequence[Any]) -> dict[str, Any]:
    first = args[0] if args else None
    if isinstance(first, list):  # arguments: [[{...}]]
        first = first[0] if first else None
    if first is None:
        return {}
    if not isinstance(first, dict):
        raise CommandError(f"expected an object like {{'format': 'markdown', 'output': 'audit.md'}}, got {first!r}")
    return first


def _report_output(session: Session, options: dict[str, Any]) -> str | None:
    """The output as given (relative to the workspace); None lets the report engine choose
    (the config's report.output, which reportPath sets, else its default name)."""
    output = options.get("output")
    if output is None or output == "":
        return None
    if not isinstance(output, str):
        raise CommandError(f"output: expected a path inside the workspace, got {output!r}")
    try:
        resolve_inside(session.root, output, "output")
    except ConfigError as exc:
        raise CommandError(f"output {output!r} is outside the workspace; reports are written inside it") from exc
    return output


def _generate(session: Session, fmt: str | None, output: str | None, progress: Any) -> dict[str, Any]:
    """The report engine's `generate_report` when it is there; until then the JSON summary."""
    try:
        from ..report import generate_report
    except ImportError:  # pragma: no cover - before the report engine existed
        generate_report = None
    if generate_report is not None:
        try:
            report = generate_report(session.root, session.config, fmt=fmt, output=output, progress=progress)
        except ConfigError as exc:  # ReportError: a bad format, template or path
            raise CommandError(str(exc)) from None
        path = getattr(report, "path", None)
        return {"path": str(path) if path else None, "overall": getattr(report, "overall", None)}
    assert session.pack is not None
    result = scan(session.root, analyzer=Analyzer(session.root, session.config, session.pack), progress=progress)
    summary = {"version": 1, "root": str(result.root), "overall": None, "summary": result.summary()}
    target = resolve_inside(session.root, output, "output") if output else None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return {"path": str(target) if target else None, "overall": None, "summary": summary["summary"]}


async def generate_report(session: Session, args: Sequence[Any]) -> dict[str, Any]:
    options = _options(args)
    fmt = options.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise CommandError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    output = _report_output(session, options)
    progress = Progress(session, "Backend audit report")
    await progress.begin("scanning the workspace", cancellable=False)
    loop = asyncio.get_running_loop()
    last = [-1]

    def report(index: int, total: int | None, path: str) -> None:
        pct = int(index * 100 / total) if total else 0
        if pct != last[0]:
            last[0] = pct
            loop.call_soon_threadsafe(progress.report, pct, f"{index}/{total or '?'} {path}")

    try:
        result = await loop.run_in_executor(session.scan_executor, _generate, session, fmt, output, report)
    finally:
        progress.end("done")
    path = result.get("path")
    show = getattr(getattr(session.capabilities, "window", None), "show_document", None)
    if path and show is not None and show.support:
        future = session.server.protocol.send_request(
            types.WINDOW_SHOW_DOCUMENT, types.ShowDocumentParams(uri=Path(path).as_uri(), take_focus=True)
        )
        future.add_done_callback(lambda f: f.exception() if not f.cancelled() else None)
    return result


async def scan_workspace(session: Session, args: Sequence[Any]) -> dict[str, Any]:
    return await session.scanner.run()


def show_rule_doc(session: Session, args: Sequence[Any]) -> dict[str, str]:
    first = args[0] if args else None
    if isinstance(first, dict):
        first = first.get("rule") or first.get("id")
    if not isinstance(first, str) or not first:
        raise CommandError("expected a rule id, e.g. ['RES001']")
    pack = session.pack
    compiled = pack.rule(first.strip()) if pack is not None else None
    if compiled is None or pack is None:
        raise CommandError(f"unknown rule {first!r}")
    return {"rule": compiled.id, "markdown": rule_page(pack, compiled)}
