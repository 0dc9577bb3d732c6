"""The workspace scan with work-done progress, the commands, the openFiles scope, files
changed on disk, and robustness: a failing handler is logged and contained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsp_harness import codes, open_doc, wait_for_diagnostics
from lsprotocol import types
from pygls.exceptions import JsonRpcException

HEALTH = "@app.get('/health')\ndef health():\n    return {'ok': True}\n"
FILES = {
    "app/main.py": "app = make_app()\n",
    "app/health.py": HEALTH,
    "app/jobs.py": "try:\n    run()\nexcept:\n    pass\n",
    "app/cli.py": "print('hello')\n",
    "requirements.txt": "fastapi==0.115.0\n",
}


async def _progress_end(lsp) -> tuple[str, list]:
    while True:
        for token, reports in lsp.progress_reports.items():
            if reports and isinstance(reports[-1], types.WorkDoneProgressEnd):
                return str(token), reports
        await lsp.wait_for_notification(types.PROGRESS)


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_initial_scan_reports_progress_and_closed_files(harness, workspace, client):
    root = workspace(FILES)
    lsp = await harness.start(root, client=client, pull=False)
    _, reports = await _progress_end(lsp)
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    assert any(isinstance(r, types.WorkDoneProgressReport) for r in reports)
    percentages = [r.percentage for r in reports if isinstance(r, types.WorkDoneProgressReport)]
    assert percentages == sorted(percentages)
    assert "5 files" in (reports[-1].message or "")
    jobs = (root / "app/jobs.py").as_uri()
    await wait_for_diagnostics(lsp, jobs, lambda d: codes(d) == ["RES901"])
    await wait_for_diagnostics(lsp, (root / "app/cli.py").as_uri(), lambda d: codes(d) == ["RES902"])


async def test_scan_cancelled_by_the_client(harness, workspace):
    files = {f"app/m{i:04}.py": "print('x')\n" for i in range(1500)}
    root = workspace({**files, "app/health.py": HEALTH})
    lsp = await harness.start(root, client="vscode", pull=False)
    while not any(lsp.progress_reports.values()):
        await lsp.wait_for_notification(types.PROGRESS)
    (token,) = lsp.progress_reports
    lsp.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    _, reports = await _progress_end(lsp)
    assert reports[-1].message == "cancelled"
    assert not any(uri.endswith(".py") and "/app/m" in uri for uri in lsp.diagnostics)  # nothing installed
    # a new scan (the command) completes and publishes
    scanned = await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="backendAudit.scanWorkspace"))
    assert scanned["files"] == 1501
    await wait_for_diagnostics(lsp, (root / "app/m0000.py").as_uri(), lambda d: codes(d) == ["RES902"])


async def test_open_files_scope(harness, workspace):
    root = workspace(FILES)
    lsp = await harness.start(root, options={"debounceMs": 0, "scope": "openFiles"})
    await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="backendAudit.scanWorkspace"))
    assert (root / "app/jobs.py").as_uri() not in lsp.diagnostics
    uri = open_doc(lsp, root / "app/cli.py")
    await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["RES902"])
    lsp.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    await wait_for_diagnostics(lsp, uri, lambda d: d == [])


async def test_file_changed_on_disk(harness, workspace):
    root = workspace(FILES)
    lsp = await harness.start(root)
    jobs = root / "app/jobs.py"
    await wait_for_diagnostics(lsp, jobs.as_uri(), lambda d: codes(d) == ["RES901"])
    jobs.write_text("try:\n    run()\nexcept ValueError:\n    pass\n", encoding="utf-8")
    lsp.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=jobs.as_uri(), type=types.FileChangeType.Changed)])
    )
    await wait_for_diagnostics(lsp, jobs.as_uri(), lambda d: d == [])
    # deleting the health route brings the project finding to main.py
    (root / "app/health.py").unlink()
    lsp.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(root / "app/health.py").as_uri(), type=types.FileChangeType.Deleted)]
        )
    )
    await wait_for_diagnostics(lsp, (root / "app/main.py").as_uri(), lambda d: codes(d) == ["OBS902"])


async def test_commands(harness, workspace):
    root = workspace(FILES)
    lsp = await harness.start(root)
    scanned = await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="backendAudit.scanWorkspace", arguments=[]))
    assert scanned["files"] == 5
    doc = await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="backendAudit.showRuleDoc", arguments=["RES901"]))
    assert doc["rule"] == "RES901" and doc["markdown"].startswith("# RES901 test-bare-except")
    with pytest.raises(JsonRpcException, match="unknown rule"):
        await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="backendAudit.showRuleDoc", arguments=["NOPE999"]))
    # generateReport: no arguments, [], and an object; outside the workspace is refused
    for arguments in (None, []):
        result = await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="backendAudit.generateReport", arguments=arguments))
        assert set(result) >= {"path", "overall"} and Path(result["path"]).is_file()
        assert Path(result["path"]).parent == root
    result = await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command="backendAudit.generateReport", arguments=[{"format": "json", "output": "out/audit.json"}])
    )
    assert result["path"] == str(root / "out" / "audit.json")
    written = json.loads((root / "out" / "audit.json").read_text())
    assert written["overall"] == result["overall"] and set(result["overall"]) == {"score", "level"}
    assert lsp.shown_documents[-1].uri == (root / "out" / "audit.json").as_uri()
    with pytest.raises(JsonRpcException, match="outside the workspace"):
        await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="backendAudit.generateReport", arguments=[{"output": "../escape.md"}])
        )
    assert not (root.parent / "escape.md").exists()


async def test_a_failing_handler_is_logged_and_contained(harness, workspace):
    root = workspace(FILES)
    lsp = await harness.start(root)
    uri = open_doc(lsp, root / "app/jobs.py")
    (d,) = await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["RES901"])
    # a diagnostic whose fix data is garbage makes the code action handler raise
    broken = types.Diagnostic(range=d.range, message=d.message, source="backend-audit", code="RES901", data={"rule": "RES901", "fix": {"title": 1}})
    actions = await lsp.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=d.range, context=types.CodeActionContext(diagnostics=[broken])
        )
    )
    assert not actions
    assert any(m.type == types.MessageType.Error and "code_action failed" in m.message for m in lsp.log_messages)
    # an edit to a document that was never opened is reported, not fatal
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=(root / "nope.py").as_uri(), version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="x")],
        )
    )
    # the server goes on
    good = await lsp.text_document_code_action_async(
        types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri=uri), range=d.range, context=types.CodeActionContext(diagnostics=[d]))
    )
    assert any(a.title.startswith("Catch Exception") for a in good)
    assert any("not open" in m.message for m in lsp.log_messages)
