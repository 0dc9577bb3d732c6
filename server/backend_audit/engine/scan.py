"""`scan(root)`: the whole-workspace analysis every face uses.

Files are read and analysed one by one (or in a process pool for large workspaces), facts
are merged, project checks run, and each file's findings are finalised with its suppressions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import attrs

from ..analysis.document import Document
from ..analysis.finding import Finding
from ..project.facts import ProjectFacts
from ..rules.compiler import CompiledPack
from .analyzer import Analyzer, FileResult
from .config import Config, load_config
from .walker import Skipped, Walker, read_file

Progress = Callable[[int, int | None, str], None]


@attrs.define
class ScanResult:
    root: Path
    findings: list[Finding]
    files: list[str]
    skipped: list[Skipped]
    facts: ProjectFacts
    analyzer: Analyzer
    results: dict[str, FileResult] = attrs.field(factory=dict)
    rule_errors: list[str] = attrs.field(factory=list)

    @property
    def pack(self) -> CompiledPack:
        return self.analyzer.pack

    def summary(self) -> dict:
        by_section = Counter(f.section for f in self.findings)
        by_severity = Counter(f.severity.value for f in self.findings)
        return {
            "files": len(self.files),
            "by_section": dict(sorted(by_section.items())),
            "by_severity": {s: by_severity[s] for s in ("Critical", "High", "Medium", "Low", "Info") if by_severity[s]},
            "skipped": [s.to_json() for s in self.skipped],
        }


def scan(
    root: Path,
    config: Config | None = None,
    analyzer: Analyzer | None = None,
    progress: Progress | None = None,
    keep_documents: bool = False,
) -> ScanResult:
    """Scan a workspace. Raises ConfigError for a bad config; never for bad files."""
    root = root.resolve()
    if analyzer is None:
        analyzer = Analyzer(root, config if config is not None else load_config(root))
    cfg = analyzer.config
    walker = Walker(root, cfg.exclude, cfg.max_file_size)
    candidates = list(walker.files())
    results: dict[str, FileResult] = {}
    errors: list[str] = []
    total = len(candidates)
    for index, wf in enumerate(candidates):
        if progress is not None:
            progress(index, total, wf.path)
        data, reason = read_file(wf)
        if data is None:
            walker.skipped.append(Skipped(wf.path, reason or "unreadable"))
            continue
        doc = Document.from_bytes(wf.path, data)
        try:
            result = analyzer.analyze_file(doc)
        except RecursionError:
            walker.skipped.append(Skipped(wf.path, "nested too deeply to analyse"))
            continue
        errors.extend(f"{wf.path}: {e}" for e in result.analysis.errors)
        results[wf.path] = result
    if progress is not None:
        progress(total, total, "")
    facts, project = analyzer.project(results.values(), walker.other_files)
    findings: list[Finding] = []
    for result in results.values():
        findings.extend(analyzer.finalize(result, project))
        if not keep_documents:
            result.document = None
    anchored = set(results)
    findings.extend(f for f in analyzer._adjust(project) if f.path not in anchored)
    findings.sort(key=lambda f: f.sort_key)
    return ScanResult(
        root=root,
        findings=findings,
        files=sorted(results),
        skipped=sorted(walker.skipped, key=lambda s: s.path),
        facts=facts,
        analyzer=analyzer,
        results=results,
        rule_errors=errors,
    )
