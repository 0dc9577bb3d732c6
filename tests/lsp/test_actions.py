"""Code actions (quick fix, suppressions, documentation, fix-all), hover, and the guarantee that
every fix of the bundled pack leaves its file parseable through the server's own edit path."""

from __future__ import annotations

import functools

import pytest
from lsp_harness import (
    apply_text_edits,
    change_doc,
    codes,
    edits_of,
    encoding_of,
    open_doc,
    wait_for_diagnostics,
    wait_for_version,
)
from lsprotocol import types

from backend_audit.analysis.document import Document
from backend_audit.analysis.finding import Fix
from backend_audit.engine.analyzer import Analyzer
from backend_audit.engine.config import Config
from backend_audit.engine.ruletest import _example_docs
from backend_audit.lsp.actions import fix_all_edits, workspace_edit
from backend_audit.lsp.diagnostics import to_diagnostic
from backend_audit.lsp.positions import PositionConverter
from backend_audit.rules.compiler import load_pack

HEALTH = "@app.get('/health')\ndef health():\n    return {'ok': True}\n"
CODE = """\
def charge(order):
    label = "Zahlung für 😀"; print(label)
    try:
        pay(order)
    except:
        pass
    print("done")
"""


def _parses(text: str) -> bool:
    doc = Document("app/x.py", text)
    return doc.tree is not None and not doc.tree.root_node.has_error


async def _actions(lsp, uri, diagnostics, only=None):
    return await lsp.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range if diagnostics else types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            context=types.CodeActionContext(diagnostics=diagnostics, only=only),
        )
    )


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_quick_fix_applied_and_reparsed(harness, workspace, client):
    root = workspace({"app/pay.py": CODE, "app/health.py": HEALTH})
    lsp = await harness.start(root, client=client, pull=False)
    enc = encoding_of(harness.result)
    uri = open_doc(lsp, root / "app/pay.py")
    diags = await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["RES901", "RES902", "RES902"])
    # The print after the emoji: its fix range is converted to the client's encoding.
    target = min((d for d in diags if d.code == "RES902"), key=lambda d: d.range.start.line)
    actions = await _actions(lsp, uri, [target])
    titles = [a.title for a in actions]
    assert titles == [
        "Log instead of printing (RES902)",
        "Suppress RES902 on this line",
        "Suppress RES902 in this file",
        "Show documentation for RES902",
    ]
    fix = actions[0]
    assert fix.is_preferred and fix.kind == types.CodeActionKind.QuickFix
    # (pytest-lsp structures a code action that only runs a command as a Command)
    doc_action = actions[3]
    command = doc_action if isinstance(doc_action, types.Command) else doc_action.command
    wire = f"{command.command} {command.arguments}"
    assert "backendAudit.showRuleDoc" in wire and "RES902" in wire
    fixed = apply_text_edits(CODE, edits_of(fix.edit, uri), enc)
    assert 'label = "Zahlung für 😀"; log.info(label)' in fixed
    assert _parses(fixed)
    change_doc(lsp, uri, 2, [(None, fixed)])
    published = await wait_for_version(lsp, uri, 2)
    assert codes(list(published.diagnostics)) == ["RES901", "RES902"]


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_fix_all_and_suppressions(harness, workspace, client):
    root = workspace({"app/pay.py": CODE, "app/health.py": HEALTH})
    lsp = await harness.start(root, client=client, pull=False)
    enc = encoding_of(harness.result)
    uri = open_doc(lsp, root / "app/pay.py")
    diags = await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["RES901", "RES902", "RES902"])
    # fix-all: every fix in the file at once
    (fix_all,) = await _actions(lsp, uri, [], only=["source.fixAll"])
    assert fix_all.kind == "source.fixAll.backend-audit"
    fixed = apply_text_edits(CODE, edits_of(fix_all.edit, uri), enc)
    assert _parses(fixed) and "except Exception:" in fixed and "print(" not in fixed
    change_doc(lsp, uri, 2, [(None, fixed)])
    assert list((await wait_for_version(lsp, uri, 2)).diagnostics) == []
    # back to the original, then suppress RES901 on its line
    change_doc(lsp, uri, 3, [(None, CODE)])
    diags = list((await wait_for_version(lsp, uri, 3)).diagnostics)
    res901 = [d for d in diags if d.code == "RES901"]
    actions = {a.title: a for a in await _actions(lsp, uri, res901)}
    line_fixed = apply_text_edits(CODE, edits_of(actions["Suppress RES901 on this line"].edit, uri), enc)
    assert "    except:  # backend-audit: ignore[RES901]\n" in line_fixed and _parses(line_fixed)
    change_doc(lsp, uri, 4, [(None, line_fixed)])
    assert codes(list((await wait_for_version(lsp, uri, 4)).diagnostics)) == ["RES902", "RES902"]
    # suppress RES902 in the whole file
    res902 = [d for d in lsp.diagnostics[uri] if d.code == "RES902"]
    actions = {a.title: a for a in await _actions(lsp, uri, res902[:1])}
    file_fixed = apply_text_edits(line_fixed, edits_of(actions["Suppress RES902 in this file"].edit, uri), enc)
    assert file_fixed.startswith("# backend-audit: ignore-file[RES902]\n") and _parses(file_fixed)
    change_doc(lsp, uri, 5, [(None, file_fixed)])
    assert list((await wait_for_version(lsp, uri, 5)).diagnostics) == []


async def test_hover_shows_rationale_and_checklist_item(harness, workspace):
    root = workspace({"app/pay.py": CODE, "app/health.py": HEALTH})
    lsp = await harness.start(root, client="vscode", pull=False)
    uri = open_doc(lsp, root / "app/pay.py")
    diags = await wait_for_diagnostics(lsp, uri, lambda d: "RES901" in codes(d))
    (d,) = [d for d in diags if d.code == "RES901"]
    hover = await lsp.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=d.range.start))
    pack = load_pack(harness.pack)
    item = next(c.title for s in pack.sections if s.key == "resilience" for c in s.checklist if c.key == "global-exception-handling")
    assert hover is not None and hover.range == d.range
    assert "A bare except swallows SystemExit" in hover.contents.value
    assert item in hover.contents.value
    nothing = await lsp.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0))
    )
    assert nothing is None


@functools.cache
def _bundled_pack():
    return load_pack()


def _bundled_fix_rules() -> list[str]:
    return [r.id for r in _bundled_pack().rules if r.rule.fix is not None]


class _Session:
    """What `workspace_edit` reads from the server's session."""

    def __init__(self, encoding: str) -> None:
        self.capabilities = types.ClientCapabilities()
        self.docs: dict = {}
        self.positions = PositionConverter(encoding)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
@pytest.mark.parametrize("rule_id", _bundled_fix_rules())
def test_every_bundled_fix_leaves_the_file_parseable(rule_id, encoding):
    """Each rule's fix goes through the server's path: Finding -> Diagnostic.data -> code action
    edit in the client's encoding -> applied as a client applies it -> reparsed without errors."""
    pack = _bundled_pack()
    rule = pack.rule(rule_id)
    analyzer = Analyzer(pack.root, Config(select=[rule_id]), pack)
    session = _Session(encoding)
    fixed = 0
    for example in rule.rule.examples.flagged:
        docs = _example_docs(rule, example)
        results = [analyzer.analyze_file(d) for d in docs]
        _, project = analyzer.project(results)
        for doc, result in zip(docs, results, strict=True):
            findings = [f for f in analyzer.finalize(result, project) if f.rule == rule_id and f.fix is not None]
            uri = "file:///ws/" + doc.path
            edits = [list(Fix.from_json(to_diagnostic(f, pack, session.positions, doc).data["fix"]).edits) for f in findings]
            if len(findings) > 1:
                edits.append(fix_all_edits([f.fix for f in findings]))
            for group in edits:
                text = apply_text_edits(doc.text, edits_of(workspace_edit(session, uri, doc, group), uri), encoding)  # type: ignore[arg-type]
                again = Document(doc.path, text, doc.language)
                assert again.tree is None or not again.tree.root_node.has_error, text
                fixed += 1
    assert fixed, f"{rule_id}: no flagged example produced a fix"
