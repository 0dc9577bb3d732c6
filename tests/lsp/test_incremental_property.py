"""Property: any sequence of edits applied through the incremental path (`Document.apply_edit`:
`Tree.edit` plus a reparse with the old tree, then a snapshot as the server analyses it) gives
exactly the findings of a fresh parse of the final text."""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsp_harness import PACK_YAML, PROJECT_RULES, TEST_RULES

from backend_audit.analysis.document import Document
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
        root = tmp_path_factory.mktemp("pack")
        (root / "python").mkdir()
        shutil.copy(PACK_YAML, root / "pack.yaml")
        (root / "python" / "resilience.yaml").write_text(TEST_RULES, encoding="utf-8")
        (root / "python" / "observability.yaml").write_text(PROJECT_RULES, encoding="utf-8")
        pack = load_pack(root)
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
