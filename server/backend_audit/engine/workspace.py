"""The live workspace: every file's latest contribution, and project findings kept current.

`scan()` analyses a workspace once. An editor needs the same result kept up to date while files
change one at a time, so this module keeps each file's `FileResult` and recomputes the project
facts from the merged contributions only when a file's *project-relevant* part changed (its
evidence, dependencies, language or backend-ness), not on every keystroke. It then reports
which files' project findings changed, so a front end republishes only those.

It knows nothing of LSP: the language server drives it, and any other long-lived front end
could.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import attrs

from ..analysis.document import Document
from ..analysis.finding import Finding
from ..project.facts import ProjectFacts
from .analyzer import Analyzer, FileResult
from .walker import Skipped, Walker, read_file


def _signature(result: FileResult) -> tuple:
    """What of a file feeds the project checks (evidence lines included: they anchor findings)."""
    a = result.analysis
    return (
        a.language,
        a.loc > 0,
        a.is_backend,
        tuple((e.fact, e.path, e.line, e.detail, e.rule) for e in a.evidence),
        tuple((d.ecosystem, d.name, d.spec, d.line, d.dev) for d in result.dependencies),
    )


def _project_key(f: Finding) -> tuple:
    return (f.rule, f.range, f.message, f.severity)


@attrs.define
class WorkspaceState:
    """Per-file results of one workspace plus the project findings derived from them."""

    analyzer: Analyzer
    results: dict[str, FileResult] = attrs.field(factory=dict)
    other_files: list[str] = attrs.field(factory=list)
    """Files no rule reads, kept for project checks on file presence (from the walker)."""
    project_findings: list[Finding] = attrs.field(factory=list)
    facts: ProjectFacts = attrs.field(factory=ProjectFacts)
    ready: bool = False
    """False until a whole-workspace pass was installed (`replace_all`): before that the facts
    are partial, and a project check on partial facts would report what merely was not read yet
    (a "no health endpoint" for a route in a file still to come), so none are computed."""
    _signatures: dict[str, tuple] = attrs.field(factory=dict)

    # -- updates -----------------------------------------------------------------------------
    def update(self, result: FileResult) -> set[str]:
        """Store a file's new result; return the paths whose project findings changed."""
        sig = _signature(result)
        changed = self._signatures.get(result.path) != sig
        self.results[result.path] = result
        self._signatures[result.path] = sig
        return self.recompute() if changed else set()

    def remove(self, path: str) -> set[str]:
        """Forget a deleted file; return the paths whose project findings changed."""
        if self.results.pop(path, None) is None:
            return set()
        self._signatures.pop(path, None)
        return self.recompute() | {path}

    def replace_all(self, results: Iterable[FileResult], other_files: Iterable[str] = ()) -> set[str]:
        """Install a fresh scan; return every path whose project findings changed."""
        self.results = {r.path: r for r in results}
        self._signatures = {p: _signature(r) for p, r in self.results.items()}
        self.other_files = list(other_files)
        self.ready = True
        return self.recompute()

    def recompute(self) -> set[str]:
        before = self._by_path(self.project_findings)
        if not self.ready:
            return set()
        self.facts, self.project_findings = self.analyzer.project(self.results.values(), self.other_files)
        after = self._by_path(self.project_findings)
        return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p) and p is not None}

    @staticmethod
    def _by_path(findings: list[Finding]) -> dict[str | None, list[tuple]]:
        out: dict[str | None, list[tuple]] = {}
        for f in findings:
            out.setdefault(f.path, []).append(_project_key(f))
        for v in out.values():
            v.sort(key=repr)
        return out

    # -- queries -----------------------------------------------------------------------------
    def findings_for(self, path: str) -> list[Finding]:
        """A file's findings as every face shows them (its own plus anchored project findings,
        suppressions applied, severities adjusted)."""
        result = self.results.get(path)
        if result is None:
            return []
        return self.analyzer.finalize(result, self.project_findings)

    def paths_with_project_findings(self) -> set[str]:
        return {f.path for f in self.project_findings if f.path is not None}


def snapshot(doc: Document) -> Document:
    """An independent copy of a document that another thread can analyse (`Document.snapshot`)."""
    return doc.snapshot()


@attrs.define
class WalkOutcome:
    results: list[FileResult] = attrs.field(factory=list)
    skipped: list[Skipped] = attrs.field(factory=list)
    other_files: list[str] = attrs.field(factory=list)
    errors: list[str] = attrs.field(factory=list)
    cancelled: bool = False


def analyse_workspace(
    root: Path,
    analyzer: Analyzer,
    *,
    skip: Callable[[str], bool] = lambda _p: False,
    cancelled: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int, str], None] | None = None,
) -> WalkOutcome:
    """Analyse every workspace file (as `scan()` chooses them), keeping each document's text
    but not its tree. `skip` leaves out files the caller already has (open documents)."""
    outcome = WalkOutcome()
    cfg = analyzer.config
    walker = Walker(root, cfg.exclude, cfg.max_file_size)
    candidates = list(walker.files())
    total = len(candidates)
    for index, wf in enumerate(candidates):
        if cancelled():
            outcome.cancelled = True
            break
        if progress is not None:
            progress(index, total, wf.path)
        if skip(wf.path):
            continue
        for result in _analyse_one(analyzer, wf.path, *read_file(wf), outcome):
            outcome.results.append(result)
    outcome.skipped = list(walker.skipped)
    outcome.other_files = list(walker.other_files)
    return outcome


def _analyse_one(analyzer: Analyzer, path: str, data: bytes | None, reason: str | None, outcome: WalkOutcome) -> Iterator[FileResult]:
    if data is None:
        outcome.skipped.append(Skipped(path, reason or "unreadable"))
        return
    yield from analyse_bytes(analyzer, path, data, outcome.skipped, outcome.errors)


def analyse_bytes(analyzer: Analyzer, path: str, data: bytes, skipped: list[Skipped], errors: list[str]) -> Iterator[FileResult]:
    """Analyse one closed file's bytes; the result keeps the text (for suppressions) only."""
    doc = Document.from_bytes(path, data)
    try:
        result = analyzer.analyze_file(doc)
    except RecursionError:
        skipped.append(Skipped(path, "nested too deeply to analyse"))
        return
    doc.drop_tree()
    errors.extend(f"{path}: {e}" for e in result.analysis.errors)
    yield result
