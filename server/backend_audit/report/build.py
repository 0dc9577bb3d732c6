"""The report model: the audit filled in from a scan, as one JSON-able dict.

Every template (Markdown, HTML, a user's own) and the JSON format render this one model, so
the formats cannot disagree. The model is built in three steps:

1. evidence: the scan's facts, plus what the report itself derives from the workspace (system
   name, primary language, architecture style, versions, coverage/load/SLO/CI data files);
2. scoring: each checklist item gets a status (yes, partial, no, n/a, unknown) with evidence,
   and each section a level from the maturity model, capped by open findings, with what it
   takes to reach the next level;
3. tables: the audit's tables, each cell filled from evidence or saying why it cannot be.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pathspec

from .. import __version__
from ..analysis.finding import Evidence, Finding
from ..engine.scan import ScanResult
from ..rules.model import SECTION_KEYS, ChecklistItem, RuleKind, Severity
from ..syntax.languages import LANGUAGES, family_of, language_for_path
from .codemap import FileMap, ModuleGraph, build_graph, is_test_path, layer_of, map_file, mermaid, svg
from .datafiles import WorkspaceData, read_workspace_data
from .maturity import MaturityModel
from .stack import (
    VersionData,
    find_role,
    gap_status,
    language_version,
    primary_language,
    role_version,
    system_name,
    version_gap,
)

NOT_STATIC = "not statically determinable"
SEV_ORDER = ["Critical", "High", "Medium", "Low", "Info"]
FAMILY_TITLES = {"python": "Python", "javascript": "JavaScript/TypeScript", "java": "Java", "go": "Go", "csharp": "C#", "ruby": "Ruby"}


def loc(e: Evidence | dict) -> str:
    """``path:line`` with a 1-based line, as editors show it."""
    if isinstance(e, dict):
        path, line = e.get("path"), e.get("line")
    else:
        path, line = e.path, e.line
    if not path:
        return "(project)"
    return f"{path}:{line + 1}" if line is not None else path


def ev_json(e: Evidence) -> dict[str, Any]:
    out = e.to_json()
    out["location"] = loc(e)
    return out


class ReportBuilder:
    def __init__(self, result: ScanResult, model: MaturityModel, versions: VersionData, previous: dict | None = None,
                 now: _dt.datetime | None = None) -> None:
        self.result = result
        self.model = model
        self.versions = versions
        self.previous = previous
        self.now = now or _dt.datetime.now(_dt.UTC)
        self.pack = result.pack
        self.facts = result.facts
        self.root = result.root
        self.evidence: dict[str, list[Evidence]] = defaultdict(list)
        for fact, items in self.facts.evidence.items():
            self.evidence[fact].extend(items)
        self.rule_checklist: dict[str, str | None] = {r.id: r.rule.checklist for r in self.pack.rules}
        self.rule_impact: dict[str, str] = {r.id: r.rule.impact for r in self.pack.rules}
        self.rule_rationale: dict[str, str] = {r.id: r.rule.rationale for r in self.pack.rules}
        self.rule_fix: dict[str, str | None] = {r.id: (r.rule.fix.title if r.rule.fix else None) for r in self.pack.rules}
        # Facts the analyser can produce: probes, dependency roles, and what the report derives.
        selected = result.analyzer.selected
        self.detectable: set[str] = {r.rule.fact for r in self.pack.rules if r.rule.kind is RuleKind.PROBE and r.rule.fact and selected(r)}
        self.detectable |= {role.fact for role in model.roles if role.fact}
        self.detectable |= {"architecture-style", "primary-language", "language-version", "framework-version",
                            "coverage-report", "ci-config", "slo-definitions"}
        self.finding_rules = {r.id for r in self.pack.rules if r.rule.kind is RuleKind.FINDING}
        self.findings = [f for f in result.findings if f.rule in self.rule_checklist or f.section in SECTION_KEYS]

    # -- evidence ------------------------------------------------------------------------------
    def _add(self, e: Evidence) -> None:
        bucket = self.evidence[e.fact]
        if not any(x.path == e.path and x.line == e.line for x in bucket):
            bucket.append(e)

    def derive(self) -> None:
        root, facts = self.root, self.facts
        self.name, self.name_evidence = system_name(root, facts)
        # The primary language is the backend's: a bundled frontend (the pack's not-backend
        # globs) does not make a Python service a TypeScript one.
        backend_loc: Counter[str] = Counter()
        for fr in self.result.results.values():
            if fr.analysis.language and fr.analysis.is_backend:
                backend_loc[fr.analysis.language] += fr.analysis.loc
        self.family, self.loc_by_family = primary_language(backend_loc or facts.loc_by_language)
        total = sum(self.loc_by_family.values()) or 1
        if self.family:
            biggest = max((f for f in facts.files if _family(f) == self.family), key=lambda f: self._loc(f), default=None)
            self._add(Evidence("primary-language", biggest, 0 if biggest else None,
                               f"{FAMILY_TITLES.get(self.family, self.family)}: {self.loc_by_family[self.family]} of {total} lines of code"))
        self.lang_version, lv_ev = language_version(root, facts, self.family)
        if lv_ev:
            self._add(lv_ev)
        self.data: WorkspaceData = read_workspace_data(root, facts.files)
        for e in self.data.evidence:
            self._add(e)
        # Dependencies that play a known role are evidence for that role's fact.
        self.roles: dict[str, Any] = {}
        for role in self.model.roles:
            dep = find_role(facts, role.packages)
            self.roles[role.key] = dep
            if dep is not None and role.fact:
                self._add(Evidence(role.fact, dep.path, dep.line, f"declared dependency {dep.name} {dep.spec}".strip()))
        # Code map: functions, imports, module graph.
        self.maps: list[FileMap] = []
        for path, fr in self.result.results.items():
            lang = fr.analysis.language
            spec = LANGUAGES.get(lang or "")
            if spec is None or not spec.has_grammar:
                continue
            doc = fr.document
            tree = source = None
            if doc is not None:
                tree, source = doc.tree, doc.source
            else:
                try:
                    source = (root / path).read_bytes()
                except OSError:
                    continue
                from ..syntax.languages import parser_for

                tree = parser_for(spec.name).parse(source)
            if tree is None:
                continue
            fmap = map_file(path, spec.name, tree, source)
            if fmap is not None:
                self.maps.append(fmap)
        self.graph: ModuleGraph = build_graph(self.maps, facts.files, root)
        # Layers recognised from directory names are evidence of a service and a data layer.
        for m in self.maps:
            if is_test_path(m.path) or m.path.endswith("__init__.py") or not m.functions:
                continue
            found = layer_of(m.path)
            if found and found[0] == "service" and len(self.evidence.get("service-layer", [])) < 5:
                self._add(Evidence("service-layer", m.path, m.functions[0].line, "module in the service layer (directory name)"))
            elif found and found[0] == "data" and m.path.split("/")[-2].lower() in ("repositories", "repository", "repo", "repos", "dao", "daos", "store", "stores", "persistence") \
                    and len(self.evidence.get("repository-layer", [])) < 5:
                self._add(Evidence("repository-layer", m.path, m.functions[0].line, "module in the data-access layer (directory name)"))
        self.style, style_ev = self._architecture_style()
        for e in style_ev:
            self._add(e)
        # Framework version, judged against the dated data.
        self.framework_dep = self.roles.get("framework")
        self.framework_gap = None
        if self.framework_dep is not None:
            version, source_dep = role_version(facts, self.framework_dep, self.versions)
            entry = self.versions.entry_for(self.framework_dep.name)
            self.framework_version = version
            self.framework_gap = version_gap(version, entry)
            if version:
                self._add(Evidence("framework-version", source_dep.path, source_dep.line, f"{self.framework_dep.name} {version}"))
        else:
            self.framework_version = None
        runtime = self.model.languages.get(self.family or "", {}).get("runtime") if self.family else None
        self.language_entry = self.versions.entry_for(runtime) if runtime else None
        self.language_gap = version_gap(self.lang_version, self.language_entry) if self.lang_version else None

    def _loc(self, path: str) -> int:
        fr = self.result.results.get(path)
        return fr.analysis.loc if fr else 0

    def _architecture_style(self) -> tuple[str, list[Evidence]]:
        files = self.facts.files
        ev: list[Evidence] = []
        serverless = [f for f in files if f.rsplit("/", 1)[-1] in ("serverless.yml", "serverless.yaml", "template.yaml", "host.json", "vercel.json", "netlify.toml")]
        not_backend = pathspec.GitIgnoreSpec.from_lines(self.pack.header.relevance.not_backend)
        dockerfiles = [f for f in files if f.rsplit("/", 1)[-1].startswith("Dockerfile") and not not_backend.match_file(f)
                       and not is_test_path(f)]
        service_dirs = {f.rsplit("/", 1)[0] if "/" in f else "" for f in dockerfiles}
        if serverless and not self.roles.get("framework"):
            ev = [Evidence("architecture-style", f, 0, "serverless deployment descriptor") for f in serverless[:3]]
            return "Serverless", ev
        if len(service_dirs) >= 2:
            ev = [Evidence("architecture-style", f, 0, "separately built service") for f in dockerfiles[:5]]
            return f"Microservices ({len(service_dirs)} separately built services)", ev
        layered = Counter()
        layer_files: dict[str, str] = {}
        for m in self.maps:
            if is_test_path(m.path) or m.path.endswith("__init__.py"):
                continue
            found = layer_of(m.path)
            if found:
                layered[found[0]] += 1
                layer_files.setdefault(found[0], m.path)
        modules = self._feature_modules()
        if len(modules) >= 3:
            ev = [Evidence("architecture-style", path, 0, f"feature module {name}") for name, path in modules[:5]]
            return f"Modular monolith ({len(modules)} feature modules)", ev
        if len(layered) >= 2:
            ev = [Evidence("architecture-style", path, 0, f"{layer} layer") for layer, path in sorted(layer_files.items())]
            return f"Layered monolith ({', '.join(sorted(layered))} layers)", ev
        if not self.maps:
            return "unknown (no source files)", []
        entry = next((f for f in files if f.rsplit("/", 1)[-1] in ("main.py", "app.py", "server.ts", "server.js", "main.go", "main.ts", "Program.cs", "app.js")), None)
        if entry:
            return "Monolithic", [Evidence("architecture-style", entry, 0, "single entry point, no layering found")]
        if self.evidence.get("architecture-style"):
            return "Monolithic", []
        return "not determinable (no layers, services or entry point found)", []

    def _feature_modules(self) -> list[tuple[str, str]]:
        """Feature modules: Django apps (apps.py), Nest modules (*.module.ts), Go/Java packages
        that each hold their own handler and data layers."""
        out = []
        for f in sorted(self.facts.files):
            base = f.rsplit("/", 1)[-1]
            if is_test_path(f):
                continue
            if base == "apps.py" or (base.endswith(".module.ts") and base != "app.module.ts"):
                out.append((f.rsplit("/", 2)[-2] if "/" in f else base, f))
        return out

    # -- scoring -------------------------------------------------------------------------------
    def _na(self, section: str, item: str) -> str | None:
        key = f"{section}.{item}"
        total_loc = sum(self.loc_by_family.values())
        for rule in self.model.not_applicable:
            if key not in rule.items:
                continue
            if rule.languages and (self.family or "") not in rule.languages:
                continue
            if rule.max_loc is not None and total_loc > rule.max_loc:
                continue
            if rule.min_loc is not None and total_loc < rule.min_loc:
                continue
            if rule.facts and not any(self.evidence.get(f) for f in rule.facts):
                continue
            if rule.unless_facts and any(self.evidence.get(f) for f in rule.unless_facts):
                continue
            return rule.reason
        return None

    def item_status(self, section: str, item: ChecklistItem, by_item: dict[str, list[Finding]]) -> dict[str, Any]:
        key = f"{section}.{item.key}"
        linked = by_item.get(key, [])
        out: dict[str, Any] = {"item": item.key, "title": item.title, "status": "unknown", "evidence": [], "reason": "",
                               "findings": sorted({f.rule for f in linked})}
        if not item.static:
            out["reason"] = f"{NOT_STATIC}: {item.reason or 'no reason given'}"
            return out
        na = self._na(section, item.key)
        if na:
            out.update(status="n/a", reason=na)
            return out
        worst = max((f.severity.rank for f in linked), default=-1)
        if item.facts:
            # Tests show how the code is used, not what it provides: a test that calls /health
            # is no health endpoint. Only the Testing section takes evidence from test files.
            def usable(e: Evidence) -> bool:
                return section == "testing" or not e.path or not is_test_path(e.path)

            present = [f for f in item.facts if any(usable(e) for e in self.evidence.get(f, []))]
            evidence = [e for f in item.facts for e in self.evidence.get(f, []) if usable(e)]
            out["evidence"] = [ev_json(e) for e in evidence[:8]]
            out["evidence_count"] = len(evidence)
            how = self.model.combine.get(key, "any")
            if not present:
                detectable = [f for f in item.facts if f in self.detectable]
                if not detectable:
                    out.update(status="unknown", reason=f"{NOT_STATIC} yet: no detector in the rule pack for {', '.join(item.facts)}")
                else:
                    out.update(status="no", reason=f"no evidence found for {', '.join(item.facts)}")
            elif how == "all" and len(present) < len(item.facts):
                missing = [f for f in item.facts if f not in present]
                out.update(status="partial", reason=f"no evidence for {', '.join(missing)}")
            else:
                out["status"] = "yes"
            if out["status"] == "yes" and worst >= Severity.MEDIUM.rank:
                out.update(status="partial", reason=f"open findings: {', '.join(out['findings'])}")
        else:
            detectors = sorted(r.id for r in self.pack.rules
                               if r.rule.checklist == key and r.rule.kind is RuleKind.FINDING and self.result.analyzer.selected(r))
            if not detectors:
                out.update(status="unknown", reason=f"{NOT_STATIC} yet: no rule in the pack checks this item")
            elif worst >= Severity.HIGH.rank:
                out.update(status="no", reason=f"open findings: {', '.join(out['findings'])}")
            elif worst >= Severity.MEDIUM.rank:
                out.update(status="partial", reason=f"open findings: {', '.join(out['findings'])}")
            else:
                out.update(status="yes", reason=f"no open findings from {', '.join(detectors)}")
        self._override(section, item.key, out)
        return out

    def _override(self, section: str, item: str, out: dict[str, Any]) -> None:
        """Items whose status needs more than presence: versions against the dated data,
        unit tests against measured coverage, the test pyramid against test counts."""
        key = f"{section}.{item}"
        if key == "framework.framework-version" and self.framework_dep is not None and out["status"] != "n/a":
            gap = self.framework_gap
            status = gap_status(gap) if gap else "unknown"
            out["status"] = status
            out["reason"] = f"{self.framework_dep.name} {self.framework_version or '?'}: {gap.text if gap else 'unknown'}"
            if status == "unknown":
                out["reason"] = f"latest release unknown: {out['reason']}"
        elif key == "framework.language-version" and self.lang_version:
            gap = self.language_gap
            status = gap_status(gap) if gap else "unknown"
            out["status"] = status
            out["reason"] = f"{self.lang_version}: {gap.text if gap else 'unknown (no data)'}"
        elif key == "testing.unit-tests":
            cov = self.data.line_coverage
            if cov is not None:
                out["status"] = "yes" if cov.value >= 80 else "partial" if cov.value >= 50 else "no"
                out["reason"] = f"measured coverage {cov.value}% ({cov.detail}, {cov.where})"
                out["evidence"] = [{"fact": "coverage-report", "path": cov.path, "line": cov.line, "detail": cov.detail, "rule": None, "location": cov.where}] + out["evidence"]
            elif out["status"] == "yes":
                out["status"] = "partial"
                out["reason"] = "tests found, coverage not measured: no coverage report (coverage.xml, lcov.info, jacoco.xml, coverage.out) in the workspace"
        elif key == "testing.test-pyramid" and out["status"] in ("yes", "partial"):
            counts = {k: len({e.path for e in self.evidence.get(k, []) if e.path and is_test_path(e.path)})
                      for k in ("integration-tests", "e2e-tests")}
            test_files = sum(1 for f in self.result.files if is_test_path(f) and _family(f))
            counts["unit-tests"] = max(0, test_files - counts["integration-tests"] - counts["e2e-tests"])
            ok = counts["unit-tests"] > counts["integration-tests"] > counts["e2e-tests"] > 0
            out["status"] = "yes" if ok else "partial"
            out["reason"] = f"test files: {counts['unit-tests']} unit, {counts['integration-tests']} integration, {counts['e2e-tests']} e2e"

    def score_section(self, section: str, findings: list[Finding]) -> dict[str, Any]:
        spec = next(s for s in self.pack.sections if s.key == section)
        by_item: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            ck = self.rule_checklist.get(f.rule)
            if ck and ck.startswith(section + "."):
                by_item[ck].append(f)
        checklist = [self.item_status(section, item, by_item) for item in spec.checklist]
        status_of = {c["item"]: c for c in checklist}
        level = 1
        failed_at: dict[int, list] = {}
        for lvl in range(2, 6):
            checks = self.model.levels.get(section, {}).get(lvl, ())
            fails = [c for c in checks if not c.passes(status_of[c.item]["status"])]
            failed_at[lvl] = fails
            if level == lvl - 1 and not fails:
                level = lvl
        uncapped = level
        sec_findings = [f for f in findings if f.section == section]
        caps = []
        for f in sec_findings:
            cap = self.model.cap_for(f.severity)
            if cap is not None and cap < uncapped:
                caps.append((cap, f))
        if caps:
            level = min(level, min(c for c, _ in caps))
        passed, failed = [], []
        for lvl, check in self.model.checks_up_to(section, 5):
            entry = status_of[check.item]
            record = {"level": lvl, "item": check.item, "title": entry["title"], "status": entry["status"], "min": check.min,
                      "evidence": list(dict.fromkeys(e["location"] for e in entry["evidence"]))[:3], "reason": entry["reason"]}
            (passed if check.passes(entry["status"]) else failed).append(record)
        next_level = []
        if level < 5:
            target = level + 1
            for lvl in range(2, target + 1):
                for check in failed_at.get(lvl, []):
                    entry = status_of[check.item]
                    need = "at least partly in place" if check.min == "partial" else "in place"
                    why = entry["reason"] or f"status {entry['status']}"
                    next_level.append(f"{_short(entry['title'])}: needs to be {need} ({why})")
            cap_needed = [(c, f) for c, f in caps if c < target]
            by_rule: dict[str, list[Finding]] = defaultdict(list)
            for _, f in cap_needed:
                by_rule[f.rule].append(f)
            for rule, fs in sorted(by_rule.items()):
                where = ", ".join(loc_of(f) for f in fs[:3]) + (" …" if len(fs) > 3 else "")
                next_level.append(
                    f"Fix {len(fs)} open {fs[0].severity.value} finding(s) {rule} {fs[0].name} ({where}): "
                    f"an open {fs[0].severity.value} finding caps the section at level {self.model.cap_for(fs[0].severity)}"
                )
        return {
            "checklist": checklist,
            "level": level,
            "uncapped_level": uncapped,
            "passed": passed,
            "failed": failed,
            "capped_by": [{"rule": f.rule, "severity": f.severity.value, "cap": c, "location": loc_of(f), "message": f.message}
                          for c, f in sorted(caps, key=lambda x: (x[0], x[1].sort_key))],
            "next_level": next_level,
            "findings": sec_findings,
        }

    # -- assembly ------------------------------------------------------------------------------
    def build(self) -> dict[str, Any]:
        self.derive()
        sections: dict[str, Any] = {}
        for spec in self.pack.sections:
            scored = self.score_section(spec.key, self.findings)
            sections[spec.key] = self._section_model(spec.key, spec.title, scored)
        weights = self.model.weights
        total_w = sum(weights.get(k, 1.0) for k in sections) or 1.0
        score = round(sum(sections[k]["level"] * weights.get(k, 1.0) for k in sections) / total_w, 1)
        level = max(1, min(5, math.floor(score + 1e-9)))
        overall = {"score": score, "level": level}
        by_sev = Counter(f.severity.value for f in self.findings)
        report: dict[str, Any] = {
            "version": __version__,
            "root": str(self.root),
            "generated": self.now.replace(microsecond=0).isoformat(),
            "overall": overall,
            "sections": sections,
        }
        report["system"] = self._system()
        report["summary"] = self._summary(overall, sections, by_sev)
        report["rubric"] = {str(k): v for k, v in sorted(self.model.rubric.items(), reverse=True)}
        report["findings_by_severity"] = {s: by_sev[s] for s in SEV_ORDER if by_sev[s]}
        report["recommendations"] = self._recommendations(level, sections)
        report["roadmap"] = self._roadmap(sections)
        report["success_criteria"] = self._success_criteria()
        report["risks"] = self._risks(sections)
        report["training"] = self._training(sections)
        report["appendix"] = self._appendix()
        report["data_files"] = {
            "coverage": [m.to_json() for m in self.data.coverage],
            "load_tests": {k: m.to_json() for k, m in self.data.load.items()},
            "slos": [m.to_json() for m in self.data.slos],
            "ci": [ev_json(e) for e in self.data.ci],
        }
        report["versions_data"] = {"source": self.versions.source, "checked": self.versions.checked}
        report["scan"] = {"files": len(self.result.files), "skipped": len(self.result.skipped), "rules": len(self.pack.rules),
                          "rule_errors": len(self.pack.errors)}
        report["change"] = _change(self.previous, report)
        for key, sec in sections.items():
            sec["change"] = report["change"]["sections"].get(key) if report["change"] else None
        return report

    def _section_model(self, key: str, title: str, scored: dict[str, Any]) -> dict[str, Any]:
        findings: list[Finding] = scored["findings"]
        rows = []
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            by_rule[f.rule].append(f)
        current = scored["level"]
        for rule, fs in sorted(by_rule.items(), key=lambda kv: (-kv[1][0].severity.rank, kv[0])):
            rows.append({
                "rule": rule,
                "name": fs[0].name,
                "message": fs[0].message,
                "severity": fs[0].severity.value,
                "impact": self.rule_impact.get(rule) or "",
                "count": len(fs),
                "locations": [loc_of(f) for f in fs[:5]],
                "current_level": current,
                "recommended_level": self._opens(key, rule, fs[0].severity, current),
            })
        return {
            "title": title,
            "level": scored["level"],
            "uncapped_level": scored["uncapped_level"],
            "checklist": scored["checklist"],
            "passed": scored["passed"],
            "failed": scored["failed"],
            "capped_by": scored["capped_by"],
            "next_level": scored["next_level"],
            "findings": [f.to_json() for f in findings],
            "finding_rows": rows,
            "tables": self._tables(key, {c["item"]: c for c in scored["checklist"]}, findings),
        }

    def _opens(self, section: str, rule: str, severity: Severity, current: int) -> int:
        """The level that fixing a finding opens: the first level above the current one that
        its severity's cap or its checklist item stands in the way of; else the current level."""
        candidates = []
        cap = self.model.cap_for(severity)
        if cap is not None:
            candidates.append(cap + 1)
        sec, _, item = (self.rule_checklist.get(rule) or "").partition(".")
        if sec == section and severity.rank >= Severity.MEDIUM.rank:
            candidates.extend(lvl for lvl, checks in self.model.levels.get(section, {}).items() if any(c.item == item for c in checks))
        above = [c for c in candidates if current < c <= 5]
        return min(above) if above else current

    def _system(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "name_evidence": loc(self.name_evidence) if self.name_evidence else "directory name (no manifest declares a name)",
            "date": self.now.date().isoformat(),
            "auditor": f"backend-audit {__version__}",
            "primary_language": FAMILY_TITLES.get(self.family or "", self.family or "unknown (no source files)"),
            "language_loc": {FAMILY_TITLES.get(k, k): v for k, v in self.loc_by_family.items()},
            "architecture_style": self.style,
            "architecture_evidence": [loc(e) + (f" ({e.detail})" if e.detail else "") for e in self.evidence.get("architecture-style", [])[:5]],
        }

    def _summary(self, overall: dict, sections: dict, by_sev: Counter) -> dict[str, Any]:
        level = overall["level"]
        rubric = self.model.rubric
        weakest = sorted(sections.items(), key=lambda kv: (kv[1]["level"], kv[0]))[:3]
        current = f"Level {level}: {rubric.get(level, '')}. Weakest areas: " + ", ".join(f"{s['title']} (level {s['level']})" for _, s in weakest)
        if level < 5:
            target = f"Level {level + 1}: {rubric.get(level + 1, '')}"
        else:
            target = "Level 5: keep it there"
        rec = self.model.recommendations.get(level, {})
        priority = rec.get("priority", "Low")
        basis = f"the audit's priority for moving from level {level}" if level < 5 else "level 5 reached"
        for sev in ("Critical", "High"):
            if by_sev.get(sev) and SEV_ORDER.index(sev) < SEV_ORDER.index(priority):
                priority, basis = sev, f"{by_sev[sev]} open {sev} finding(s)"
                break
        failing = sum(len(s["next_level"]) for s in sections.values())
        effort = (f"{rec.get('timeline', 'ongoing')} (the audit's estimate for {rec.get('title', 'the next level')}); "
                  f"{failing} item(s) across the sections stand between the current and the next level") if level < 5 else "Ongoing"
        justification = [f"{s['title']}: level {s['level']}" + (f" (capped from {s['uncapped_level']} by open findings)" if s["capped_by"] else "")
                         for s in sections.values()]
        evidence = []
        for s in sections.values():
            for p in s["passed"]:
                if p["evidence"] and len(evidence) < 4:
                    evidence.append(f"{s['title']}: {_short(p['title'])}: {', '.join(p['evidence'][:2])}")
                    break
        for s in sections.values():
            for c in s["capped_by"][:1]:
                if len(evidence) < 8:
                    evidence.append(f"{s['title']}: {c['severity']} {c['rule']} at {c['location']} caps the level at {c['cap']}")
        return {"current_state": current, "target_state": target, "priority": priority, "priority_basis": basis,
                "effort": effort, "justification": justification, "evidence": evidence}

    def _recommendations(self, level: int, sections: dict) -> dict[str, Any]:
        rec = self.model.recommendations.get(level)
        actions = []
        for s in sections.values():
            for step in s["next_level"]:
                actions.append(f"{s['title']} (level {s['level']} → {s['level'] + 1}): {step}")
        return {"current_level": level, "guidance": rec, "all": [self.model.recommendations[k] for k in sorted(self.model.recommendations)],
                "actions": actions}

    def _done(self, cond: Any, sections: dict) -> tuple[bool, str]:
        if cond == "always":
            return True, "this audit"
        if cond == "never":
            return False, NOT_STATIC
        if "levels" in cond:
            ok = all(sections[k]["level"] >= v for k, v in cond["levels"].items())
            return ok, "; ".join(f"{sections[k]['title']} level {sections[k]['level']} (needs {v})" for k, v in cond["levels"].items())
        need = cond.get("min", "yes")
        rank = {"yes": 2, "partial": 1}
        states = []
        ok = True
        for key in cond.get("items", []):
            sec, _, item = key.partition(".")
            entry = next(c for c in sections[sec]["checklist"] if c["item"] == item)
            st = entry["status"]
            good = rank.get(st, 0) >= rank[need]
            ok = ok and good
            where = entry["evidence"][0]["location"] if entry["evidence"] else ""
            states.append(f"{_short(entry['title'])}: {st}" + (f" ({where})" if where else ""))
        return ok, "; ".join(states)

    def _roadmap(self, sections: dict) -> list[dict[str, Any]]:
        out = []
        for phase in self.model.roadmap:
            items = []
            for it in phase.items:
                done, basis = self._done(it.done, sections)
                items.append({"title": it.title, "done": done, "basis": it.reason or basis})
            out.append({"phase": phase.phase, "outcome": phase.outcome, "items": items})
        return out

    def _success_criteria(self) -> list[dict[str, str]]:
        d = self.data
        p95 = d.load.get("p95_ms")
        cov = d.line_coverage
        slo = d.slos[0] if d.slos else None
        ci = d.ci[0] if d.ci else None
        return [
            {"metric": "Response Time (P95)", "current": f"{p95.value} ms ({p95.where})" if p95 else f"{NOT_STATIC}: needs load-test results (k6, locust, JMeter)",
             "target": "<200ms", "timeline": "6 months"},
            {"metric": "Test Coverage", "current": f"{cov.value}% ({cov.where})" if cov else f"{NOT_STATIC}: no coverage report in the workspace",
             "target": "80%", "timeline": "6 months"},
            {"metric": "Deployment Frequency", "current": f"{NOT_STATIC}" + (f"; CI pipeline at {loc(ci)}" if ci else "; no CI configuration found"),
             "target": "Daily", "timeline": "6 months"},
            {"metric": "MTTR", "current": f"{NOT_STATIC}: incident data lives outside the code", "target": "<1 hour", "timeline": "6 months"},
            {"metric": "Uptime", "current": (f"{NOT_STATIC}; SLO target {slo.value}% defined ({slo.where})" if slo else f"{NOT_STATIC}: no SLO file in the workspace"),
             "target": "99.9%", "timeline": "12 months"},
        ]

    def _risks(self, sections: dict) -> list[dict[str, str]]:
        rows = []
        for s in sections.values():
            for r in s["finding_rows"]:
                if r["severity"] in ("Critical", "High"):
                    rows.append({
                        "risk": f"{r['rule']} {r['message']} ({', '.join(r['locations'][:2])})",
                        "likelihood": f"present now ({r['count']}\u00d7)",
                        "impact": r["severity"] + (f": {r['impact']}" if r["impact"] else ""),
                        "mitigation": self.rule_fix.get(r["rule"]) or (self.rule_rationale.get(r["rule"]) or "").strip().split(". ")[0] or "fix the finding",
                    })
        if not {"framework", "testing", "architecture"} <= set(sections):
            return rows  # another pack: only its own findings
        fw = sections["framework"]
        tst = sections["testing"]
        generic = [
            ("Framework migration breaks features", "High" if tst["level"] <= 2 else "Medium", "High", "Phased migration, comprehensive testing",
             f"testing at level {tst['level']}"),
            ("Performance regression", "Medium" if not self.data.load else "Low", "High", "Performance testing in CI, monitoring",
             "load-test results present" if self.data.load else "no load-test results in the workspace"),
            ("Increased complexity", "Medium", "Medium", "Clear documentation, training", f"architecture at level {sections['architecture']['level']}"),
            ("Team learning curve", "High" if fw["level"] <= 2 else "Medium", "Medium", "Training, pair programming", f"framework at level {fw['level']}"),
        ]
        for risk, likelihood, impact, mitigation, basis in generic:
            rows.append({"risk": f"{risk} (from the audit template; basis: {basis})", "likelihood": likelihood, "impact": impact, "mitigation": mitigation})
        return rows

    def _training(self, sections: dict) -> list[dict[str, str]]:
        if not {"framework", "design", "architecture", "scalability"} <= set(sections):
            return []
        fw, des, arc, scl = (sections[k] for k in ("framework", "design", "architecture", "scalability"))
        def need(sec: dict, why: str) -> str:
            return f"indicated: {sec['title']} at level {sec['level']}" + (f"; {why}" if why else "") if sec["level"] <= 3 else f"not indicated: {sec['title']} at level {sec['level']}"
        gap = self.framework_gap.text if self.framework_gap else ""
        return [
            {"title": "Modern framework training", "basis": need(fw, f"framework {gap}" if gap else "")},
            {"title": "Design patterns workshop", "basis": need(des, "")},
            {"title": "Microservices architecture", "basis": need(arc, self.style)},
            {"title": "Performance optimization", "basis": need(scl, "")},
        ]

    def _appendix(self) -> dict[str, Any]:
        g = self.graph
        fns = [fn for m in self.maps for fn in m.functions]
        files_by_lang: Counter[str] = Counter()
        loc_by_lang: Counter[str] = Counter()
        for fr in self.result.results.values():
            lang = fr.analysis.language
            spec = LANGUAGES.get(lang or "")
            if spec is None or not spec.has_grammar:
                continue
            name = FAMILY_TITLES.get(family_of(spec.name), spec.name) if spec.name not in ("typescript", "tsx") else "TypeScript"
            if spec.name == "javascript":
                name = "JavaScript"
            files_by_lang[name] += 1
            loc_by_lang[name] += fr.analysis.loc
        largest = sorted(((fr.analysis.loc, p) for p, fr in self.result.results.items()
                          if LANGUAGES.get(fr.analysis.language or "") and LANGUAGES[fr.analysis.language].has_grammar), key=lambda x: (-x[0], x[1]))[:10]
        lengths = sorted(fn.length for fn in fns)
        cxs = sorted(fn.complexity for fn in fns)

        def pct(values: list[int], q: float) -> int:
            return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))] if values else 0

        return {
            "graph": g.to_json(),
            "mermaid": mermaid(g) if g.nodes else "",
            "svg": svg(g) if g.nodes else "",
            "cycles": [{"modules": c} for c in g.cycles[:20]],
            "violations": [{"location": f"{e.source}:{e.line + 1}", "from": e.source, "to": e.target, "from_layer": a, "to_layer": b}
                           for e, a, b in g.violations[:50]],
            "metrics": {
                "languages": [{"language": k, "files": files_by_lang[k], "loc": loc_by_lang[k]} for k in sorted(files_by_lang, key=lambda k: -loc_by_lang[k])],
                "total_files": sum(files_by_lang.values()),
                "total_loc": sum(loc_by_lang.values()),
                "largest_files": [{"path": p, "loc": n} for n, p in largest],
                "functions": len(fns),
                "function_length": {"mean": round(sum(lengths) / len(lengths), 1) if lengths else 0, "p90": pct(lengths, 0.9), "max": lengths[-1] if lengths else 0,
                                    "over_50": sum(1 for x in lengths if x > 50)},
                "complexity": {"mean": round(sum(cxs) / len(cxs), 1) if cxs else 0, "p90": pct(cxs, 0.9), "max": cxs[-1] if cxs else 0,
                               "over_10": sum(1 for x in cxs if x > 10)},
                "most_complex": [{"location": f"{fn.path}:{fn.line + 1}", "name": fn.name, "complexity": fn.complexity, "length": fn.length}
                                 for fn in sorted(fns, key=lambda f: (-f.complexity, f.path, f.line))[:10]],
                "longest": [{"location": f"{fn.path}:{fn.line + 1}", "name": fn.name, "complexity": fn.complexity, "length": fn.length}
                            for fn in sorted(fns, key=lambda f: (-f.length, f.path, f.line))[:10]],
            },
            "performance": [m.to_json() | {"location": m.where} for m in self.data.load.values()],
        }

    # -- tables --------------------------------------------------------------------------------
    def _tables(self, key: str, items: dict[str, dict], findings: list[Finding]) -> list[dict[str, Any]]:
        builder = getattr(self, f"_table_{key}", None)
        return builder(items, findings) if builder else []

    def _cells(self, items: dict[str, dict], keys: list[str], findings: list[Finding], section: str) -> tuple[str, str, str, str]:
        """(implementation, quality, issues, recommendation) for a row answered by items."""
        entries = [items[k] for k in keys if k in items]
        ev = [e for c in entries for e in c["evidence"]]
        impl = "; ".join(dict.fromkeys(f"{_detail(e)} ({e['location']})" for e in ev[:3])) or _absent(entries)
        rules = {r for c in entries for r in c["findings"]}
        related = [f for f in findings if f.rule in rules]
        issues = _issue_text(related)
        quality = _quality(entries, related)
        missing = [c for c in entries if c["status"] in ("no", "partial")]
        if related:
            rec = f"fix {', '.join(sorted(rules))}"
        elif missing:
            rec = "add " + "; ".join(_short(c["title"]).lower() for c in missing)
        elif any(c["status"] == "unknown" for c in entries):
            rec = "verify by review (not statically determinable)"
        else:
            rec = "keep"
        return impl, quality, issues, rec

    def _table_architecture(self, items, findings):
        rows = []
        style_ev = ", ".join(e.path for e in self.evidence.get("architecture-style", [])[:3] if e.path)
        _, q, iss, rec = self._cells(items, ["architecture-style", "separation-of-concerns"], findings, "architecture")
        rows.append(["Architecture Style", f"{self.style}" + (f" ({style_ev})" if style_ev else ""), q, iss, rec])
        for label, keys in (("Service Boundaries", ["service-boundaries", "separation-of-concerns"]),
                            ("Communication Pattern", ["inter-service-communication", "event-driven", "async-processing"])):
            impl, q, iss, rec = self._cells(items, keys, findings, "architecture")
            rows.append([label, impl, q, iss, rec])
        g = self.graph
        layers_seen = sorted({layer for layer in g.layers.values()}, key=lambda n: -next(r for name, r, _ in _layers() if name == n))
        flow = " → ".join(layers_seen) if layers_seen else "no layers recognisable from directory names"
        issues = []
        if g.cycles:
            issues.append(f"{len(g.cycles)} import cycle(s)")
        if g.violations:
            issues.append(f"{len(g.violations)} layer violation(s), e.g. {g.violations[0][0].source}:{g.violations[0][0].line + 1}")
        rows.append(["Data Flow", f"{flow}; {len(g.file_edges)} internal imports between {g.files} modules", "n/d",
                     "; ".join(issues) or "no import cycles or layer violations", "see the dependency graph in the appendix"])
        return [{"title": "Current Architecture", "columns": ["Component", "Implementation", "Quality (1-5)", "Issues", "Recommendations"], "rows": rows}]

    def _table_framework(self, items, findings):
        rows = []
        members = {lang: n for lang, n in self.facts.loc_by_language.items() if self.family and _family_of_lang(lang) == self.family}
        dominant = max(sorted(members), key=lambda k: members[k]) if members else self.family or ""
        dominant = "typescript" if dominant == "tsx" else dominant
        lang_name = (self.model.languages.get(dominant, {}).get("name") or self.model.languages.get(self.family or "", {}).get("name")
                     or FAMILY_TITLES.get(self.family or "", "unknown"))
        lv = self.lang_version
        entry = self.language_entry
        latest = str(entry["latest"]) if entry and entry.get("latest") else "unknown (no data)"
        gap = self.language_gap
        lv_ev = self.evidence.get("language-version", [])
        rows.append(["Language", lang_name, f"{lv} ({loc(lv_ev[0])})" if lv and lv_ev else (lv or "not declared"), latest,
                     gap.text if gap else "unknown (no version declared)", _gap_word(gap_status(gap)) if gap else "unknown"])
        for label, role in (("Framework", "framework"), ("ORM", "orm"), ("HTTP Client", "http-client"), ("Testing Framework", "testing")):
            dep = self.roles.get(role)
            if dep is None:
                fact = next((r.fact for r in self.model.roles if r.key == role), None)
                found = [e for e in self.evidence.get(fact or "", []) if e.path and not is_test_path(e.path)] if role != "testing" \
                    else self.evidence.get(fact or "", [])
                if found:
                    rows.append([label, f"{found[0].detail or fact} ({loc(found[0])}), no declared dependency",
                                 "n/a (standard library or undeclared)", "n/a", "n/a", "in use"])
                else:
                    rows.append([label, "none found in the manifests or the code", "n/a", "n/a", "n/a", "absent"])
                continue
            version, source_dep = role_version(self.facts, dep, self.versions)
            entry = self.versions.entry_for(dep.name)
            latest = str(entry["latest"]) if entry and entry.get("latest") else "unknown (no data)"
            gap = version_gap(version, entry)
            rows.append([label, f"{dep.name} ({dep.path}:{dep.line + 1})", f"{version} ({source_dep.path}:{source_dep.line + 1})" if version else "not pinned",
                         latest, gap.text, _gap_word(gap_status(gap))])
        note = f"Latest versions from {self.versions.source}, checked {self.versions.checked}." if self.versions.source else "Latest versions: unknown (no data/versions.yaml in the rule pack)."
        return [{"title": "Technology Stack", "columns": ["Component", "Technology", "Current Version", "Latest Version", "Gap", "Status"], "rows": rows, "note": note}]

    def _table_design(self, items, findings):
        m = self._appendix_metrics_cache()
        rows = [["SOLID Principles", f"proxy: {m['over_50']} function(s) over 50 lines, {m['over_10']} with complexity over 10, of {m['functions']}",
                 "n/d", f"{NOT_STATIC} (judgement on intent)", "review the longest and most complex functions (appendix)"]]
        for label, keys in (("Pattern Usage", ["design-patterns", "dependency-injection", "repository-pattern", "service-layer"]),
                            ("Code Organization", ["code-organization", "service-layer", "dtos"]),
                            ("Error Handling", ["error-handling"]), ("Configuration Mgmt", ["configuration-management", "feature-flags"])):
            impl, q, iss, rec = self._cells(items, keys, findings, "design")
            rows.append([label, impl, q, iss, rec])
        return [{"title": "Code Quality Assessment", "columns": ["Aspect", "Current State", "Quality (1-5)", "Issues", "Recommendations"], "rows": rows,
                 "note": QUALITY_NOTE}]

    def _appendix_metrics_cache(self) -> dict[str, int]:
        fns = [fn for mm in self.maps for fn in mm.functions]
        return {"functions": len(fns), "over_50": sum(1 for f in fns if f.length > 50), "over_10": sum(1 for f in fns if f.complexity > 10)}

    def _table_scalability(self, items, findings):
        d = self.data
        def row(label, key, target, unit_note=""):
            m = d.load.get(key) if key else None
            if m:
                return [label, f"{m.value} {m.unit}", target, "measured", f"{m.detail} ({m.where})"]
            why = "needs load-test results (k6 --summary-export, locust *_stats.csv, JMeter .jtl)" if key else "needs runtime monitoring data"
            return [label, NOT_STATIC, target, "unknown", why]
        rows = [row("Response Time (P95)", "p95_ms", "<200ms"), row("Throughput (req/sec)", "throughput_rps", "n/a (no target in the audit)"),
                row("Error Rate", "error_rate_pct", "<0.1%"), row("Concurrent Users", "concurrent_users", "n/a (no target in the audit)"),
                row("Memory Usage", None, "<80%"), row("CPU Usage", None, "<70%")]
        p95 = d.load.get("p95_ms")
        if p95:
            rows[0][3] = "meets target" if p95.value < 200 else "misses target"
        err = d.load.get("error_rate_pct")
        if err:
            rows[2][3] = "meets target" if err.value < 0.1 else "misses target"
        return [{"title": "Performance Metrics", "columns": ["Metric", "Current", "Target", "Status", "Notes"], "rows": rows}]

    def _table_data(self, items, findings):
        rows = []
        for label, keys in (("Repository Pattern", ["database-abstraction", "orm-usage"]), ("Transaction Mgmt", ["transactions"]),
                            ("Query Optimization", ["query-optimization", "loading-strategy", "pagination"]), ("Caching Strategy", ["caching"])):
            impl, q, iss, rec = self._cells(items, keys, findings, "data")
            rows.append([label, impl, q, iss, rec])
        return [{"title": "Data Access Patterns", "columns": ["Pattern", "Implementation", "Quality (1-5)", "Issues", "Recommendations"], "rows": rows, "note": QUALITY_NOTE}]

    def _table_testing(self, items, findings):
        cov = self.data.line_coverage
        test_files = [f for f in self.result.files if is_test_path(f) and LANGUAGES.get((language_for_path(f) or _NOSPEC).name, _NOSPEC).has_grammar]
        src_files = [f for f in self.result.files if not is_test_path(f) and LANGUAGES.get((language_for_path(f) or _NOSPEC).name, _NOSPEC).has_grammar]
        if cov:
            unit = [f"{cov.value}% ({cov.where})", "80%", "meets target" if cov.value >= 80 else "below target", cov.detail]
        else:
            unit = [f"{NOT_STATIC}; proxy: {len(test_files)} test file(s) for {len(src_files)} source file(s)", "80%", "unknown",
                    "no coverage report (coverage.xml, lcov.info, jacoco.xml, coverage.out) in the workspace"]
        rows = [["Unit Tests", *unit]]
        for label, key, target in (("Integration Tests", "integration-tests", "Key paths"), ("E2E Tests", "e2e-tests", "Critical flows"),
                                   ("Contract Tests", "contract-tests", "All APIs"), ("Performance Tests", "load-tests", "Monthly")):
            c = items.get(key)
            ev = c["evidence"] if c else []
            files = sorted({e["path"] for e in ev if e.get("path")})
            status = _status_word(c["status"]) if c else "unknown"
            cov_text = f"{len(files)} file(s), e.g. {ev[0]['location']}" if ev else (NOT_STATIC if not c or c["status"] == "unknown" else "none found")
            note = c["reason"] if c and c["reason"] else ("frequency not statically determinable" if key == "load-tests" and ev else "")
            rows.append([label, cov_text, target, status, note or "from static evidence"])
        return [{"title": "Test Coverage", "columns": ["Test Type", "Coverage", "Target", "Status", "Notes"], "rows": rows}]

    def _table_resilience(self, items, findings):
        rows = []
        for label, key in (("Retry Logic", "retry-logic"), ("Circuit Breaker", "circuit-breakers"), ("Timeout", "timeouts"),
                           ("Bulkhead", "bulkheads"), ("Fallback", "graceful-degradation")):
            impl, q, iss, _rec = self._cells(items, [key], findings, "resilience")
            c = items[key]
            rows.append([label, f"{_status_word(c['status'])}: {impl}", q, iss if iss != "none" else (c["reason"] or "no open findings")])
        return [{"title": "Resilience Patterns", "columns": ["Pattern", "Implemented", "Quality (1-5)", "Notes"], "rows": rows, "note": QUALITY_NOTE}]

    def _table_config(self, items, findings):
        rows = []
        for label, keys in (("Storage", ["externalized-config", "twelve-factor"]), ("Secrets Mgmt", ["secrets-management", "no-secrets-in-code"]),
                            ("Environment Mgmt", ["environment-configs"]), ("Validation", ["config-validation"])):
            impl, q, iss, rec = self._cells(items, keys, findings, "config")
            rows.append([label, impl, q, iss, rec])
        return [{"title": "Configuration Management", "columns": ["Aspect", "Current Approach", "Quality (1-5)", "Issues", "Recommendations"], "rows": rows, "note": QUALITY_NOTE}]

    def _table_observability(self, items, findings):
        rows = []
        for label, keys, role in (("Logging", ["structured-logging", "centralized-logging"], "logging"), ("Metrics", ["metrics"], "metrics"),
                                  ("Tracing", ["tracing"], "tracing"), ("APM", ["apm"], "apm"), ("Alerting", ["alerting"], "alerting")):
            entries = [items[k] for k in keys]
            dep = self.roles.get(role)
            tech = f"{dep.name} ({dep.path}:{dep.line + 1})" if dep else (_detail(entries[0]["evidence"][0]) if entries[0]["evidence"] else "none found")
            ev = [e for c in entries for e in c["evidence"]]
            files = {e["path"] for e in ev if e.get("path")}
            status = "; ".join(f"{_short(c['title'])}: {c['status']}" for c in entries)
            notes = "; ".join(dict.fromkeys(c["reason"] for c in entries if c["reason"])) or ("e.g. " + ev[0]["location"] if ev else "")
            rows.append([label, tech, status, f"{len(files)} file(s)" if files else "none", notes or "from static evidence"])
        return [{"title": "Observability Stack", "columns": ["Component", "Technology", "Status", "Coverage", "Notes"], "rows": rows}]


class _NoSpec:
    name = ""
    has_grammar = False


_NOSPEC = _NoSpec()

QUALITY_NOTE = ("Quality (1-5) is derived from the evidence, not judged: 4 = in place with no open findings of Medium or above, "
                "3 = in place with Medium findings, 2 = partial or with High/Critical findings, 1 = absent, n/d = not determinable.")


def _layers():
    from .codemap import LAYERS

    return LAYERS


def _family_of_lang(lang: str) -> str | None:
    spec = LANGUAGES.get(lang)
    return family_of(lang) if spec and spec.has_grammar else None


def _family(path: str) -> str | None:
    spec = language_for_path(path)
    return family_of(spec.name) if spec and spec.has_grammar else None


def _short(title: str) -> str:
    """A checklist title up to its first ':' or '(' ("Health checks endpoint")."""
    for sep in (":", " ("):
        if sep in title:
            title = title.split(sep, 1)[0]
    return title.strip()


def _detail(e: dict) -> str:
    return e.get("detail") or e.get("fact") or "evidence"


def _absent(entries: list[dict]) -> str:
    if not entries:
        return "n/a"
    if all(c["status"] == "unknown" for c in entries):
        return NOT_STATIC
    if all(c["status"] == "n/a" for c in entries):
        return "n/a: " + entries[0]["reason"]
    return "none found"


def _quality(entries: list[dict], related: list[Finding]) -> str:
    statuses = {c["status"] for c in entries}
    if not entries or statuses <= {"unknown"}:
        return "n/d"
    if statuses <= {"n/a"}:
        return "n/a"
    worst = max((f.severity.rank for f in related), default=-1)
    if "yes" in statuses and "no" not in statuses and "partial" not in statuses:
        return "4" if worst < Severity.MEDIUM.rank else "3" if worst < Severity.HIGH.rank else "2"
    if "yes" in statuses or "partial" in statuses:
        return "2"
    return "1"


def _issue_text(related: list[Finding]) -> str:
    if not related:
        return "none"
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in related:
        by_rule[f.rule].append(f)
    return "; ".join(f"{r} {fs[0].severity.value} \u00d7{len(fs)} ({loc_of(fs[0])})" for r, fs in sorted(by_rule.items()))


def _status_word(status: str) -> str:
    return {"yes": "present", "partial": "partial", "no": "absent", "n/a": "n/a", "unknown": "unknown"}.get(status, status)


def _gap_word(status: str) -> str:
    return {"yes": "current", "partial": "maintained (1-2 behind)", "no": "outdated (3+ behind or end-of-life)"}.get(status, "unknown")


def loc_of(f: Finding) -> str:
    return f"{f.path}:{f.range.start.line + 1}" if f.path else "(project)"


def _change(previous: dict | None, report: dict) -> dict[str, Any] | None:
    """Differences from the previous report's JSON (same contract), per section."""
    if not previous or not isinstance(previous.get("sections"), dict):
        return None
    prev_overall = previous.get("overall") or {}
    out: dict[str, Any] = {"previous_generated": previous.get("generated"), "sections": {}}
    if isinstance(prev_overall.get("score"), int | float):
        delta = round(report["overall"]["score"] - prev_overall["score"], 1)
        out["overall"] = f"score {prev_overall['score']} → {report['overall']['score']} ({delta:+.1f})"
    for key, sec in report["sections"].items():
        old = previous["sections"].get(key)
        if not isinstance(old, dict):
            continue
        parts = []
        if old.get("level") != sec["level"]:
            parts.append(f"level {old.get('level')} → {sec['level']}")
        else:
            parts.append(f"level unchanged at {sec['level']}")
        old_status = {c.get("item"): c.get("status") for c in old.get("checklist") or [] if isinstance(c, dict)}
        improved = [c["item"] for c in sec["checklist"] if old_status.get(c["item"]) not in (None, "yes") and c["status"] == "yes"]
        regressed = [c["item"] for c in sec["checklist"] if old_status.get(c["item"]) == "yes" and c["status"] != "yes"]
        if improved:
            parts.append("now in place: " + ", ".join(improved))
        if regressed:
            parts.append("no longer in place: " + ", ".join(regressed))
        n_old, n_new = len(old.get("findings") or []), len(sec["findings"])
        if n_old != n_new:
            parts.append(f"findings {n_old} → {n_new}")
        out["sections"][key] = "; ".join(parts)
    return out


def build_report(result: ScanResult, model: MaturityModel, versions: VersionData, previous: dict | None = None,
                 now: _dt.datetime | None = None) -> dict[str, Any]:
    return ReportBuilder(result, model, versions, previous, now).build()


def default_versions(data_dir: Path | None) -> VersionData:
    from .stack import load_versions

    return load_versions(data_dir)
