"""`backend-audit lsp` itself: stdio (the editors' way, also driven by tests/lsp/test_neovim.py)
and `--tcp` for debugging, on a loopback port."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


async def _read_message(reader: asyncio.StreamReader) -> dict:
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(await reader.readexactly(length))


def _frame(message: dict) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _initialize(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, root: Path) -> dict:
    writer.write(_frame({"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}}))
    await writer.drain()
    while True:
        message = await _read_message(reader)
        if message.get("id") == 1:
            return message


async def test_stdio(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "backend-audit"), "lsp", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    response = await _initialize(proc.stdout, proc.stdin, tmp_path)
    assert response["result"]["serverInfo"]["name"] == "backend-audit"
    caps = response["result"]["capabilities"]
    assert caps["textDocumentSync"]["change"] == 2  # incremental
    assert "diagnosticProvider" not in caps  # a client without pull support is pushed to
    assert set(caps["executeCommandProvider"]["commands"]) >= {
        "backendAudit.generateReport", "backendAudit.scanWorkspace", "backendAudit.showRuleDoc",
    }  # fmt: skip
    proc.stdin.write(_frame({"id": 2, "method": "shutdown"}) + _frame({"method": "exit"}))
    await proc.stdin.drain()
    assert await proc.wait() == 0


async def test_tcp_on_loopback(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(str(BIN / "backend-audit"), "lsp", "--tcp", "--host", "127.0.0.1", "--port", str(port))
    try:
        # Another process opening a port sends no event to await: retry the connection, bounded
        # (600 tries), with a short pause between refused attempts.
        for _ in range(600):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the server never listened")
        response = await _initialize(reader, writer, tmp_path)
        assert response["result"]["serverInfo"]["name"] == "backend-audit"
        writer.write(_frame({"id": 2, "method": "shutdown"}) + _frame({"method": "exit"}))
        await writer.drain()
        assert await asyncio.wait_for(proc.wait(), 60) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
