"""Rule tests as data: every rule's `examples` run through the real analyzer.

Each case lands in one bucket, as ast-grep's `verify` does: validated, noisy (a false
positive: an ``ok`` example was flagged), missing (a false negative), a snippet that does not
parse cleanly (a test that never reaches the rule proves nothing), or a fix whose result is not
the expected text or does not parse.
"""

from __future__ import annotations

import attrs

from ..analysis.document import Document
from ..analysis.finding import Finding, TextEdit
from ..rules.compiler import CompiledPack, CompiledRule
from ..rules.model import Example
from ..syntax.languages import LANGUAGES
from .analyzer import Analyzer, FileResult
from .config import Config

DEFAULT_PATHS = {
    "python": "app/example.py",
    "javascript": "src/example.js",
    "typescript": "src/example.ts",
    "tsx": "src/example.tsx",
    "java": "src/main/java/com/example/Example.java",
    "go": "internal/app/example.go",
    "csharp": "src/Example.cs",
    "ruby": "app/models/example.rb",
    "dotenv": ".env",
    "properties": "src/main/resources/application.properties",
    "yaml": "config/application.yml",
    "dockerfile": "Dockerfile",
    "toml": "pyproject.toml",
    "ini": "setup.cfg",
    "json": "package.json",
    "xml": "pom.xml",
    "gradle": "build.gradle",
    "requirements": "requirements.txt",
    "gomod": "go.mod",
}


@attrs.define
class CaseResult:
    rule: str
    kind: str
    """flagged or ok."""
    index: int
    status: str
    """validated, noisy, missing, parse-error, fix-mismatch, fix-unparseable."""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "validated"


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits (UTF-16 ranges) to a text, last first."""
    doc = Document("x", text)
    source = doc.source
    spans = sorted(((doc.offset(e.range.start), doc.offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        source = source[:start] + new.encode("utf-8") + source[end:]
    return source.decode("utf-8")


def _example_docs(rule: CompiledRule, ex: Example) -> list[Document]:
    if ex.files:
        return [Document(path, content) for path, content in ex.files.items()]
    language = ex.language or (rule.languages[0] if rule.languages else "python")
    path = ex.path or DEFAULT_PATHS.get(language, f"example.{language}")
    return [Document(path, ex.code, LANGUAGES.get(language))]


def _run(analyzer: Analyzer, rule: CompiledRule, docs: list[Document]) -> tuple[list[Finding], int, list[FileResult]]:
    results = [analyzer.analyze_file(d) for d in docs]
    facts, project = analyzer.project(results)
    findings: list[Finding] = []
    for r in results:
        findings.extend(f for f in analyzer.finalize(r, project) if f.rule == rule.id)
    findings.extend(f for f in project if f.rule == rule.id and f.path is None)
    evidence = sum(1 for ev in facts.evidence.get(rule.rule.fact or "", []) if ev.rule == rule.id)
    return findings, evidence, results


def run_rule_cases(pack: CompiledPack, rule: CompiledRule) -> list[CaseResult]:
    analyzer = Analyzer(pack.root or __import__("pathlib").Path("."), Config(select=[rule.id]), pack)
    out: list[CaseResult] = []
    r = rule.rule
    if not r.examples.flagged or not r.examples.ok:
        out.append(CaseResult(r.id, "flagged" if not r.examples.flagged else "ok", 0, "missing", "the rule needs both flagged and ok examples"))
    for kind, examples in (("flagged", r.examples.flagged), ("ok", r.examples.ok)):
        for index, ex in enumerate(examples):
            docs = _example_docs(rule, ex)
            bad = [d.path for d in docs if d.tree is not None and d.tree.root_node.has_error]
            if bad:
                out.append(CaseResult(r.id, kind, index, "parse-error", f"snippet does not parse cleanly: {', '.join(bad)}"))
                continue
            findings, evidence, _ = _run(analyzer, rule, docs)
            hits = evidence if rule.is_probe else len(findings)
            if kind == "ok":
                status = "validated" if hits == 0 else "noisy"
                detail = "" if hits == 0 else "; ".join(f"{f.path}:{f.range.start.line + 1} {f.message}" for f in findings) or f"{hits} evidence"
                out.append(CaseResult(r.id, kind, index, status, detail))
                continue
            expected = ex.count
            if hits == 0 or (expected is not None and hits != expected):
                want = f"{expected}" if expected is not None else "at least 1"
                out.append(CaseResult(r.id, kind, index, "missing", f"expected {want} match(es), got {hits}"))
                continue
            if ex.fixed is not None:
                fixes = [f.fix for f in findings if f.fix is not None]
                if not fixes:
                    out.append(CaseResult(r.id, kind, index, "fix-mismatch", "a fixed text is given but no fix was produced"))
                    continue
                result_text = apply_edits(docs[0].text, list(fixes[0].edits))
                if result_text != ex.fixed:
                    out.append(CaseResult(r.id, kind, index, "fix-mismatch", f"fix produced:\n{result_text}"))
                    continue
                fixed_doc = Document(docs[0].path, result_text, docs[0].language)
                if fixed_doc.tree is not None and fixed_doc.tree.root_node.has_error:
                    out.append(CaseResult(r.id, kind, index, "fix-unparseable", result_text))
                    continue
            elif r.fix is not None:
                # Every fix must leave the file parseable, even where no expected text is given.
                for f in findings:
                    if f.fix is None:
                        continue
                    result_text = apply_edits(docs[0].text, list(f.fix.edits))
                    fixed_doc = Document(docs[0].path, result_text, docs[0].language)
                    if fixed_doc.tree is not None and fixed_doc.tree.root_node.has_error:
                        out.append(CaseResult(r.id, kind, index, "fix-unparseable", result_text))
                        break
                else:
                    out.append(CaseResult(r.id, kind, index, "validated"))
                continue
            out.append(CaseResult(r.id, kind, index, "validated"))
    return out


def run_pack_cases(pack: CompiledPack, only: set[str] | None = None) -> list[CaseResult]:
    results: list[CaseResult] = []
    for rule in pack.rules:
        if only and rule.id not in only and rule.rule.name not in only:
            continue
        results.extend(run_rule_cases(pack, rule))
    return results
