"""Floor 6: the audit report. Maturity scoring, evidence and rendering (jinja2).

The faces call two functions: `cli_report` (the CLI: text plus the path written, or None for
stdout) and `generate_report` (the LSP command: always writes a file). Both scan with the same
`engine.scan.scan` as `check`, build one report model (`build.py`), and render it (`render.py`).

The report is written only inside the workspace: an output path that resolves outside it is
refused, and so is a user template outside it. If the previous report's JSON sits next to the
output (``audit.json`` next to ``audit.md``, or the JSON output itself), each section gets a
"change since the last audit" line.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from ..engine.config import Config, ConfigError, resolve_inside
from ..rules.compiler import CompiledPack
from ..rules.loader import LoadError
from .build import build_report
from .maturity import MaturityError, MaturityModel, load_maturity
from .render import EXTENSIONS, FORMATS, TemplateError, render
from .stack import load_versions

__all__ = ["FORMATS", "MaturityError", "ReportError", "ReportResult", "TemplateError", "cli_report", "generate_report"]

DEFAULT_OUTPUT = "backend-audit-report.md"


class ReportError(ConfigError):
    """The report cannot be produced as asked (a path outside the workspace, a bad format)."""

    def __init__(self, message: str, where: str = "report") -> None:
        super().__init__([LoadError(where, None, message)])


@attrs.define
class ReportResult:
    path: Path | None
    overall: dict[str, Any]
    """{"score": float, "level": int}"""
    text: str
    format: str
    report: dict[str, Any]


def _format_for(fmt: str | None, output: str | None, config: Config) -> str:
    if fmt:
        chosen = fmt
    elif output and Path(output).suffix.lower() in (".json", ".html", ".htm"):
        chosen = "json" if output.lower().endswith(".json") else "html"
    else:
        chosen = config.report.format or "markdown"
    if chosen == "md":
        chosen = "markdown"
    if chosen not in FORMATS:
        raise ReportError(f"format: {chosen!r} is not one of {', '.join(FORMATS)}")
    return chosen


def _output_inside(root: Path, output: str) -> Path:
    path = Path(output)
    resolved = (path if path.is_absolute() else root / path).resolve()
    root_resolved = root.resolve()
    if resolved == root_resolved or root_resolved not in resolved.parents:
        raise ReportError(f"output: {output!r} is outside the workspace {root_resolved.name}/; the report is written only inside it")
    if resolved.is_dir():
        raise ReportError(f"output: {output!r} is a directory; name a file")
    return resolved


def _previous(output: Path | None) -> dict | None:
    if output is None:
        return None
    candidate = output.with_suffix(".json")
    if not candidate.is_file():
        return None
    try:
        data = json.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) and "sections" in data else None


def _maturity(pack: CompiledPack) -> MaturityModel:
    if pack.maturity_path is None:
        raise MaturityError(f"the pack {pack.header.name} has no maturity.yaml")
    return load_maturity(pack.maturity_path, pack.header)


def produce(
    root: Path,
    config: Config,
    fmt: str | None = None,
    output: str | None = None,
    progress: Callable[[int, int | None, str], None] | None = None,
    write: bool = True,
    now: _dt.datetime | None = None,
    pack: CompiledPack | None = None,
) -> ReportResult:
    """Scan, score, render, and (if an output is given and write is set) write the report."""
    from ..engine.analyzer import Analyzer
    from ..engine.scan import scan

    root = root.resolve()
    chosen = _format_for(fmt, output, config)
    out_path = _output_inside(root, output) if output else None
    user_template = None
    if config.report.template:
        user_template = resolve_inside(root, config.report.template, "report.template")
        if not user_template.is_file():
            raise ReportError(f"report.template: {config.report.template!r} does not exist", config.source or "config")
        # A template renders the format its name says (audit.html.j2: HTML; anything else:
        # Markdown); the other formats keep the pack's templates.
        is_html = ".htm" in user_template.name.lower()
        if chosen == "json" or is_html != (chosen == "html"):
            user_template = None
    analyzer = Analyzer(root, config, pack)
    model = _maturity(analyzer.pack)
    result = scan(root, analyzer=analyzer, progress=progress, keep_documents=True)
    versions = load_versions(analyzer.pack.data_dir)
    report = build_report(result, model, versions, _previous(out_path), now)
    # Evidence links in the report are relative to the file it is written to.
    depth = len(out_path.parent.relative_to(root).parts) if out_path is not None else 0
    report["link_base"] = "../" * depth
    for fr in result.results.values():  # the trees were kept for the code map only
        fr.document = None
    templates_dir = (analyzer.pack.root or Path()) / "templates"
    text = render(report, chosen, templates_dir, user_template)
    if out_path is not None and write:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(text, encoding="utf-8")
    return ReportResult(out_path, dict(report["overall"]), text, chosen, report)


def cli_report(root: Path, config: Config, fmt: str | None, output: str | None) -> tuple[str, Path | None]:
    """For `backend-audit report`: --output (relative to the current directory, as a user typed
    it), else the config's report.output (relative to the workspace), else stdout."""
    if output:
        output = str(Path(output).resolve())
    else:
        output = config.report.output
    try:
        result = produce(root, config, fmt, output)
    except (TemplateError, MaturityError) as exc:
        raise ReportError(str(exc)) from None
    return result.text, result.path


def generate_report(
    root: Path,
    config: Config,
    fmt: str | None = None,
    output: str | None = None,
    progress: Callable[[int, int | None, str], None] | None = None,
    pack: CompiledPack | None = None,
) -> ReportResult:
    """For the LSP command: always writes, by default to config.report.output or
    `backend-audit-report.<ext>` in the workspace. A server that holds the compiled pack
    passes it, and the report skips loading it again."""
    chosen = _format_for(fmt, output or config.report.output, config)
    target = output or config.report.output or ("backend-audit-report" + EXTENSIONS[chosen])
    try:
        return produce(root, config, chosen, target, progress, pack=pack)
    except (TemplateError, MaturityError) as exc:
        raise ReportError(str(exc)) from None
