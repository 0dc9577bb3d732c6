"""The fast tier: the workspace state, the settings object and the position conversion, without a
server process."""

from __future__ import annotations

import pytest
from lsp_harness import PROJECT_RULES, TEST_RULES, write_pack
from lsprotocol import types

from backend_audit.analysis.document import Document
from backend_audit.engine.analyzer import Analyzer
from backend_audit.engine.config import Config
from backend_audit.engine.workspace import WorkspaceState, snapshot
from backend_audit.lsp.actions import fix_all_edits, suppress_file_edit, suppress_line_edit
from backend_audit.lsp.positions import PositionConverter
from backend_audit.lsp.settings import parse_settings
from backend_audit.rules.compiler import load_pack
from backend_audit.rules.model import Severity
from backend_audit.syntax.positions import Position, Range


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory) -> Analyzer:
    root = write_pack(tmp_path_factory.mktemp("pack"), {"resilience.yaml": TEST_RULES, "observability.yaml": PROJECT_RULES})
    pack = load_pack(root)
    return Analyzer(root, Config(), pack)


def test_workspace_state_reports_only_files_whose_project_findings_changed(analyzer):
    state = WorkspaceState(analyzer)
    main = analyzer.analyze_file(Document("app/main.py", "app = 1\n"))
    routes = analyzer.analyze_file(Document("app/routes.py", "x = 1\n"))
    assert state.update(main) == set()  # no project findings before a whole-workspace pass
    assert state.replace_all([main, routes]) == {"app/main.py"}
    assert [f.rule for f in state.findings_for("app/main.py")] == ["OBS902"]
    # An edit that does not touch the facts recomputes nothing.
    assert state.update(analyzer.analyze_file(Document("app/routes.py", "x = 2\n"))) == set()
    # A health route in another file removes the finding from main.py ...
    health = analyzer.analyze_file(Document("app/routes.py", "@app.get('/health')\ndef h():\n    return 1\n"))
    assert state.update(health) == {"app/main.py"}
    assert state.findings_for("app/main.py") == []
    # ... and deleting that file brings it back.
    assert state.remove("app/routes.py") == {"app/main.py", "app/routes.py"}
    assert [f.rule for f in state.findings_for("app/main.py")] == ["OBS902"]


def test_snapshot_is_independent_of_later_edits(analyzer):
    doc = Document("app/x.py", "try:\n    a()\nexcept:\n    pass\n", version=1)
    snap = snapshot(doc)
    doc.apply_edit(Range(Position(2, 0), Position(3, 8)), "except ValueError:\n    pass", version=2)
    assert snap.version == 1 and [f.rule for f in analyzer.analyze_file(snap).analysis.findings] == ["RES901"]
    assert analyzer.analyze_file(snapshot(doc)).analysis.findings == []


@pytest.mark.parametrize(
    "raw,errors,check",
    [
        pytest.param(None, [], lambda s: s.debounce_ms == 150 and s.scope == "workspace", id="defaults"),
        pytest.param({"debounceMs": 0, "scope": "openFiles"}, [], lambda s: s.debounce_ms == 0 and s.scope == "openFiles", id="values"),
        pytest.param({"backendAudit": {"debounceMs": 5}}, [], lambda s: s.debounce_ms == 5, id="nested-helix"),
        pytest.param({"severityMap": {"info": "warning"}}, [], lambda s: s.severity_map[Severity.INFO] == types.DiagnosticSeverity.Warning, id="severity-map"),
        pytest.param({"sections": list(("architecture framework design scalability data testing resilience config observability api").split())}, [], lambda s: s.sections == [], id="all-sections"),
        pytest.param({"select": "RES, OBS"}, [], lambda s: s.select == ["RES", "OBS"], id="comma-string"),
        pytest.param({"debounceMs": -1}, ["debounceMs"], lambda s: s.debounce_ms == 150, id="bad-debounce"),
        pytest.param({"sections": ["nope"]}, ["sections"], lambda s: s.sections == [], id="bad-section"),
        pytest.param({"trace": {"server": "verbose"}}, [], lambda s: s.trace == "verbose", id="vscode-trace"),
        pytest.param([1, 2], ["backendAudit"], lambda s: s.debounce_ms == 150, id="not-an-object"),
    ],
)
def test_parse_settings(raw, errors, check):
    settings, problems = parse_settings(raw)
    assert [p.split(":")[0].split(".")[0] for p in problems] == errors
    assert check(settings)


@pytest.mark.parametrize("encoding,column", [("utf-16", 9), ("utf-8", 12), ("utf-32", 8)])
def test_positions_round_trip(encoding, column):
    doc = Document("x.py", 'a = "é😀"; b\n')
    conv = PositionConverter(encoding)
    utf16 = Position(0, 9)  # the ';' after the string: é is 1 UTF-16 unit (2 bytes), 😀 2 units (4 bytes)
    client = conv.to_client(doc, utf16)
    assert client.character == column
    assert conv.from_client(doc, client) == utf16


def test_suppression_edits_use_the_comment_syntax():
    py = Document("a.py", "try:\n    x()\nexcept:  # backend-audit: ignore[RES002]\n    pass\n")
    add = suppress_line_edit(py, 2, "RES901")
    assert add.new_text == ",RES901"
    js = Document("a.js", "fetch(url)\n")
    assert suppress_line_edit(js, 0, "RES010").new_text == "  // backend-audit: ignore[RES010]"
    env = Document(".env", "DEBUG=true\n")
    assert suppress_line_edit(env, 0, "CFG001").new_text == "# backend-audit: ignore-next-line[CFG001]\n"
    shebang = Document("b.py", "#!/usr/bin/env python\nprint(1)\n")
    edit = suppress_file_edit(shebang, "RES902")
    assert edit.range.start == Position(1, 0) and edit.new_text == "# backend-audit: ignore-file[RES902]\n"


def test_fix_all_skips_overlapping_fixes_and_shares_imports():
    from backend_audit.analysis.finding import Fix, TextEdit

    imp = TextEdit(Range(Position(0, 0), Position(0, 0)), "import os\n")
    a = Fix("a", (TextEdit(Range(Position(2, 0), Position(2, 5)), "A"), imp))
    b = Fix("b", (TextEdit(Range(Position(2, 3), Position(2, 8)), "B"),))
    c = Fix("c", (TextEdit(Range(Position(4, 0), Position(4, 1)), "C"), imp))
    assert [e.new_text for e in fix_all_edits([a, b, c])] == ["A", "import os\n", "C"]
