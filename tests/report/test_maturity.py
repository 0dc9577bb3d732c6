"""The maturity model file is read strictly, and the bundled one is consistent with pack.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_audit.report.maturity import Check, MaturityError, load_maturity
from backend_audit.rules.compiler import load_pack
from backend_audit.rules.model import SECTION_KEYS

PACK = Path(__file__).resolve().parents[2] / "rules" / "backend-infrastructure"


@pytest.fixture(scope="module")
def pack():
    return load_pack(PACK)


def test_the_bundled_model_covers_every_section_and_level(pack) -> None:
    model = load_maturity(PACK / "maturity.yaml", pack.header)
    assert set(model.levels) == set(SECTION_KEYS)
    for section, levels in model.levels.items():
        assert sorted(levels) == [2, 3, 4, 5], section
        assert all(levels[lvl] for lvl in levels), section
    assert model.caps == {"Critical": 2, "High": 3}
    assert set(model.weights) == set(SECTION_KEYS)
    assert sorted(model.recommendations) == [1, 2, 3, 4]


def test_checks_pass_on_their_minimum_status() -> None:
    assert Check("x").passes("yes") and not Check("x").passes("partial")
    assert Check("x", "partial").passes("partial") and not Check("x", "partial").passes("no")
    assert Check("x").passes("n/a") and not Check("x").passes("unknown")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("sectons: {}\n", r"maturity\.yaml: \$: unknown key\(s\): sectons", id="unknown-key"),
        pytest.param("sections: {resilience: {3: [health-check]}}\n", r"sections\.resilience\.3\[0\]: no checklist item 'health-check'", id="unknown-item"),
        pytest.param("sections: {design: {2: [solid]}}\n", r"solid is not statically determinable", id="non-static-item"),
        pytest.param("sections: {api: {1: [openapi]}}\n", r"levels are 2 to 5", id="level-1"),
        pytest.param("sections: {api: {2: [{item: openapi, min: maybe}]}}\n", r"min: yes or partial", id="bad-min"),
        pytest.param("caps: {Severe: 2}\n", r"caps\.Severe: unknown severity", id="bad-severity"),
        pytest.param("not-applicable: [{items: [architecture.cqrs], when: {max-loc: 10}}]\n", r"reason: required", id="na-without-reason"),
        pytest.param("items: {architecture.nothing: all}\n", r"no checklist item 'architecture.nothing'", id="bad-combine"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, message: str, pack) -> None:
    header = pack.header
    path = tmp_path / "maturity.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MaturityError, match=message):
        load_maturity(path, header)
