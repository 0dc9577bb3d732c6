"""Measured data a workspace may hold, read (never executed) and cited in the report.

Static analysis cannot know coverage, P95 latency or uptime targets, but a workspace sometimes
holds the files that do: coverage reports, load-test results, SLO definitions, CI pipelines.
Each reader parses one declarative format and returns the numbers with the file and line they
came from. Files above `MAX_BYTES` are left alone.

Formats read:
- coverage: Cobertura ``coverage.xml`` (``<coverage line-rate="0.83">``), JaCoCo
  ``jacoco.xml`` (``<counter type="LINE" missed= covered=>`` under ``<report>``), LCOV
  ``lcov.info`` (``LF:``/``LH:`` records), Go ``coverage.out`` (``file:a.b,c.d stmts count``),
  istanbul ``coverage-summary.json`` (``{"total": {"lines": {"pct": 85}}}``);
- load tests: k6 ``--summary-export`` / handleSummary JSON (``{"metrics": {"http_req_duration":
  {"p(95)": ...}}}``), locust ``*_stats.csv`` (the ``Aggregated`` row), JMeter ``*.jtl`` CSV
  (``timeStamp,elapsed,...,success``);
- SLOs: OpenSLO (``kind: SLO``, ``objectives[].target``), Sloth (``slos[].objective``);
- CI: GitHub Actions, GitLab CI, Jenkins, CircleCI, Azure Pipelines, Bitbucket, Travis.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import attrs
import yaml

from ..analysis.finding import Evidence

MAX_BYTES = 20_000_000


@attrs.define
class Measurement:
    what: str
    value: float
    unit: str
    path: str
    line: int
    """0-based."""
    detail: str = ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line + 1}"

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "value": self.value, "unit": self.unit, "path": self.path, "line": self.line, "detail": self.detail}


@attrs.define
class WorkspaceData:
    coverage: list[Measurement] = attrs.field(factory=list)
    load: dict[str, Measurement] = attrs.field(factory=dict)
    """p95_ms, throughput_rps, error_rate_pct, concurrent_users."""
    load_files: list[str] = attrs.field(factory=list)
    slos: list[Measurement] = attrs.field(factory=list)
    ci: list[Evidence] = attrs.field(factory=list)
    ci_test_steps: list[Evidence] = attrs.field(factory=list)
    evidence: list[Evidence] = attrs.field(factory=list)
    """Evidence for facts (coverage-report, ci-config, load-tests, slo-definitions)."""

    @property
    def line_coverage(self) -> Measurement | None:
        """The coverage figure to report: the report covering the most lines wins; else the first."""
        return self.coverage[0] if self.coverage else None


def _read(root: Path, rel: str) -> str | None:
    path = root / rel
    try:
        if path.is_symlink() or path.stat().st_size > MAX_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _line_of(text: str, needle: str) -> int:
    idx = text.find(needle)
    return text.count("\n", 0, idx) if idx >= 0 else 0


# -- coverage ----------------------------------------------------------------------------------


def _cobertura(rel: str, text: str) -> Measurement | None:
    root = ET.fromstring(text)
    if root.tag != "coverage" or root.get("line-rate") is None:
        return None
    valid, covered = root.get("lines-valid"), root.get("lines-covered")
    detail = f"{covered}/{valid} lines" if valid and covered else "line-rate"
    return Measurement("line coverage", round(float(root.get("line-rate", "0")) * 100, 1), "%", rel, _line_of(text, "line-rate"), f"Cobertura, {detail}")


def _jacoco(rel: str, text: str) -> Measurement | None:
    root = ET.fromstring(text)
    if root.tag != "report":
        return None
    for counter in root.findall("counter"):
        if counter.get("type") == "LINE":
            missed, covered = int(counter.get("missed", "0")), int(counter.get("covered", "0"))
            if missed + covered:
                line = text.rfind('type="LINE"')
                return Measurement(
                    "line coverage", round(100 * covered / (missed + covered), 1), "%", rel,
                    text.count("\n", 0, line) if line >= 0 else 0, f"JaCoCo, {covered}/{missed + covered} lines",
                )
    return None


def _lcov(rel: str, text: str) -> Measurement | None:
    found = hit = 0
    for line in text.splitlines():
        if line.startswith("LF:"):
            found += int(line[3:].strip() or 0)
        elif line.startswith("LH:"):
            hit += int(line[3:].strip() or 0)
    if not found:
        return None
    return Measurement("line coverage", round(100 * hit / found, 1), "%", rel, 0, f"LCOV, {hit}/{found} lines")


_GO_COVER = re.compile(r"^(\S+):(\d+)\.\d+,(\d+)\.\d+ (\d+) (\d+)$")


def _gocover(rel: str, text: str) -> Measurement | None:
    if not text.startswith("mode:"):
        return None
    blocks: dict[tuple[str, str, str], tuple[int, int]] = {}
    for line in text.splitlines()[1:]:
        m = _GO_COVER.match(line.strip())
        if m:
            key = (m.group(1), m.group(2), m.group(3))
            stmts, count = int(m.group(4)), int(m.group(5))
            old = blocks.get(key, (stmts, 0))
            blocks[key] = (stmts, max(old[1], count))
    total = sum(s for s, _ in blocks.values())
    if not total:
        return None
    covered = sum(s for s, c in blocks.values() if c > 0)
    return Measurement("statement coverage", round(100 * covered / total, 1), "%", rel, 0, f"go test -coverprofile, {covered}/{total} statements")


def _istanbul(rel: str, text: str) -> Measurement | None:
    data = json.loads(text)
    pct = (((data or {}).get("total") or {}).get("lines") or {}).get("pct")
    if not isinstance(pct, int | float):
        return None
    return Measurement("line coverage", float(pct), "%", rel, _line_of(text, '"total"'), "istanbul coverage-summary")


_COVERAGE_READERS = [
    (re.compile(r"^(coverage|cobertura(-coverage)?)\.xml$"), _cobertura),
    (re.compile(r"^jacoco(TestReport)?\.xml$"), _jacoco),
    (re.compile(r"^lcov\.info$"), _lcov),
    (re.compile(r"^(coverage|cover|c)\.out$|\.coverprofile$"), _gocover),
    (re.compile(r"^coverage-summary\.json$"), _istanbul),
]


# -- load tests --------------------------------------------------------------------------------


def _k6(rel: str, text: str) -> dict[str, Measurement]:
    data = json.loads(text)
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict) or "http_req_duration" not in metrics:
        return {}

    def value(metric: str, *keys: str) -> float | None:
        m = metrics.get(metric) or {}
        m = m.get("values", m) if isinstance(m, dict) else {}
        for k in keys:
            if isinstance(m.get(k), int | float):
                return float(m[k])
        return None

    out = {}
    line = _line_of(text, "http_req_duration")
    p95 = value("http_req_duration", "p(95)")
    if p95 is not None:
        out["p95_ms"] = Measurement("response time P95", round(p95, 1), "ms", rel, line, "k6 http_req_duration p(95)")
    rate = value("http_reqs", "rate")
    if rate is not None:
        out["throughput_rps"] = Measurement("throughput", round(rate, 1), "req/s", rel, _line_of(text, "http_reqs"), "k6 http_reqs rate")
    failed = value("http_req_failed", "rate", "value")
    if failed is not None:
        out["error_rate_pct"] = Measurement("error rate", round(failed * 100, 2), "%", rel, _line_of(text, "http_req_failed"), "k6 http_req_failed")
    vus = value("vus_max", "max", "value")
    if vus is not None:
        out["concurrent_users"] = Measurement("concurrent users", vus, "VUs", rel, _line_of(text, "vus_max"), "k6 vus_max")
    return out


def _locust(rel: str, text: str) -> dict[str, Measurement]:
    rows = list(csv.DictReader(io.StringIO(text)))
    for index, row in enumerate(rows):
        if row.get("Name") == "Aggregated":
            out = {}
            line = index + 1
            if row.get("95%") not in (None, "", "N/A"):
                out["p95_ms"] = Measurement("response time P95", float(row["95%"]), "ms", rel, line, "locust Aggregated 95%")
            if row.get("Requests/s"):
                out["throughput_rps"] = Measurement("throughput", round(float(row["Requests/s"]), 1), "req/s", rel, line, "locust Aggregated Requests/s")
            total, failures = float(row.get("Request Count") or 0), float(row.get("Failure Count") or 0)
            if total:
                out["error_rate_pct"] = Measurement("error rate", round(100 * failures / total, 2), "%", rel, line, "locust Failure Count / Request Count")
            return out
    return {}


def _jmeter(rel: str, text: str) -> dict[str, Measurement]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "elapsed" not in reader.fieldnames:
        return {}
    elapsed, stamps, failures = [], [], 0
    for row in reader:
        try:
            elapsed.append(float(row["elapsed"]))
            stamps.append(float(row.get("timeStamp") or 0))
        except (TypeError, ValueError):
            continue
        if str(row.get("success", "true")).lower() != "true":
            failures += 1
    if not elapsed:
        return {}
    elapsed.sort()
    p95 = elapsed[min(len(elapsed) - 1, round(0.95 * (len(elapsed) - 1)))]
    out = {
        "p95_ms": Measurement("response time P95", p95, "ms", rel, 0, f"JMeter, {len(elapsed)} samples"),
        "error_rate_pct": Measurement("error rate", round(100 * failures / len(elapsed), 2), "%", rel, 0, "JMeter success=false"),
    }
    span = (max(stamps) - min(stamps)) / 1000 if stamps else 0
    if span > 0:
        out["throughput_rps"] = Measurement("throughput", round(len(elapsed) / span, 1), "req/s", rel, 0, "JMeter samples / duration")
    return out


# -- SLOs and CI -------------------------------------------------------------------------------


def _slos(rel: str, text: str) -> list[Measurement]:
    out = []
    for doc in yaml.safe_load_all(text):
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "SLO":  # OpenSLO
            name = ((doc.get("metadata") or {}).get("name")) or "SLO"
            for obj in (doc.get("spec") or {}).get("objectives") or []:
                target = obj.get("target") if isinstance(obj, dict) else None
                if isinstance(target, int | float):
                    pct = target * 100 if target <= 1 else float(target)
                    out.append(Measurement(f"SLO {name}", round(pct, 3), "%", rel, _line_of(text, "target"), "OpenSLO objective"))
        for slo in doc.get("slos") or []:  # Sloth
            if isinstance(slo, dict) and isinstance(slo.get("objective"), int | float):
                out.append(Measurement(f"SLO {slo.get('name', '')}".strip(), float(slo["objective"]), "%", rel, _line_of(text, "objective"), "Sloth objective"))
    return out


_CI_FILES = re.compile(
    r"^(\.github/workflows/[^/]+\.ya?ml|\.gitlab-ci\.ya?ml|Jenkinsfile|\.circleci/config\.ya?ml|azure-pipelines\.ya?ml"
    r"|bitbucket-pipelines\.ya?ml|\.travis\.ya?ml|\.drone\.ya?ml|buildkite\.ya?ml|\.buildkite/[^/]+\.ya?ml)$"
)
_CI_TEST = re.compile(
    r"\b(pytest|tox|nox|npm (run )?test|yarn test|pnpm test|jest|vitest|mocha|go test|mvn\b.*\b(test|verify)|gradlew?\b.*\btest"
    r"|dotnet test|rspec|rails test|bundle exec rake)\b"
)


# Where coverage and load-test tools write by default. The walker skips generated directories
# (coverage/, build/, target/) and git-ignored files, which is where these reports live, so the
# known locations are looked up directly as well.
KNOWN_LOCATIONS = (
    "coverage.xml", "coverage.out", "cover.out", "lcov.info", "jacoco.xml", "coverage-summary.json",
    "coverage/lcov.info", "coverage/coverage-summary.json", "coverage/cobertura-coverage.xml", "coverage/coverage.xml",
    "reports/coverage.xml", "build/reports/jacoco/test/jacocoTestReport.xml", "target/site/jacoco/jacoco.xml",
    "build/coverage.xml", "test-results/coverage.xml",
)


def read_workspace_data(root: Path, files: list[str]) -> WorkspaceData:
    """Find and read every data file among the workspace's files and the tools' default
    output locations; unreadable or malformed files are skipped."""
    data = WorkspaceData()
    listed = set(files)
    candidates = list(files) + [p for p in KNOWN_LOCATIONS if p not in listed and (root / p).is_file()]
    for rel in candidates:
        base = rel.rsplit("/", 1)[-1]
        lowered = base.lower()
        try:
            for pattern, reader in _COVERAGE_READERS:
                if pattern.search(base):
                    text = _read(root, rel)
                    m = reader(rel, text) if text else None
                    if m is not None:
                        data.coverage.append(m)
                        data.evidence.append(Evidence("coverage-report", rel, m.line, f"{m.value}% {m.detail}"))
                    break
            if lowered.endswith(".json") and ("k6" in rel.lower() or "summary" in lowered or "load" in rel.lower()):
                text = _read(root, rel)
                found = _k6(rel, text) if text and "http_req_duration" in text else {}
                _add_load(data, rel, found, "k6 results")
            elif lowered.endswith("_stats.csv"):
                text = _read(root, rel)
                _add_load(data, rel, _locust(rel, text) if text else {}, "locust results")
            elif lowered.endswith(".jtl"):
                text = _read(root, rel)
                _add_load(data, rel, _jmeter(rel, text) if text else {}, "JMeter results")
            elif lowered.endswith((".yaml", ".yml")) and ("slo" in lowered or "/slo" in rel.lower()):
                text = _read(root, rel)
                slos = _slos(rel, text) if text else []
                data.slos.extend(slos)
                for m in slos:
                    data.evidence.append(Evidence("slo-definitions", rel, m.line, f"{m.what}: {m.value}%"))
            if _CI_FILES.match(rel):
                text = _read(root, rel) or ""
                ev = Evidence("ci-config", rel, 0, "CI pipeline")
                data.ci.append(ev)
                data.evidence.append(ev)
                m = _CI_TEST.search(text)
                if m:
                    step = Evidence("ci-config", rel, text.count("\n", 0, m.start()), f"runs tests: {m.group(0)}")
                    data.ci_test_steps.append(step)
                    data.evidence.append(step)
        except (ET.ParseError, json.JSONDecodeError, yaml.YAMLError, ValueError, KeyError, RecursionError, csv.Error):
            continue  # a malformed data file tells us nothing; it never stops the report
    return data


def _add_load(data: WorkspaceData, rel: str, found: dict[str, Measurement], what: str) -> None:
    if not found:
        return
    data.load_files.append(rel)
    for key, m in found.items():
        data.load.setdefault(key, m)
    first = next(iter(found.values()))
    data.evidence.append(Evidence("load-tests", rel, first.line, what))
