"""Open and incremental edits over stdio, under the VS Code (UTF-16) and Neovim (UTF-8) sets:
single-line, multi-line, unicode and emoji edits, several changes in one notification, and
diagnostics that always belong to the version they were computed for."""

from __future__ import annotations

import re

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

APP = """\
import logging

log = logging.getLogger(__name__)


def charge(order):
    note = "ünïcode 😀"; print(note)
    try:
        pay(order)
    except:
        pass
"""


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_open_publishes_tagged_diagnostics(harness, workspace, client):
    root = workspace({"app/main.py": APP, "app/health.py": "@app.get('/health')\ndef h():\n    return 1\n"})
    lsp = await harness.start(root, client=client, pull=False)
    enc = encoding_of(harness.result)
    assert enc == ("utf-16" if client == "vscode" else "utf-8")
    uri = open_doc(lsp, root / "app/main.py")
    diags = await wait_for_diagnostics(lsp, uri, lambda d: "RES901" in codes(d))
    (d,) = [d for d in diags if d.code == "RES901"]
    assert d.source == "backend-audit"
    assert d.message == "High · Error Handling & Resilience: bare except hides failures"
    assert d.severity == types.DiagnosticSeverity.Error
    start = APP.index("except:")
    assert d.range.start == to_position(APP, start, enc)
    assert d.range.end == to_position(APP, start + len("except"), enc)
    assert d.code_description is not None and d.code_description.href.endswith("RES901.md")
    assert d.data["section"] == "resilience" and d.data["severity"] == "High" and d.data["rule"] == "RES901"
    assert d.data["fingerprint"] and d.data["fix"]["title"] == "Catch Exception instead of everything"
    # The print call after the emoji: its column is counted in the client's units.
    (p,) = [d for d in diags if d.code == "RES902"]
    assert p.range.start == to_position(APP, APP.index("print(note)"), enc)
    assert p.range.start.character == (25 if enc == "utf-16" else 29)


def _expected_starts(text: str, enc: str) -> list[tuple[str, types.Position]]:
    out = [("RES901", to_position(text, m.start(), enc)) for m in re.finditer(r"except:", text)]
    out += [("RES902", to_position(text, m.start(), enc)) for m in re.finditer(r"\bprint\(", text)]
    return sorted(out, key=lambda x: (x[1].line, x[1].character, x[0]))


def _starts(diags: list[types.Diagnostic]) -> list[tuple[str, types.Position]]:
    return sorted(((str(d.code), d.range.start) for d in diags if d.code in ("RES901", "RES902")), key=lambda x: (x[1].line, x[1].character, x[0]))


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_incremental_edits_match_a_fresh_open(harness, workspace, client):
    root = workspace({"app/main.py": APP, "app/health.py": "@app.get('/health')\ndef h():\n    return 1\n"})
    lsp = await harness.start(root, client=client, pull=False)
    enc = encoding_of(harness.result)
    uri = open_doc(lsp, root / "app/main.py")
    await wait_for_version(lsp, uri, 1)
    text = APP
    version = 1

    def edit(start: int, end: int, new: str) -> tuple[types.Range, str]:
        nonlocal text
        rng = types.Range(start=to_position(text, start, enc), end=to_position(text, end, enc))
        text = text[:start] + new + text[end:]
        return rng, new

    steps = [
        # unicode and emoji inserted before a finding on the same line
        lambda: [edit(text.index("print(note)"), text.index("print(note)"), "🎉é; ")],
        # a multi-line insertion with a new finding, and emoji inside it
        lambda: [edit(len(text), len(text), "\n\ndef refund(order):\n    print('↩️ refund')  # 🧾\n    try:\n        undo(order)\n    except:\n        raise\n")],
        # a multi-line replacement across the try block
        lambda: [edit(text.index("    try:\n        pay"), text.index("        pass\n") + len("        pass\n"), "    pay(order)\n")],
        # two changes in one notification: each range refers to the text after the previous one
        lambda: [edit(0, 0, "# 😀 header\n"), edit(text.index("note = "), text.index("note = ") + len("note"), "nöte")],
        # a deletion spanning lines
        lambda: [edit(text.index("import logging"), text.index("log = "), "")],
    ]
    for step in steps:
        changes = step()
        version += 1
        change_doc(lsp, uri, version, changes)
        published = await wait_for_version(lsp, uri, version)
        assert _starts(list(published.diagnostics)) == _expected_starts(text, enc), text
    # The same final text opened fresh gives exactly the same diagnostics.
    fresh_path = root / "app" / "fresh.py"
    fresh_path.write_text(text, encoding="utf-8")
    fresh_uri = open_doc(lsp, fresh_path, text)
    fresh = await wait_for_version(lsp, fresh_uri, 1)
    incremental = lsp.diagnostics[uri]
    key = lambda d: (str(d.code), d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)  # noqa: E731
    assert sorted(map(key, incremental)) == sorted(map(key, fresh.diagnostics))
    # Published versions never go backwards.
    versions = [p.version for p in lsp.published if p.uri == uri]
    assert versions == sorted(versions)


async def test_superseded_results_are_dropped(harness, workspace):
    """A burst of edits with debounce: only the last version is published."""
    root = workspace({"app/main.py": APP})
    lsp = await harness.start(root, client="vscode", pull=False, options={"debounceMs": 50})
    enc = encoding_of(harness.result)
    uri = open_doc(lsp, root / "app/main.py")
    await wait_for_version(lsp, uri, 1)
    text = APP
    for version in range(2, 40):
        at = to_position(text, len(text), enc)
        change_doc(lsp, uri, version, [(types.Range(start=at, end=at), "x = 1\n")])
        text += "x = 1\n"
    await wait_for_version(lsp, uri, 39)
    versions = [p.version for p in lsp.published if p.uri == uri]
    assert versions[0] == 1 and versions[-1] == 39
    assert len(versions) < 10, versions  # debounced: not one analysis per keystroke


async def test_a_burst_of_a_thousand_edits(harness, workspace):
    """1,000 single-character edits with debounceMs 0: the server keeps up, the last version's
    diagnostics are right, and versions are published in order."""
    root = workspace({"app/main.py": APP})
    lsp = await harness.start(root, client="neovim", pull=False)
    enc = encoding_of(harness.result)
    uri = open_doc(lsp, root / "app/main.py")
    await wait_for_version(lsp, uri, 1)
    text = APP
    for version in range(2, 1002):
        at = to_position(text, len(text), enc)
        ch = "\nprint(1)\n" if version % 250 == 0 else "#"
        change_doc(lsp, uri, version, [(types.Range(start=at, end=at), ch)])
        text += ch
    published = await wait_for_version(lsp, uri, 1001)
    assert _starts(list(published.diagnostics)) == _expected_starts(text, enc)
    versions = [p.version for p in lsp.published if p.uri == uri]
    assert versions == sorted(versions)


async def test_a_document_over_max_file_size_is_not_analysed(harness, workspace):
    root = workspace({"app/main.py": APP, "app/health.py": "@app.get('/health')\ndef h():\n    return 1\n", ".backend-audit.yaml": "max-file-size: 100\n"})
    lsp = await harness.start(root, client="vscode", pull=False)
    uri = open_doc(lsp, root / "app/main.py")
    assert list((await wait_for_version(lsp, uri, 1)).diagnostics) == []
    assert any("max-file-size" in m.message for m in lsp.messages)
    change_doc(lsp, uri, 2, [(None, "try:\n    x()\nexcept:\n    pass\n")])  # small again: analysed
    assert codes(list((await wait_for_version(lsp, uri, 2)).diagnostics)) == ["RES901"]


async def test_utf32_client(harness, workspace):
    from lsp_harness import capabilities

    caps = capabilities("vscode", pull=False)
    caps.general = types.GeneralClientCapabilities(position_encodings=["utf-32"])
    root = workspace({"app/main.py": APP})
    lsp = await harness.start(root, caps=caps)
    assert encoding_of(harness.result) == "utf-32"
    uri = open_doc(lsp, root / "app/main.py")
    diags = await wait_for_diagnostics(lsp, uri, lambda d: "RES902" in codes(d))
    (p,) = [d for d in diags if d.code == "RES902"]
    assert p.range.start == to_position(APP, APP.index("print(note)"), "utf-32") == types.Position(line=6, character=24)


async def test_close_while_analysing_publishes_the_disk_state(harness, workspace):
    root = workspace({"app/main.py": "print('on disk')\n", "app/health.py": "@app.get('/health')\ndef h():\n    return 1\n"})
    lsp = await harness.start(root, client="vscode", pull=False)
    uri = (root / "app/main.py").as_uri()
    await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["RES902"])  # from the scan
    big = "".join(f"def f{i}(x):\n    print(x)\n" for i in range(3000))
    open_doc(lsp, root / "app/main.py", big, version=7)
    lsp.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    closed_at = len(lsp.published)
    while not [p for p in lsp.published[closed_at:] if p.uri == uri]:
        await lsp.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    after = [p for p in lsp.published[closed_at:] if p.uri == uri]
    assert codes(list(after[-1].diagnostics)) == ["RES902"] and after[-1].version is None
