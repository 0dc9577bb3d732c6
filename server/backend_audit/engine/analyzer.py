"""The Analyzer: one object that holds a pack and a config and analyses files and projects.

The CLI, the report and the language server all go through it, so that a finding seen in the
editor is the finding seen in CI: same rule selection, same severity overrides, same
suppressions, same file scoping.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import attrs

from ..analysis.document import Document
from ..analysis.finding import Evidence, Finding
from ..analysis.matcher import FileAnalysis, RuleSelection, analyze_document
from ..analysis.suppress import UNUSED_RULE_ID, UNUSED_RULE_NAME, apply_suppressions
from ..project.checks import dependency_matches, project_findings
from ..project.facts import FileContribution, ProjectFacts
from ..project.manifests import Dependency, is_manifest, read_manifest
from ..rules.compiler import CompiledPack, CompiledRule, load_pack
from .config import Config, resolve_inside


@attrs.define
class FileResult:
    """One file's contribution: its own findings (before suppressions) and its facts."""

    analysis: FileAnalysis
    dependencies: list[Dependency] = attrs.field(factory=list)
    document: Document | None = None

    @property
    def path(self) -> str:
        return self.analysis.path

    def contribution(self) -> FileContribution:
        a = self.analysis
        return FileContribution(a.path, a.language, a.loc, a.evidence, self.dependencies, a.is_backend)


def _token_matches(token: str, rule_id: str, name: str, section: str) -> bool:
    return token in (rule_id, name, section) or (token.isupper() and rule_id.startswith(token))


class Analyzer:
    def __init__(self, root: Path, config: Config | None = None, pack: CompiledPack | None = None) -> None:
        self.root = root
        self.config = config or Config()
        if pack is None:
            extra = [resolve_inside(root, d, "rules") for d in self.config.rules]
            pack = load_pack(extra_rule_dirs=extra)
        self.pack = pack
        self._selection: tuple[Config, dict[str, bool]] | None = None
        self._filters: dict[str, tuple[Config, CompiledPack, RuleSelection]] = {}

    # -- selection ---------------------------------------------------------------------------
    def selected(self, rule: CompiledRule) -> bool:
        # Asked for every rule of every file; the answer only changes with the config (the
        # ignore/select token scan cost 0.5 s per 100k LOC with a long --ignore list).
        memo = self._selection
        if memo is None or memo[0] is not self.config:
            memo = self._selection = (self.config, {})
        answer = memo[1].get(rule.id)
        if answer is None:
            answer = memo[1][rule.id] = self._selected(rule)
        return answer

    def _findings_only(self, rule: CompiledRule) -> bool:
        return not rule.is_probe and self.selected(rule)

    def _probes_only(self, rule: CompiledRule) -> bool:
        return rule.is_probe and self.selected(rule)

    def _selected(self, rule: CompiledRule) -> bool:
        if rule.is_probe and rule.rule.enabled:
            # Probes show nothing; they record the facts that project checks and the report
            # read. `--select RES080` must still see the health-endpoint evidence, so an enabled
            # probe always runs unless it is ignored by its own id or name.
            return not any(t in (rule.id, rule.rule.name) for t in self.config.ignore)
        return self.selected_id(rule.id, rule.rule.name, rule.rule.section, rule.rule.enabled)

    def selected_id(self, rule_id: str, name: str, section: str, enabled: bool = True) -> bool:
        cfg = self.config
        if any(_token_matches(t, rule_id, name, section) for t in cfg.ignore):
            return False
        if cfg.select:
            explicit = any(t in (rule_id, name) for t in cfg.select)
            if not enabled:
                return explicit
            return explicit or any(_token_matches(t, rule_id, name, section) for t in cfg.select)
        return enabled

    def _adjust(self, findings: Iterable[Finding]) -> list[Finding]:
        out = []
        overrides = self.config.severity
        for f in findings:
            if f.rule == UNUSED_RULE_ID and not self.selected_id(UNUSED_RULE_ID, UNUSED_RULE_NAME, "config"):
                continue
            sev = overrides.get(f.rule) or overrides.get(f.name)
            out.append(attrs.evolve(f, severity=sev) if sev is not None else f)
        return out

    def _filter(self, part: str) -> RuleSelection:
        """The rule filter of one part, rebuilt when the config or the pack changes."""
        found = self._filters.get(part)
        if found is None or found[0] is not self.config or found[1] is not self.pack:
            test = {"findings": self._findings_only, "probes": self._probes_only}.get(part, self.selected)
            found = self._filters[part] = (self.config, self.pack, RuleSelection(test))
        return found[2]

    # -- per file ----------------------------------------------------------------------------
    def analyze_file(self, doc: Document, part: str = "all") -> FileResult:
        """Analyse one document (pure: no other file is read).

        ``part`` splits the work for the editor: ``findings`` runs only the rules that report
        problems (what the user waits for after a keystroke), ``probes`` only the evidence
        probes (facts for project checks, run when typing pauses); ``all`` runs both."""
        analysis = analyze_document(doc, self.pack, self._filter(part))
        deps: list[Dependency] = []
        if part != "probes" and is_manifest(doc.path):
            deps = read_manifest(doc.path, doc.text)
            found, evidence = dependency_matches(
                self.pack, doc.path, deps, lambda line: len(doc.line_text(line)), self.selected
            )
            analysis.findings.extend(found)
            analysis.evidence.extend(evidence)
        return FileResult(analysis, deps, doc)

    # -- project -----------------------------------------------------------------------------
    def project(self, results: Iterable[FileResult], other_files: Iterable[str] = ()) -> tuple[ProjectFacts, list[Finding]]:
        facts = ProjectFacts.merge((r.contribution() for r in results), other_files)
        findings, evidence = project_findings(self.pack, facts, self.selected)
        for e in evidence:
            facts.evidence[e.fact].append(e)
        return facts, findings

    def finalize(self, result: FileResult, project_findings: Iterable[Finding] = ()) -> list[Finding]:
        """The findings to show for a file: its own plus project findings anchored on it,
        with suppressions applied, unused suppressions reported, and severities adjusted."""
        findings = list(result.analysis.findings) + [f for f in project_findings if f.path == result.path]
        doc = result.document
        if doc is not None and result.analysis.suppressions:
            for s in result.analysis.suppressions:
                s.used.clear()
            findings = apply_suppressions(doc, findings, result.analysis.suppressions)
        return sorted(self._adjust(findings), key=lambda f: f.sort_key)

    def evidence(self, facts: ProjectFacts) -> dict[str, list[Evidence]]:
        return dict(facts.evidence)
