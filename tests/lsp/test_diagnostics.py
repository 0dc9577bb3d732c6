"""Diagnostic shape (tags, severity map), push versus pull, and project-level diagnostics that
follow facts across files."""

from __future__ import annotations

import asyncio

import pytest
from lsp_harness import (
    change_doc,
    codes,
    encoding_of,
    open_doc,
    to_position,
    wait_for_diagnostics,
    wait_for_version,
)
from lsprotocol import types

from backend_audit.rules.compiler import load_pack

HEALTH = "@app.get('/health')\ndef health():\n    return {'ok': True}\n"
UNUSED = "import os\n\nx = os.getcwd()  # backend-audit: ignore[RES901] not needed any more\n"


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_unused_suppression_is_tagged_unnecessary(harness, workspace, client):
    root = workspace({"app/util.py": UNUSED, "app/health.py": HEALTH})
    lsp = await harness.start(root, client=client, pull=False)
    uri = open_doc(lsp, root / "app/util.py")
    # (until the scan has seen health.py, the project check may also show here)
    (d,) = await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["CFG000"])
    assert list(d.tags or ()) == [types.DiagnosticTag.Unnecessary]
    assert d.severity == types.DiagnosticSeverity.Hint  # Info -> Hint by default
    assert d.message.startswith("Info · ") and "unused suppression" in d.message
    assert d.code_description is not None and "CFG000" in d.code_description.href


async def test_severity_map_setting(harness, workspace):
    root = workspace({"app/main.py": "try:\n    go()\nexcept:\n    pass\n", "app/health.py": HEALTH})
    lsp = await harness.start(root, options={"debounceMs": 0, "severityMap": {"High": "Warning", "Low": "hint"}})
    uri = open_doc(lsp, root / "app/main.py")
    (d,) = await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["RES901"])
    assert d.severity == types.DiagnosticSeverity.Warning


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_push_mode_never_serves_pull(harness, workspace, client):
    root = workspace({"app/main.py": "try:\n    go()\nexcept:\n    pass\n", "app/health.py": HEALTH})
    lsp = await harness.start(root, client=client, pull=False)
    assert harness.result.capabilities.diagnostic_provider is None
    uri = open_doc(lsp, root / "app/main.py")
    await wait_for_diagnostics(lsp, uri, lambda d: "RES901" in codes(d))


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_pull_mode(harness, workspace, client):
    root = workspace(
        {
            "app/main.py": "try:\n    go()\nexcept:\n    pass\n",
            "app/jobs.py": "print('closed file')\n",
            "app/health.py": HEALTH,
        }
    )
    lsp = await harness.start(root, client=client, pull=True)
    enc = encoding_of(harness.result)
    provider = harness.result.capabilities.diagnostic_provider
    assert provider is not None and provider.workspace_diagnostics and provider.inter_file_dependencies
    scanned = await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="backendAudit.scanWorkspace"))
    assert scanned.get("files") == 3, scanned
    uri = open_doc(lsp, root / "app/main.py")
    ident = types.TextDocumentIdentifier(uri=uri)
    first = await lsp.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=ident))
    assert first.kind == "full" and codes(first.items) == ["RES901"]
    again = await lsp.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=ident, previous_result_id=first.result_id)
    )
    assert again.kind == "unchanged" and again.result_id == first.result_id
    # An edit: the next pull waits for the new version's analysis and returns it.
    text = "try:\n    go()\nexcept:\n    pass\n"
    at = to_position(text, len(text), enc)
    change_doc(lsp, uri, 2, [(types.Range(start=at, end=at), "print('now')\n")])
    third = await lsp.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=ident, previous_result_id=first.result_id)
    )
    assert third.kind == "full" and codes(third.items) == ["RES901", "RES902"]
    # Closed files come through workspace/diagnostic.
    ws = await lsp.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
    by_uri = {r.uri: r for r in ws.items}
    jobs = by_uri[(root / "app/jobs.py").as_uri()]
    assert jobs.kind == "full" and codes(jobs.items) == ["RES902"]
    assert uri not in by_uri  # open documents are pulled per document
    # With every result id known, the request is held until something changes (clients
    # re-request at once; answering at once would spin).
    previous = [types.PreviousResultId(uri=r.uri, value=r.result_id) for r in ws.items]
    held = asyncio.ensure_future(lsp.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=previous)))
    await lsp.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=ident))  # a round trip
    assert not held.done()
    (root / "app/jobs.py").write_text("print('a')\nprint('b')\n", encoding="utf-8")
    lsp.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=jobs.uri, type=types.FileChangeType.Changed)])
    )
    answer = {r.uri: r for r in (await held).items}
    assert answer[jobs.uri].kind == "full" and codes(answer[jobs.uri].items) == ["RES902", "RES902"]
    # Never both: nothing was pushed.
    assert lsp.published == []


@pytest.mark.parametrize("client,pull", [("vscode", False), ("neovim", False), ("vscode", True)])
async def test_project_finding_follows_facts_across_files(harness, workspace, client, pull):
    root = workspace({"app/main.py": "app = make_app()\n", "app/routes.py": "@app.get('/orders')\ndef orders():\n    return []\n"})
    lsp = await harness.start(root, client=client, pull=pull)
    enc = encoding_of(harness.result)
    main_uri = (root / "app/main.py").as_uri()

    async def main_codes() -> list[str]:
        if not pull:
            return codes(lsp.diagnostics.get(main_uri, []))
        ws = await lsp.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        return next((codes(r.items) for r in ws.items if r.uri == main_uri), [])

    async def wait_main(expected: list[str]) -> None:
        """Pull until main.py shows `expected`: the evidence pass that updates project facts runs
        once typing pauses, after the edited file's own diagnostics; a pull that names the
        previous results is held by the server until something changes."""
        previous: list[types.PreviousResultId] = []
        while True:
            ws = await lsp.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=previous))
            item = next((r for r in ws.items if r.uri == main_uri), None)
            if item is not None and item.kind == "full" and codes(item.items) == expected:
                return
            known = {p.uri: p for p in previous}
            known.update({r.uri: types.PreviousResultId(uri=r.uri, value=r.result_id) for r in ws.items if r.result_id})
            previous = list(known.values())

    if not pull:
        await wait_for_diagnostics(lsp, main_uri, lambda d: "OBS902" in codes(d))
        (d,) = lsp.diagnostics[main_uri]
        title = load_pack(harness.pack).section_title("observability")
        assert d.message == f"Medium · {title}: no health-check endpoint"
    else:
        await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="backendAudit.scanWorkspace"))
        assert await main_codes() == ["OBS902"]
    # Adding a /health route in another file removes it...
    routes = root / "app/routes.py"
    text = routes.read_text()
    uri = open_doc(lsp, routes)
    refreshes = lsp.diagnostic_refresh_count
    at = to_position(text, len(text), enc)
    change_doc(lsp, uri, 2, [(types.Range(start=at, end=at), "\n@app.get('/health')\ndef health():\n    return 'ok'\n")])
    if not pull:
        await wait_for_diagnostics(lsp, main_uri, lambda d: d == [])
    else:
        await lsp.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        await wait_main([])
        assert lsp.diagnostic_refresh_count > refreshes
    # ...and removing it brings it back.
    change_doc(lsp, uri, 3, [(None, text)])
    if not pull:
        await wait_for_diagnostics(lsp, main_uri, lambda d: codes(d) == ["OBS902"])
        await wait_for_version(lsp, uri, 3)
    else:
        await lsp.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        await wait_main(["OBS902"])
