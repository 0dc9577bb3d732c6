"""Open and incremental edits over stdio, under the VS Code (UTF-16) and Neovim (UTF-8) sets."""

from __future__ import annotations

import pytest
from lsp_harness import codes, open_doc, wait_for_diagnostics
from lsprotocol import types

APP = """\
import logging

log = logging.getLogger(__name__)


def charge(order):
    try:
        pay(order)
    except:
        pass
"""


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_open_publishes_tagged_diagnostics(harness, workspace, client):
    root = workspace({"app/main.py": APP, "app/health.py": "@app.get('/health')\ndef h():\n    return 1\n"})
    lsp = await harness.start(root, client=client, pull=False)
    uri = open_doc(lsp, root / "app/main.py")
    diags = await wait_for_diagnostics(lsp, uri, lambda d: "RES901" in codes(d))
    (d,) = [d for d in diags if d.code == "RES901"]
    assert d.source == "backend-audit"
    assert d.message == "High · Error Handling & Resilience: bare except hides failures"
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.range == types.Range(start=types.Position(line=8, character=4), end=types.Position(line=8, character=10))
    assert d.code_description is not None and d.code_description.href.endswith("RES901.md")
    assert d.data["section"] == "resilience" and d.data["severity"] == "High" and d.data["rule"] == "RES901"
    assert d.data["fingerprint"] and d.data["fix"]["title"] == "Catch Exception instead of everything"
