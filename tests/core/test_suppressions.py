"""Suppressions in Python, JS/TS and text files; unused ones are reported."""

from pathlib import Path

import pytest

from backend_audit.analysis.document import Document
from backend_audit.engine.analyzer import Analyzer
from backend_audit.engine.config import Config
from backend_audit.rules.compiler import load_pack

RULES = {
    "python/observability.yaml": """
        section: observability
        rules:
          - id: OBS101
            name: print-call
            severity: Low
            languages: [python]
            message: print
            match:
              query: '((call function: (identifier) @f) @match (#eq? @f "print"))'
          - id: OBS102
            name: console-log
            severity: Low
            languages: [javascript]
            message: console.log
            match:
              query: '((call_expression function: (member_expression) @f) @match (#eq? @f "console.log"))'
          - id: OBS103
            name: env-debug
            severity: Low
            languages: [dotenv]
            message: debug
            match: {pattern: "DEBUG=1"}
    """
}


@pytest.fixture
def analyzer(make_pack):
    pack = load_pack(make_pack(RULES))
    assert pack.errors == []
    return Analyzer(Path("."), Config(), pack)


def run(analyzer, path, text):
    doc = Document(path, text)
    return [(f.rule, f.range.start.line, f.tags) for f in analyzer.finalize(analyzer.analyze_file(doc))]


def test_python_same_line_next_line_and_unused(analyzer):
    code = (
        "print(1)  # backend-audit: ignore[OBS101] startup banner\n"
        "# backend-audit: ignore-next-line[print-call]\n"
        "print(2)\n"
        "print(3)\n"
        "x = 1  # backend-audit: ignore[OBS101]\n"
        's = "# backend-audit: ignore[OBS101]"; print(4)\n'
    )
    assert run(analyzer, "app/a.py", code) == [
        ("OBS101", 3, ()),
        ("CFG000", 4, ("unnecessary",)),
        ("OBS101", 5, ()),  # a directive inside a string is not a comment
    ]


@pytest.mark.parametrize("path", ["src/a.js", "src/a.ts", "src/a.tsx"])
def test_js_and_ts_comment_forms(analyzer, path):
    code = (
        "console.log(1); // backend-audit: ignore[OBS102] reason\n"
        "/* backend-audit: ignore-next-line[OBS102] */\n"
        "console.log(2);\n"
        "console.log(3);\n"
    )
    assert run(analyzer, path, code) == [("OBS102", 3, ())]


def test_ignore_file(analyzer):
    code = "// backend-audit: ignore-file[OBS102]\nconsole.log(1);\nconsole.log(2);\n"
    assert run(analyzer, "src/a.ts", code) == []


def test_text_language_and_multiple_ids(analyzer):
    code = "DEBUG=1 # backend-audit: ignore[OBS103,OBS101]\n"
    # OBS101 in the list hid nothing: reported as unused, OBS103 suppressed.
    out = run(analyzer, ".env", code)
    assert out == [("CFG000", 0, ("unnecessary",))]


def test_unused_suppression_can_be_ignored(make_pack):
    pack = load_pack(make_pack(RULES))
    analyzer = Analyzer(Path("."), Config(ignore=["CFG000"]), pack)
    assert run(analyzer, "app/a.py", "x = 1  # backend-audit: ignore[OBS101]\n") == []
