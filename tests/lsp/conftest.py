"""End-to-end fixtures: a real server process over stdio, a small pack written for the tests,
and temporary workspaces. Nothing here depends on the bundled pack's rules."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from lsp_harness import PROJECT_RULES, TEST_RULES, Harness, write_pack


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "pack", {"resilience.yaml": TEST_RULES, "observability.yaml": PROJECT_RULES})


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    def build(files: dict[str, str]) -> Path:
        root = tmp_path / "ws"
        root.mkdir(exist_ok=True)
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return build


@pytest_asyncio.fixture
async def harness(pack_dir: Path) -> AsyncIterator[Harness]:
    h = Harness(pack_dir)
    yield h
    await h.stop()
