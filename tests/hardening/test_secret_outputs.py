"""Every output masks a detected secret's value: text, JSON, SARIF, the report, LSP messages and logs.

The secret rule is our own (`CFG901`, `secret: true`, in the workspace's extra rule directory),
so the test depends on no rule-pack engineer. Each output is checked for the whole secret and
for any 12-character piece of it, and for the masked form, which proves the finding is there.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hardening_support import SECRET
from lsprotocol import types
from pygls.protocol import default_converter

from backend_audit.analysis.finding import mask_secret

FILES = {
    "app/settings.py": f"API_TOKEN = '{SECRET}'\nDEBUG = False\n",
    ".env": f"API_TOKEN={SECRET}\n",
    "app/main.py": "def health():\n    return {'ok': True}\n",
}
MASKED = mask_secret(SECRET)
CONVERTER = default_converter()


def assert_masked(text: str, where: str) -> None:
    pieces = {SECRET[i : i + 12] for i in range(len(SECRET) - 11)}
    leaked = sorted(p for p in pieces if p in text)
    assert not leaked, f"{where} leaks the secret: {leaked[:3]}"


@pytest.fixture
def secret_workspace(make_workspace) -> Path:
    return make_workspace(FILES)


def test_the_mask_keeps_too_little_to_use():
    assert MASKED == SECRET[:4] + "*" * 8
    assert_masked(MASKED, "the mask")


def test_text_output_masks_the_secret(cli, secret_workspace: Path):
    code, out, err = cli("check", secret_workspace, "--fail-on", "none", "--no-progress")
    assert code == 0
    assert MASKED in out and "CFG901" in out
    assert_masked(out + err, "text output")


def test_json_output_masks_the_secret(cli, secret_workspace: Path):
    code, out, err = cli("check", secret_workspace, "--format", "json", "--fail-on", "none")
    assert code == 0, err
    doc = json.loads(out)
    secrets = [f for f in doc["findings"] if f["rule"] == "CFG901"]
    assert {f["path"] for f in secrets} == {"app/settings.py", ".env"}
    assert all(MASKED in f["message"] for f in secrets)
    assert_masked(out + err, "JSON output")


def test_sarif_output_masks_the_secret(cli, secret_workspace: Path, tmp_path: Path):
    output = tmp_path / "out.sarif"
    code, out, err = cli("check", secret_workspace, "--format", "sarif", "--output", output, "--fail-on", "none")
    assert code == 0, err
    text = output.read_text()
    results = [r for r in json.loads(text)["runs"][0]["results"] if r["ruleId"] == "CFG901"]
    assert len(results) == 2 and all(MASKED in r["message"]["text"] for r in results)
    assert_masked(text + out + err, "SARIF output")


def test_the_baseline_file_masks_the_secret(cli, secret_workspace: Path):
    baseline = secret_workspace / "baseline.json"
    assert cli("check", secret_workspace, "--write-baseline", baseline)[0] == 0
    text = baseline.read_text()
    assert "CFG901" in text
    assert_masked(text, "the baseline")


@pytest.mark.parametrize("fmt", ["markdown", "json", "html"])
def test_the_report_masks_the_secret(cli, secret_workspace: Path, tmp_path: Path, fmt: str):
    code, out, err = cli("report", secret_workspace, "--format", fmt)
    assert code == 0, err
    assert "CFG901" in out or "hard-coded token" in out
    assert_masked(out + err, f"the {fmt} report")


# -- the language server: diagnostics, hover, and its log ---------------------------------------------


async def test_lsp_diagnostics_hover_and_logs_mask_the_secret(secret_workspace: Path, lsp_client_factory):
    client = await lsp_client_factory(secret_workspace, {"debounceMs": 0, "trace": "verbose"})
    settings = secret_workspace / "app" / "settings.py"
    uri = settings.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=settings.read_text())
        )
    )
    diagnostics = await client.wait_for_diagnostics(uri, lambda ds: any(d.code == "CFG901" for d in ds))
    secret_diag = next(d for d in diagnostics if d.code == "CFG901")
    assert MASKED in secret_diag.message
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=secret_diag.range.start)
    )
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=secret_diag.range,
            context=types.CodeActionContext(diagnostics=[secret_diag]),
        )
    )
    # Something the server logs for sure: a change to a document that is not open.
    stray = (secret_workspace / ".env").as_uri()
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=stray, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=f"API_TOKEN={SECRET}\n")],
        )
    )
    await client.wait_for_notification(types.WINDOW_LOG_MESSAGE)
    everything = json.dumps(
        {
            "published": [CONVERTER.unstructure(p) for p in client.published],
            "hover": CONVERTER.unstructure(hover),
            "actions": CONVERTER.unstructure(actions),
            "log": [m.message for m in client.log_messages],
            "shown": [m.message for m in client.messages],
        }
    )
    assert any("not open" in m.message for m in client.log_messages)
    assert_masked(everything, "the language server's messages and logs")
    assert_masked(client.stderr_text(), "the server's stderr")


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="POSIX paths")
