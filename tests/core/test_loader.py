"""A broken rule is reported with its file, line and problem; every other rule still runs."""

from backend_audit.rules.compiler import load_pack

GOOD = """
rules:
  - id: RES101
    name: good-rule
    section: resilience
    severity: High
    languages: [python]
    message: "bare except"
    match:
      query: "(except_clause) @match"
    examples:
      flagged: ["try:\\n    x()\\nexcept:\\n    pass\\n"]
      ok: ["x()\\n"]
"""


def _errors(pack):
    return [str(e) for e in pack.errors]


def test_unknown_key_names_file_line_and_key(make_pack):
    pack = load_pack(make_pack({"python/a.yaml": GOOD, "python/b.yaml": """
        rules:
          - id: RES102
            name: typo
            section: resilience
            severity: High
            languages: [python]
            message: m
            match:
              query: "(call) @match"
              wher: []
        """}))
    errors = _errors(pack)
    assert len(errors) == 1
    assert "python/b.yaml:11" in errors[0]
    assert "wher" in errors[0] and "extra fields" in errors[0]
    assert [r.id for r in pack.rules] == ["RES101"]


def test_bad_severity(make_pack):
    pack = load_pack(make_pack({"python/a.yaml": GOOD, "python/b.yaml": """
        rules:
          - id: RES103
            name: bad-severity
            section: resilience
            severity: Severe
            languages: [python]
            message: m
            match: {query: "(call) @match"}
        """}))
    (error,) = _errors(pack)
    assert "python/b.yaml:6" in error and "severity" in error and "Severe" in error
    assert [r.id for r in pack.rules] == ["RES101"]


def test_invalid_query(make_pack):
    pack = load_pack(make_pack({"python/a.yaml": GOOD, "python/b.yaml": """
        rules:
          - id: RES104
            name: bad-query
            section: resilience
            severity: High
            languages: [python]
            message: m
            match: {query: "(no_such_node) @match"}
        """}))
    (error,) = _errors(pack)
    assert "python/b.yaml:3" in error and "RES104" in error and "invalid query" in error
    assert [r.id for r in pack.rules] == ["RES101"]


def test_unsupported_regex_and_wrong_prefix(make_pack):
    pack = load_pack(make_pack({"python/a.yaml": GOOD, "python/b.yaml": """
        rules:
          - id: RES105
            name: backref
            section: resilience
            severity: High
            languages: [python]
            message: m
            match:
              query: "(call) @match"
              where: [{capture: match, regex: "(a)\\\\1"}]
          - id: OBS105
            name: wrong-prefix
            section: resilience
            severity: High
            languages: [python]
            message: m
            match: {query: "(call) @match"}
          - id: RES106
            name: wrong-type
            section: resilience
            severity: High
            languages: python
            message: 5
            match: {query: "(call) @match"}
        """}))
    errors = _errors(pack)
    assert any("RES105" in e and "regex" in e for e in errors)
    assert any("OBS105" in e and "must start with RES" in e for e in errors)
    assert any("RES106" in e and "message" in e for e in errors)
    assert [r.id for r in pack.rules] == ["RES101"]


def test_malformed_yaml_is_reported(make_pack):
    pack = load_pack(make_pack({"python/a.yaml": GOOD, "python/b.yaml": "rules: [\n  - id: x\n"}))
    (error,) = _errors(pack)
    assert error.startswith("python/b.yaml:") and "invalid YAML" in error
    assert [r.id for r in pack.rules] == ["RES101"]


def test_bundled_pack_loads_without_errors():
    pack = load_pack()
    assert pack.errors == []
    assert {s.key for s in pack.sections} == {
        "architecture", "framework", "design", "scalability", "data",
        "testing", "resilience", "config", "observability", "api",
    }
