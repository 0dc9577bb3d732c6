"""The region re-analysis of open documents (`analysis.incremental`), trap by trap: each test
edits a document that has a memo and checks the result against a fresh document of the same
text, and that the region pass was (or was not) taken."""

from __future__ import annotations

import pytest
from lsp_harness import KINDLESS_RULES, PROJECT_RULES, REGION_RULES, write_pack
from test_incremental_property import REGION_BASE, _position

from backend_audit.analysis.document import Document
from backend_audit.analysis.incremental import RegionMemo, changed_region, common_prefix, common_suffix
from backend_audit.engine.analyzer import Analyzer
from backend_audit.engine.config import Config
from backend_audit.rules.compiler import load_pack
from backend_audit.syntax.positions import LineIndex, Range

PATH = "app/service.py"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    loaded = load_pack(write_pack(tmp_path_factory.mktemp("pack"), {"resilience.yaml": REGION_RULES, "observability.yaml": PROJECT_RULES}))
    assert not loaded.errors
    return loaded


@pytest.fixture
def analyzer(pack) -> Analyzer:
    return Analyzer(pack.root, Config(), pack)


def _open(text: str = REGION_BASE) -> Document:
    doc = Document(PATH, text)
    doc.regions = RegionMemo()
    return doc


def _edit(doc: Document, old: str, new: str, nth: int = 0) -> None:
    text = doc.text
    start = -1
    for _ in range(nth + 1):
        start = text.index(old, start + 1)
    doc.apply_edit(Range(_position(text, start), _position(text, start + len(old))), new)


def _view(analyzer: Analyzer, doc: Document, part: str = "findings") -> list:
    result = analyzer.analyze_file(doc, part)
    found = [f.to_json() for f in analyzer.finalize(result)] + [e.to_json() for e in result.analysis.evidence]
    return [*sorted(found, key=repr), result.analysis.loc]


def _check(analyzer: Analyzer, doc: Document, part: str = "findings") -> list:
    snap = doc.snapshot()
    got = _view(analyzer, snap, part)
    assert got == _view(analyzer, Document(PATH, snap.text), part)
    return got


def _rules(view: list) -> list[str]:
    return [f["rule"] for f in view if isinstance(f, dict) and "rule" in f]


def test_a_typical_edit_takes_the_region_path(analyzer):
    doc = _open()
    _check(analyzer, doc)
    _edit(doc, "y = 1", "y = 2")
    _check(analyzer, doc)
    _edit(doc, "# the handler", "# the order handler")
    _check(analyzer, doc)
    assert doc.regions is not None and doc.regions.region_passes == 2


def test_an_ancestor_regex_changed_by_an_edit_far_from_the_match(analyzer):
    doc = _open()
    assert "RES910" in _rules(_check(analyzer, doc))
    _edit(doc, "async def handle", "def handle")
    assert "RES910" not in _rules(_check(analyzer, doc))
    _edit(doc, "def handle", "async def handle")
    assert "RES910" in _rules(_check(analyzer, doc))
    assert doc.regions is not None and doc.regions.region_passes == 2


def test_a_file_regex_answer_that_changes_analyses_the_whole_file(analyzer):
    doc = _open()
    assert "RES912" in _rules(_check(analyzer, doc))
    _edit(doc, "import flask\n", "")
    assert "RES912" not in _rules(_check(analyzer, doc))
    assert doc.regions is not None and doc.regions.region_passes == 0


def test_a_match_whose_root_contains_the_edit_but_not_its_captures(analyzer):
    doc = _open()
    assert "RES922" in _rules(_check(analyzer, doc))
    _edit(doc, "while True:", "if True:")
    assert "RES922" not in _rules(_check(analyzer, doc))
    assert doc.regions is not None and doc.regions.region_passes == 1


def test_a_quote_that_turns_the_rest_into_a_string(analyzer):
    doc = _open()
    _check(analyzer, doc)
    _edit(doc, "# the handler\n", '"""\n')
    assert not {"RES910", "RES922"} & set(_rules(_check(analyzer, doc)))


def test_a_rule_the_prefilter_had_ruled_out_becomes_possible(analyzer):
    doc = _open()
    _check(analyzer, doc)
    _edit(doc, "# the handler\n", "retry()\n")
    assert "RES923" in _rules(_check(analyzer, doc))
    assert doc.regions is not None and doc.regions.region_passes == 0


def test_fixes_of_kept_matches_follow_the_import_lines(analyzer):
    doc = _open()
    before = _check(analyzer, doc)
    warn = [f for f in before if isinstance(f, dict) and f.get("rule") == "RES913"]
    assert warn and all(len(f["fix"]["edits"]) == 2 for f in warn)
    _edit(doc, "import flask\n", "import flask\nimport logging\n")
    after = _check(analyzer, doc)
    warn = [f for f in after if isinstance(f, dict) and f.get("rule") == "RES913"]
    assert warn and all(len(f["fix"]["edits"]) == 1 for f in warn)


def test_unicode_before_a_kept_match_on_the_same_line(analyzer):
    doc = _open()
    before = _check(analyzer, doc)
    _edit(doc, 'LABEL = "ünï"', 'LABEL = "😀ünï"')
    after = _check(analyzer, doc)
    old = next(f for f in before if isinstance(f, dict) and f["rule"] == "RES913" and f["range"]["start"]["character"] > 10)
    new = next(f for f in after if isinstance(f, dict) and f["rule"] == "RES913" and f["range"]["start"]["character"] > 10)
    assert new["range"]["start"]["character"] == old["range"]["start"]["character"] + 2  # one UTF-16 surrogate pair
    assert doc.regions is not None and doc.regions.region_passes == 1


def test_occurrence_fingerprints_count_kept_and_new_matches_in_order(analyzer):
    doc = _open()
    _check(analyzer, doc)
    _edit(doc, "# the handler\n", 'warn("x")\n')
    _check(analyzer, doc)
    _edit(doc, 'warn("x")\n', "")
    _check(analyzer, doc)
    assert doc.regions is not None and doc.regions.region_passes == 2


def test_a_pattern_rule_skipped_while_its_literal_is_missing(analyzer):
    doc = _open()
    assert "RES918" in _rules(_check(analyzer, doc))
    _edit(doc, "TODO(me)", "tidy")
    assert "RES918" not in _rules(_check(analyzer, doc))
    _edit(doc, "y = 1", "y = 2")
    _check(analyzer, doc)
    _edit(doc, "# the handler", "# the handler, TODO(you)")
    assert "RES918" in _rules(_check(analyzer, doc))
    assert doc.regions is not None and doc.regions.region_passes == 3


def test_a_suppression_added_far_from_its_finding(analyzer):
    doc = _open()
    _check(analyzer, doc)
    _edit(doc, "# the handler\n", "# backend-audit: ignore-file[RES913]\n")
    assert "RES913" not in _rules(_check(analyzer, doc))


def test_several_edits_between_analyses(analyzer):
    doc = _open()
    _check(analyzer, doc)
    _edit(doc, "sleep(1)", "sleep(10)")
    _edit(doc, "query(self)", "query(self, 1)")
    _edit(doc, "DEBUG = True", "DEBUG = False")
    _check(analyzer, doc)


def test_snapshots_analysed_out_of_order(analyzer):
    doc = _open()
    _check(analyzer, doc)
    _edit(doc, "y = 1", "y = x")
    first = doc.snapshot()
    _edit(doc, "async def", "def")
    second = doc.snapshot()
    for snap in (second, first, second):
        assert _view(analyzer, snap) == _view(analyzer, Document(PATH, snap.text))


def test_a_full_text_replacement_starts_a_new_memo(analyzer):
    doc = _open()
    _check(analyzer, doc)
    memo = doc.regions
    doc.apply_edit(None, REGION_BASE.replace("query", "fetch"))
    assert doc.regions is not memo and doc.regions is not None
    _check(analyzer, doc)
    assert doc.regions.region_passes == 0


def test_selections_and_packs_have_their_own_entries(analyzer, pack):
    doc = _open()
    _check(analyzer, doc, "findings")
    _check(analyzer, doc, "probes")
    _edit(doc, "y = 1", "y = 2")
    _check(analyzer, doc, "findings")
    _check(analyzer, doc, "probes")
    assert doc.regions is not None and doc.regions.region_passes == 2
    ignoring = Analyzer(pack.root, Config(ignore=["RES913"]), pack)
    view = _view(ignoring, doc.snapshot())
    assert "RES913" not in _rules(view)
    assert view == _view(ignoring, Document(PATH, doc.text))
    reloaded = load_pack(pack.root)
    other = Analyzer(reloaded.root, Config(), reloaded)
    _edit(doc, "y = 2", "y = 3")
    assert _view(other, doc.snapshot()) == _view(other, Document(PATH, doc.text))
    assert doc.regions.region_passes == 2  # another selection, another pack: whole passes


def test_an_inside_spec_without_a_kind_analyses_the_whole_file(tmp_path):
    root = write_pack(tmp_path / "pack", {"kindless.yaml": KINDLESS_RULES})
    pack = load_pack(root)
    analyzer = Analyzer(root, Config(), pack)
    doc = _open()
    assert "RES920" in _rules(_check(analyzer, doc))
    _edit(doc, "TRANSACTION", "TRANS")
    assert "RES920" not in _rules(_check(analyzer, doc))
    assert doc.regions is not None and doc.regions.region_passes == 0


def test_changed_region_covers_the_changed_bytes():
    old = b"def f():\n    return 1\n"
    new = b"def f():\n    return 12\n"
    assert common_prefix(old, new) == old.index(b"1") + 1
    assert common_suffix(old, new, len(old) - common_prefix(old, new)) == 1
    a, b = Document(PATH, old.decode()), Document(PATH, new.decode())
    assert a.tree is not None and b.tree is not None
    region = changed_region(a.source, a.lines, a.tree, b.source, b.lines, b.tree)
    assert region.new_lo < new.index(b"12") + 1 < region.new_hi
    assert region.shift(len(old)) == len(new) and region.shift(0) == 0


def test_line_index_shifted_by_an_edit_equals_a_fresh_one():
    source = "a\nbé\n\nc😀d\n".encode()
    index = LineIndex(source)
    for start, end, text in [(0, 0, b"x\n"), (2, 5, b""), (3, 9, b"\n\n"), (len(source), len(source), b"z")]:
        new = source[:start] + text + source[end:]
        assert index.replaced(new, start, end, start + len(text)).line_starts == LineIndex(new).line_starts
