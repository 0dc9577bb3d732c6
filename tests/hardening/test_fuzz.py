"""Fuzzing with hypothesis: the rule loader and the incremental edit path.

- The loader, given any YAML structure (or any text), returns rules and `LoadError`s; it never
  raises.
- A document edited incrementally (`Document.apply_edit`, which reuses the old tree) has the
  same text, the same tree and the same findings as a fresh parse of the final text.

Brief in `make test` (a few dozen examples); `make fuzz` sets BACKEND_AUDIT_FUZZ=long for
hundreds.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from hardening_support import RULES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend_audit.analysis.document import Document
from backend_audit.analysis.matcher import analyze_document
from backend_audit.rules.compiler import load_pack
from backend_audit.rules.loader import LoadError, read_yaml
from backend_audit.syntax.positions import Position, Range

pytestmark = pytest.mark.fuzz

LONG = os.environ.get("BACKEND_AUDIT_FUZZ") == "long"
FUZZ = settings(
    max_examples=600 if LONG else 30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

PACK_YAML = Path(__file__).resolve().parents[2] / "rules" / "backend-infrastructure" / "pack.yaml"


@pytest.fixture(scope="module")
def small_pack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-pack")
    shutil.copy(PACK_YAML, root / "pack.yaml")
    return root


# -- the rule loader ----------------------------------------------------------------------------------

RULE_KEYS = [
    "id", "name", "section", "severity", "languages", "message", "checklist", "kind", "fact", "rationale",
    "match", "fix", "examples", "paths", "backend-only", "secret", "enabled", "tags", "impact",
    "query", "where", "pattern", "report-group", "dependency", "project", "capture", "regex", "not-regex",
    "inside", "not-inside", "has", "not-has", "kind", "stop-at", "max-depth", "flagged", "ok", "code",
    "title", "replace", "target", "imports", "when", "unless", "anchor", "facts", "files",
]
VALUES = ["DES001", "design", "High", "python", "javascript", "(call) @match", "(call", "(a+)+$", r"(a)\1", "@match", "match", "x"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.sampled_from(VALUES)
    | st.text(max_size=20)
)
structures = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(RULE_KEYS) | st.text(max_size=8), children, max_size=6),
    max_leaves=30,
)
VALID_RULE = yaml.safe_load(RULES)["rules"][0]


def _mutated_rule(data: st.DataObject) -> dict:
    rule = dict(VALID_RULE)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        key = data.draw(st.sampled_from(sorted(rule) + RULE_KEYS))
        if data.draw(st.booleans()):
            rule[key] = data.draw(structures)
        else:
            rule.pop(key, None)
    return rule


def _load(pack_dir: Path, text: str | bytes) -> list[LoadError]:
    rules_dir = pack_dir / "rules"
    rules_dir.mkdir(exist_ok=True)
    (rules_dir / "fuzz.yaml").write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    pack = load_pack(pack_dir, [])
    assert all(isinstance(e, LoadError) and str(e) for e in pack.errors)
    return pack.errors


@FUZZ
@given(data=st.data())
def test_the_loader_reports_any_yaml_structure_and_never_raises(small_pack_dir: Path, data: st.DataObject):
    shape = data.draw(st.sampled_from(["anything", "rules-list", "mutated-rule"]))
    if shape == "anything":
        document = data.draw(structures)
    elif shape == "rules-list":
        document = {"rules": data.draw(st.lists(structures, max_size=3))}
    else:
        document = {"rules": [_mutated_rule(data)]}
    _load(small_pack_dir, yaml.safe_dump(document, allow_unicode=True))


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list("rules:-[]{}&*!|>'\"#%@` \n\tid: a1")) | st.characters(), max_size=200))
def test_the_loader_reports_any_text_and_never_raises(small_pack_dir: Path, tmp_path_factory, text: str):
    _load(small_pack_dir, text)
    path = tmp_path_factory.getbasetemp() / "fuzz-config.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _, _, errors = read_yaml(path, "fuzz-config.yaml")
    assert all(isinstance(e, LoadError) for e in errors)


# -- the incremental edit path ----------------------------------------------------------------------

SNIPPETS = [
    "def f(x):\n", "    return x\n", "print(1)\n", "risky(a, b=2)\n", "try:\n    risky(1)\nexcept:\n    pass\n",
    "API_TOKEN = 'sk_live_0123456789abcdefXYZ'\n", "class A:\n    pass\n", "# 😀 ünïcode\n", "x = [1, (2, {3: 4})]\n",
    "'''doc\n", "(", ")", ":", "\n", "    ", "é", "🚀", "print", "risky", "\t", "\\",
]
edit_text = st.lists(st.sampled_from(SNIPPETS) | st.text(alphabet="abc ()[]:'\"\n😀é", max_size=6), max_size=4).map("".join)


def _position(text: str, offset: int) -> Position:
    """The LSP position (UTF-16) of a code-point offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return Position(text.count("\n", 0, offset), len(text[line_start:offset].encode("utf-16-le")) // 2)


def _findings(doc: Document, pack) -> list[tuple]:
    return [(f.rule, f.range, f.message, f.fingerprint) for f in analyze_document(doc, pack).findings]


@pytest.fixture(scope="module")
def rules_pack(tmp_path_factory: pytest.TempPathFactory):
    """pack.yaml and our rules only (the loader tests scribble in `small_pack_dir`)."""
    root = tmp_path_factory.mktemp("fuzz-rules-pack")
    shutil.copy(PACK_YAML, root / "pack.yaml")
    (root / "hardening.yaml").write_text(RULES, encoding="utf-8")
    pack = load_pack(root, [])
    assert not pack.errors, pack.errors
    return pack


@FUZZ
@given(initial=edit_text, edits=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), edit_text), min_size=1, max_size=12))
def test_incremental_edits_equal_a_fresh_parse_of_the_final_text(rules_pack, initial: str, edits: list):
    doc = Document("app/fuzz.py", initial, version=0)
    assert doc.tree is not None  # the tree exists, so every edit below goes through Tree.edit
    text = initial
    for version, (a, b, new) in enumerate(edits, start=1):
        start, end = sorted((int(a * len(text)), int(b * len(text))))
        rng = Range(_position(text, start), _position(text, end))
        doc.apply_edit(rng, new, version)
        text = text[:start] + new + text[end:]
        assert doc.text == text
    fresh = Document("app/fuzz.py", text)
    assert str(doc.tree.root_node) == str(fresh.tree.root_node)
    assert _findings(doc, rules_pack) == _findings(fresh, rules_pack)
