"""Baselines and focus on new code, in the editor.

- ``baselined: hide`` (the default) hides the findings the baseline accepts; ``hint`` shows them
  as Hints;
- ``focus: changed-lines`` shows findings on lines unchanged since ``focusRef`` (HEAD) as Hints.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hardening_support import CONFIG
from lsprotocol import types

from backend_audit.cli import main

OLD = "def place(order):\n    print(order)\n    return order\n"
NEW = "def place(order):\n    print(order)\n    print('new')\n    return order\n"


def _open(client, path: Path, text: str) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    return uri


def _by_line(diagnostics) -> dict[int, types.DiagnosticSeverity]:
    return {d.range.start.line: d.severity for d in diagnostics if d.code == "DES901"}


@pytest.fixture
def baselined(make_workspace, capsys) -> Path:
    root = make_workspace({"app/orders.py": OLD}, config=CONFIG + "baseline: .backend-audit-baseline.json\n")
    assert main(["check", str(root), "--select", "DES9", "--write-baseline"]) == 0
    capsys.readouterr()
    return root


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({}, {2: types.DiagnosticSeverity.Error}, id="hide-by-default"),
        pytest.param({"baselined": "hide"}, {2: types.DiagnosticSeverity.Error}, id="hide"),
        pytest.param(
            {"baselined": "hint"}, {1: types.DiagnosticSeverity.Hint, 2: types.DiagnosticSeverity.Error}, id="hint"
        ),
    ],
)
async def test_baselined_findings_are_hidden_or_hints(baselined: Path, lsp_client_factory, options: dict, expected: dict):
    client = await lsp_client_factory(baselined, {"debounceMs": 0, **options})
    uri = _open(client, baselined / "app" / "orders.py", NEW)
    diagnostics = await client.wait_for_diagnostics(uri, lambda ds: 2 in _by_line(ds))
    assert _by_line(diagnostics) == expected


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
async def test_focus_on_changed_lines_makes_the_rest_hints(make_workspace, lsp_client_factory):
    root = make_workspace({"app/orders.py": OLD})
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "initial"]):
        subprocess.run(
            ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", "-c", "commit.gpgsign=false", *args],
            cwd=root, check=True, capture_output=True,
        )
    client = await lsp_client_factory(root, {"debounceMs": 0, "focus": "changed-lines"})
    uri = _open(client, root / "app" / "orders.py", NEW)  # unsaved: the buffer is what counts
    diagnostics = await client.wait_for_diagnostics(uri, lambda ds: 2 in _by_line(ds))
    assert _by_line(diagnostics) == {1: types.DiagnosticSeverity.Hint, 2: types.DiagnosticSeverity.Error}


async def test_focus_on_changed_lines_outside_git_says_so_and_shows_everything(make_workspace, lsp_client_factory):
    root = make_workspace({"app/orders.py": OLD})
    if subprocess.run(["git", "rev-parse"], cwd=root, capture_output=True).returncode == 0:
        pytest.skip("the temporary directory is inside a git repository")
    client = await lsp_client_factory(root, {"debounceMs": 0, "focus": ["changed-lines"]})
    uri = _open(client, root / "app" / "orders.py", NEW)
    diagnostics = await client.wait_for_diagnostics(uri, lambda ds: 2 in _by_line(ds))
    assert _by_line(diagnostics) == {1: types.DiagnosticSeverity.Error, 2: types.DiagnosticSeverity.Error}
    assert any("changed-lines is off" in m.message for m in client.messages)
