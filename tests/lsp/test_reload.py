"""Settings and reloads without a restart: a configuration change, bad settings, a bad project
config, and a rule file that breaks (the previous rules stay, the errors show on the file)."""

from __future__ import annotations

import pytest
from lsp_harness import codes, open_doc, wait_for_diagnostics, wait_for_version
from lsprotocol import types

HEALTH = "@app.get('/health')\ndef health():\n    return {'ok': True}\n"
CODE = "try:\n    go()\nexcept:\n    pass\nprint('x')\n"

EXTRA_RULE = """\
section: observability
rules:
  - id: OBS950
    name: test-todo-comment
    severity: Low
    languages: [python]
    message: "{message}"
    match:
      query: |
        ((comment) @match (#match? @match "TODO"))
    examples:
      flagged:
        - code: "# TODO: x\\n"
      ok:
        - code: "# done\\n"
"""


async def _wait_message(lsp, predicate) -> types.ShowMessageParams:
    while True:
        for m in lsp.messages:
            if predicate(m):
                return m
        await lsp.wait_for_notification(types.WINDOW_SHOW_MESSAGE)


async def test_configuration_change_applies_without_restart(harness, workspace):
    root = workspace({"app/main.py": CODE, "app/health.py": HEALTH})
    lsp = await harness.start(root, client="vscode")
    uri = open_doc(lsp, root / "app/main.py")
    await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["RES901", "RES902"])
    lsp.set_configuration({"debounceMs": 0, "ignore": ["RES901"], "severityMap": {"Low": "Error"}}, section="backendAudit")
    lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    (d,) = await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["RES902"])
    assert d.severity == types.DiagnosticSeverity.Error
    # sections limit what is shown
    lsp.set_configuration({"debounceMs": 0, "sections": ["observability"]}, section="backendAudit")
    lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_for_diagnostics(lsp, uri, lambda d: d == [])


async def test_bad_settings_give_a_message_and_defaults(harness, workspace):
    root = workspace({"app/main.py": CODE, "app/health.py": HEALTH})
    lsp = await harness.start(root, options={"debounceMs": "fast", "scope": "everything", "severityMap": {"High": "Loud"}})
    message = await _wait_message(lsp, lambda m: "debounceMs" in m.message)
    assert "scope" in message.message and "severityMap.High" in message.message
    uri = open_doc(lsp, root / "app/main.py")
    (res901, _) = await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["RES901", "RES902"])
    assert res901.severity == types.DiagnosticSeverity.Error  # the default mapping


async def test_bad_project_config_gives_a_message_and_the_server_goes_on(harness, workspace):
    root = workspace({"app/main.py": CODE, "app/health.py": HEALTH, ".backend-audit.yaml": "selectt: [RES]\n"})
    lsp = await harness.start(root)
    message = await _wait_message(lsp, lambda m: "config error" in m.message)
    assert ".backend-audit.yaml" in message.message and "selectt" in message.message
    uri = open_doc(lsp, root / "app/main.py")
    await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["RES901", "RES902"])


async def test_broken_rule_file_keeps_previous_rules_and_shows_errors(harness, workspace):
    root = workspace(
        {
            "app/main.py": "# TODO: retry\n" + CODE,
            "app/health.py": HEALTH,
            ".backend-audit.yaml": "rules: [.audit-rules]\n",
            ".audit-rules/extra.yaml": EXTRA_RULE.format(message="TODO left in code"),
        }
    )
    lsp = await harness.start(root, client="vscode")
    rule_file = root / ".audit-rules" / "extra.yaml"
    # the rule directory is watched (dynamic registration: VS Code supports it)
    await lsp.registered.wait()
    (registration,) = lsp.registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    patterns = [str(w["globPattern"]) for w in registration.register_options["watchers"]]
    assert any(".audit-rules" in p for p in patterns) and any("pyproject.toml" in p for p in patterns)

    uri = open_doc(lsp, root / "app/main.py")
    await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == ["OBS950", "RES901", "RES902"])
    # Break the rule file: an unknown key and a bad severity.
    rule_file.write_text(EXTRA_RULE.format(message="x").replace("severity: Low", "severity: Loud\n    colour: red"), encoding="utf-8")
    lsp.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=rule_file.as_uri(), type=types.FileChangeType.Changed)])
    )
    errors = await wait_for_diagnostics(lsp, rule_file.as_uri(), lambda d: bool(d))
    assert all(e.source == "backend-audit" and e.severity == types.DiagnosticSeverity.Error for e in errors)
    assert any("severity" in e.message or "colour" in e.message for e in errors)
    assert errors[0].range.start.line > 0  # on the rule's line, not the top of the file
    await _wait_message(lsp, lambda m: "rule problem" in m.message and "previous rules" in m.message)
    # The previous OBS950 is still in force after the reload.
    version = 2
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="# TODO: again\n" + CODE)],
        )
    )
    published = await wait_for_version(lsp, uri, version)
    assert codes(list(published.diagnostics)) == ["OBS950", "RES901", "RES902"]
    (obs,) = [d for d in published.diagnostics if d.code == "OBS950"]
    assert "TODO left in code" in obs.message
    # Fix the rule file with a new message: errors clear, the new rule applies.
    rule_file.write_text(EXTRA_RULE.format(message="TODO found"), encoding="utf-8")
    lsp.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=rule_file.as_uri(), type=types.FileChangeType.Changed)])
    )
    await wait_for_diagnostics(lsp, rule_file.as_uri(), lambda d: d == [])
    await wait_for_diagnostics(lsp, uri, lambda d: any("TODO found" in x.message for x in d))



@pytest.mark.parametrize("same", [True, False], ids=["same-settings", "other-settings"])
async def test_workspace_configuration_reloads_only_when_it_differs(harness, workspace, same):
    root = workspace({"app/main.py": CODE, "app/health.py": HEALTH})
    options = {"debounceMs": 0, "ignore": ["RES902"]}
    configuration = options if same else {"debounceMs": 0, "ignore": ["RES901"]}
    lsp = await harness.start(root, client="vscode", options=options, configuration=configuration)
    scanned = await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="backendAudit.scanWorkspace"))
    assert scanned["files"] == 2
    uri = open_doc(lsp, root / "app/main.py")
    await wait_for_diagnostics(lsp, uri, lambda d: codes(d) == (["RES901"] if same else ["RES902"]))
    reloads = [m for m in lsp.log_messages if "reloading" in m.message]
    assert len(reloads) == (0 if same else 1)
