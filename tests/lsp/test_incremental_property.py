"""Property: any sequence of edits applied through the incremental path (`Document.apply_edit`:
`Tree.edit` plus a reparse with the old tree, then a snapshot as the server analyses it) gives
exactly the findings of a fresh parse of the final text.

The second property drives the region re-analysis of open documents (`analysis.incremental`):
a document with a `RegionMemo`, analysed between edits, must give after every analysis what a
fresh document of the same text gives, with a pack written to hit its traps (inside/not-inside
with regexes, stop-at and max-depth, file-regex, fixes with imports, duplicate reports, sibling
patterns, has/not-has, pattern rules, a spec without a kind) and with the bundled pack. Edits
land on the words those rules read (def, async, import, loops, names) as well as anywhere."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from lsp_harness import KINDLESS_RULES, PROJECT_RULES, REGION_RULES, ROOT_REGEX_RULES, TEST_RULES, write_pack

from backend_audit.analysis.document import Document
from backend_audit.analysis.incremental import RegionMemo
from backend_audit.engine.analyzer import Analyzer
from backend_audit.engine.config import Config
from backend_audit.engine.workspace import snapshot
from backend_audit.rules.compiler import load_pack
from backend_audit.syntax.positions import Position, Range, utf16_len

pytestmark = pytest.mark.fuzz
LONG = os.environ.get("BACKEND_AUDIT_FUZZ") == "long"

BASE = '''\
import requests, logging
log = logging.getLogger("ünïcode 😀")


async def charge(order):
    note = "Zahlung für 😀"; print(note)
    try:
        requests.get(url)
    except:
        pass
    # backend-audit: ignore[RES901] stale
    return note
'''

FRAGMENTS = [
    "\n", "    ", "except:\n    pass\n", "print(x)", "😀", "é", "漢字", "try:\n    go()\n", "(", ")", '"', "'''",
    "# TODO 🎉\n", "requests.post(u)", "async def f():\n    time.sleep(1)\n", "# backend-audit: ignore[RES902]", ":", "\t",
]
TEXT = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=12),
)
EDIT = st.tuples(st.floats(0, 1), st.floats(0, 1), st.integers(0, 40), TEXT)


def _position(text: str, index: int) -> Position:
    before = text[:index]
    line = before.count("\n")
    return Position(line, utf16_len(before[before.rfind("\n") + 1 :]))


@pytest.fixture(scope="module", params=["test-pack", "bundled-pack"])
def analyzer(request, tmp_path_factory) -> Analyzer:
    if request.param == "bundled-pack":
        pack = load_pack()
    else:
        pack = _pack_with(tmp_path_factory, {"resilience.yaml": TEST_RULES, "observability.yaml": PROJECT_RULES})
    return Analyzer(pack.root, Config(), pack)


def _findings(analyzer: Analyzer, doc: Document) -> list:
    result = analyzer.analyze_file(doc)
    return sorted(
        [f.to_json() for f in analyzer.finalize(result)] + [e.to_json() for e in result.analysis.evidence],
        key=repr,
    )


@settings(max_examples=400 if LONG else 40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(EDIT, min_size=1, max_size=12), analyse_every=st.integers(1, 4))
def test_incremental_edits_equal_a_fresh_parse(analyzer, edits, analyse_every):
    doc = Document("app/service.py", BASE)
    assert doc.tree is not None
    text = BASE
    for step, (start_frac, _, length, new) in enumerate(edits):
        start = int(start_frac * len(text))
        end = min(len(text), start + length)
        doc.apply_edit(Range(_position(text, start), _position(text, end)), new, version=step + 2)
        text = text[:start] + new + text[end:]
        if step % analyse_every == 0:
            analyzer.analyze_file(snapshot(doc))  # the server analyses between edits
    assert doc.text == text
    incremental = _findings(analyzer, snapshot(doc))
    fresh = _findings(analyzer, Document("app/service.py", text))
    assert incremental == fresh


REGION_BASE = '''\
"""Orders service 😀 (no import django yet)."""
import requests
import flask

# the handler
async def handle(order):
    for item in order:
        sleep(1)
    query(order)
    x = x
    y = 1
    warn("ünï")
    return requests.get(order.url)


def helper(a):
    sleep(2)
    db.call(conn)
    # TODO(me) tidy
    with db.session() as s:
        s.execute(conn, settings)


class Repo:
    a = b

    def load(self):
        query(self)
        while True:
            sleep(3)
        return None

    # backend-audit: ignore-next-line[RES913]
    def save(self):
        warn("x")
        TRANSACTION = begin()
        if ok:
            commit(a, b=settings)


LABEL = "ünï"; warn(LABEL)
DEBUG = True
'''

REGION_FRAGMENTS = [
    "async ", "def ", "query(x)", "sleep(0)", "for i in y:\n    ", "while 1:\n    ", "import flask\n", "import logging\n",
    "import os\n", "import django\n", "retry()", "settings", "warn(1)", "requests.get(u)", '"""', "#", "# c\n", "TODO(me)", "x = x\n", "a = b\n", "😀", "é", "漢",
    "\n", "    ", ":", "(", ")", "DEBUG = True\n", "return 1\n", "db.", "conn", "TRANSACTION", "class A:\n    ",
    "# backend-audit: ignore-next-line[RES913]\n", "# backend-audit: ignore-file[RES911]\n", "\t", "pass\n",
]
ANCHORS = ["def ", "async", "import", "settings", "ok:", "# the", "# backend", "a = b", "conn|)", "handle|(", "query", "sleep", "for ", "while", "return", "warn", "\n", "flask", "TODO", "#",
           "😀", "conn", "db.", "DEBUG", "TRANSACTION", "class", "x = x", "(", ":", "    "]
REGION_TEXT = st.one_of(
    st.sampled_from(REGION_FRAGMENTS),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=8),
)
REGION_EDIT = st.tuples(st.sampled_from([None, *ANCHORS]), st.floats(0, 1), st.integers(0, 12), REGION_TEXT)
PARTS = st.sampled_from(["findings", "probes", "all"])


def _pack_with(tmp_path_factory, files: dict[str, str]):
    return load_pack(write_pack(tmp_path_factory.mktemp("pack"), files))


REGION_PACKS = {
    "region-pack": {"resilience.yaml": REGION_RULES, "observability.yaml": PROJECT_RULES},
    "kindless-pack": {"resilience.yaml": REGION_RULES, "kindless.yaml": KINDLESS_RULES},
    "root-regex-pack": {"resilience.yaml": REGION_RULES, "root.yaml": ROOT_REGEX_RULES},
}


@pytest.fixture(scope="module", params=[*REGION_PACKS, "bundled-pack"])
def region_setup(request, tmp_path_factory) -> tuple[Analyzer, str]:
    if request.param == "bundled-pack":
        pack = load_pack()
        path = "app/settings.py"  # CFG003 (a fix with an import) applies to settings modules
    else:
        pack = _pack_with(tmp_path_factory, REGION_PACKS[request.param])
        path = "app/service.py"
    assert not pack.errors
    return Analyzer(pack.root, Config(), pack), path


def _start(text: str, anchor: str | None, frac: float) -> int:
    """At an occurrence of `anchor` (at its ``|`` if it has one), else at a fraction of the text."""
    if anchor is not None:
        needle = anchor.replace("|", "")
        found = [i for i in range(len(text)) if text.startswith(needle, i)]
        if found:
            return found[min(len(found) - 1, int(frac * len(found)))] + max(anchor.find("|"), 0)
    return int(frac * len(text))


def _reference(path: str, text: str, snap: Document) -> Document:
    """A fresh parse of the text; or, where tree-sitter's error recovery gave the edited tree
    another shape than a fresh parse gives (it can depend on the edit history), a document of
    the edited tree without a memo: the region pass must equal a whole pass over the same tree."""
    fresh = Document(path, text)
    assert fresh.tree is not None and snap.tree is not None
    if str(fresh.tree.root_node) == str(snap.tree.root_node):
        return fresh
    event("the edited tree differs from a fresh parse")
    same = snap.snapshot()
    same.regions = None
    return same


def _everything(analyzer: Analyzer, doc: Document, part: str) -> list:
    result = analyzer.analyze_file(doc, part)
    a = result.analysis
    found = [f.to_json() for f in analyzer.finalize(result)] + [e.to_json() for e in a.evidence]
    return [*sorted(found, key=repr), a.loc, a.has_syntax_errors, a.is_backend, a.errors]


TRAPS = [
    ("async", 0.0, 6, ""),  # the enclosing function is no longer async: widen to it
    ("flask", 0.0, 5, ""),  # a file-regex answer changes far from its matches
    ("# the", 0.0, 0, '"""\n'),  # the rest of the file becomes a string: changed ranges
    ("conn|)", 0.0, 0, "x"),  # text appended to a leaf, at the region's edge
    ("# the", 0.0, 0, "retry()\n"),  # a rule the prefilter had ruled out becomes possible
    ("while", 0.0, 5, "if"),  # a match's root contains the edit, its captures do not
    ("# backend", 0.0, 1, ""),  # two patterns report one node: found in another order
    ("import", 0.99, 0, "import django\n"),  # a regex on the root's text (root-regex-pack)
    ("TRANSACTION", 0.0, 3, ""),  # an inside spec without a kind (kindless-pack)
    ("# the", 0.0, 0, "import logging\n"),  # the fixes' import edit goes away
    ("import", 0.0, 0, "import os\n"),  # the import offset of fixes (CFG003) moves
    ('LABEL = "|ünï"', 0.0, 0, "😀"),  # UTF-16 columns of a kept hit on the edited line
    ("def ", 0.5, 4, "def renamed_"),  # a function renamed
]


@settings(max_examples=1000 if LONG else 200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(REGION_EDIT, PARTS, st.booleans()), min_size=1, max_size=14))
@example(edits=[(TRAPS[0], "findings", True)])
@example(edits=[(TRAPS[1], "findings", True)])
@example(edits=[(TRAPS[2], "findings", True)])
@example(edits=[(TRAPS[3], "findings", True)])
@example(edits=[(TRAPS[4], "findings", True)])
@example(edits=[(TRAPS[5], "findings", True)])
@example(edits=[(TRAPS[6], "findings", True)])
@example(edits=[(TRAPS[7], "findings", True)])
@example(edits=[(TRAPS[8], "findings", True)])
@example(edits=[(TRAPS[9], "findings", True)])
@example(edits=[(TRAPS[10], "findings", True)])
@example(edits=[(TRAPS[11], "findings", True)])
@example(edits=[(TRAPS[12], "findings", True)])
@example(edits=[(trap, part, True) for trap in TRAPS for part in ("findings", "probes", "all")])
@example(edits=[(("TODO", 0.0, 5, ""), "findings", True), (("# the", 0.0, 0, "# TODO(you)\n"), "findings", True)])
def test_region_reanalysis_equals_a_fresh_analysis(region_setup, edits):
    analyzer, path = region_setup
    doc = Document(path, REGION_BASE)
    doc.regions = RegionMemo()
    assert doc.tree is not None
    text = REGION_BASE
    assert _everything(analyzer, doc.snapshot(), "findings") == _everything(analyzer, Document(path, text), "findings")
    for step, ((anchor, frac, length, new), part, analyse) in enumerate(edits):
        start = _start(text, anchor, frac)
        end = min(len(text), start + length)
        doc.apply_edit(Range(_position(text, start), _position(text, end)), new, version=step + 2)
        text = text[:start] + new + text[end:]
        if analyse or step == len(edits) - 1:
            snap = doc.snapshot()
            assert _everything(analyzer, snap, part) == _everything(analyzer, _reference(path, text, snap), part)
    assert doc.text == text
    event("some region passes" if doc.regions is not None and doc.regions.region_passes else "whole passes only")
