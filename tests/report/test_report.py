"""Golden tests of the audit report: structure on real workspaces, a normalised snapshot on a
fixed probe set, capability removal, data files, previous-report changes, and refusals.

The structural tests run the real, growing pack and assert what must hold whatever rules are
added: every heading and table of the audit, a status for every checklist item, no template
leftovers, `[ ]` only as real boxes, no empty table cells. The snapshot test selects only this
directory's probes (RES9xx), so it changes only when the report changes. Regenerate it with
``BACKEND_AUDIT_UPDATE_GOLDEN=1 pytest tests/report``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from backend_audit.engine.config import Config, ConfigError, ReportConfig, load_config
from backend_audit.report import ReportError, ReportResult, cli_report, generate_report, produce
from backend_audit.report.render import render
from backend_audit.rules.compiler import CompiledPack, load_pack
from backend_audit.rules.model import SECTION_KEYS

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "rules" / "backend-infrastructure"
WORKSPACES = REPO / "tests" / "fixtures" / "workspaces"
PROBES = Path(__file__).parent / "rules"
GOLDEN = Path(__file__).parent / "golden"
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
UPDATE = os.environ.get("BACKEND_AUDIT_UPDATE_GOLDEN") == "1"

# Every heading of the audit (spec/backend-infrastructure-audit.md), in order.
SPEC_HEADINGS = [
    "# Backend Infrastructure Audit", "## System Information", "## Executive Summary", "## Maturity Level Assessment",
    "### Scoring Rubric", "### Current Maturity Score:", "## Detailed Assessment Areas",
    "### 1. Architecture Style & Design", "#### Current Architecture", "### 2. Framework & Technology Stack", "#### Technology Stack",
    "### 3. Design Patterns & Code Organization", "#### Code Quality Assessment", "### 4. Scalability & Performance",
    "#### Performance Metrics", "### 5. Data Access & Persistence", "#### Data Access Patterns", "### 6. Testing", "#### Test Coverage",
    "### 7. Error Handling & Resilience", "#### Resilience Patterns", "### 8. Configuration & Secrets Management",
    "#### Configuration Management", "### 9. Monitoring & Observability", "#### Observability Stack",
    "### 10. API Documentation & Contracts", "## Recommendations by Maturity Level",
    "### From Level 1 to Level 2 (Basic Structure)", "### From Level 2 to Level 3 (Standardization)",
    "### From Level 3 to Level 4 (Modernization)", "### From Level 4 to Level 5 (Excellence)", "## Modernization Roadmap",
    "### Phase 1: Foundation (Months 1-3)", "### Phase 2: Structure (Months 4-6)", "### Phase 3: Scale (Months 7-12)",
    "### Phase 4: Excellence (Months 13-18)", "## Resource Requirements", "### Team & Skills Needed", "### Budget Considerations",
    "### Training Needs", "## Success Criteria", "### Metrics to Track", "### Key Results", "## Risks & Mitigation", "## Appendix",
    "### Architecture Diagrams", "### Code Metrics", "### Performance Test Results", "### Interview Notes",
]
# The first column of every row of the audit's tables, by table.
SPEC_ROWS = {
    "Current Architecture": ["Architecture Style", "Service Boundaries", "Communication Pattern", "Data Flow"],
    "Technology Stack": ["Language", "Framework", "ORM", "HTTP Client", "Testing Framework"],
    "Code Quality Assessment": ["SOLID Principles", "Pattern Usage", "Code Organization", "Error Handling", "Configuration Mgmt"],
    "Performance Metrics": ["Response Time (P95)", "Throughput (req/sec)", "Error Rate", "Concurrent Users", "Memory Usage", "CPU Usage"],
    "Data Access Patterns": ["Repository Pattern", "Transaction Mgmt", "Query Optimization", "Caching Strategy"],
    "Test Coverage": ["Unit Tests", "Integration Tests", "E2E Tests", "Contract Tests", "Performance Tests"],
    "Resilience Patterns": ["Retry Logic", "Circuit Breaker", "Timeout", "Bulkhead", "Fallback"],
    "Configuration Management": ["Storage", "Secrets Mgmt", "Environment Mgmt", "Validation"],
    "Observability Stack": ["Logging", "Metrics", "Tracing", "APM", "Alerting"],
}
STATUSES = {"yes", "partial", "no", "n/a", "unknown"}

GOLDEN_WORKSPACES = {
    "orders-service": REPO / "examples" / "orders-service",
    "express-api": WORKSPACES / "express-api",
    "spring-orders": WORKSPACES / "spring-orders",
    "go-inventory": WORKSPACES / "go-inventory",
    "django-shop": WORKSPACES / "django-shop",
}

_cache: dict[str, tuple[dict, str, str]] = {}


def _report(name: str) -> tuple[dict, str, str]:
    """(model, markdown, html) of a workspace, built once per test session."""
    if name not in _cache:
        root = GOLDEN_WORKSPACES[name]
        result = produce(root, load_config(root), "json", None, write=False, now=NOW)
        templates = PACK / "templates"
        _cache[name] = (result.report, render(result.report, "markdown", templates), render(result.report, "html", templates))
    return _cache[name]


def _tables(markdown: str) -> list[tuple[str, list[list[str]]]]:
    """(heading above, rows) of every Markdown table; rows split on unescaped pipes."""
    out = []
    heading = ""
    current: list[list[str]] | None = None
    for line in markdown.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if current is None:
                current = []
                out.append((heading, current))
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        else:
            current = None
    return out


@pytest.mark.parametrize("name", list(GOLDEN_WORKSPACES))
def test_markdown_has_every_heading_and_table_of_the_audit(name: str) -> None:
    _, md, _ = _report(name)
    position = 0
    for heading in SPEC_HEADINGS:
        found = md.find("\n" + heading, position) if position else md.find(heading)
        assert found >= 0, f"{heading!r} missing or out of order"
        position = found + 1
    tables = dict(_tables(md))
    for title, rows in SPEC_ROWS.items():
        assert title in tables, f"table {title} missing"
        first_column = [r[0] for r in tables[title][1:]]
        assert first_column == rows, f"{title}: rows {first_column}"
    assert md.count("#### Findings") == 10
    assert md.count("#### Checklist") == 10


@pytest.mark.parametrize("name", list(GOLDEN_WORKSPACES))
def test_no_placeholders_no_empty_cells_and_only_real_boxes(name: str) -> None:
    _, md, _ = _report(name)
    assert "{{" not in md and "{%" not in md and "None" not in md.replace("NoneType", "")
    for heading, rows in _tables(md):
        width = len(rows[0])
        for row in rows:
            assert len(row) == width, f"{heading}: ragged row {row}"
            assert all(cell for cell in row), f"{heading}: empty cell in {row}"
    for line in md.splitlines():
        if "[ ]" in line or "[x]" in line:
            # A box is a checklist/roadmap/training item, or one of the tick rows.
            assert re.match(r"^\s*- \[[ x]\] \S", line) or line.startswith(("**Current State**", "- Priority Level:")), line
    assert "[ ] / 5" not in md
    current_state = [line for line in md.splitlines() if line.startswith("**Current State**")]
    assert len(current_state) == 10 and all(line.count("[x]") == 1 for line in current_state)


@pytest.mark.parametrize("name", list(GOLDEN_WORKSPACES))
def test_json_follows_the_contract(name: str) -> None:
    model, _, _ = _report(name)
    doc = json.loads(json.dumps(model))
    assert {"version", "root", "generated", "overall", "sections"} <= set(doc)
    assert isinstance(doc["overall"]["score"], float) and doc["overall"]["level"] in range(1, 6)
    assert list(doc["sections"]) == list(SECTION_KEYS)
    pack = load_pack(PACK)
    for section in pack.sections:
        sec = doc["sections"][section.key]
        assert {"title", "level", "checklist", "findings", "next_level"} <= set(sec)
        assert sec["title"] == section.title and sec["level"] in range(1, 6)
        assert [c["item"] for c in sec["checklist"]] == [i.key for i in section.checklist]
        for c in sec["checklist"]:
            assert c["status"] in STATUSES
            assert isinstance(c["evidence"], list)
            if c["status"] in ("no", "n/a", "unknown", "partial"):
                assert c["reason"], f"{section.key}.{c['item']} has no reason"
            for e in c["evidence"]:
                assert e["path"] is None or not e["path"].startswith("/")
        if sec["level"] < 5:
            assert sec["next_level"], f"{section.key}: level {sec['level']} with nothing to reach the next"
        for f in sec["findings"]:
            assert f["section"] == section.key


@pytest.mark.parametrize("name", list(GOLDEN_WORKSPACES))
def test_evidence_points_at_real_lines(name: str) -> None:
    model, _, _ = _report(name)
    root = GOLDEN_WORKSPACES[name]
    for sec in model["sections"].values():
        for c in sec["checklist"]:
            for e in c["evidence"]:
                if e["path"]:
                    lines = (root / e["path"]).read_text(encoding="utf-8", errors="replace").splitlines()
                    assert 0 <= e["line"] < max(1, len(lines)), e


def test_html_is_self_contained() -> None:
    _, _, html = _report("orders-service")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    assert "<svg" in html and "{{" not in html
    for key in SECTION_KEYS:
        assert f'id="{key}"' in html


def test_example_report_content() -> None:
    """What the demo backend's report must say, whatever rules are added: its name from the
    manifest, Python, the layered style, FastAPI behind in the stack table, the graph."""
    model, md, _ = _report("orders-service")
    s = model["system"]
    assert s["name"] == "orders-service" and s["name_evidence"] == "pyproject.toml:6"
    assert s["primary_language"] == "Python"
    assert s["architecture_style"].startswith("Layered monolith")
    assert s["auditor"].startswith("backend-audit ")
    stack = dict((r[0], r) for r in _tables(md) and dict(_tables(md))["Technology Stack"][1:])
    assert stack["Framework"][1].startswith("fastapi (pyproject.toml:")
    assert stack["Framework"][2].startswith("0.95.2")
    assert "```mermaid\ngraph LR" in md
    graph = model["appendix"]["graph"]
    assert any(a.startswith("app/api") and b.startswith("app/services") for a, b in graph["edges"])
    metrics = model["appendix"]["metrics"]
    assert metrics["languages"][0]["language"] == "Python" and metrics["functions"] > 20
    worst = metrics["most_complex"][0]
    assert worst["complexity"] >= 3 and re.match(r"app/.+\.py:\d+$", worst["location"])


# -- a fixed probe set: capability removal and the snapshot ------------------------------------


def _probe_pack(tmp_path: Path, extra: dict[str, str] | None = None) -> CompiledPack:
    """The real pack's header, maturity model, templates and data with only this directory's
    probes as rules: the tests then score a fixed set of facts while the real pack grows."""
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("pack.yaml", "maturity.yaml"):
        shutil.copy(PACK / name, pack / name)
    for name in ("templates", "data"):
        if (PACK / name).is_dir():
            shutil.copytree(PACK / name, pack / name)
    shutil.copytree(PROBES, pack / "test")
    for name, text in (extra or {}).items():
        (pack / "test" / name).write_text(text, encoding="utf-8")
    compiled = load_pack(pack)
    assert not compiled.errors, compiled.errors
    return compiled


def _workspace_with_probes(tmp_path: Path, fixture: str = "express-api") -> Path:
    root = tmp_path / fixture
    shutil.copytree(WORKSPACES / fixture, root)
    return root


def _produce(root: Path, pack: CompiledPack, fmt: str = "json", output: str | None = None, write: bool = False) -> ReportResult:
    return produce(root, load_config(root), fmt, output, write=write, now=NOW, pack=pack)


def test_removing_the_health_endpoint_lowers_the_level_and_says_why(tmp_path: Path) -> None:
    root = _workspace_with_probes(tmp_path)
    pack = _probe_pack(tmp_path)
    before = _produce(root, pack).report["sections"]["resilience"]
    assert before["level"] == 3, before["next_level"]
    health = next(c for c in before["checklist"] if c["item"] == "health-checks")
    assert health["status"] == "yes" and health["evidence"][0]["location"] == "src/app.ts:20"
    assert not any("Health checks" in step for step in before["next_level"])

    app = root / "src" / "app.ts"
    lines = app.read_text(encoding="utf-8").splitlines(keepends=True)
    assert "'/health'" in lines[19]
    app.write_text("".join(lines[:19] + lines[27:]), encoding="utf-8")

    after = _produce(root, pack).report["sections"]["resilience"]
    assert after["level"] == 2
    health = next(c for c in after["checklist"] if c["item"] == "health-checks")
    assert health["status"] == "no" and health["evidence"] == []
    assert any(step.startswith("Health checks endpoint: needs to be in place") for step in after["next_level"])
    assert not any("Health checks" in step for step in before["next_level"])


def test_snapshot_with_the_fixed_probe_set(tmp_path: Path) -> None:
    """The JSON model on a fixed probe set, normalised (root path, dates, version data)."""
    root = _workspace_with_probes(tmp_path)
    report = _produce(root, _probe_pack(tmp_path)).report
    snapshot = {
        "overall": report["overall"],
        "system": {k: report["system"][k] for k in ("name", "name_evidence", "primary_language", "architecture_style")},
        "sections": {
            key: {
                "level": sec["level"],
                "checklist": [[c["item"], c["status"], [e["location"] for e in c["evidence"]]] for c in sec["checklist"]],
                "next_level": sec["next_level"],
            }
            for key, sec in report["sections"].items()
            if key in ("resilience", "architecture")
        },
        "graph": report["appendix"]["graph"],
        "metrics": {k: report["appendix"]["metrics"][k] for k in ("languages", "functions", "function_length", "complexity")},
    }
    path = GOLDEN / "express-api.resilience.json"
    text = json.dumps(snapshot, indent=1, sort_keys=True) + "\n"
    if UPDATE or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), "snapshot changed: BACKEND_AUDIT_UPDATE_GOLDEN=1 to accept"


# -- data files, caps, previous report ---------------------------------------------------------


def test_measured_data_is_used_and_cited(tmp_path: Path) -> None:
    root = _workspace_with_probes(tmp_path)
    (root / "coverage").mkdir()
    (root / "coverage" / "lcov.info").write_text("SF:src/app.ts\nLF:200\nLH:170\nend_of_record\n", encoding="utf-8")
    (root / "load").mkdir()
    (root / "load" / "k6-summary.json").write_text(json.dumps({"metrics": {
        "http_req_duration": {"avg": 80.1, "p(95)": 182.5}, "http_reqs": {"count": 6000, "rate": 100.2},
        "http_req_failed": {"rate": 0.0005}, "vus_max": {"value": 50}}}), encoding="utf-8")
    (root / "slo.yaml").write_text("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: api}\nspec:\n  objectives:\n    - target: 0.999\n", encoding="utf-8")
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs:\n  t:\n    steps:\n      - run: npm test\n", encoding="utf-8")
    result = _produce(root, _probe_pack(tmp_path), "markdown")
    md, model = result.text, result.report
    unit = next(c for c in model["sections"]["testing"]["checklist"] if c["item"] == "unit-tests")
    assert unit["status"] == "yes" and "85.0%" in unit["reason"] and "coverage/lcov.info:1" in unit["reason"]
    perf = dict((r[0], r) for r in dict(_tables(md))["Performance Metrics"][1:])
    assert perf["Response Time (P95)"][1] == "182.5 ms" and perf["Response Time (P95)"][3] == "meets target"
    assert "load/k6-summary.json" in perf["Response Time (P95)"][4]
    assert perf["Memory Usage"][1] == "not statically determinable"
    criteria = dict((r[0], r) for r in dict(_tables(md))["Metrics to Track"][1:])
    assert criteria["Test Coverage"][1] == "85.0% (coverage/lcov.info:1)"
    assert "SLO target 99.9% defined (slo.yaml:6)" in criteria["Uptime"][1]
    assert "CI pipeline at .github/workflows/ci.yml:1" in criteria["Deployment Frequency"][1]


def test_without_data_the_report_says_what_cannot_be_known() -> None:
    _, md, _ = _report("orders-service")
    criteria = dict((r[0], r) for r in dict(_tables(md))["Metrics to Track"][1:])
    for metric in ("Response Time (P95)", "Test Coverage", "MTTR", "Uptime"):
        assert criteria[metric][1].startswith("not statically determinable"), criteria[metric]
    assert "Unit Tests | not statically determinable; proxy:" in md


def test_a_high_finding_caps_the_section_and_is_named(tmp_path: Path) -> None:
    root = _workspace_with_probes(tmp_path)
    pack = _probe_pack(tmp_path, {"cap.yaml": (
        "section: resilience\nrules:\n  - id: RES950\n    name: test-empty-catch\n    severity: High\n    languages: [javascript]\n"
        "    message: empty catch\n    impact: failures vanish\n    checklist: resilience.retry-logic\n"
        "    match: {query: '(catch_clause body: (statement_block . \"{\" . \"}\")) @match'}\n"
        "    examples: {flagged: ['try { f() } catch {}'], ok: ['try { f() } catch (e) { log(e) }']}\n")})
    report = _produce(root, pack).report
    sec = report["sections"]["resilience"]
    rows = {r["rule"]: r for r in sec["finding_rows"]}
    assert rows["RES950"]["severity"] == "High" and rows["RES950"]["impact"] == "failures vanish"
    assert rows["RES950"]["current_level"] == sec["level"]
    assert "src/services/inventoryClient.ts:19" in rows["RES950"]["locations"]


def test_change_since_the_last_audit(tmp_path: Path) -> None:
    root = _workspace_with_probes(tmp_path)
    pack = _probe_pack(tmp_path)
    first = _produce(root, pack, "json", "audit/report.json", write=True)
    assert first.path == root / "audit" / "report.json" and first.overall["level"] >= 1
    app = root / "src" / "app.ts"
    lines = app.read_text(encoding="utf-8").splitlines(keepends=True)
    app.write_text("".join(lines[:19] + lines[27:]), encoding="utf-8")
    second = _produce(root, pack, "markdown", "audit/report.md", write=True)
    text = second.path.read_text(encoding="utf-8")
    assert "**Change since the last audit**: level 3 → 2; no longer in place: health-checks" in text
    # Evidence links are relative to the report's folder (audit/), so they climb to the root.
    assert "[src/app.ts:32](../src/app.ts#L32)" in text


# -- outputs, formats, templates ---------------------------------------------------------------


def test_outputs_outside_the_workspace_are_refused(tmp_path: Path) -> None:
    root = _workspace_with_probes(tmp_path)
    config = load_config(root)
    for output in ("../escape.md", str(tmp_path / "escape.md"), "/etc/escape.md"):
        with pytest.raises(ReportError, match="outside the workspace"):
            generate_report(root, config, "markdown", output)
    assert not (tmp_path / "escape.md").exists()
    (root / "adir").mkdir()
    with pytest.raises(ReportError, match="is a directory"):
        generate_report(root, config, "markdown", "adir")
    with pytest.raises(ConfigError, match="outside the workspace"):
        generate_report(root, Config(report=ReportConfig(template="../t.md.j2")))


def test_cli_report_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _workspace_with_probes(tmp_path)
    text, path = cli_report(root, load_config(root), None, None)
    assert path is None and text.startswith("# Backend Infrastructure Audit")
    monkeypatch.chdir(root)
    text, path = cli_report(root, load_config(root), None, "out/audit.html")
    assert path == root / "out" / "audit.html" and text.startswith("<!DOCTYPE html>")
    config = load_config(root).merged(report=ReportConfig(output="docs/audit.json"))
    _, path = cli_report(root, config, None, None)
    assert path == root / "docs" / "audit.json" and json.loads(path.read_text())["sections"]
    result = generate_report(root, load_config(root))
    assert result.path == root / "backend-audit-report.md" and result.path.is_file()
    assert set(result.overall) == {"score", "level"}


def test_a_users_template_inside_the_workspace(tmp_path: Path) -> None:
    root = _workspace_with_probes(tmp_path)
    (root / "audit.md.j2").write_text(
        "# {{ r.system.name }}\n{% for k, s in r.sections.items() %}- {{ s.title }}: {{ s.level }}\n{% endfor %}", encoding="utf-8"
    )
    config = load_config(root).merged(report=ReportConfig(template="audit.md.j2"))
    text, _ = cli_report(root, config, "markdown", None)
    assert text.startswith("# express-api\n- Architecture Style & Design: ")
    assert text.count("\n- ") == 10
    html, _ = cli_report(root, config, "html", None)  # a Markdown template leaves HTML to the pack's
    assert html.startswith("<!DOCTYPE html>")
    (root / "broken.md.j2").write_text("# {{ r.system.name }}\n{% for x in %}\n", encoding="utf-8")
    with pytest.raises(ReportError, match=r"broken\.md\.j2:2: "):
        cli_report(root, load_config(root).merged(report=ReportConfig(template="broken.md.j2")), "markdown", None)
    (root / "evil.md.j2").write_text("{{ r.__class__.__mro__ }}", encoding="utf-8")
    with pytest.raises(ReportError, match=r"unsafe|access"):
        cli_report(root, load_config(root).merged(report=ReportConfig(template="evil.md.j2")), "markdown", None)
