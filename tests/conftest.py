"""Shared test helpers: paths of the repository, and a factory for small test packs."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACK = REPO / "rules" / "backend-infrastructure"
EXAMPLE = REPO / "examples" / "orders-service"
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture
def make_pack(tmp_path: Path):
    """Build a pack with the real pack.yaml and the given rule files: {name: yaml text}."""

    def build(files: dict[str, str]) -> Path:
        root = tmp_path / "pack"
        root.mkdir(exist_ok=True)
        shutil.copy(PACK / "pack.yaml", root / "pack.yaml")
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return build
