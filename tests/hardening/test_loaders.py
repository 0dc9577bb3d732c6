"""The hardening matrix for what users write: rule files, configs, and paths in them.

A broken rule file is reported (file, line, key) and the other rules keep running; a broken
config stops the CLI with exit 2 and names the file and the key; no path from a config leads
outside the workspace. Rule regexes run on RE2, so a catastrophic pattern is bounded by
construction, not by luck.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import re2
from hardening_support import RULES

from backend_audit.analysis.document import Document
from backend_audit.analysis.matcher import analyze_document
from backend_audit.rules.compiler import MATCH_PREDICATE, load_pack, rewrite_predicates
from backend_audit.rules.regex import RegexError, compile_regex

GOOD_RULE = """\
  - id: DES950
    name: still-running
    section: design
    severity: Low
    languages: [python]
    message: "the good rule still runs"
    match:
      query: "(call function: (identifier) @fn (#eq? @fn \\"still\\")) @match"
"""


def _rule(body: str, rule_id: str = "DES951") -> str:
    return f"""\
  - id: {rule_id}
    name: the-broken-one
    section: design
    severity: High
    languages: [python]
    message: "broken"
{body}"""


MATCH = '    match:\n      query: "(call) @match"\n'

BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))
)

RULE_FILE_CASES = [
    pytest.param("rules:\n  - id: [unclosed\n", "invalid YAML", id="malformed-yaml"),
    pytest.param("rules:\n\t- id: x\n", "invalid YAML", id="tab-indentation"),
    pytest.param("- just\n- a list\n", "a rule file is a mapping", id="not-a-mapping"),
    pytest.param("rules: 7\n", "rules", id="rules-not-a-list"),
    pytest.param("rules:\n" + _rule(MATCH + "    severty: High\n"), "severty", id="unknown-rule-key"),
    pytest.param("rules:\n" + _rule('    match:\n      query: "(call) @match"\n      wher: []\n'), "wher", id="unknown-match-key"),
    pytest.param("rules:\n" + _rule('    match:\n      query: "(call) @match"\n      where:\n        - captur: match\n'), "captur", id="unknown-constraint-key"),
    pytest.param("rules:\n" + _rule(MATCH).replace("severity: High", "severity: 3"), "severity", id="severity-wrong-type"),
    pytest.param("rules:\n" + _rule(MATCH).replace("severity: High", "severity: Severe"), "unknown severity", id="severity-unknown"),
    pytest.param("rules:\n" + _rule(MATCH).replace("languages: [python]", "languages: 7"), "languages", id="languages-wrong-type"),
    pytest.param("rules:\n" + _rule(MATCH + "    enabled: 'yes'\n"), "enabled", id="bool-wrong-type"),
    pytest.param("rules:\n" + _rule(MATCH).replace('message: "broken"', "message: [a, b]"), "message", id="message-wrong-type"),
    pytest.param("rules:\n" + _rule('    match:\n      query: "(call @match"\n'), "invalid query", id="query-syntax"),
    pytest.param("rules:\n" + _rule('    match:\n      query: "(no_such_node) @match"\n'), "invalid query", id="query-unknown-node"),
    pytest.param("rules:\n" + _rule('    match:\n      query: "(call)"\n'), "captures nothing", id="query-no-capture"),
    pytest.param("rules:\n" + _rule('    match:\n      query: "(call) @match"\n      where:\n        - capture: nope\n          regex: x\n'), "@nope is not in the query", id="constraint-unknown-capture"),
    pytest.param("rules:\n" + _rule('    match:\n      pattern: "(a)\\\\1"\n'), "invalid or unsupported regex", id="regex-backreference"),
    pytest.param("rules:\n" + _rule('    match:\n      pattern: "foo(?=bar)"\n'), "invalid or unsupported regex", id="regex-lookahead"),
    pytest.param("rules:\n" + _rule('    match:\n      pattern: "(unclosed"\n'), "invalid or unsupported regex", id="regex-invalid"),
    pytest.param("rules:\n" + _rule('    match:\n      query: "((identifier) @match (#match? @match \\"(a)\\\\\\\\1\\"))"\n'), "regex", id="predicate-regex-backreference"),
    pytest.param("rules:\n" + _rule(MATCH, rule_id="XYZ001"), "must start with DES", id="bad-id"),
    pytest.param(BILLION_LAUGHS + "rules: *i\n", "rules", id="billion-laughs"),
    pytest.param("rules: " + "[" * 5000 + "]" * 5000 + "\n", "", id="nested-5000-deep"),
    pytest.param(b"rules:\n  - id: \xff\xfe\n", "cannot read", id="invalid-utf8"),
    pytest.param("?\n", "extra fields found (None)", id="null-key-found-by-fuzzing"),
    pytest.param("rules:\n  - {id: DES951, 3: x}\n", "extra fields found (3)", id="number-key"),
]


@pytest.mark.parametrize(("content", "expected"), RULE_FILE_CASES)
def test_a_broken_rule_file_is_reported_and_the_rest_of_the_pack_runs(
    make_pack, tmp_path: Path, content: str | bytes, expected: str
):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "good.yaml").write_text("rules:\n" + GOOD_RULE)
    broken = rules / "broken.yaml"
    broken.write_bytes(content if isinstance(content, bytes) else content.encode())
    pack = load_pack(make_pack({}), extra_rule_dirs=[rules])
    errors = [e for e in pack.errors if e.path.endswith("broken.yaml")]
    assert errors, "the broken file is reported"
    assert any(expected in str(e) for e in errors), [str(e) for e in errors]
    assert pack.rule("DES950") is not None and pack.rule("DES951") is None
    findings = analyze_document(Document("app/x.py", "still()\n"), pack).findings
    assert [f.rule for f in findings] == ["DES950"]


def test_a_rule_error_names_the_line_of_the_key(make_pack, tmp_path: Path):
    rules = tmp_path / "rules"
    rules.mkdir()
    text = "rules:\n" + GOOD_RULE + _rule(MATCH + "    severty: High\n")
    (rules / "broken.yaml").write_text(text)
    (error,) = load_pack(make_pack({}), extra_rule_dirs=[rules]).errors
    assert error.line == text.splitlines().index("    severty: High") + 1 and error.rule_id == "DES951" and "severty" in error.message


def test_the_cli_shows_rule_errors_and_still_checks(cli, make_workspace):
    root = make_workspace({"app/x.py": "print(1)\n", ".audit-rules/broken.yaml": "rules:\n" + _rule(MATCH + "    oops: 1\n")})
    code, out, err = cli("check", root, "--format", "json", "--fail-on", "none")
    assert code == 0
    assert "broken.yaml" in err and "oops" in err
    assert "DES901" in [f["rule"] for f in json.loads(out)["findings"]]


# -- regexes are RE2: bounded by construction ---------------------------------------------------


def test_rule_regexes_compile_with_re2_and_refuse_what_re2_cannot_bound():
    catastrophic = compile_regex("(a+)+$")
    assert type(catastrophic).__module__.startswith("re2")
    assert isinstance(catastrophic, re2._Regexp)
    for unsupported in (r"(a)\1", r"(?=a)", r"(?<=a)b", r"(?!a)"):
        with pytest.raises(RegexError):
            compile_regex(unsupported)


def test_match_predicates_are_rewritten_to_the_re2_predicate():
    query = '((identifier) @x (#match? @x "(a+)+$") (#not-match? @x "^b"))'
    rewritten = rewrite_predicates(query)
    assert "#match?" not in rewritten and "#not-match?" not in rewritten
    assert rewritten.count(f"#{MATCH_PREDICATE}") == 1 and "#ba-not-match?" in rewritten


def test_a_catastrophic_pattern_runs_on_a_long_input_through_re2(make_pack, tmp_path: Path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "evil.yaml").write_text(
        "rules:\n"
        + _rule('    match:\n      query: "((string) @match (#match? @match \\"(a+)+$\\"))"\n', rule_id="DES960")
        + _rule('    match:\n      pattern: "(x+x+)+y"\n', rule_id="DES961").replace("the-broken-one", "evil-pattern")
    )
    pack = load_pack(make_pack({}), extra_rule_dirs=[rules])
    assert not pack.errors, pack.errors
    # Inputs that take a backtracking engine exponential time; RE2 is linear in the input.
    text = "s = '" + "a" * 30_000 + "!'\n" + "# " + "x" * 30_000 + "\n"
    findings = analyze_document(Document("app/evil.py", text), pack).findings
    assert [f.rule for f in findings if f.rule in ("DES960", "DES961")] == []


# -- configs -----------------------------------------------------------------------------------------


CONFIG_CASES = [
    pytest.param("select: [\n", "invalid YAML", id="malformed-yaml"),
    pytest.param("- a\n- b\n", "the config is a mapping", id="not-a-mapping"),
    pytest.param("selct: [RES]\n", "selct", id="unknown-key"),
    pytest.param("report: {outptu: x.md}\n", "outptu", id="unknown-nested-key"),
    pytest.param("select: 5\n", "select", id="select-wrong-type"),
    pytest.param("max-file-size: big\n", "max-file-size", id="size-wrong-type"),
    pytest.param("max-file-size: -1\n", "max-file-size", id="size-negative"),
    pytest.param("severity: {RES001: Huge}\n", "severity", id="severity-unknown"),
    pytest.param("baseline: [a]\n", "baseline", id="baseline-wrong-type"),
    pytest.param("?\n", "extra fields found (None)", id="null-key"),
    pytest.param(BILLION_LAUGHS + "select: *i\n", "select", id="billion-laughs"),
    pytest.param("rules: [../outside]\n", "outside the workspace", id="rules-dir-outside"),
    pytest.param("rules: [/etc]\n", "outside the workspace", id="rules-dir-absolute"),
    pytest.param("rules: [link-out]\n", "outside the workspace", id="rules-dir-symlink-out"),
]


@pytest.mark.parametrize(("text", "expected"), CONFIG_CASES)
def test_a_bad_config_exits_2_naming_the_file_and_the_key(cli, tmp_path: Path, text: str, expected: str):
    root = tmp_path / "ws"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "evil.yaml").write_text(RULES)
    (root / "link-out").symlink_to(tmp_path / "outside")
    (root / "app.py").write_text("print(1)\n")
    (root / ".backend-audit.yaml").write_text(text)
    code, out, err = cli("check", root, "--format", "json")
    assert code == 2 and out == ""
    assert ".backend-audit.yaml" in err and expected in err


def test_a_bad_pyproject_table_exits_2(cli, tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.backend-audit]\nselct = ["RES"]\n')
    code, _, err = cli("check", tmp_path)
    assert code == 2 and "pyproject.toml" in err and "selct" in err
    (tmp_path / "pyproject.toml").write_text("[tool.backend-audit\nselect = 1\n")
    code, _, err = cli("check", tmp_path)
    assert code == 2 and "invalid TOML" in err


def test_a_deeply_nested_pyproject_does_not_crash_config_loading(cli, tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[project]\ndependencies = " + "[" * 10_000 + "]" * 10_000 + "\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    code, out, err = cli("check", tmp_path, "--format", "json", "--fail-on", "none")
    assert code == 0, err
    assert json.loads(out)["summary"]["files"] >= 1


def test_an_explicit_config_that_does_not_exist_exits_2(cli, tmp_path: Path):
    code, _, err = cli("check", tmp_path, "--config", tmp_path / "nope.yaml")
    assert code == 2 and "config file not found" in err


# -- report output paths ----------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["../escaped.md", "docs/../../escaped.md", "/tmp/escaped-backend-audit.md", "link-out/escaped.md"])
def test_a_configured_report_path_that_escapes_the_workspace_is_refused(cli, tmp_path: Path, output: str):
    root = tmp_path / "ws"
    (root / "app").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (root / "link-out").symlink_to(tmp_path / "outside")
    (root / "app" / "main.py").write_text("print('hi')\n")
    (root / ".backend-audit.yaml").write_text(f"report: {{output: {output!r}}}\n")
    before = {p for p in tmp_path.rglob("*")}
    code, out, err = cli("report", root)
    assert code == 2 and out == ""
    assert "outside the workspace" in err
    assert {p for p in tmp_path.rglob("*")} == before
    assert not Path("/tmp/escaped-backend-audit.md").exists()
