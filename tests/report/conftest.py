"""Report tests scan fresh: the per-file result cache is switched off, so every test sees what
the analyser finds now, and no cache is left behind for temporary workspaces."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_result_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_AUDIT_CACHE_DIR", "off")
