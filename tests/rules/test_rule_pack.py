"""The generic rule test: every rule of the bundled pack loads, and every example it carries is
classified as the rule says (flagged examples are reported, ok examples are not, snippets
parse, fixes produce the expected, parseable text).

The cases run through `backend_audit.engine.ruletest.run_pack_cases`, the same code as
`backend-audit rules test`, one pytest item per rule so a failure names the rule.
"""

from __future__ import annotations

from functools import cache

import pytest

from backend_audit.engine.ruletest import run_pack_cases
from backend_audit.rules.compiler import CompiledPack, load_pack


@cache
def bundled_pack() -> CompiledPack:
    """Loaded once per test session: compiling the batched queries is the expensive part."""
    return load_pack()


def test_the_pack_loads_without_errors() -> None:
    errors = [str(e) for e in bundled_pack().errors]
    assert not errors, "\n".join(errors)


def test_every_rule_has_flagged_and_ok_examples() -> None:
    lacking = [r.id for r in bundled_pack().rules if not (r.rule.examples.flagged and r.rule.examples.ok)]
    assert not lacking, lacking


@pytest.mark.parametrize(
    "rule_id", [pytest.param(r.id, id=f"{r.id}-{r.rule.name}") for r in bundled_pack().rules]
)
def test_rule_examples(rule_id: str) -> None:
    results = run_pack_cases(bundled_pack(), {rule_id})
    assert results, f"{rule_id}: no cases ran"
    failed = [f"{c.kind}[{c.index}] {c.status}: {c.detail}" for c in results if not c.ok]
    assert not failed, "\n".join(failed)
