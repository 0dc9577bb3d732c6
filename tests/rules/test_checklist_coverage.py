"""Every checklist item of the audit is answered: by a detector, or by an explicit reason.

An item of `pack.yaml` is covered when a rule names it in `checklist:`, or a rule produces one
of the item's `facts` (a probe's `fact`), or the item is `static: false` with a `reason`, which
the report prints as "not statically determinable". This runs over all ten sections and every
language folder of the bundled pack.
"""

from __future__ import annotations

from functools import cache

import pytest

from backend_audit.rules.compiler import CompiledPack, load_pack
from backend_audit.rules.model import RuleKind


@cache
def bundled_pack() -> CompiledPack:
    return load_pack()


def checklist_items() -> list:
    return [
        pytest.param(section.key, item, id=f"{section.key}.{item.key}")
        for section in bundled_pack().sections
        for item in section.checklist
    ]


@cache
def detectors() -> tuple[frozenset[str], frozenset[str]]:
    """(checklist items named by any rule, facts produced by any probe)."""
    pack = bundled_pack()
    named = frozenset(r.rule.checklist for r in pack.rules if r.rule.checklist)
    produced = frozenset(r.rule.fact for r in pack.rules if r.rule.kind is RuleKind.PROBE and r.rule.fact)
    return named, produced


@pytest.mark.parametrize(("section", "item"), checklist_items())
def test_item_has_a_detector_or_a_reason(section: str, item) -> None:
    if not item.static:
        assert item.reason and item.reason.strip(), f"{section}.{item.key}: static: false needs a reason"
        return
    named, produced = detectors()
    by_rule = f"{section}.{item.key}" in named
    by_fact = bool(set(item.facts) & produced)
    assert by_rule or by_fact, (
        f"{section}.{item.key} has no detector: no rule names it in `checklist:` and no probe "
        f"produces any of its facts {item.facts}; add one, or mark it `static: false` with a reason"
    )


def test_every_section_has_checklist_items() -> None:
    assert all(section.checklist for section in bundled_pack().sections)


def test_rules_name_real_checklist_items() -> None:
    """The compiler rejects unknown items; this guards the detector sets above against rules that
    failed to load for that reason (they would silently not count)."""
    bad = [e for e in bundled_pack().errors if "checklist" in e.message]
    assert not bad, bad
