"""The prefilter's promise: a file that fails a rule's requirement cannot produce a match.

For every regex of the real pack (`where` regexes and `#match?` predicates), texts that the regex
matches, inside arbitrary surrounding text, must meet the requirement derived from it."""

from __future__ import annotations

import re

import pytest
import re2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend_audit.rules.compiler import load_pack, query_regexes
from backend_audit.rules.prefilter import COMMON_WORDS, best, relax, requirement


def _pack_regexes() -> list[str]:
    out: set[str] = set()
    for rule in load_pack().rules:
        for c in rule.rule.match.where:
            for regex in (c.regex, c.file_regex):
                if regex:
                    out.add(regex)
            for spec in (c.inside, c.has):
                if spec is not None and spec.regex:
                    out.add(spec.regex)
        if rule.query_source:
            out.update(r.encode().decode("unicode_escape") for r in query_regexes(rule.query_source))
    return sorted(out)


REGEXES = _pack_regexes()


def _meets(req: tuple[frozenset[str], int], text: str) -> bool:
    return any(re2.search(alternative, text) is not None for alternative in req[0])


def test_common_words_give_way_to_the_relaxed_regex() -> None:
    assert requirement(r"import[\s\\]*\*") == (frozenset({r"(?:import[\s\\]*\*)"}), 1)
    assert requirement(r"^(verify|verify_ssl)$") == (frozenset({"verify", "verify_ssl"}), 6)
    # a common word with nothing more to say stays a literal
    assert requirement(r"^import$") == (frozenset({"import"}), 6)
    weak, strong = (frozenset({"except"}), 6), (frozenset({r"(?:except\s*:)"}), 1)
    assert best([weak, strong]) == strong and best([strong, (frozenset({"sleep"}), 5)])[1] == 5
    assert {"import", "except", "catch", "self", "this"} <= COMMON_WORDS


def test_relax_only_removes_assertions() -> None:
    assert relax(r"^\bfoo\d+$") == r"foo\d+"
    assert relax(r"[$^]x") == r"[$^]x"
    assert relax(r"^$") is None  # would match everywhere


@pytest.mark.parametrize("pattern", REGEXES)
def test_requirement_holds_for_every_match(pattern: str) -> None:
    req = requirement(pattern)
    if req is None:
        return
    try:
        strategy = st.from_regex(re.compile(pattern), fullmatch=False)
    except Exception:  # Python cannot generate for RE2-only syntax: nothing to check here
        return

    @settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.text(max_size=8), strategy, st.text(max_size=8))
    def check(before: str, matched: str, after: str) -> None:
        if re2.search(pattern, matched) is None:  # Python and RE2 disagree on this text
            return
        assert _meets(req, before + matched + after), (pattern, matched, req)

    check()
