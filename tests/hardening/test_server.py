"""The hardening matrix for the language server, over stdio, as an editor drives it.

- 1,000 didChange in a burst: the final diagnostics are those of the final text;
- didClose while the document is being analysed;
- cancelled requests;
- a client that disconnects in the middle of the workspace scan: the server exits cleanly.

Nothing sleeps: every wait is on a notification or a process event.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from hardening_support import SERVER_CODE, empty_pack
from lsprotocol import types
from pygls.exceptions import JsonRpcException

BURST = 1_000


def _open(client, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text))
    )
    return uri


def _shape(diagnostics) -> list[tuple]:
    return sorted(
        (str(d.code), d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.message)
        for d in diagnostics
    )


def _position(text: str) -> types.Position:
    """The end of `text` as an LSP position (UTF-16)."""
    line = text.count("\n")
    last = text[text.rfind("\n") + 1 :]
    return types.Position(line=line, character=len(last.encode("utf-16-le")) // 2)


@pytest.mark.parametrize("debounce", [0, 150], ids=["analyse-every-change", "debounced"])
async def test_a_burst_of_1000_changes_ends_with_the_diagnostics_of_the_final_text(
    make_workspace, lsp_client_factory, debounce: int
):
    root = make_workspace({"app/burst.py": "def handler(order):\n    return order\n"})
    client = await lsp_client_factory(root, {"debounceMs": debounce, "scope": "openFiles"})
    text = (root / "app" / "burst.py").read_text()
    uri = _open(client, root / "app" / "burst.py", text)
    await client.wait_for_version(uri, 1)
    pieces = ["print(order)\n", "risky(order)\n", "x = 1\n", "# 😀 é\n", "try:\n    risky(1)\nexcept Exception:\n    pass\n"]
    for i in range(BURST):
        piece = pieces[i % len(pieces)]
        if i % 97 == 13:  # now and then, delete the last line typed
            lines = text.splitlines(keepends=True)
            start = _position("".join(lines[:-1]))
            change = types.TextDocumentContentChangePartial(range=types.Range(start=start, end=_position(text)), text="")
            text = "".join(lines[:-1])
        else:
            end = _position(text)
            change = types.TextDocumentContentChangePartial(range=types.Range(start=end, end=end), text=piece)
            text += piece
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=i + 2), content_changes=[change]
            )
        )
    final = await client.wait_for_version(uri, BURST + 1)
    # The same text, opened fresh under another name, gives the same diagnostics.
    (root / "app" / "fresh.py").write_text(text)
    fresh_uri = _open(client, root / "app" / "fresh.py", text)
    fresh = await client.wait_for_version(fresh_uri, 1)
    assert _shape(final.diagnostics) == _shape(fresh.diagnostics)
    assert sum(1 for d in final.diagnostics if d.code == "DES901") == text.count("print(order)")
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == sorted(versions), "diagnostics are published in version order"


async def test_did_close_while_the_document_is_being_analysed(make_workspace, lsp_client_factory):
    root = make_workspace({"app/big.py": "print('on disk')\n", "app/other.py": "print('other')\n"})
    client = await lsp_client_factory(root, {"debounceMs": 0, "scope": "workspace"})
    uri = (root / "app" / "big.py").as_uri()
    await client.wait_for_diagnostics(uri, lambda ds: len(ds) == 1)  # from the workspace scan
    big = "".join(f"def f{i}(x):\n    print(x)\n    risky(x)\n" for i in range(3_000))
    _open(client, root / "app" / "big.py", big, version=7)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    closed_at = len(client.published)
    # Analyses run one at a time, in order: once the next document's diagnostics are here, the
    # closed document's analysis has ended (or was dropped).
    other = _open(client, root / "app" / "other.py", "print('other')\nprint('more')\n")
    await client.wait_for_diagnostics(other, lambda ds: len(ds) == 2)
    # The unsaved text is gone: never a diagnostic for it; the file on disk is the truth again.
    after_close = [p for p in client.published[closed_at:] if p.uri == uri]
    assert all(len(p.diagnostics) == 1 for p in after_close), [len(p.diagnostics) for p in after_close]
    assert [d.range.start.line for d in client.diagnostics[uri]] == [0]
    assert "Traceback" not in client.stderr_text()


async def test_cancelled_requests_are_answered_or_cancelled_and_the_server_goes_on(make_workspace, lsp_client_factory):
    files = {f"app/m{i:03d}.py": "def f(x):\n    print(x)\n" for i in range(300)}
    root = make_workspace(files)
    client = await lsp_client_factory(root, {"debounceMs": 0})
    uri = _open(client, root / "app" / "m000.py", files["app/m000.py"])
    await client.wait_for_diagnostics(uri, lambda ds: len(ds) == 1)
    hover = types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=1, character=5))
    outcomes = []
    for i, (method, params) in enumerate(
        [
            (types.TEXT_DOCUMENT_HOVER, hover),
            (types.WORKSPACE_EXECUTE_COMMAND, types.ExecuteCommandParams(command="backendAudit.scanWorkspace", arguments=[])),
            (types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(start=types.Position(line=1, character=4), end=types.Position(line=1, character=12)),
                context=types.CodeActionContext(diagnostics=[]),
            )),
        ]
    ):
        answer = client.protocol.send_request_async(method, params, msg_id=f"cancel-me-{i}")
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=f"cancel-me-{i}"))
        try:
            outcomes.append(("answered", await answer))
        except (JsonRpcException, asyncio.CancelledError) as exc:
            outcomes.append(("cancelled", type(exc).__name__))
    assert len(outcomes) == 3
    # Still serving: a fresh request gets its answer, and an edit gets its diagnostics.
    answer = await client.text_document_hover_async(hover)
    assert answer is None or answer.contents
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="print(1)\nprint(2)\n")],
        )
    )
    diagnostics = await client.wait_for_diagnostics(uri, lambda ds: len(ds) == 2)
    assert [d.code for d in diagnostics] == ["DES901", "DES901"]
    assert "Traceback" not in client.stderr_text()


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


async def _read_message(stdout: asyncio.StreamReader) -> dict:
    length = 0
    while True:
        line = await stdout.readline()
        if not line:
            raise EOFError("the server closed its output")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(await stdout.readexactly(length))


async def test_a_client_that_disconnects_mid_scan_lets_the_server_exit_cleanly(make_workspace, tmp_path: Path):
    files = {f"pkg/m{i:04d}.py": "def f(x):\n    print(x)\n" for i in range(2_000)}
    root = make_workspace(files)
    stderr = tmp_path / "stderr.log"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVER_CODE, str(empty_pack(tmp_path / "pack")), str(stderr),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    caps = {"window": {"workDoneProgress": True}, "textDocument": {"publishDiagnostics": {"versionSupport": True}}}
    proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": None, "rootUri": root.as_uri(), "capabilities": caps,
        "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}], "initializationOptions": {"debounceMs": 0},
    }}))
    await proc.stdin.drain()
    while (await _read_message(proc.stdout)).get("id") != 1:
        pass
    proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    await proc.stdin.drain()
    # Wait until the scan is under way: it asks for a progress token, or reports progress.
    while True:
        message = await _read_message(proc.stdout)
        if message.get("method") == "window/workDoneProgress/create":
            proc.stdin.write(_frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
            await proc.stdin.drain()
        if message.get("method") == "$/progress" and message["params"]["value"].get("kind") == "report":
            break
        if message.get("method") == "textDocument/publishDiagnostics":
            break
    # The editor goes away without shutdown/exit: stdin closes.
    proc.stdin.close()
    code = await asyncio.wait_for(proc.wait(), timeout=120)
    log = stderr.read_text(errors="replace")
    assert code in (0, 1), log  # 1: exit without shutdown, as the LSP specification says
    assert "Traceback" not in log, log
