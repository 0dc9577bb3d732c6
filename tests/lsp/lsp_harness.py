"""Helpers for the end-to-end tests: the test pack, client capability sets, a harness that starts
the real server over stdio, and waiting on diagnostics (events, never sleeps)."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

REPO = Path(__file__).resolve().parents[2]
PACK_YAML = REPO / "rules" / "backend-infrastructure" / "pack.yaml"
SERVE = Path(__file__).with_name("serve.py")


def write_pack(root: Path, files: dict[str, str]) -> Path:
    """A pack at `root`: the real pack.yaml and the given Python rule files ({name: yaml})."""
    (root / "python").mkdir(parents=True, exist_ok=True)
    shutil.copy(PACK_YAML, root / "pack.yaml")
    for name, text in files.items():
        (root / "python" / name).write_text(text, encoding="utf-8")
    return root

# Rule ids in the 9xx range so they never collide with the bundled pack's.
TEST_RULES = r"""
section: resilience
rules:
  - id: RES901
    name: test-bare-except
    severity: High
    languages: [python]
    checklist: resilience.global-exception-handling
    message: "bare except hides failures"
    rationale: "A bare except swallows SystemExit and KeyboardInterrupt."
    match:
      query: |
        (except_clause "except" @match) @clause
      where:
        - capture: clause
          regex: "^except\\s*:"
    fix:
      title: "Catch Exception instead of everything"
      replace: "except Exception"
    examples:
      flagged:
        - code: "try:\n    pass\nexcept:\n    pass\n"
      ok:
        - code: "try:\n    pass\nexcept ValueError:\n    pass\n"
  - id: RES902
    name: test-print-call
    severity: Low
    languages: [python]
    message: "print() instead of logging"
    match:
      query: |
        ((call function: (identifier) @fn) @match (#eq? @fn "print"))
    fix:
      title: "Log instead of printing"
      target: fn
      replace: "log.info"
    examples:
      flagged:
        - code: "print('x')\n"
      ok:
        - code: "log.info('x')\n"
"""

PROJECT_RULES = r"""
section: observability
rules:
  - id: OBS901
    name: test-health-route
    severity: Info
    kind: probe
    fact: health-endpoint
    languages: [python]
    message: "health route"
    match:
      query: |
        ((string) @match (#match? @match "^[\"']/health"))
    examples:
      flagged:
        - code: "@app.get('/health')\ndef health():\n    return {}\n"
      ok:
        - code: "@app.get('/orders')\ndef orders():\n    return []\n"
  - id: OBS902
    name: test-no-health-endpoint
    severity: Medium
    languages: []
    message: "no health-check endpoint"
    match:
      project:
        when: {languages: [python]}
        unless: {facts: [health-endpoint]}
        anchor: ["**/main.py"]
    examples:
      flagged:
        - files: {"app/main.py": "x = 1\n"}
      ok:
        - files: {"app/main.py": "@app.get('/health')\ndef h():\n    return 1\n"}
"""

REGION_RULES = r"""
section: resilience
rules:
  - id: RES910
    name: query-in-async
    severity: High
    languages: [python]
    message: "blocking $fn() inside an async function"
    match:
      query: |
        (call function: (identifier) @fn (#eq? @fn "query")) @match
      where:
        - capture: match
          inside: {kind: [function_definition], regex: "^async\\s"}
  - id: RES911
    name: sleep-outside-loop
    severity: Medium
    languages: [python]
    message: "sleep outside a loop"
    match:
      query: |
        (call function: (identifier) @fn (#eq? @fn "sleep")) @match
      where:
        - capture: match
          not-inside: {kind: [for_statement, while_statement], stop-at: [function_definition]}
  - id: RES912
    name: requests-with-flask
    severity: Low
    languages: [python]
    message: "$fn in a module that imports flask"
    match:
      query: |
        (call function: (attribute object: (identifier) @obj (#eq? @obj "requests")) @fn) @match
      where:
        - capture: match
          file-regex: "(?m)^import flask"
  - id: RES913
    name: warn-call
    severity: Low
    languages: [python]
    message: "warn() instead of logging"
    match:
      query: |
        ((call function: (identifier) @fn) @match (#eq? @fn "warn"))
    fix:
      title: "Use logging"
      target: fn
      replace: "logging.warning"
      imports: ["import logging"]
  - id: RES914
    name: assignment-names
    severity: Info
    languages: [python]
    message: "assignment naming $a"
    match:
      query: |
        (assignment right: (identifier) @a) @match
        (block (expression_statement (assignment left: (identifier) @a) @match))
  - id: RES915
    name: sleeping-function
    severity: Low
    languages: [python]
    message: "$name sleeps in its body"
    match:
      query: |
        (function_definition name: (identifier) @name body: (block (expression_statement (call function: (identifier) @f (#eq? @f "sleep")))))
  - id: RES916
    name: commented-def
    severity: Info
    languages: [python]
    message: "a comment right before def $match"
    match:
      query: |
        ((comment) @c . (function_definition name: (identifier) @match))
  - id: RES917
    name: def-without-return
    severity: Info
    languages: [python]
    message: "$match returns nothing"
    match:
      query: |
        (function_definition name: (identifier) @match) @def
      where:
        - capture: def
          not-has: {kind: [return_statement]}
  - id: RES918
    name: todo-owner
    severity: Info
    languages: [python]
    message: "TODO with an owner"
    match:
      pattern: "TODO\\(\\w+\\)"
  - id: RES919
    name: db-conn
    severity: Low
    languages: [python]
    message: "conn passed to db"
    match:
      query: |
        ((identifier) @match (#eq? @match "conn"))
      where:
        - capture: match
          inside: {kind: [call], max-depth: 2, regex: "^db\\."}
  - id: RES921
    name: same-name-assignment
    severity: Low
    languages: [python]
    message: "$a assigned to itself"
    match:
      query: |
        ((assignment left: (identifier) @a right: (identifier) @b) @match (#eq? @a @b))
  - id: RES922
    name: looping-class
    severity: Info
    languages: [python]
    message: "class $match has a method that loops"
    match:
      query: |
        (class_definition name: (identifier) @match body: (block (function_definition body: (block (while_statement)))))
  - id: RES923
    name: retry-call
    severity: Low
    languages: [python]
    message: "retry() without a budget"
    match:
      query: |
        ((call function: (identifier) @fn) @match (#eq? @fn "retry"))
"""

ROOT_REGEX_RULES = r"""
section: resilience
rules:
  - id: RES924
    name: settings-in-django-module
    severity: Low
    languages: [python]
    message: "settings read in a module that imports django"
    match:
      query: |
        ((identifier) @match (#eq? @match "settings"))
      where:
        - capture: match
          inside: {kind: [module], regex: "(?m)^import django"}
"""

KINDLESS_RULES = r"""
section: resilience
rules:
  - id: RES920
    name: call-in-transaction
    severity: Medium
    languages: [python]
    message: "$match inside a TRANSACTION block"
    match:
      query: |
        (call function: (identifier) @match)
      where:
        - capture: match
          inside: {regex: "TRANSACTION"}
"""

CLIENTS = {
    "vscode": "visual-studio-code",
    "neovim": "neovim@v0.11.0",
}


def capabilities(name: str, pull: bool | None = None) -> types.ClientCapabilities:
    """A client's real capability set; `pull` adds or removes pull-diagnostic support."""
    caps = client_capabilities(CLIENTS[name])
    if pull is True:
        caps.text_document = caps.text_document or types.TextDocumentClientCapabilities()
        caps.text_document.diagnostic = types.DiagnosticClientCapabilities(dynamic_registration=False)
        caps.workspace = caps.workspace or types.WorkspaceClientCapabilities()
        caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    elif pull is False and caps.text_document is not None:
        caps.text_document.diagnostic = None
    return caps


def make_client() -> LanguageClient:
    """pytest-lsp's test client, also recording every publishDiagnostics (with its version)."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]
    client.registered = asyncio.Event()  # type: ignore[attr-defined]

    def register(c: LanguageClient, params: types.RegistrationParams) -> None:
        c.registrations.extend(params.registrations)  # type: ignore[attr-defined]
        c.registered.set()  # type: ignore[attr-defined]

    def unregister(c: LanguageClient, params: types.UnregistrationParams) -> None:
        return None

    def publish(c: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        c.diagnostics[params.uri] = params.diagnostics
        c.published.append(params)  # type: ignore[attr-defined]

    register_lsp_features(
        client,
        {
            **DEFAULT_CLIENT_FEATURES,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
            types.CLIENT_REGISTER_CAPABILITY: register,
            types.CLIENT_UNREGISTER_CAPABILITY: unregister,
        },
    )
    return client


async def wait_for_diagnostics(
    client: LanguageClient, uri: str, predicate: Callable[[list[types.Diagnostic]], bool]
) -> list[types.Diagnostic]:
    """Await publishDiagnostics until the URI's diagnostics satisfy `predicate`."""
    while True:
        current = client.diagnostics.get(uri)
        if current is not None and predicate(list(current)):
            return list(current)
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


def codes(diagnostics: list[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=path.read_text(encoding="utf-8") if text is None else text
            )
        )
    )
    return uri


class Harness:
    """Starts the server for one test: `await h.start(root, client="vscode", options={...})`."""

    def __init__(self, pack: Path) -> None:
        self.pack = pack
        self.client: LanguageClient | None = None
        self.result: types.InitializeResult | None = None

    async def start(
        self,
        root: Path,
        client: str = "vscode",
        options: dict[str, Any] | None = None,
        pull: bool | None = None,
        rules: list[Path] | None = None,
        caps: types.ClientCapabilities | None = None,
        configuration: dict[str, Any] | None = None,
    ) -> LanguageClient:
        lsp = make_client()
        if configuration is not None:
            lsp.set_configuration(configuration, section="backendAudit")
        cmd = [sys.executable, str(SERVE), "--pack", str(self.pack)]
        for r in rules or []:
            cmd += ["--rules", str(r)]
        await lsp.start_io(*cmd)
        self.client = lsp
        self.result = await lsp.initialize_session(
            types.InitializeParams(
                capabilities=caps or capabilities(client, pull),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
                initialization_options=options if options is not None else {"debounceMs": 0},
            )
        )
        return lsp

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.shutdown_session()
            await self.client.stop()




def to_offset(text: str, position: types.Position, encoding: str) -> int:
    """A client position (in `encoding` units) as an index into `text`."""
    lines = text.split("\n")
    line = lines[position.line] if position.line < len(lines) else ""
    start = sum(len(x) + 1 for x in lines[: position.line])
    units = 0
    for i, ch in enumerate(line):
        if units >= position.character:
            return start + i
        units += len(ch.encode("utf-16-le")) // 2 if encoding == "utf-16" else len(ch.encode("utf-8")) if encoding == "utf-8" else 1
    return start + len(line)


def to_position(text: str, index: int, encoding: str) -> types.Position:
    """An index into `text` as a client position in `encoding` units."""
    before = text[:index]
    line = before.count("\n")
    col_text = before[before.rfind("\n") + 1 :]
    if encoding == "utf-16":
        units = len(col_text.encode("utf-16-le")) // 2
    elif encoding == "utf-8":
        units = len(col_text.encode("utf-8"))
    else:
        units = len(col_text)
    return types.Position(line=line, character=units)


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    """Apply LSP text edits the way a client does (ranges in the negotiated encoding)."""
    spans = sorted(
        ((to_offset(text, e.range.start, encoding), to_offset(text, e.range.end, encoding), e.new_text) for e in edits),
        key=lambda s: (s[0], s[1]),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def edits_of(edit: types.WorkspaceEdit | None, uri: str) -> list[types.TextEdit]:
    if edit is None:
        return []
    if edit.document_changes:
        return [e for dc in edit.document_changes if dc.text_document.uri == uri for e in dc.edits]  # type: ignore[union-attr]
    return list((edit.changes or {}).get(uri, []))


def encoding_of(result: types.InitializeResult) -> str:
    return str(result.capabilities.position_encoding or "utf-16")


def change_doc(client: LanguageClient, uri: str, version: int, changes: list[tuple[types.Range | None, str]]) -> None:
    content: list = []
    for rng, text in changes:
        if rng is None:
            content.append(types.TextDocumentContentChangeWholeDocument(text=text))
        else:
            content.append(types.TextDocumentContentChangePartial(range=rng, text=text))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=content
        )
    )


async def wait_for_version(client: LanguageClient, uri: str, version: int) -> types.PublishDiagnosticsParams:
    """Await the publishDiagnostics of one document version."""
    while True:
        for p in client.published:  # type: ignore[attr-defined]
            if p.uri == uri and p.version == version:
                return p
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
