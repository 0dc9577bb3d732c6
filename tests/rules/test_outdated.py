"""The `outdated` match: declared versions (resolved from lock files) against dated version
facts, reported on the manifest line, with EOL and release-lines-behind conditions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from backend_audit.analysis.document import Document
from backend_audit.engine.analyzer import Analyzer
from backend_audit.engine.config import Config
from backend_audit.project.versions import (
    VersionDataError,
    assess,
    current_version,
    highest_admitted,
    load_version_facts,
    parse_version_facts,
)
from backend_audit.rules.compiler import load_pack

DATA = """\
checked: 2026-11-26
entries:
  django:
    ecosystem: pypi
    latest: "6.1.3"
    eol-below: "5.2"
    eol: {"6.0": 2027-04-30}
  node:
    latest: "26.10.0"
    recommended: "26.0.0"
    step: 2
    eol-below: "22.0.0"
    eol: {"25": 2026-06-01}
  python:
    latest: "3.14.0"
    line: minor
    eol-below: "3.10"
  express:
    ecosystem: npm
    latest: "5.3.0"
"""

RULES = """\
section: framework
rules:
  - id: FWK901
    name: framework-eol
    severity: High
    languages: [python, javascript]
    message: "$title $current is end-of-life (latest $latest, checked $checked)"
    match: {outdated: {dependency: [django, express, node, python], min-behind: 0, eol: true}}
    examples: {flagged: [{files: {"requirements.txt": "django==3.2\\n"}}], ok: [{files: {"requirements.txt": "django==6.1\\n"}}]}
  - id: FWK902
    name: framework-far-behind
    severity: Medium
    languages: [python, javascript]
    message: "$name $current is $behind major versions behind $latest"
    match: {outdated: {dependency: [django, express, node, python], min-behind: 2, eol: false}}
    examples: {flagged: [{files: {".nvmrc": "22\\n"}}], ok: [{files: {".nvmrc": "26\\n"}}]}
  - id: FWK903
    name: framework-one-behind
    severity: Low
    languages: [python, javascript]
    message: "$name $spec resolves to $current; latest $latest"
    match: {outdated: {dependency: [django, express, node, python], min-behind: 1, max-behind: 1, eol: false}}
    examples: {flagged: [{files: {"package.json": "{\\"dependencies\\": {\\"express\\": \\"^4.18.2\\"}}"}}], ok: [{files: {"package.json": "{\\"dependencies\\": {\\"express\\": \\"^5.0.0\\"}}"}}]}
"""


@pytest.fixture
def pack(make_pack):
    root = make_pack({"python/framework.yaml": RULES, "data/versions.yaml": DATA})
    loaded = load_pack(root)
    assert not loaded.errors, loaded.errors
    return loaded


def _findings(pack, files: dict[str, str]):
    analyzer = Analyzer(Path("."), Config(select=["FWK901", "FWK902", "FWK903"]), pack)
    results = [analyzer.analyze_file(Document(p, t)) for p, t in files.items()]
    _, findings = analyzer.project(results)
    return sorted((f.rule, f.path, f.range.start.line, f.message) for f in findings)


def test_eol_reported_on_the_manifest_line(pack) -> None:
    got = _findings(pack, {"requirements.txt": "flask==3.1\ndjango==3.2.25\n"})
    assert got == [("FWK901", "requirements.txt", 1, "django 3.2.25 is end-of-life (latest 6.1.3, checked 2026-11-26)")]


def test_lock_file_resolves_the_version(pack) -> None:
    files = {
        "package.json": '{\n  "dependencies": {\n    "express": "*"\n  }\n}\n',
        "package-lock.json": '{"lockfileVersion": 3, "packages": {"node_modules/express": {"version": "4.21.0"}}}',
    }
    assert _findings(pack, files) == [("FWK903", "package.json", 2, "express * resolves to 4.21.0; latest 5.3.0")]
    # without the lock file, "*" says nothing about the installed version
    assert _findings(pack, {"package.json": files["package.json"]}) == []


@pytest.mark.parametrize(("files", "expected"), [
    pytest.param({".nvmrc": "20\n"}, ["FWK901"], id="node-20-eol"),
    pytest.param({".nvmrc": "22\n"}, ["FWK902"], id="node-22-two-lts-behind"),
    pytest.param({".nvmrc": "24\n"}, ["FWK903"], id="node-24-one-lts-behind"),
    pytest.param({".nvmrc": "25\n"}, ["FWK901"], id="node-25-eol-by-date"),
    pytest.param({".nvmrc": "26\n"}, [], id="node-26-current"),
    pytest.param({"package.json": '{"engines": {"node": ">=18"}}'}, [], id="open-range-unknown"),
    pytest.param({"runtime.txt": "python-3.12.4\n"}, ["FWK902"], id="python-two-minor-lines"),
    pytest.param({"runtime.txt": "python-3.13.1\n"}, ["FWK903"], id="python-one-line"),
    pytest.param({"runtime.txt": "python-3.8.10\n"}, ["FWK901"], id="python-eol"),
    pytest.param({"requirements.txt": "django>=4.2,<5\n"}, ["FWK901"], id="upper-bound-keeps-it-on-4"),
    pytest.param({"requirements.txt": "django>=4.2\n"}, [], id="no-upper-bound"),
    pytest.param({"requirements.txt": "django~=5.2\n"}, ["FWK903"], id="compatible-release-5x"),
    pytest.param({"requirements.txt": "django==6.0.2\n"}, [], id="supported-and-current-major"),
])
def test_conditions_split_severities(pack, files: dict, expected: list[str]) -> None:
    assert [rule for rule, *_ in _findings(pack, files)] == expected


def test_ecosystem_filter(make_pack) -> None:
    rules = RULES.replace("dependency: [django, express, node, python], min-behind: 0", "dependency: [express], ecosystem: pypi, min-behind: 0")
    loaded = load_pack(make_pack({"python/framework.yaml": rules, "data/versions.yaml": DATA}))
    analyzer = Analyzer(Path("."), Config(select=["FWK901"]), loaded)
    res = [analyzer.analyze_file(Document("package.json", '{"dependencies": {"express": "3.0.0"}}'))]
    assert analyzer.project(res)[1] == []


@pytest.mark.parametrize(("spec", "expected"), [
    ("^4.18.2", (4, None, None)),
    ("~4.18.1", (4, 18, None)),
    (">=3.2,<4", (3, None, None)),
    (">= 2.0, < 3.0", (2, None, None)),
    ("<4.2", (4, 1, None)),
    ("==3.2.1", (3, 2, 1)),
    ("~=3.2", (3, None, None)),
    ("~=3.2.5", (3, 2, None)),
    ("~> 7.0", (7, None, None)),
    ("4.x", (4, None, None)),
    ("1.2.*", (1, 2, None)),
    ("18", (18, None, None)),
    ("16.x || 18.x", (18, None, None)),
    ("^0.95.1", (0, 95, None)),
    ("1.2.3 - 2.3", (2, 3, None)),
    ("[1.0,2.0)", (1, None, None)),
    ("[1.0,2.0]", (2, 0, 0)),
    (">=3.2", None),
    ("*", None),
    ("", None),
    ("^1 || >=3", None),
    ("workspace:*", None),
    ("git+https://example.invalid/x.git", None),
])
def test_highest_admitted(spec: str, expected) -> None:
    assert highest_admitted(spec) == expected


def test_resolved_version_wins_over_the_range() -> None:
    assert current_version("4.21.0", "*") == (4, 21, 0)
    assert current_version(None, "^4.0.0") == (4, None, None)


def test_eol_is_judged_on_the_checked_date() -> None:
    data = parse_version_facts({"checked": "2026-01-01", "entries": {"x": {"latest": "3.0.0", "eol": {"2": "2026-06-01"}}}})
    entry = data.entries["x"]
    assert not assess(entry, (2, 0, 0), data.checked).eol
    assert assess(entry, (2, 0, 0), dt.date(2026, 6, 1)).eol


@pytest.mark.parametrize("bad", [
    {"entries": {}},
    {"checked": "yesterday", "entries": {}},
    {"checked": "2026-11-26", "entries": {"x": {"latest": "abc"}}},
    {"checked": "2026-11-26", "entries": {"x": {"latest": "1.0", "lastest": "2.0"}}},
    {"checked": "2026-11-26", "entries": {"x": {"latest": "1.0", "line": "patch"}}},
])
def test_bad_data_is_rejected_with_the_key(bad: dict) -> None:
    with pytest.raises(VersionDataError):
        parse_version_facts(bad)


def test_compile_rejects_an_empty_outdated(make_pack) -> None:
    bad = RULES.replace("dependency: [django, express, node, python], min-behind: 2", "dependency: [], min-behind: 2")
    loaded = load_pack(make_pack({"python/framework.yaml": bad}))
    assert [(e.rule_id, "outdated.dependency" in e.message) for e in loaded.errors] == [("FWK902", True)]


def test_bundled_data_covers_every_outdated_rule() -> None:
    """Every dependency an `outdated` rule of the bundled pack names has an entry in the
    bundled data file, and the data file itself parses."""
    pack = load_pack()
    facts = load_version_facts(pack.data_dir)
    assert facts is not None and facts.checked >= dt.date(2026, 11, 26)
    for rule in pack.rules:
        if rule.is_outdated:
            for name in rule.rule.match.outdated.dependency:
                assert facts.entry_for(name.lower(), rule.rule.match.outdated.ecosystem) is not None, (rule.id, name)
    for key in ("python", "node", "java", "go", "dotnet", "ruby", "django", "flask", "express", "spring-boot", "rails"):
        assert key in facts.entries


def test_project_anchor_honours_negated_globs(make_pack) -> None:
    """An anchor list's "!glob" entries exclude files from every anchor glob (tests folders)."""
    rules = """\
    section: architecture
    rules:
      - id: ARC901
        name: services-folder
        severity: Info
        kind: probe
        fact: service-layer
        languages: [python]
        message: "service modules"
        match:
          project:
            when: {files: ["**/services/*.py", "!**/tests/**"]}
            anchor: ["**/services/*.py", "!**/tests/**"]
        examples: {flagged: [{files: {"app/services/a.py": "x = 1\\n"}}], ok: [{files: {"app/b.py": "x = 1\\n"}}]}
    """
    loaded = load_pack(make_pack({"python/architecture.yaml": rules}))
    analyzer = Analyzer(Path("."), Config(select=["ARC901"]), loaded)
    docs = {"app/tests/services/test_a.py": "x = 1\n", "app/services/orders.py": "x = 1\n"}
    facts, _ = analyzer.project([analyzer.analyze_file(Document(p, t)) for p, t in docs.items()])
    assert [(e.path, e.rule) for e in facts.evidence["service-layer"]] == [("app/services/orders.py", "ARC901")]
    only_tests = {"app/tests/services/test_a.py": "x = 1\n"}
    facts, _ = analyzer.project([analyzer.analyze_file(Document(p, t)) for p, t in only_tests.items()])
    assert not facts.evidence.get("service-layer")


def test_same_version_in_several_manifests_is_one_finding(pack) -> None:
    """pip-compile's requirements-dev.txt repeats the runtime pins: the runtime manifest keeps
    the finding and names the other place; a different version stays a finding of its own."""
    files = {
        "requirements-dev.txt": "django==4.2.1\n",
        "requirements.txt": "flask==3.1\ndjango==4.2.1\n",
        "legacy/requirements.txt": "django==3.2.25\n",
    }
    got = _findings(pack, files)
    assert [(rule, path, line) for rule, path, line, _ in got] == [
        ("FWK901", "legacy/requirements.txt", 0),
        ("FWK901", "requirements.txt", 1),
    ]
    assert got[1][3].endswith("; also declared in requirements-dev.txt:1")


def test_dockerfile_runtime_stage_is_kept_over_the_build_stage(pack) -> None:
    files = {"Dockerfile": "FROM node:20 AS builder\nRUN npm ci\nFROM node:20\nCMD node main.js\n"}
    got = _findings(pack, files)
    assert [(rule, path, line) for rule, path, line, _ in got] == [("FWK901", "Dockerfile", 2)]
    assert got[0][3].endswith("also declared in Dockerfile:1")


@pytest.mark.parametrize(("frontend", "expected"), [
    pytest.param('{"dependencies": {"react": "^18.2.0", "express": "^4.18.2"}}', ["FWK903"], id="react-with-express-is-a-server"),
    pytest.param('{"dependencies": {"react": "^18.2.0", "vite": "^5.0.0"}}', [], id="react-app"),
    pytest.param('{"dependencies": {"vue": "^3.4.0"}, "engines": {"node": "20.x"}}', [], id="vue-app-engines"),
])
def test_frontend_package_json_is_not_the_backend(pack, frontend: str, expected: list[str]) -> None:
    """A browser app next to the backend (react/vue/…, no server framework): its packages, its
    .nvmrc and its Node image are left alone; the backend's own pins are still judged."""
    files = {
        "web/package.json": frontend,
        "web/.nvmrc": "20\n",
        "web/Dockerfile": "FROM node:20\n",
        "api/requirements.txt": "django==3.2.25\n",
    }
    if expected:
        del files["web/.nvmrc"], files["web/Dockerfile"]
    got = [(rule, path) for rule, path, *_ in _findings(pack, files)]
    assert got == [("FWK901", "api/requirements.txt")] + [(r, "web/package.json") for r in expected]
