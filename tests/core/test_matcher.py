"""The matcher's building blocks, each with a rule written for the test."""

from pathlib import Path

from backend_audit.analysis.document import Document
from backend_audit.engine.analyzer import Analyzer
from backend_audit.engine.config import Config
from backend_audit.engine.ruletest import apply_edits
from backend_audit.rules.compiler import load_pack

RULES = {
    "python/scalability.yaml": r"""
        section: scalability
        rules:
          - id: SCL101
            name: blocking-call-in-async
            severity: High
            languages: [python]
            message: "blocking $lib.$verb() inside async def"
            match:
              query: |
                (call function: (attribute object: (identifier) @lib attribute: (identifier) @verb)) @match
              where:
                - capture: lib
                  regex: "^(requests|time)$"
                - capture: match
                  inside: {kind: [function_definition], regex: "^async\\s", stop-at: [lambda]}
          - id: SCL102
            name: no-timeout
            severity: High
            languages: [python]
            message: "requests call without timeout"
            match:
              query: |
                (call function: (attribute object: (identifier) @lib) arguments: (argument_list) @args) @match
              where:
                - capture: lib
                  regex: "^requests$"
                - capture: args
                  not-has: {kind: [keyword_argument], regex: "^timeout"}
                - capture: match
                  not-inside: {kind: [with_statement]}
            fix:
              title: add a timeout
              target: args
              replace: "${args}"
          - id: SCL103
            name: getenv-without-default
            severity: Low
            languages: [python]
            message: "use os.environ"
            match:
              query: |
                ((call function: (attribute) @fn) @match (#eq? @fn "os.getenv"))
            fix:
              title: read the environment through os.environ
              target: fn
              replace: "environ.get"
              imports: ["from os import environ"]
    """,
    "common/config.yaml": r"""
        section: config
        rules:
          - id: CFG101
            name: debug-in-env
            severity: High
            languages: [dotenv]
            message: "DEBUG on in $match"
            match:
              pattern: "(?m)^DEBUG\\s*=\\s*(true|1)"
          - id: CFG102
            name: flask-dependency
            severity: Info
            kind: probe
            fact: web-framework
            languages: []
            message: "flask $spec"
            match:
              dependency: [flask]
          - id: CFG103
            name: old-flask
            severity: Medium
            languages: []
            message: "$name $spec is old"
            match:
              dependency: [flask]
          - id: CFG104
            name: no-env-config
            severity: Medium
            languages: []
            message: "no .env.example"
            match:
              project:
                when: {facts: [web-framework]}
                unless: {files: [".env.example"]}
                anchor: ["requirements.txt"]
    """,
}


def _analyzer(make_pack, **config) -> Analyzer:
    pack = load_pack(make_pack(RULES))
    assert pack.errors == []
    return Analyzer(Path("."), Config(**config), pack)


def _findings(analyzer, path, text):
    result = analyzer.analyze_file(Document(path, text))
    return analyzer.finalize(result)


def test_inside_constraint_and_message_template(make_pack):
    analyzer = _analyzer(make_pack, select=["SCL101"])
    code = "import requests, time\nasync def h():\n    time.sleep(1)\n    f = lambda: time.sleep(2)\ndef s():\n    time.sleep(3)\n"
    found = _findings(analyzer, "app/a.py", code)
    assert [(f.range.start.line, f.message) for f in found] == [(2, "blocking time.sleep() inside async def")]


def test_not_has_not_inside_and_fix(make_pack):
    analyzer = _analyzer(make_pack, select=["SCL102"])
    code = "requests.get(url)\nrequests.get(url, timeout=3)\nwith x:\n    requests.get(url)\n"
    found = _findings(analyzer, "app/a.py", code)
    assert [f.range.start.line for f in found] == [0]
    assert found[0].fix is not None


def test_fix_adds_import_once_and_stays_parseable(make_pack):
    analyzer = _analyzer(make_pack, select=["SCL103"])
    code = '"""Doc."""\nimport os\n\nx = os.getenv("A")\n'
    (finding,) = _findings(analyzer, "app/a.py", code)
    fixed = apply_edits(code, list(finding.fix.edits))
    assert fixed == '"""Doc."""\nimport os\nfrom os import environ\n\nx = environ.get("A")\n'
    assert not Document("app/a.py", fixed).tree.root_node.has_error


def test_pattern_rule_on_text_language_with_utf16_columns(make_pack):
    analyzer = _analyzer(make_pack, select=["CFG101"])
    found = _findings(analyzer, ".env", "# ünïcödé 😀\nDEBUG=true\nX=1\n")
    assert [(f.range.start.line, f.range.start.character, f.range.end.character) for f in found] == [(1, 0, 10)]


def test_dependency_rule_on_manifest_line_and_project_check(make_pack):
    analyzer = _analyzer(make_pack)
    docs = [Document("requirements.txt", "requests==2.31\nflask==1.1.2\n"), Document("app/main.py", "x = 1\n")]
    results = [analyzer.analyze_file(d) for d in docs]
    facts, project = analyzer.project(results)
    assert facts.has("web-framework") and facts.has_dependency("flask")
    manifest = analyzer.finalize(results[0], project)
    assert [(f.rule, f.range.start.line, f.scope) for f in manifest] == [("CFG104", 0, "project"), ("CFG103", 1, "file")]
    assert manifest[1].message == "flask ==1.1.2 is old"
    # The project finding goes away when the file it asks for exists.
    _, project = analyzer.project(results, other_files=[".env.example"])
    assert [f.rule for f in project] == []


def test_fingerprint_survives_moved_lines(make_pack):
    analyzer = _analyzer(make_pack, select=["SCL102"])
    before = _findings(analyzer, "app/a.py", "requests.get(a)\nrequests.get(b)\n")
    after = _findings(analyzer, "app/a.py", "import x\n\n\nrequests.get(b)\nfoo()\nrequests.get(a)\n")
    assert {f.fingerprint for f in before} == {f.fingerprint for f in after}
    assert len({f.fingerprint for f in before}) == 2


def test_selection_ignore_and_severity_override(make_pack):
    from backend_audit.rules.model import Severity

    analyzer = _analyzer(make_pack, ignore=["SCL101"], severity={"SCL102": Severity.LOW}, select=["scalability"])
    code = "async def h():\n    requests.get(u)\n"
    found = _findings(analyzer, "app/a.py", code)
    assert [(f.rule, f.severity) for f in found] == [("SCL102", Severity.LOW)]


def test_generated_files_get_no_findings_but_keep_evidence(make_pack):
    rules = dict(RULES)
    rules["python/probe.yaml"] = """
        section: scalability
        rules:
          - id: SCL150
            name: requests-used
            severity: Info
            kind: probe
            fact: http-client
            languages: [python]
            message: requests
            match:
              query: '(import_statement) @match'
    """
    pack = load_pack(make_pack(rules))
    analyzer = Analyzer(Path("."), Config(), pack)
    code = "# @generated by a tool, do not edit\nimport requests\nrequests.get(url)\n"
    result = analyzer.analyze_file(Document("app/gen.py", code))
    assert analyzer.finalize(result) == []
    assert [e.fact for e in result.analysis.evidence] == ["http-client"]
    plain = analyzer.analyze_file(Document("app/a.py", code.split("\n", 1)[1]))
    assert [f.rule for f in analyzer.finalize(plain)] == ["SCL102"]
